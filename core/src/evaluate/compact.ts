import type { Clause } from '../model/clause.js';
import type { JsonValue } from '../model/common.js';
import type { Context, ContextValue } from '../model/context.js';
import type { FlagConfig } from '../model/flag.js';
import type { Segment } from '../model/segment.js';
import type { Serve } from '../model/serve.js';
import { murmur3 } from '../bucketing/murmur3.js';
import { parseIsoDate } from './dates.js';
import { makeDetail, type Detail, type ErrorCode, type Reason } from './detail.js';
import type { EvaluateOptions } from './evaluate.js';
import { MAX_DEPTH, MAX_REGEX_INPUT, memo } from './operators.js';
import { semverKey } from './semver.js';

// The compact evaluator: the same evaluation as evaluate() and createFlagSet(), written for size
// instead of speed. It reads the configs as they are on every evaluation (compiling only clauses, serves
// and target lists, once per config object), where the fast evaluator compiles every detail, rollout
// prefix and lookup table.
// Its clause matchers are its own too, table-driven, where the fast evaluator's (operators.ts) are one
// closure per operator. A browser evaluates a handful of flags for one user; there, a few kilobytes of
// bundle matter more than a few hundred nanoseconds. Both evaluators run the test vectors, and property
// tests hold them equal on random environments and on garbage.

/** A compiled clause: true when the context matches. `inSegment` evaluates one segment key. */
type Matcher = (context: Context, inSegment: (key: string, context: Context) => boolean) => boolean;

/**
 * An operator: how it reads an attribute (`undefined`: not comparable, no match), how it tests the
 * attribute against one clause value, and how it reads the clause values (default: as attributes).
 */
type Operator = readonly [read: (value: unknown) => unknown, test: (attribute: never, value: never) => boolean, readValue?: (value: unknown) => unknown];

// What this evaluator throws for a config it cannot evaluate: a fresh object, the last of which is kept
// here, so that anything else thrown (a context's getter, say) is reported as GENERAL, as evaluate()
// does. Recognised by identity, which reads nothing from what was thrown: a thrown Proxy cannot trap
// it, so one catch around the evaluation is enough. (A failure is always caught before the next.)
let failure: { readonly code: ErrorCode } | undefined;
const fail = (code: ErrorCode): never => {
  throw (failure = { code });
};
const malformed = (): never => fail('MALFORMED_FLAG');
const codeOf = (error: unknown): ErrorCode | undefined => (error === failure ? failure?.code : undefined);
const isUnsupported = (error: unknown): boolean => codeOf(error) == 'UNSUPPORTED_OPERATOR';

const string = (v: unknown): string | undefined => (typeof v == 'string' ? v : undefined);
const number = (v: unknown): number | undefined => (typeof v == 'number' && isFinite(v) ? v : undefined);
// toEpochMillis(): a finite number is epoch ms, a string must be ISO 8601.
const date = (v: unknown): number | undefined => (typeof v == 'string' ? parseIsoDate(v) : number(v));
const less = (a: number | string, b: number | string): boolean => a < b;
const greater = (a: number | string, b: number | string): boolean => a > b;
const same = (a: unknown, b: unknown): boolean => a === b;
// eq and in compare with ===, as the fast evaluator does (its Set of long lists holds no NaN).
const equality: Operator = [(v) => v, same];
const text = (test: (attribute: string, value: string) => boolean): Operator => [string, test];

// Semantics as in operators.ts: an attribute (or any element of a list attribute) matches when it
// matches any of the values; neq and notIn are eq and in inverted. No prototype: `toString` is no operator.
// (`__proto__: null` sets the prototype; it is no entry.)
const OPERATORS: Readonly<Record<string, Operator | null | undefined>> = {
  __proto__: null,
  eq: equality,
  neq: equality,
  in: equality,
  notIn: equality,
  contains: text((a, s) => a.includes(s)),
  startsWith: text((a, s) => a.startsWith(s)),
  endsWith: text((a, s) => a.endsWith(s)),
  matches: [
    (v) => (typeof v == 'string' && v.length <= MAX_REGEX_INPUT ? v : undefined),
    (a: string, re: RegExp) => re.test(a),
    (v) => {
      try {
        return typeof v == 'string' ? new RegExp(v) : undefined;
      } catch {
        return malformed();
      }
    },
  ],
  lt: [number, less],
  lte: [number, (a: number, b: number) => a <= b],
  gt: [number, greater],
  gte: [number, (a: number, b: number) => a >= b],
  before: [date, less],
  after: [date, greater],
  // semverKey turns precedence into string order.
  semverEq: [semverKey, same],
  semverLt: [semverKey, less],
  semverGt: [semverKey, greater],
};

const isScalar = (v: unknown): v is string | number | boolean => 'string number boolean'.includes(typeof v);

/** Compiles a clause; throws for an unknown operator (`UNSUPPORTED_OPERATOR`) or an invalid regex. */
function compileClause(clause: Clause): Matcher {
  const op: string = clause.op;
  const values: readonly unknown[] = Array.isArray(clause.values) ? clause.values : [];
  const negate = clause.negate === true;
  if (op == 'inSegment') {
    const keys = values.filter((v): v is string => typeof v == 'string');
    return (context, inSegment) => keys.some((key) => inSegment(key, context)) != negate;
  }
  const [read, test, readValue = read] = OPERATORS[op] ?? fail('UNSUPPORTED_OPERATOR');
  const invert = (op == 'neq' || op == 'notIn') != negate;
  const comparable = values.map(readValue).filter((v) => v !== undefined);
  const attribute = clause.attribute;
  const matches = (v: unknown): boolean => {
    const a = isScalar(v) ? read(v) : undefined;
    return a !== undefined && comparable.some((c) => (test as (a: unknown, b: unknown) => boolean)(a, c));
  };
  return (context) => {
    const value: ContextValue | undefined = context[attribute];
    // A list matches when any element does; anything else (missing, null, objects) never matches.
    return isScalar(value) ? matches(value) != invert : Array.isArray(value) ? value.some(matches) != invert : false;
  };
}

/** True when every clause matches (a rule's clauses are ANDed). */
const all = (clauses: readonly Matcher[], context: Context, inSegment: (key: string, context: Context) => boolean): boolean => {
  for (const clause of clauses) if (!clause(context, inSegment)) return false;
  return true;
};

/** A segment: its included and excluded keys, and its rules' clauses. */
type CompiledSegment = readonly [included: ReadonlySet<unknown>, excluded: ReadonlySet<unknown>, rules: readonly (readonly Matcher[])[]];

/**
 * What a flag needs beyond its config, compiled when it is checked: each rule's clauses, serve and id;
 * the fallthrough; whether a rule uses an operator this evaluator does not know; each target's keys
 * and variant. Empty when the flag is broken.
 */
type Checked = readonly [rules?: readonly (readonly [Matcher[], Serving, string | undefined])[], fallthrough?: Serving, unsupported?: boolean, targets?: readonly (readonly [unknown[], string])[]];

/** A compiled serve: the detail it serves a context, with the reason (and rule id) given. */
type Serving = (context: Context, reason: Reason, ruleId?: string) => Detail;

/** The value of a variant, found with === as variantValue() finds it; the last of duplicate keys wins. */
function valueOf(flag: FlagConfig, variant: string): JsonValue {
  const variants = flag.variants;
  for (let i = variants.length; i--; ) {
    const v = variants[i] as FlagConfig['variants'][number];
    if (v.key === variant) return v.value;
  }
  return malformed();
}

const served = (flag: FlagConfig, variant: string, reason: Reason, ruleId?: string, errorCode?: ErrorCode): Detail => makeDetail(valueOf(flag, variant), variant, reason, ruleId, errorCode);
const off = (flag: FlagConfig, reason: Reason, errorCode?: ErrorCode): Detail => served(flag, flag.offVariant, reason, undefined, errorCode);
const unsupported = (flag: FlagConfig): Detail => off(flag, 'ERROR', 'UNSUPPORTED_OPERATOR');

// Compiles a serve; throws for one createFlagSet() could not compile.
function compileServe(flag: FlagConfig, serve: Serve): Serving {
  if ('variant' in serve) {
    const variant = serve.variant;
    valueOf(flag, variant);
    return (_, reason, ruleId) => served(flag, variant, reason, ruleId);
  }
  const rollout = serve.rollout;
  let total = Array.isArray(rollout.variants) ? 0 : malformed();
  for (const slice of rollout.variants) {
    if (!Number.isInteger(slice.weight) || slice.weight < 0) malformed();
    total += slice.weight;
    valueOf(flag, slice.variant);
  }
  if (total !== 100_000) malformed();
  // bucket(): murmur3(salt + "/" + value) mod 100000. The salt is turned into a string here (which
  // may throw), as createFlagSet() does when it hashes the prefix.
  const prefix = `${rollout.salt ?? flag.key}/`;
  return (context, reason, ruleId) => {
    const value = context[rollout.bucketBy ?? 'key'];
    if (typeof value != 'string' && number(value) === undefined) return off(flag, 'BUCKET_KEY_MISSING');
    const bucket = murmur3(prefix + value) % 100_000;
    let sum = 0;
    let variant = '';
    // The first slice whose cumulative weight exceeds the bucket (zero-weight slices are passed over).
    for (const slice of rollout.variants) {
      if (bucket < sum) break;
      variant = slice.variant;
      sum += slice.weight;
    }
    return served(flag, variant, reason, ruleId);
  };
}

// What createFlagSet()'s compileFlag() rejects, this rejects.
function check(flag: FlagConfig): Checked {
  try {
    for (const v of flag.variants as Iterable<unknown>) if (v == null) malformed();
    valueOf(flag, flag.offVariant);
    // Each target's keys as an array (any iterable is accepted, as createFlagSet() accepts it), after its variant is checked.
    const targets = [...flag.targets].map((target): [unknown[], string] => [(valueOf(flag, target.variant), [...target.values]), target.variant]);
    let unsupportedOperator = false;
    const rules = (Array.isArray(flag.rules) ? flag.rules : malformed()).map((rule): [Matcher[], Serving, string | undefined] => {
      // An operator this evaluator does not know becomes a clause that never matches; the flag then
      // serves its off variant with ERROR.
      const clauses = (Array.isArray(rule.clauses) ? rule.clauses : malformed()).map((clause) => {
        try {
          return compileClause(clause);
        } catch (error) {
          if (!isUnsupported(error)) throw error;
          unsupportedOperator = true;
          return () => false;
        }
      });
      return [clauses, compileServe(flag, rule.serve), rule.id];
    });
    const fallthrough = compileServe(flag, flag.fallthrough);
    if (!Array.isArray(flag.prerequisites)) malformed();
    return [rules, fallthrough, unsupportedOperator, targets];
  } catch {
    return [];
  }
}

const compileSegment = (segment: Segment): CompiledSegment => [new Set(segment.included), new Set(segment.excluded), segment.rules.map((rule) => rule.clauses.map(compileClause))];

const checked = new WeakMap<FlagConfig, Checked>();
const segmentsCompiled = new WeakMap<Segment, CompiledSegment>();

/**
 * Evaluates exactly as {@link evaluate} does, with a fraction of its code: for bundles where every
 * byte counts (the browser SDK, which evaluates a handful of flags for one user). Compiled clauses are
 * cached per config object, so keep flag and segment objects immutable. Never throws.
 * @example evaluateCompact(flags.get('new-checkout'), { key: 'user-42' }, { flags, segments, defaultValue: false })
 */
export function evaluateCompact(flag: FlagConfig | undefined, context: Context, options?: EvaluateOptions): Detail {
  const defaultValue = options?.defaultValue ?? null;
  let targetKey: unknown;

  // The default value: for an unknown flag (reason and code FLAG_NOT_FOUND), or with reason ERROR.
  const failed = (code: ErrorCode): Detail => makeDetail(defaultValue, undefined, code == 'FLAG_NOT_FOUND' ? code : 'ERROR', undefined, code);

  // `depth`: how many segments deep this one is nested (the clauses of a flag's rules call it with none).
  const inSegment = (segmentKey: string, context: Context, depth = 0): boolean => {
    const segment = options?.segments?.get(segmentKey);
    if (segment === undefined) return false;
    const [included, excluded, rules] = memo(segmentsCompiled, segment, compileSegment);
    if (targetKey !== undefined) {
      if (included.has(targetKey)) return true;
      if (excluded.has(targetKey)) return false;
    }
    if (++depth > MAX_DEPTH) fail('SEGMENT_CYCLE');
    for (const rule of rules) if (all(rule, context, (key, context) => inSegment(key, context, depth))) return true;
    return false;
  };

  const run = (flag: FlagConfig, context: Context, path: string[]): Detail => {
    try {
      const [rules = malformed(), fallthrough, unsupportedOperator, targets] = memo(checked, flag, check);
      if (flag.enabled !== true) return off(flag, flag.killed === true ? 'KILLED' : 'OFF');
      if (unsupportedOperator) return unsupported(flag);
      for (const prerequisite of flag.prerequisites) {
        // Checked for the first prerequisite: the path is the same for all.
        if (path.length > MAX_DEPTH || path.includes(prerequisite.flag)) fail('PREREQUISITE_CYCLE');
        const other = options?.flags?.get(prerequisite.flag);
        if (other === undefined) return off(flag, 'PREREQUISITE_FAILED');
        const result = run(other, context, [...path, prerequisite.flag]);
        // None of the reasons that pass (TARGET_MATCH, RULE_MATCH, FALLTHROUGH, BUCKET_KEY_MISSING) is part of this string.
        if ('OFF KILLED ERROR PREREQUISITE_FAILED'.includes(result.reason) || result.variant !== prerequisite.variant) return off(flag, 'PREREQUISITE_FAILED');
      }
      // The first target listing the key wins, compared as a Map compares keys (SameValueZero).
      if (targetKey !== undefined) for (const [values, variant] of targets!) if (values.includes(targetKey)) return served(flag, variant, 'TARGET_MATCH');
      for (const [clauses, serve, id] of rules) if (all(clauses, context, inSegment)) return serve(context, 'RULE_MATCH', id);
      return fallthrough!(context, 'FALLTHROUGH');
    } catch (error) {
      // An unknown operator met in a segment serves the offVariant, as one in the flag's own rules does
      // (so a prerequisite that meets one fails softly).
      if (!isUnsupported(error)) throw error;
      return unsupported(flag);
    }
  };

  try {
    if (typeof flag != 'object' || !flag) return failed('FLAG_NOT_FOUND');
    const ctx: Context = (typeof context == 'object' && context) || {};
    targetKey = options?.targetKey ?? string(ctx.key);
    return run(flag, ctx, [flag.key]);
  } catch (error) {
    return failed(codeOf(error) ?? 'GENERAL');
  }
}
