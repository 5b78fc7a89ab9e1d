import { z } from 'zod';

/**
 * Every clause operator, with the stream protocol version that introduced it. An SDK that speaks an
 * older protocol cannot evaluate a clause using a newer operator; the server warns about such SDKs.
 * @example OPERATORS.semverGt // 1
 */
export const OPERATORS = {
  eq: 1,
  neq: 1,
  in: 1,
  notIn: 1,
  contains: 1,
  startsWith: 1,
  endsWith: 1,
  matches: 1,
  lt: 1,
  lte: 1,
  gt: 1,
  gte: 1,
  before: 1,
  after: 1,
  semverEq: 1,
  semverLt: 1,
  semverGt: 1,
  inSegment: 1,
} as const;

/** A clause operator name. @example const op: Operator = 'in' */
export type Operator = keyof typeof OPERATORS;

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
    attribute: z.string().min(1).max(256),
    op: OperatorSchema,
    values: z.array(z.union([z.string().max(4096), z.number().finite(), z.boolean()])).max(10_000),
    negate: z.boolean().optional(),
  })
  .strict();

/** A clause (inferred from {@link ClauseSchema}). */
export type Clause = z.infer<typeof ClauseSchema>;
