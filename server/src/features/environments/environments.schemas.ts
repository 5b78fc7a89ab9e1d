import { z } from 'zod';

export const CreateEnvironmentSchema = z
  .object({
    key: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must match ^[a-z0-9][a-z0-9-]{0,62}$'),
    name: z.string().trim().min(1).max(100).optional(),
  })
  .strict();
export type CreateEnvironment = z.infer<typeof CreateEnvironmentSchema>;
