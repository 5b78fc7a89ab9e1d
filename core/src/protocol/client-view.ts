import { hashTargetKey } from '../bucketing/target-hash.js';
import type { Clause } from '../model/clause.js';
import type { FlagConfig } from '../model/flag.js';
import type { Segment } from '../model/segment.js';

/**
 * The attribute that clauses on the context key are rewritten to in what browsers receive; the
 * browser SDK sets it to the hashed context key. Reserved: rules may not name it.
 * @example HASHED_KEY_ATTRIBUTE // '#key'
 */
export const HASHED_KEY_ATTRIBUTE = '#key';

const EQUALITY = new Set(['eq', 'neq', 'in', 'notIn']);

/**
 * What a browser may see of a clause: one comparing the context key for equality with a list of
 * strings (`key in [user-1, user-2]`, a user list by another name) compares the hashed key with the
 * hashed list instead, under {@link HASHED_KEY_ATTRIBUTE}. Others are returned as they are.
 */
function hideKeyClause(clause: Clause, salt: string): Clause {
  if (clause?.attribute !== 'key' || !EQUALITY.has(clause.op) || !Array.isArray(clause.values) || !clause.values.every((v) => typeof v === 'string')) return clause;
  return { ...clause, attribute: HASHED_KEY_ATTRIBUTE, values: clause.values.map((v) => hashTargetKey(salt, v as string)) };
}

/**
 * Flags and segments as browsers (sdk-client keys) receive them: target and segment key lists, and
 * rule clauses that compare the context key with lists of keys, hold {@link hashTargetKey} hashes, so
 * no user id is readable in a page. The browser SDK hashes the context key once per context and
 * evaluates with it (as `targetKey` and as the {@link HASHED_KEY_ATTRIBUTE} attribute); results are
 * those of the clear configs. Obfuscation, not secrecy: see hashTargetKey.
 * @example const view = clientView(flags, segments, snapshot.keyHashSalt)
 */
export function clientView(flags: readonly FlagConfig[], segments: readonly Segment[], salt: string): { flags: FlagConfig[]; segments: Segment[] } {
  // Lists that are not arrays are left for the evaluator to report as malformed (the test vectors
  // send such configs through this too).
  const each = <T>(list: readonly T[], f: (item: T) => T): T[] => (Array.isArray(list) ? list.map(f) : (list as T[]));
  const hash = (keys: readonly string[]): string[] => each(keys, (k) => (typeof k === 'string' ? hashTargetKey(salt, k) : k));
  const hideRules = <R extends { readonly clauses: readonly Clause[] }>(rules: readonly R[]): R[] =>
    each(rules, (rule) => (rule !== null && typeof rule === 'object' ? { ...rule, clauses: each(rule.clauses, (c) => hideKeyClause(c, salt)) } : rule));
  return {
    flags: flags.map((flag) => ({ ...flag, targets: each(flag.targets, (t) => ({ ...t, values: hash(t.values) })), rules: hideRules(flag.rules) })),
    segments: segments.map((s) => ({ ...s, included: hash(s.included), excluded: hash(s.excluded), rules: hideRules(s.rules) })),
  };
}
