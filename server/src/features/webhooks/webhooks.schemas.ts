import { z } from 'zod';
import { WEBHOOK_EVENTS } from './webhook-events.js';

/** The body of `POST /api/v1/webhooks`. `events` defaults to every event; `secret` to a generated one, shown once. */
export const CreateWebhookSchema = z
  .object({
    url: z
      .string()
      .max(2000)
      .refine((value) => {
        try {
          const url = new URL(value);
          return (url.protocol === 'https:' || url.protocol === 'http:') && url.username === '' && url.password === '';
        } catch {
          return false;
        }
      }, 'an http(s) URL without credentials, e.g. https://hooks.slack.com/services/…'),
    secret: z.string().min(16, 'at least 16 characters: it signs every delivery').max(256).optional(),
    events: z
      .array(z.enum(WEBHOOK_EVENTS))
      .min(1)
      .max(WEBHOOK_EVENTS.length)
      .refine((events) => new Set(events).size === events.length, 'lists an event twice')
      .optional(),
    description: z.string().max(500).optional(),
  })
  .strict();
export type CreateWebhook = z.infer<typeof CreateWebhookSchema>;

export const WebhookIdParamsSchema = z.object({ id: z.string().min(1).max(64) }).strict();
