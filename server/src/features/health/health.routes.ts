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

export const healthRoutes: FastifyPluginAsync<{ db: Kysely<Database>; state: HealthState }> = async (app, { db, state }) => {
  app.get('/live', { config: { permission: 'public' }, logLevel: 'warn' }, async () => ({ status: 'ok' }));

  app.get('/ready', { config: { permission: 'public' }, logLevel: 'warn' }, async (_request, reply) => {
    const checks: Record<string, { ok: boolean; error?: string }> = {};
    try {
      await withTimeout(sql`SELECT 1`.execute(db), READY_DB_TIMEOUT_MS);
      checks.database = { ok: true };
    } catch (error) {
      checks.database = { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
    checks.migrations = { ok: state.migrated };
    checks.draining = { ok: !state.draining };
    const ok = Object.values(checks).every((c) => c.ok);
    return reply.status(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not ready', checks });
  });
};
