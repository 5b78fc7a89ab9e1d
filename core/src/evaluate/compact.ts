import type { Context } from '../model/context.js';
import type { FlagConfig } from '../model/flag.js';
import type { Segment } from '../model/segment.js';
import type { Serve } from '../model/serve.js';
import { bucket, BUCKETS } from '../bucketing/bucket.js';
import { makeDetail, type Detail, type ErrorCode, type Reason } from './detail.js';
import type { EvaluateOptions } from './evaluate.js';
import { allMatch, compileRule, compileSegment, EvaluationError, isUnsupported, malformed, MAX_DEPTH, variantValue, type ClauseMatcher, type ClauseScope, type CompiledSegment } from './operators.js';

// The compact evaluator: the same evaluation as evaluate() and createFlagSet(), written for size
// instead of speed. It reads the configs as they are on every evaluation (compiling only clauses, once
// per config object), where the fast evaluator compiles every detail, rollout prefix and lookup table.
// A browser evaluates a handful of flags for one user; there, a few kilobytes of bundle matter more
// than a few hundred nanoseconds. Both evaluators run the test vectors, and a property test holds
// them equal on random environments.

/** What a flag needs beyond its config: its rules' clauses compiled, or the verdict that it is broken. */
interface Checked {
  readonly broken: boolean;
  /** A rule uses an operator this evaluator does not know. */
  readonly unsupported: boolean;
  readonly rules: readonly (readonly ClauseMatcher[])[];
}

const BROKEN: Checked = { broken: true, unsupported: false, rules: [] };

// Throws for a serve createFlagSet() could not compile.
function checkServe(flag: FlagConfig, serve: Serve): void {
  if ('variant' in serve) {
    variantValue(flag.variants, serve.variant);
    return;
  }
  const rollout = serve.rollout;
  if (!Array.isArray(rollout.variants)) throw malformed();
  let total = 0;
  for (const slice of rollout.variants) {
    if (!Number.isInteger(slice.weight) || slice.weight < 0) throw malformed();
    total += slice.weight;
    variantValue(flag.variants, slice.variant);
  }
  // The salt is turned into a string here, as createFlagSet() does when it hashes the prefix.
  if (total !== BUCKETS || `${rollout.salt ?? flag.key}` === undefined) throw malformed();
}

function check(flag: FlagConfig): Checked {
  try {
    for (const v of flag.variants as Iterable<unknown>) if (v === null || v === undefined) throw malformed();
    variantValue(flag.variants, flag.offVariant);
    for (const target of flag.targets) {
      variantValue(flag.variants, target.variant);
      for (const _ of target.values);
    }
    if (!Array.isArray(flag.rules)) throw malformed();
    let unsupported = false;
    const rules = flag.rules.map((rule) => {
      const compiled = compileRule(rule.clauses);
      unsupported ||= compiled.unsupported;
      checkServe(flag, rule.serve);
      return compiled.matchers;
    });
    checkServe(flag, flag.fallthrough);
    if (!Array.isArray(flag.prerequisites)) throw malformed();
    return { broken: false, unsupported, rules };
  } catch {
    return BROKEN;
  }
}

const checked = new WeakMap<FlagConfig, Checked>();
const segmentsCompiled = new WeakMap<Segment, CompiledSegment>();

function served(flag: FlagConfig, variant: string, reason: Reason, ruleId?: string, errorCode?: ErrorCode): Detail {
  return makeDetail(variantValue(flag.variants, variant), variant, reason, ruleId, errorCode);
}

const unsupportedDetail = (flag: FlagConfig): Detail => served(flag, flag.offVariant, 'ERROR', undefined, 'UNSUPPORTED_OPERATOR');

/**
 * Evaluates exactly as {@link evaluate} does, with a fraction of its code: for bundles where every
 * byte counts (the browser SDK, which evaluates a handful of flags for one user). Compiled clauses are
 * cached per config object, so keep flag and segment objects immutable. Never throws.
 * @example evaluateCompact(flags.get('new-checkout'), { key: 'user-42' }, { flags, segments, defaultValue: false })
 */
export function evaluateCompact(flag: FlagConfig | undefined, context: Context, options?: EvaluateOptions): Detail {
  const defaultValue = options?.defaultValue ?? null;
  let targetKey: string | undefined;
  let depth = 0;

  const scope: ClauseScope = {
    get targetKey() {
      return targetKey;
    },
    inSegment(segmentKey, context) {
      const segment = options?.segments?.get(segmentKey);
      if (segment === undefined) return false;
      let compiled = segmentsCompiled.get(segment);
      if (compiled === undefined) segmentsCompiled.set(segment, (compiled = compileSegment(segment)));
      if (targetKey !== undefined) {
        if (compiled.included.has(targetKey)) return true;
        if (compiled.excluded.has(targetKey)) return false;
      }
      if (++depth > MAX_DEPTH) throw new EvaluationError('SEGMENT_CYCLE', 'segments nest too deep');
      try {
        return compiled.rules.some((rule) => allMatch(rule, context, scope));
      } finally {
        depth--;
      }
    },
  };

  const serve = (flag: FlagConfig, serve: Serve, context: Context, reason: Reason, ruleId?: string): Detail => {
    if ('variant' in serve) return served(flag, serve.variant, reason, ruleId);
    const rollout = serve.rollout;
    const raw = context[rollout.bucketBy ?? 'key'];
    const value = typeof raw === 'string' ? raw : typeof raw === 'number' && Number.isFinite(raw) ? String(raw) : undefined;
    if (value === undefined) return served(flag, flag.offVariant, 'BUCKET_KEY_MISSING');
    const b = bucket(`${rollout.salt ?? flag.key}`, value);
    let total = 0;
    let variant = '';
    // The first slice whose cumulative weight exceeds the bucket (zero-weight slices are passed over).
    for (const slice of rollout.variants) {
      if (b < total) break;
      variant = slice.variant;
      total += slice.weight;
    }
    return served(flag, variant, reason, ruleId);
  };

  const run = (flag: FlagConfig, context: Context, path: string[]): Detail => {
    let info = checked.get(flag);
    if (info === undefined) checked.set(flag, (info = check(flag)));
    if (info.broken) throw malformed();
    if (flag.enabled !== true) return served(flag, flag.offVariant, flag.killed === true ? 'KILLED' : 'OFF');
    if (info.unsupported) return unsupportedDetail(flag);
    if (flag.prerequisites.length > 0) {
      if (path.length > MAX_DEPTH) throw new EvaluationError('PREREQUISITE_CYCLE', 'prerequisites nest too deep');
      for (const prerequisite of flag.prerequisites) {
        if (path.includes(prerequisite.flag)) throw new EvaluationError('PREREQUISITE_CYCLE', 'prerequisite cycle');
        const other = options?.flags?.get(prerequisite.flag);
        let result: Detail | undefined;
        if (other !== undefined) {
          try {
            result = run(other, context, [...path, prerequisite.flag]);
          } catch (error) {
            // An unknown operator met in a segment fails the prerequisite softly, as one in its own rules does.
            if (!isUnsupported(error)) throw error;
            result = unsupportedDetail(other);
          }
        }
        const reason = result?.reason;
        if (reason === undefined || reason === 'OFF' || reason === 'KILLED' || reason === 'ERROR' || reason === 'PREREQUISITE_FAILED' || result?.variant !== prerequisite.variant) {
          return served(flag, flag.offVariant, 'PREREQUISITE_FAILED');
        }
      }
    }
    // The first target listing the key wins, compared as a Map compares keys (SameValueZero).
    for (const target of flag.targets) for (const v of target.values) if (targetKey !== undefined && (v === targetKey || (v !== v && targetKey !== targetKey))) return served(flag, target.variant, 'TARGET_MATCH');
    const rules = info.rules;
    for (let i = 0; i < rules.length; i++) {
      const rule = flag.rules[i] as FlagConfig['rules'][number];
      if (allMatch(rules[i] as readonly ClauseMatcher[], context, scope)) return serve(flag, rule.serve, context, 'RULE_MATCH', rule.id);
    }
    return serve(flag, flag.fallthrough, context, 'FALLTHROUGH');
  };

  try {
    if (flag === undefined || flag === null || typeof flag !== 'object') return makeDetail(defaultValue, undefined, 'FLAG_NOT_FOUND', undefined, 'FLAG_NOT_FOUND');
    try {
      const ctx: Context = context !== null && typeof context === 'object' ? context : {};
      targetKey = options?.targetKey ?? (typeof ctx.key === 'string' ? ctx.key : undefined);
      return run(flag, ctx, [flag.key]);
    } catch (error) {
      // An unknown operator met in a segment serves the offVariant, as one in the flag's own rules does.
      if (isUnsupported(error)) return unsupportedDetail(flag);
      return makeDetail(defaultValue, undefined, 'ERROR', undefined, error instanceof EvaluationError ? error.code : 'GENERAL');
    }
  } catch {
    return makeDetail(defaultValue, undefined, 'ERROR', undefined, 'GENERAL');
  }
}
