/**
 * Every clause operator, with the stream protocol version that introduced it. An SDK that speaks an
 * older protocol cannot evaluate a clause using a newer operator; the server warns about such SDKs.
 * Kept apart from the zod schemas (model/clause.ts re-exports it) so the evaluator, and with it the
 * browser SDK's bundle, does not pull in zod.
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
