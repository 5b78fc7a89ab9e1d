import { FlagKindSchema, VariantKeySchema } from '@switchyard/core';
import { z } from 'zod';

// Bodies of POST /flags, PATCH /flags/:key and PUT .../environments/:env are core's FlagSchema,
// FlagPatchSchema and EnvironmentConfigSchema; this file holds the server's own request shapes.

export const FlagParamsSchema = z.object({ key: z.string() }).strict();
export const FlagEnvironmentParamsSchema = z.object({ key: z.string(), env: z.string() }).strict();

const BooleanQuery = z.enum(['true', 'false']).transform((v) => v === 'true');

/** `GET /api/v1/flags` filters. `tag` may repeat: a flag must carry every tag given. */
export const ListFlagsQuerySchema = z
  .object({
    tag: z.union([z.string().min(1).max(64), z.array(z.string().min(1).max(64)).max(20)]).optional(),
    kind: FlagKindSchema.optional(),
    owner: z.string().min(1).max(200).optional(),
    q: z.string().min(1).max(200).optional(),
    archived: BooleanQuery.optional(),
    stale: BooleanQuery.optional(),
    /** The staleness window in days (default 30): fully rolled out and unchanged, or not evaluated, for this long. */
    days: z.coerce.number().int().min(1).max(3650).optional(),
  })
  .strict()
  .superRefine((query, ctx) => {
    if (query.stale === true && query.archived === true) {
      ctx.addIssue({ code: 'custom', path: ['stale'], message: 'archived flags are never stale: use either stale=true or archived=true' });
    }
  });
export type ListFlagsQuery = z.output<typeof ListFlagsQuerySchema>;

/** The quick rollout slider: `percentage` in steps of 0.001 (one rollout weight unit). */
export const RolloutBodySchema = z
  .object({
    percentage: z
      .number()
      .min(0)
      .max(100)
      .refine((p) => Math.abs(p * 1000 - Math.round(p * 1000)) < 1e-6, 'percentages go in steps of 0.001'),
    variant: VariantKeySchema.optional(),
  })
  .strict();
export type RolloutBody = z.infer<typeof RolloutBodySchema>;

/** Kill and restore: the reason is mandatory (an incident id, a sentence). */
export const ReasonBodySchema = z
  .object({
    reason: z.string().trim().min(1, 'a reason is required (e.g. an incident id)').max(500),
  })
  .strict();
export type ReasonBody = z.infer<typeof ReasonBodySchema>;
