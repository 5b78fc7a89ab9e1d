import { FLAG_KEY_PATTERN } from '@switchyard/core';
import type { FastifyPluginAsync } from 'fastify';
import { ApiError } from '../../errors.js';
import { acceptEmptyJsonBody, parse } from '../../http.js';
import { actorOf } from '../../plugins/auth.js';
import { flagNotFound } from '../flags/flags.service.js';
import { PlanActionSchema, PlanParamsSchema, StartPlanSchema } from './rollout-plans.schemas.js';
import type { RolloutPlanService } from './rollout-plans.service.js';

function targetOf(params: unknown): { key: string; env: string } {
  const { key, env } = parse(PlanParamsSchema, params, 'params');
  if (!FLAG_KEY_PATTERN.test(key)) throw flagNotFound(key);
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(env)) throw new ApiError('ENVIRONMENT_NOT_FOUND', `no environment "${env}"`);
  return { key, env };
}

/** `POST|GET /api/v1/flags/:key/environments/:env/rollout-plan` and `POST …/rollout-plan/{pause,resume,abort}`. */
export const rolloutPlansRoutes: FastifyPluginAsync<{ plans: RolloutPlanService }> = async (app, { plans }) => {
  acceptEmptyJsonBody(app);

  app.post('/:key/environments/:env/rollout-plan', { config: { permission: 'write' } }, async (request, reply) => {
    const { key, env } = targetOf(request.params);
    const body = parse(StartPlanSchema, request.body);
    const plan = await plans.start(key, env, body, actorOf(request));
    return reply.status(201).header('location', `/api/v1/flags/${key}/environments/${env}/rollout-plan`).send(plan);
  });

  app.get('/:key/environments/:env/rollout-plan', { config: { permission: 'read' } }, async (request) => {
    const { key, env } = targetOf(request.params);
    return plans.get(key, env);
  });

  for (const action of ['pause', 'resume', 'abort'] as const) {
    app.post(`/:key/environments/:env/rollout-plan/${action}`, { config: { permission: 'write' } }, async (request) => {
      const { key, env } = targetOf(request.params);
      const body = parse(PlanActionSchema, request.body ?? {});
      return plans[action](key, env, body, actorOf(request));
    });
  }
};
