import { z } from 'zod';
import { OPERATORS, type Operator } from './operators.js';

// Re-exported: the list lives in a zod-free module so the evaluator can use it without zod.
export { OPERATORS, type Operator } from './operators.js';

/** Zod schema of an operator name. @example OperatorSchema.parse('startsWith') */
export const OperatorSchema = z.enum(Object.keys(OPERATORS) as [Operator, ...Operator[]]);

/** A clause value: clauses compare an attribute with one or more of these. */
export type ClauseValue = string | number | boolean;

/**
 * One condition of a rule: `attribute op values`, optionally negated. The clause matches when the
 * attribute matches any of the values. `inSegment` ignores `attribute` and takes segment keys as values.
 * @example const c: Clause = { attribute: 'country', op: 'in', values: ['NL', 'DE'] }
 */
export const ClauseSchema = z
  .object({
    // '#key' is what browsers receive instead of `key` in clauses that list keys (see protocol/client-view.ts).
    attribute: z.string().min(1).max(256).refine((a) => a !== '#key', 'is reserved (browsers get the hashed context key under this name)'),
    op: OperatorSchema,
    values: z.array(z.union([z.string().max(4096), z.number().finite(), z.boolean()])).max(10_000),
    negate: z.boolean().optional(),
  })
  .strict();

/** A clause (inferred from {@link ClauseSchema}). */
export type Clause = z.infer<typeof ClauseSchema>;
