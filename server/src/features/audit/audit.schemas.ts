import { parseIsoDate } from '@switchyard/core';
import { z } from 'zod';

const IsoDateSchema = z.string().transform((text, ctx) => {
  const millis = parseIsoDate(text);
  if (millis === undefined) {
    ctx.addIssue({ code: 'custom', message: 'must be an ISO 8601 date or date-time, e.g. 2026-05-01T12:00:00Z (send "+" in an offset as %2B)' });
    return z.NEVER;
  }
  return new Date(millis);
});

const wholeNumber = (max: number) =>
  z
    .string()
    .regex(/^\d{1,15}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(1).max(max));

export const MAX_AUDIT_PAGE = 500;

export const AuditQuerySchema = z
  .object({
    flag: z.string().min(1).max(128).optional(),
    resource: z.string().min(1).max(256).optional(),
    resourceType: z.string().regex(/^[a-z][a-z-]{0,63}$/, 'must be a resource type such as flag, flag-environment, segment, environment or key').optional(),
    env: z.string().min(1).max(64).optional(),
    actor: z.string().min(1).max(200).optional(),
    action: z.string().min(1).max(100).optional(),
    since: IsoDateSchema.optional(),
    until: IsoDateSchema.optional(),
    limit: wholeNumber(MAX_AUDIT_PAGE).optional().default(50),
    before: wholeNumber(Number.MAX_SAFE_INTEGER).optional(),
  })
  .strict()
  .superRefine((query, ctx) => {
    if (query.since !== undefined && query.until !== undefined && query.since.getTime() > query.until.getTime()) {
      ctx.addIssue({ code: 'custom', path: ['until'], message: 'must not be before since' });
    }
  });
export type AuditQuery = z.output<typeof AuditQuerySchema>;
