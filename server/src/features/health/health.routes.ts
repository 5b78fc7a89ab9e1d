import type { FastifyPluginAsync } from 'fastify';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';

export interface HealthState {
  /** Set on SIGTERM: readiness fails first so the load balancer stops sending traffic. */
  draining: boolean;
  migrated: boolean;
}

const READY_DB_TIMEOUT_MS = 2_000;

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

export const healthRoutes: FastifyPluginAsync<{ db: Kysely<Database>; state: HealthState; redis?: { ping(timeoutMs: number): Promise<void> } }> = async (app, { db, state, redis }) => {
  app.get('/live', { config: { permission: 'public' }, logLevel: 'warn' }, async () => ({ status: 'ok' }));

  app.get('/ready', { config: { permission: 'public' }, logLevel: 'warn' }, async (_request, reply) => {
    const checks: Record<string, { ok: boolean; error?: string; critical?: false }> = {};
    try {
      await withTimeout(sql`SELECT 1`.execute(db), READY_DB_TIMEOUT_MS);
      checks.database = { ok: true };
    } catch (error) {
      checks.database = { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
    if (redis !== undefined) {
      try {
        await redis.ping(READY_DB_TIMEOUT_MS);
        checks.redis = { ok: true };
      } catch (error) {
        // Redis only speeds up fan-out: each replica's revision poll still delivers every change, so
        // an outage is reported but must not take every replica out of the load balancer.
        checks.redis = { ok: false, error: error instanceof Error ? error.message : String(error), critical: false };
      }
    }
    checks.migrations = { ok: state.migrated };
    checks.draining = { ok: !state.draining };
    const ok = Object.values(checks).every((c) => c.ok || c.critical === false);
    const degraded = Object.values(checks).some((c) => !c.ok);
    return reply.status(ok ? 200 : 503).send({ status: ok ? (degraded ? 'ready (degraded)' : 'ready') : 'not ready', checks });
  });
};
