import { randomUUID } from 'node:crypto';
import cors from '@fastify/cors';
import websocket from '@fastify/websocket';
import { MAX_CLIENT_MESSAGE_BYTES } from '@switchyard/core';
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
import { auditRoutes } from './features/audit/audit.routes.js';
import { createSegmentService, type SegmentService } from './features/segments/segments.service.js';
import { segmentsRoutes } from './features/segments/segments.routes.js';
import { createFlagService, type FlagService } from './features/flags/flags.service.js';
import { createFlagEnvironmentService, type FlagEnvironmentService } from './features/flags/flag-environments.service.js';
import { flagsRoutes } from './features/flags/flags.routes.js';
import { createSdkConfigService, type SdkConfigService } from './features/sdk-config/sdk-config.service.js';
import { sdkConfigRoutes } from './features/sdk-config/sdk-config.routes.js';
import { COMMITTED_FLAGS, createLocalNotifier, type ChangeNotifier } from './plugins/changes.js';
import type { ReplicaPeers } from './plugins/peers.js';
import { createRevisionTracker, type RevisionTracker } from './plugins/revisions.js';
import { metricsRoutes } from './features/sdk-metrics/metrics.routes.js';
import { StreamHub } from './features/sdk-stream/stream.hub.js';
import { connectionsRoutes, streamRoutes } from './features/sdk-stream/stream.routes.js';
import { createStreamSource } from './features/sdk-stream/stream.source.js';
import { createSdkFleet } from './features/sdk-stream/fleet.js';
import { installPropagation } from './features/sdk-stream/propagation.js';
import { usageRoutes } from './features/sdk-metrics/usage.routes.js';
import { eventsRoutes } from './features/events/events.routes.js';
import { adminUiRoutes, DEFAULT_ADMIN_UI_DIR } from './features/admin-ui/admin-ui.routes.js';
import { createMetrics, metricsPlugin } from './plugins/metrics.js';
import { protectionPlugin } from './plugins/protection.js';
import { createGateService, type GateService } from './features/gates/gates.service.js';
import { gatesRoutes } from './features/gates/gates.routes.js';
import { createIncidentService, type IncidentService } from './features/incidents/incidents.service.js';
import { incidentsRoutes } from './features/incidents/incidents.routes.js';
import { createRolloutPlanService, type RolloutPlanService } from './features/rollout-plans/rollout-plans.service.js';
import { rolloutPlansRoutes } from './features/rollout-plans/rollout-plans.routes.js';
import { createRolloutScheduler } from './features/rollout-plans/rollout-plans.scheduler.js';
import { createWebhookDispatcher, createWebhookService, type WebhookDispatcher, type WebhookService } from './features/webhooks/webhooks.service.js';
import { webhooksRoutes } from './features/webhooks/webhooks.routes.js';
import type { Scheduler } from './plugins/scheduler.js';

// CORS for the two routes browser SDKs call from other origins (config and metrics).
const SDK_CORS_ORIGIN = '*';
const SDK_CORS_EXPOSED = ['etag'];
const SDK_CORS = {
  origin: SDK_CORS_ORIGIN,
  methods: ['GET', 'POST'],
  allowedHeaders: ['authorization', 'content-type', 'if-none-match'],
  exposedHeaders: SDK_CORS_EXPOSED,
  maxAge: 600,
};
const SDK_CORS_HEADERS = { 'access-control-allow-origin': SDK_CORS_ORIGIN, 'access-control-expose-headers': SDK_CORS_EXPOSED.join(', ') };

/** Largest request body accepted; larger ones get 413. */
export const BODY_LIMIT = 1024 * 1024;

export interface AppDeps {
  readonly database: DatabaseHandle;
  readonly clock?: Clock;
  readonly logger?: FastifyServerOptions['logger'];
  readonly health?: HealthState;
  readonly maxAuthFailuresPerMinute?: number;
  /** The change bus; default in-process. */
  readonly notifier?: ChangeNotifier;
  /** A tracker given here is started and stopped by its owner; the default one lives with the app. */
  readonly revisions?: RevisionTracker;
  /** This replica's id in the connections view and on the bus. */
  readonly replica?: string;
  /** Redis, when the bus runs over it: readiness checks it. */
  readonly redis?: { ping(timeoutMs: number): Promise<void> };
  /** The other replicas (over Redis), so the connections view and `?waitForSdks=` cover every replica's SDKs. */
  readonly peers?: ReplicaPeers;
  /** The built admin UI served at `/` (default admin-ui/dist of this checkout); null serves none. */
  readonly adminUiDir?: string | null;
  /** When set, GET /metrics needs `Authorization: Bearer <metricsToken>`. */
  readonly metricsToken?: string;
  /** Admin-API writes per key per window on this replica (main.ts sets it from config); default none. */
  readonly writeRateLimit?: { readonly max: number; readonly windowMs: number };
  /** Fastify's trustProxy: which X-Forwarded-For hops to believe for the client address. */
  readonly trustProxy?: boolean | number | string[];
  /**
   * How often the scheduler ticks (rollout plans, gate changes, webhooks); default 1000 ms. 0 starts no
   * timer: tests drive `services.scheduler.tick()` themselves.
   */
  readonly schedulerIntervalMs?: number;
  /** How often a running rollout plan is checked for breaches within a hold; default 10 s. */
  readonly rolloutCheckIntervalMs?: number;
  /** The first webhook retry waits this long, doubling after each failed attempt; default 1000 ms. */
  readonly webhookRetryBaseMs?: number;
}

/** The services behind the routes, exposed for start-up tasks and tests. */
export interface Services {
  readonly keys: KeyService;
  readonly environments: EnvironmentService;
  readonly segments: SegmentService;
  readonly flags: FlagService;
  readonly flagEnvironments: FlagEnvironmentService;
  readonly sdkConfig: SdkConfigService;
  readonly notifier: ChangeNotifier;
  readonly revisions: RevisionTracker;
  readonly stream: StreamHub;
  readonly gates: GateService;
  readonly rolloutPlans: RolloutPlanService;
  readonly webhooks: WebhookService;
  readonly webhookDispatcher: WebhookDispatcher;
  readonly incidents: IncidentService;
  readonly scheduler: Scheduler;
  readonly health: HealthState;
  readonly clock: Clock;
}

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
  }
}

// A hop count means "the nearest n proxies", which Fastify's types only take as a function.
function trustProxyOption(trust: boolean | number | string[]): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof trust === 'number' ? (_address, hop) => hop < trust : trust;
}

/** Builds the Fastify app with every route; never listens (main.ts and tests do). */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: deps.logger ?? false,
    bodyLimit: BODY_LIMIT,
    genReqId: () => randomUUID(),
    requestIdHeader: 'x-request-id',
    ...(deps.trustProxy === undefined ? {} : { trustProxy: trustProxyOption(deps.trustProxy) }),
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 256 },
  });
  installErrorHandling(app);

  const db = deps.database.db;
  const clock = deps.clock ?? systemClock;
  const health = deps.health ?? { draining: false, migrated: true };
  const resolver = createKeyResolver(db);
  const keys = createKeyService({ db, resolver });
  const environments = createEnvironmentService({ db });
  const notifier = deps.notifier ?? createLocalNotifier({ onListenerError: (err) => app.log.error({ err }, 'change listener failed') });
  const revisions = deps.revisions ?? createRevisionTracker({ db, notifier, onPollError: (err) => app.log.debug({ err }, 'revision poll failed') });
  const segments = createSegmentService({ db, clock, notifier });
  const flags = createFlagService({ db, clock, notifier });
  const flagEnvironments = createFlagEnvironmentService({ db, clock, notifier });
  const sdkConfig = createSdkConfigService({ db, revisions });
  const onJobError = (err: unknown, context: string): void => app.log.warn({ err }, `scheduler: ${context} failed`);
  const gates = createGateService({ db, clock });
  const rolloutPlans = createRolloutPlanService({ db, clock, notifier, ...(deps.rolloutCheckIntervalMs === undefined ? {} : { checkIntervalMs: deps.rolloutCheckIntervalMs }) });
  const webhooks = createWebhookService({ db, clock });
  const webhookDispatcher = createWebhookDispatcher({ db, clock, onError: onJobError, ...(deps.webhookRetryBaseMs === undefined ? {} : { retryBaseMs: deps.webhookRetryBaseMs }) });
  const incidents = createIncidentService({ db, clock, notifier });
  const scheduler = createRolloutScheduler({
    db,
    kind: deps.database.kind,
    clock,
    notifier,
    jobs: [gates.watcher, ...webhookDispatcher.jobs],
    onError: onJobError,
    ...(deps.schedulerIntervalMs === undefined || deps.schedulerIntervalMs === 0 ? {} : { intervalMs: deps.schedulerIntervalMs }),
    ...(deps.rolloutCheckIntervalMs === undefined ? {} : { checkIntervalMs: deps.rolloutCheckIntervalMs }),
  });
  const replica = deps.replica ?? randomUUID();
  const metrics = createMetrics();
  const stream = new StreamHub({
    source: createStreamSource({ db, sdkConfig }),
    latestRevision: () => revisions.latest(),
    replica,
    onError: (err, context) => app.log.warn({ err }, context),
    onSent: metrics.streamSent,
  });
  const fleet = createSdkFleet(stream, replica, deps.peers);
  const unsubscribeStream = notifier.subscribe((change) => {
    if (change.kind === 'key') {
      for (const keyId of change.keys) {
        // A key revoked through another replica: its cached principal must not outlive the message.
        resolver.evict(keyId);
        stream.closeKey(keyId);
      }
    }
    else stream.changed({ revision: change.revision, environments: change.environments, flags: change[COMMITTED_FLAGS] });
  });
  // A revocation travels on the bus so every replica closes that key's streams at once.
  keys.onRevoke((keyId) => notifier.publish({ revision: 0, environments: 'all', kind: 'key', keys: [keyId] }));
  app.decorate('services', { keys, environments, segments, flags, flagEnvironments, sdkConfig, notifier, revisions, stream, gates, rolloutPlans, webhooks, webhookDispatcher, incidents, scheduler, health, clock });
  if (deps.schedulerIntervalMs !== 0) app.addHook('onReady', async () => scheduler.start());
  app.addHook('onClose', async () => {
    await scheduler.stop();
    await webhookDispatcher.stop();
  });
  app.addHook('onReady', async () => stream.start());
  // Before the server stops accepting: 1012 tells SDKs to reconnect to another replica at once.
  app.addHook('preClose', async () => {
    unsubscribeStream();
    fleet.stop();
    stream.closeAll();
  });
  if (deps.revisions === undefined) {
    app.addHook('onReady', async () => revisions.start());
    app.addHook('onClose', async () => revisions.stop());
  }

  await app.register(authPlugin, { keys: resolver, ...(deps.maxAuthFailuresPerMinute === undefined ? {} : { maxAuthFailuresPerMinute: deps.maxAuthFailuresPerMinute }) });
  await app.register(protectionPlugin, { health, ...(deps.writeRateLimit === undefined ? {} : { writeLimit: deps.writeRateLimit }) });
  await app.register(metricsPlugin, {
    metrics,
    db,
    pool: deps.database.pool,
    health,
    streamStats: () => stream.stats(),
    latestRevision: () => revisions.latest(),
    redis: deps.redis,
    token: deps.metricsToken,
  });
  installPropagation(app, { fleet, db });
  await app.register(healthRoutes, { prefix: '/health', db, state: health, ...(deps.redis === undefined ? {} : { redis: deps.redis }) });
  await app.register(keysRoutes, { prefix: '/api/v1/keys', keys });
  await app.register(environmentsRoutes, { prefix: '/api/v1/environments', environments });
  await app.register(segmentsRoutes, { prefix: '/api/v1/segments', segments });
  await app.register(auditRoutes, { prefix: '/api/v1/audit', db });
  await app.register(flagsRoutes, { prefix: '/api/v1/flags', flags, environments: flagEnvironments });
  await app.register(rolloutPlansRoutes, { prefix: '/api/v1/flags', plans: rolloutPlans });
  await app.register(gatesRoutes, { prefix: '/api/v1/gates', gates });
  await app.register(incidentsRoutes, { prefix: '/api/v1', incidents });
  await app.register(webhooksRoutes, { prefix: '/api/v1/webhooks', webhooks });
  // Browser SDKs on other origins fetch config and post metrics (the stream, a WebSocket, needs no
  // CORS). Only these two routes get CORS, so the admin API stays same-origin.
  await app.register(
    async (sdk) => {
      // Every answer of these routes, preflights included, gets what @fastify/cors adds for a fixed
      // origin of '*'. Set here from a prepared object: its own hook rebuilds its options and a closure
      // per request, and the SDK config is the hottest route there is.
      sdk.addHook('onRequest', (_request, reply, done) => {
        void reply.headers(SDK_CORS_HEADERS);
        done();
      });
      // Preflights: @fastify/cors answers them in its hook, in a scope of its own (its OPTIONS route).
      await sdk.register(async (preflight) => {
        // A preflight carries no key; let auth pass its route.
        preflight.addHook('onRoute', (route) => {
          if (route.method === 'OPTIONS') route.config = { ...route.config, permission: 'public' };
        });
        await preflight.register(cors, SDK_CORS);
      });
      await sdk.register(sdkConfigRoutes, { sdkConfig, revisions });
      await sdk.register(metricsRoutes, { db, clock });
    },
    { prefix: '/api/v1/sdk' },
  );
  await app.register(async (scope) => {
    // Only the stream needs the WebSocket plugin, which wraps the handler of every route it sees.
    await scope.register(websocket, { options: { maxPayload: MAX_CLIENT_MESSAGE_BYTES, perMessageDeflate: false } });
    await scope.register(streamRoutes, { prefix: '/api/v1/sdk', hub: stream, keys: resolver });
  });
  await app.register(connectionsRoutes, { prefix: '/api/v1/sdk', fleet });
  await app.register(usageRoutes, { prefix: '/api/v1', db, clock });
  await app.register(eventsRoutes, { prefix: '/api/v1/events', notifier, latestRevision: () => revisions.latest() });
  if (deps.adminUiDir !== null) await app.register(adminUiRoutes, { root: deps.adminUiDir ?? DEFAULT_ADMIN_UI_DIR });
  return app;
}
