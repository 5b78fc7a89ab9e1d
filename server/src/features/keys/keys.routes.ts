import type { FastifyPluginAsync } from 'fastify';
import { ApiError } from '../../errors.js';
import { actorOf, grants, type Permission } from '../../plugins/auth.js';
import { parse } from '../../http.js';
import { CreateKeySchema, KeyIdParamsSchema } from './keys.schemas.js';
import type { KeyService } from './keys.service.js';

const ADMIN_PERMISSIONS: readonly Permission[] = ['read', 'write', 'kill', 'admin'];

export const keysRoutes: FastifyPluginAsync<{ keys: KeyService }> = async (app, { keys }) => {
  app.get('/', { config: { permission: 'admin' } }, async () => ({ keys: await keys.list() }));

  // Any admin-API key may ask who it is: the admin UI offers what the key's kind allows.
  app.get('/current', { config: { permission: 'read' } }, async (request) => {
    const principal = request.principal;
    if (principal === null) throw new ApiError('UNAUTHORIZED', 'missing API key: send Authorization: Bearer <key>');
    const permissions = ADMIN_PERMISSIONS.filter((p) => grants(principal.kind, p));
    return { key: { id: principal.keyId, name: principal.name, kind: principal.kind, environment: principal.environment }, permissions };
  });

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
