import { MetricsBatchSchema } from '@switchyard/core';
import type { FastifyPluginAsync } from 'fastify';
import type { Kysely } from 'kysely';
import type { Clock } from '../../clock.js';
import type { Database } from '../../db/schema.js';
import { ApiError } from '../../errors.js';
import { parse } from '../../http.js';
import { recordMetrics } from './metrics.store.js';

/** `POST /api/v1/sdk/metrics`: evaluation counts and outcomes from SDKs, aggregated per minute. */
export const metricsRoutes: FastifyPluginAsync<{ db: Kysely<Database>; clock: Clock }> = async (app, { db, clock }) => {
  app.post('/metrics', { config: { permission: 'sdk' } }, async (request, reply) => {
    const environment = request.principal?.environment;
    if (environment === null || environment === undefined) throw new ApiError('FORBIDDEN', 'metrics take an SDK key');
    const batch = parse(MetricsBatchSchema, request.body);
    const recorded = await recordMetrics(db, environment, batch, clock.now());
    return reply.status(202).send({ recorded });
  });
};
