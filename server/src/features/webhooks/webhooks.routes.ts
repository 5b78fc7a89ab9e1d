import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { acceptEmptyJsonBody, parse } from '../../http.js';
import { actorOf } from '../../plugins/auth.js';
import { CreateWebhookSchema, WebhookIdParamsSchema } from './webhooks.schemas.js';
import type { WebhookService } from './webhooks.service.js';

const DeliveriesQuerySchema = z
  .object({ limit: z.coerce.number().int().min(1).max(500).default(50) })
  .strict();

/** `GET|POST /api/v1/webhooks`, `DELETE /api/v1/webhooks/:id`, `GET /api/v1/webhooks/:id/deliveries` (admin). */
export const webhooksRoutes: FastifyPluginAsync<{ webhooks: WebhookService }> = async (app, { webhooks }) => {
  acceptEmptyJsonBody(app);

  app.get('/', { config: { permission: 'admin' } }, async () => ({ webhooks: await webhooks.list() }));

  app.post('/', { config: { permission: 'admin' } }, async (request, reply) => {
    const body = parse(CreateWebhookSchema, request.body);
    const { webhook, secret } = await webhooks.create(body, actorOf(request));
    return reply
      .status(201)
      .header('location', `/api/v1/webhooks/${webhook.id}`)
      .send({ webhook, secret, note: 'store this secret now: it signs every delivery and is shown only once' });
  });

  app.delete('/:id', { config: { permission: 'admin' } }, async (request) => {
    const { id } = parse(WebhookIdParamsSchema, request.params, 'params');
    return { webhook: await webhooks.remove(id, actorOf(request)) };
  });

  app.get('/:id/deliveries', { config: { permission: 'admin' } }, async (request) => {
    const { id } = parse(WebhookIdParamsSchema, request.params, 'params');
    const { limit } = parse(DeliveriesQuerySchema, request.query, 'query');
    return { deliveries: await webhooks.deliveries(id, limit) };
  });
};
