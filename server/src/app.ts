import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { DatabaseHandle } from './db/connect.js';
import { systemClock, type Clock } from './clock.js';
import { installErrorHandling } from './errors.js';
import { authPlugin, createKeyResolver } from './plugins/auth.js';
import { createEnvironmentService, type EnvironmentService } from './features/environments/environments.service.js';
import { environmentsRoutes } from './features/environments/environments.routes.js';
import { healthRoutes, type HealthState } from './features/health/health.routes.js';
import { createKeyService, type KeyService } from './features/keys/keys.service.js';
import { keysRoutes } from './features/keys/keys.routes.js';

/** Largest request body accepted; larger ones get 413. */
export const BODY_LIMIT = 1024 * 1024;

export interface AppDeps {
  readonly database: DatabaseHandle;
  readonly clock?: Clock;
  readonly logger?: FastifyServerOptions['logger'];
  readonly health?: HealthState;
  readonly maxAuthFailuresPerMinute?: number;
}

/** The services behind the routes, exposed for start-up tasks and tests. */
export interface Services {
  readonly keys: KeyService;
  readonly environments: EnvironmentService;
  readonly health: HealthState;
  readonly clock: Clock;
}

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
  }
}

/** Builds the Fastify app with every route; never listens (main.ts and tests do). */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: deps.logger ?? false,
    bodyLimit: BODY_LIMIT,
    genReqId: () => randomUUID(),
    requestIdHeader: 'x-request-id',
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 256 },
  });
  installErrorHandling(app);

  const db = deps.database.db;
  const clock = deps.clock ?? systemClock;
  const health = deps.health ?? { draining: false, migrated: true };
  const resolver = createKeyResolver(db);
  const keys = createKeyService({ db, resolver });
  const environments = createEnvironmentService({ db });
  app.decorate('services', { keys, environments, health, clock });

  await app.register(authPlugin, { keys: resolver, ...(deps.maxAuthFailuresPerMinute === undefined ? {} : { maxAuthFailuresPerMinute: deps.maxAuthFailuresPerMinute }) });
  await app.register(healthRoutes, { prefix: '/health', db, state: health });
  await app.register(keysRoutes, { prefix: '/api/v1/keys', keys });
  await app.register(environmentsRoutes, { prefix: '/api/v1/environments', environments });
  return app;
}
