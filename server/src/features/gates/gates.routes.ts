import { FLAG_KEY_PATTERN } from '@switchyard/core';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { ApiError } from '../../errors.js';
import { acceptEmptyJsonBody, ifMatch, parse } from '../../http.js';
import { actorOf } from '../../plugins/auth.js';
import { flagNotFound } from '../flags/flags.service.js';
import { GateScheduleSchema } from './gate-schedule.js';
import { GateParamsSchema, GateQuerySchema } from './gates.schemas.js';
import type { GateService } from './gates.service.js';

function gateOf(params: unknown): { key: string; env: string } {
  const { key, env } = parse(GateParamsSchema, params, 'params');
  if (!FLAG_KEY_PATTERN.test(key)) throw flagNotFound(key);
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(env)) throw new ApiError('ENVIRONMENT_NOT_FOUND', `no environment "${env}"`);
  return { key, env };
}

function etag(reply: FastifyReply, version: number): void {
  void reply.header('etag', `"${version}"`);
}

/** `GET /api/v1/gates/:key/environments/:env` and its schedule (`GET|PUT …/schedule`). */
export const gatesRoutes: FastifyPluginAsync<{ gates: GateService }> = async (app, { gates }) => {
  acceptEmptyJsonBody(app);

  app.get('/:key/environments/:env', { config: { permission: 'read' } }, async (request) => {
    const { key, env } = gateOf(request.params);
    const query = parse(GateQuerySchema, request.query, 'query');
    return gates.state(key, env, { noActiveKills: query.noActiveKills === true });
  });

  app.get('/:key/environments/:env/schedule', { config: { permission: 'read' } }, async (request, reply) => {
    const { key, env } = gateOf(request.params);
    const schedule = await gates.getSchedule(key, env);
    etag(reply, schedule.version);
    return schedule;
  });

  app.put('/:key/environments/:env/schedule', { config: { permission: 'write' } }, async (request, reply) => {
    const { key, env } = gateOf(request.params);
    const schedule = parse(GateScheduleSchema, request.body);
    const result = await gates.putSchedule(key, env, schedule, ifMatch(request), actorOf(request));
    etag(reply, result.version);
    return result;
  });
};
