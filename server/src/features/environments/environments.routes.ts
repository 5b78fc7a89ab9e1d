import type { FastifyPluginAsync } from 'fastify';
import { actorOf } from '../../plugins/auth.js';
import { parse } from '../../http.js';
import { CreateEnvironmentSchema } from './environments.schemas.js';
import type { EnvironmentService } from './environments.service.js';

export const environmentsRoutes: FastifyPluginAsync<{ environments: EnvironmentService }> = async (app, { environments }) => {
  app.get('/', { config: { permission: 'read' } }, async () => ({ environments: await environments.list() }));

  app.post('/', { config: { permission: 'admin' } }, async (request, reply) => {
    const body = parse(CreateEnvironmentSchema, request.body);
    return reply.status(201).send({ environment: await environments.create(body, actorOf(request)) });
  });
};
