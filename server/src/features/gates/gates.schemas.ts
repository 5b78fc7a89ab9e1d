import { z } from 'zod';

export const GateParamsSchema = z.object({ key: z.string(), env: z.string() }).strict();

/** `GET /api/v1/gates/:key/environments/:env` options. */
export const GateQuerySchema = z
  .object({
    noActiveKills: z
      .enum(['true', 'false'])
      .transform((v) => v === 'true')
      .optional(),
  })
  .strict();
export type GateQuery = z.output<typeof GateQuerySchema>;
