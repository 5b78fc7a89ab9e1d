import type { Clause, ClauseValue } from '../model/clause.js';
import type { Context, ContextValue } from '../model/context.js';
import type { FlagConfig } from '../model/flag.js';
import type { JsonValue } from '../model/common.js';
import type { Segment } from '../model/segment.js';
import { toEpochMillis } from './dates.js';
import { compareSemver, parseSemver, type SemVer } from './semver.js';

/** Deepest chain of prerequisites or nested segments followed before giving up with `ERROR`. */
export const MAX_DEPTH = 16;

/** Longest attribute value a `matches` clause runs its regex on; longer values do not match. */
export const MAX_REGEX_INPUT = 1024;

/**
 * The compiled form of `key` from `cache`, compiled on first use; both evaluators keep theirs per config
 * object. Compiled first, cached after: a key a WeakMap refuses (a lookup that returns 42) then fails
 * in `set`, as evaluation of such a config must.
 */
export function memo<K extends object, V>(cache: WeakMap<K, V>, key: K, compile: (key: K) => V): V {
  let value = cache.get(key);
  if (value === undefined) cache.set(key, (value = compile(key)));
  return value;
}

/** Thrown inside the evaluator for configs it cannot evaluate; evaluate() turns it into an ERROR detail. */
export class EvaluationError extends Error {
  // Declared and assigned, not a parameter property: as a class field it would cost the browser bundle
  // a define-property helper.
  declare readonly code: 'MALFORMED_FLAG' | 'UNSUPPORTED_OPERATOR' | 'PREREQUISITE_CYCLE' | 'SEGMENT_CYCLE';
  constructor(code: EvaluationError['code'], message: string) {
    super(message);
    (this as { code: EvaluationError['code'] }).code = code;
  }
}

/** Evaluation state shared by the clauses of one evaluation. */
export interface ClauseScope {
  /** The key compared with targets and segment key lists (the context key, or its hash in browsers). */
  readonly targetKey: string | undefined;
  inSegment(segmentKey: string, context: Context, scope: ClauseScope): boolean;
}

/** A compiled clause: true when the context matches. */
export type ClauseMatcher = (context: Context, scope: ClauseScope) => boolean;

type ScalarTest = (value: string | number | boolean) => boolean;

function anyValue(values: readonly ClauseValue[], test: (v: ClauseValue) => boolean): boolean {
  for (let i = 0; i < values.length; i++) if (test(values[i] as ClauseValue)) return true;
  return false;
}

function equalityTest(values: readonly ClauseValue[]): ScalarTest {
  if (values.length > 8) {
    // Without NaN: the Set would find it (SameValueZero), where === (and so a short list) never does.
    const set = new Set<ClauseValue>(values.filter((v) => v === v));
    return (v) => set.has(v);
  }
  return (v) => {
    for (let i = 0; i < values.length; i++) if (values[i] === v) return true;
    return false;
  };
}

function stringTest(values: readonly ClauseValue[], test: (attr: string, value: string) => boolean): ScalarTest {
  const strings = values.filter((v): v is string => typeof v === 'string');
  return (v) => typeof v === 'string' && anyValue(strings, (s) => test(v, s as string));
}

function numberTest(values: readonly ClauseValue[], test: (attr: number, value: number) => boolean): ScalarTest {
  const numbers = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  return (v) => typeof v === 'number' && Number.isFinite(v) && anyValue(numbers, (n) => test(v, n as number));
}

function dateTest(values: readonly ClauseValue[], test: (attr: number, value: number) => boolean): ScalarTest {
  const times = values.map(toEpochMillis).filter((t): t is number => t !== undefined);
  return (v) => {
    const t = toEpochMillis(v);
    return t !== undefined && times.some((x) => test(t, x));
  };
}

function semverTest(values: readonly ClauseValue[], test: (cmp: number) => boolean): ScalarTest {
  const versions = values.map((v) => (typeof v === 'string' ? parseSemver(v) : undefined)).filter((v): v is SemVer => v !== undefined);
  return (v) => {
    if (typeof v !== 'string') return false;
    const parsed = parseSemver(v);
    return parsed !== undefined && versions.some((x) => test(compareSemver(parsed, x)));
  };
}

function regexTest(values: readonly ClauseValue[]): ScalarTest {
  const patterns: RegExp[] = [];
  for (const v of values) {
    if (typeof v !== 'string') continue;
    try {
      patterns.push(new RegExp(v));
    } catch {
      throw new EvaluationError('MALFORMED_FLAG', 'invalid regex');
    }
  }
  return (v) => typeof v === 'string' && v.length <= MAX_REGEX_INPUT && patterns.some((re) => re.test(v));
}

// The positive form of every operator; `neq` and `notIn` are the negations of `eq` and `in`.
function scalarTest(op: string, values: readonly ClauseValue[]): ScalarTest {
  switch (op) {
    case 'eq':
    case 'neq':
    case 'in':
    case 'notIn':
      return equalityTest(values);
    case 'contains':
      return stringTest(values, (a, s) => a.includes(s));
    case 'startsWith':
      return stringTest(values, (a, s) => a.startsWith(s));
    case 'endsWith':
      return stringTest(values, (a, s) => a.endsWith(s));
    case 'matches':
      return regexTest(values);
    case 'lt':
      return numberTest(values, (a, n) => a < n);
    case 'lte':
      return numberTest(values, (a, n) => a <= n);
    case 'gt':
      return numberTest(values, (a, n) => a > n);
    case 'gte':
      return numberTest(values, (a, n) => a >= n);
    case 'before':
      return dateTest(values, (a, t) => a < t);
    case 'after':
      return dateTest(values, (a, t) => a > t);
    case 'semverEq':
      return semverTest(values, (c) => c === 0);
    case 'semverLt':
      return semverTest(values, (c) => c < 0);
    case 'semverGt':
      return semverTest(values, (c) => c > 0);
    default:
      // Every name not listed above, those inherited from Object.prototype included.
      throw new EvaluationError('UNSUPPORTED_OPERATOR', 'unsupported operator');
  }
}

function isScalar(value: unknown): value is string | number | boolean {
  const t = typeof value;
  return t === 'string' || t === 'number' || t === 'boolean';
}

/**
 * Compiles a clause. Semantics: the clause matches when the attribute (or, for a list attribute, any
 * element of it) matches any of the values; `neq`/`notIn` invert `eq`/`in`; `negate` inverts the result.
 * A missing attribute (or one that is neither a scalar nor a list) never matches, negated or not.
 * Throws {@link EvaluationError} for an operator this evaluator does not know.
 * @example compileClause({ attribute: 'country', op: 'in', values: ['NL'] })({ country: 'NL' }, scope) // true
 */
export function compileClause(clause: Clause): ClauseMatcher {
  const op: string = clause.op;
  const values = Array.isArray(clause.values) ? clause.values : [];
  const negate = clause.negate === true;
  if (op === 'inSegment') {
    const segmentKeys = values.filter((v): v is string => typeof v === 'string');
    return (context, scope) => {
      let found = false;
      for (let i = 0; i < segmentKeys.length && !found; i++) found = scope.inSegment(segmentKeys[i] as string, context, scope);
      return found !== negate;
    };
  }
  const invert = (op === 'neq' || op === 'notIn') !== negate;
  const test = scalarTest(op, values);
  const attribute = clause.attribute;
  return (context) => {
    const value: ContextValue | undefined = context[attribute];
    if (isScalar(value)) return test(value) !== invert;
    if (Array.isArray(value)) {
      let any = false;
      for (let i = 0; i < value.length && !any; i++) {
        const element: unknown = value[i];
        any = isScalar(element) && test(element);
      }
      return any !== invert;
    }
    return false;
  };
}

/** A segment with its rules compiled: the same for both evaluators. */
export interface CompiledSegment {
  readonly included: ReadonlySet<string>;
  readonly excluded: ReadonlySet<string>;
  readonly rules: readonly (readonly ClauseMatcher[])[];
}

/** Compiles a segment's key lists and rules. Throws {@link EvaluationError} as {@link compileClause} does. */
export function compileSegment(segment: Segment): CompiledSegment {
  return {
    included: new Set(segment.included),
    excluded: new Set(segment.excluded),
    rules: segment.rules.map((rule) => rule.clauses.map(compileClause)),
  };
}

/** True when every clause matches (a rule's clauses are ANDed). */
export function allMatch(clauses: readonly ClauseMatcher[], context: Context, scope: ClauseScope): boolean {
  for (let i = 0; i < clauses.length; i++) if (!(clauses[i] as ClauseMatcher)(context, scope)) return false;
  return true;
}

/** The error for a config the evaluators cannot evaluate (served as `ERROR` / `MALFORMED_FLAG`). */
export const malformed = (message = 'malformed flag'): EvaluationError => new EvaluationError('MALFORMED_FLAG', message);

/** True for the error of an operator this evaluator does not know. */
export const isUnsupported = (error: unknown): boolean => error instanceof EvaluationError && error.code === 'UNSUPPORTED_OPERATOR';

const NEVER: ClauseMatcher = () => false;

/**
 * Compiles the clauses of a flag's rule. An operator this evaluator does not know becomes a clause that
 * never matches, and `unsupported` says so: the flag then serves its off variant with `ERROR`.
 */
export function compileRule(clauses: readonly Clause[]): { readonly matchers: ClauseMatcher[]; readonly unsupported: boolean } {
  if (!Array.isArray(clauses)) throw malformed();
  let unsupported = false;
  const matchers = clauses.map((clause) => {
    try {
      return compileClause(clause);
    } catch (error) {
      if (!isUnsupported(error)) throw error;
      unsupported = true;
      return NEVER;
    }
  });
  return { matchers, unsupported };
}

/** The value of a variant, found with ===; the last of duplicate keys wins. */
export function variantValue(variants: FlagConfig['variants'], variant: string): JsonValue {
  for (let i = variants.length - 1; i >= 0; i--) {
    const v = variants[i] as FlagConfig['variants'][number];
    if (v.key === variant) return v.value;
  }
  throw malformed();
}
