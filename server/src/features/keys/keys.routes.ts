import type { FastifyPluginAsync } from 'fastify';
import { actorOf } from '../../plugins/auth.js';
import { parse } from '../../http.js';
import { CreateKeySchema, KeyIdParamsSchema } from './keys.schemas.js';
import type { KeyService } from './keys.service.js';

export const keysRoutes: FastifyPluginAsync<{ keys: KeyService }> = async (app, { keys }) => {
  app.get('/', { config: { permission: 'admin' } }, async () => ({ keys: await keys.list() }));

  app.post('/', { config: { permission: 'admin' } }, async (request, reply) => {
    const body = parse(CreateKeySchema, request.body);
    const { key, secret } = await keys.create(body, actorOf(request));
    return reply.status(201).send({ key, secret, note: 'store this secret now: it is shown only once' });
  });

  app.delete('/:id', { config: { permission: 'admin' } }, async (request) => {
    const { id } = parse(KeyIdParamsSchema, request.params, 'params');
    return { key: await keys.revoke(id, actorOf(request)) };
  });
};
