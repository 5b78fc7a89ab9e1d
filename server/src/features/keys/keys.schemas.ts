import { z } from 'zod';
import { KeyKindSchema } from '../../plugins/auth.js';

export const CreateKeySchema = z
  .object({
    name: z.string().trim().min(1).max(100),
    kind: KeyKindSchema,
    environment: z.string().min(1).max(64).optional(),
  })
  .strict()
  .superRefine((body, ctx) => {
    const sdk = body.kind === 'sdk-server' || body.kind === 'sdk-client';
    if (sdk && body.environment === undefined) ctx.addIssue({ code: 'custom', path: ['environment'], message: `required for ${body.kind} keys: an SDK key belongs to one environment` });
    if (!sdk && body.environment !== undefined) ctx.addIssue({ code: 'custom', path: ['environment'], message: `only SDK keys belong to an environment; ${body.kind} keys see all` });
  });
export type CreateKey = z.infer<typeof CreateKeySchema>;

export const KeyIdParamsSchema = z.object({ id: z.string().min(1).max(64) }).strict();
