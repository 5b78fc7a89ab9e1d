import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { ifMatch, parse } from '../../http.js';
import { actorOf } from '../../plugins/auth.js';
import { CreateSegmentSchema, ReplaceSegmentSchema, SegmentKeyParamsSchema } from './segments.schemas.js';
import type { SegmentService, SegmentView } from './segments.service.js';

function withVersion(reply: FastifyReply, segment: SegmentView): FastifyReply {
  return reply.header('etag', `"${segment.version}"`);
}

export const segmentsRoutes: FastifyPluginAsync<{ segments: SegmentService }> = async (app, { segments }) => {
  app.get('/', { config: { permission: 'read' } }, async () => ({ segments: await segments.list() }));

  app.post('/', { config: { permission: 'write' } }, async (request, reply) => {
    const body = parse(CreateSegmentSchema, request.body);
    const segment = await segments.create(body, actorOf(request));
    return withVersion(reply, segment).status(201).send({ segment });
  });

  app.get('/:key', { config: { permission: 'read' } }, async (request, reply) => {
    const { key } = parse(SegmentKeyParamsSchema, request.params, 'params');
    const segment = await segments.get(key);
    return withVersion(reply, segment).send({ segment });
  });

  app.put('/:key', { config: { permission: 'write' } }, async (request, reply) => {
    const { key } = parse(SegmentKeyParamsSchema, request.params, 'params');
    const expectedVersion = ifMatch(request);
    const body = parse(ReplaceSegmentSchema, request.body);
    const segment = await segments.replace(key, body, expectedVersion, actorOf(request));
    return withVersion(reply, segment).send({ segment });
  });
};
