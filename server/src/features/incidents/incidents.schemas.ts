import { z } from 'zod';

/** The body of `POST /api/v1/kill`: every flag with `tag`, or the listed `flags`, in one environment. */
export const BulkKillSchema = z
  .object({
    environment: z.string().min(1).max(64),
    reason: z.string().trim().min(1, 'a reason is required (e.g. an incident id)').max(500),
    tag: z.string().min(1).max(64).optional(),
    flags: z.array(z.string().min(1).max(128)).min(1).max(1000).optional(),
    dryRun: z.boolean().default(false),
  })
  .strict()
  .superRefine((body, ctx) => {
    if ((body.tag === undefined) === (body.flags === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['tag'], message: 'name either a tag or a list of flags' });
    }
  });
export type BulkKill = z.output<typeof BulkKillSchema>;
