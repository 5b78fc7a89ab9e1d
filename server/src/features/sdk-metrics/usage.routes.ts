import { FLAG_KEY_PATTERN } from '@switchyard/core';
import type { FastifyPluginAsync } from 'fastify';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Clock } from '../../clock.js';
import type { Database } from '../../db/schema.js';
import { ApiError } from '../../errors.js';
import { parse } from '../../http.js';
import { flagNotFound } from '../flags/flags.service.js';
import { environmentExists, findFlag } from '../flags/flags.store.js';
import { lastEvaluated, variantStats } from './metrics.store.js';

/** The window the rollout slider's estimate looks back over. */
export const EXPOSURE_WINDOW_MINUTES = 60;

const ExposureParamsSchema = z.object({ key: z.string(), env: z.string() }).strict();
const ExposureQuerySchema = z
  .object({
    percentage: z.coerce.number().min(0).max(100).optional(),
  })
  .strict();

/**
 * Read views over the evaluation metrics SDKs report, for the admin UI:
 *
 * - `GET /api/v1/flags/:key/environments/:env/exposure?percentage=25` — the last hour's evaluations of
 *   the flag in the environment, per variant, and the estimate `round(evaluations × percentage / 100)`:
 *   how many of those evaluations a fallthrough rollout at that percentage would have served the "on"
 *   side. SDKs report counts, not distinct contexts, so this counts evaluations; and because targets
 *   and rules are matched before the fallthrough, it is an upper bound for the rollout's reach.
 * - `GET /api/v1/sdk/usage` — when each flag was last evaluated in any environment (the "unused" half
 *   of the stale-flags view).
 */
export const usageRoutes: FastifyPluginAsync<{ db: Kysely<Database>; clock: Clock }> = async (app, { db, clock }) => {
  app.get('/flags/:key/environments/:env/exposure', { config: { permission: 'read' } }, async (request) => {
    const { key, env } = parse(ExposureParamsSchema, request.params, 'params');
    const { percentage } = parse(ExposureQuerySchema, request.query, 'query');
    if (!FLAG_KEY_PATTERN.test(key) || (await findFlag(db, key)) === undefined) throw flagNotFound(key);
    if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(env) || !(await environmentExists(db, env))) throw new ApiError('ENVIRONMENT_NOT_FOUND', `no environment "${env}"`);
    const now = clock.now();
    // Minute rows are keyed by their start: the current, partial minute is included.
    const until = new Date(Math.floor(now.getTime() / 60_000) * 60_000 + 60_000);
    const since = new Date(until.getTime() - EXPOSURE_WINDOW_MINUTES * 60_000);
    const stats = await variantStats(db, env, key, since, until);
    const evaluations = stats.reduce((n, s) => n + s.evaluations, 0);
    return {
      flag: key,
      environment: env,
      since: since.toISOString(),
      until: until.toISOString(),
      windowMinutes: EXPOSURE_WINDOW_MINUTES,
      evaluations,
      variants: stats.map((s) => ({ variant: s.variant, evaluations: s.evaluations })).sort((a, b) => b.evaluations - a.evaluations),
      ...(percentage === undefined ? {} : { percentage, estimate: Math.round((evaluations * percentage) / 100) }),
    };
  });

  app.get('/sdk/usage', { config: { permission: 'read' } }, async () => {
    const last = await lastEvaluated(db);
    return { flags: [...last].map(([key, at]) => ({ key, lastEvaluatedAt: at.toISOString() })).sort((a, b) => a.key.localeCompare(b.key)) };
  });
};
