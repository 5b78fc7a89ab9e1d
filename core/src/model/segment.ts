import { z } from 'zod';
import { SegmentKeySchema } from './common.js';
import { ClauseSchema } from './clause.js';

/** A segment rule: all clauses must match. */
export const SegmentRuleSchema = z.object({ clauses: z.array(ClauseSchema).min(1).max(100) }).strict();
/** A segment rule (inferred from {@link SegmentRuleSchema}). */
export type SegmentRule = z.infer<typeof SegmentRuleSchema>;

/**
 * A reusable, named set of contexts: explicitly included keys, explicitly excluded keys, and rules
 * (any rule matching puts the context in). Exclusion wins over rules; inclusion wins over everything.
 * @example SegmentSchema.parse({ key: 'internal-users', name: 'Internal', rules: [{ clauses: [{ attribute: 'email', op: 'endsWith', values: ['@acme.io'] }] }] })
 */
export const SegmentSchema = z
  .object({
    key: SegmentKeySchema,
    name: z.string().min(1).max(200),
    description: z.string().max(2000).default(''),
    included: z.array(z.string().max(512)).max(50_000).default([]),
    excluded: z.array(z.string().max(512)).max(50_000).default([]),
    rules: z.array(SegmentRuleSchema).max(100).default([]),
  })
  .strict();
/** A segment after parsing (inferred from {@link SegmentSchema}). */
export type Segment = z.output<typeof SegmentSchema>;
/** A segment as accepted on input. */
export type SegmentInput = z.input<typeof SegmentSchema>;
