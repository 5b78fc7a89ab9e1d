import type { JsonValue } from '../model/common.js';

/** Why a value was served. @example 'RULE_MATCH' */
export type Reason =
  | 'FLAG_NOT_FOUND'
  | 'OFF'
  | 'KILLED'
  | 'PREREQUISITE_FAILED'
  | 'TARGET_MATCH'
  | 'RULE_MATCH'
  | 'FALLTHROUGH'
  | 'BUCKET_KEY_MISSING'
  | 'ERROR';

/** What went wrong when the reason is `ERROR` (or `FLAG_NOT_FOUND`). @example 'PREREQUISITE_CYCLE' */
export type ErrorCode =
  | 'FLAG_NOT_FOUND'
  | 'MALFORMED_FLAG'
  | 'UNSUPPORTED_OPERATOR'
  | 'PREREQUISITE_CYCLE'
  | 'SEGMENT_CYCLE'
  | 'TYPE_MISMATCH'
  | 'GENERAL';

/**
 * The result of one evaluation: the value, the variant key that produced it, and why.
 * @example { value: true, variant: 'true', reason: 'RULE_MATCH', ruleId: 'beta-users' }
 */
export interface Detail<T = JsonValue> {
  readonly value: T;
  readonly variant?: string;
  readonly reason: Reason;
  readonly ruleId?: string;
  readonly errorCode?: ErrorCode;
}

/** Creates a frozen detail; the evaluator precomputes these so an evaluation allocates nothing. */
export function makeDetail(value: JsonValue, variant: string | undefined, reason: Reason, ruleId?: string, errorCode?: ErrorCode): Detail {
  const detail: { value: JsonValue; variant?: string; reason: Reason; ruleId?: string; errorCode?: ErrorCode } = { value, reason };
  if (variant !== undefined) detail.variant = variant;
  if (ruleId !== undefined) detail.ruleId = ruleId;
  if (errorCode !== undefined) detail.errorCode = errorCode;
  return Object.freeze(detail);
}
