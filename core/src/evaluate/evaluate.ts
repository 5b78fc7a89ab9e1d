import type { JsonValue } from '../model/common.js';
import type { Context } from '../model/context.js';
import type { Clause } from '../model/clause.js';
import type { FlagConfig, Rule } from '../model/flag.js';
import type { Segment } from '../model/segment.js';
import type { Serve } from '../model/serve.js';
import { bucketFrom, bucketFromCached, bucketPrefix, forgetCachedValue } from '../bucketing/bucket.js';
import type { Murmur3State } from '../bucketing/murmur3.js';
import { makeDetail, type Detail, type ErrorCode, type Reason } from './detail.js';
import { compileClause, EvaluationError, type ClauseMatcher, type ClauseScope } from './operators.js';

/** Deepest chain of prerequisites or nested segments followed before giving up with `ERROR`. */
export const MAX_DEPTH = 16;

/** Anything with `get(key)`, such as a `Map`. @example const flags: Lookup<FlagConfig> = new Map() */
export interface Lookup<V> {
  get(key: string): V | undefined;
}

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** Served with reasons `FLAG_NOT_FOUND` and `ERROR`. Default `null`. */
  readonly defaultValue?: JsonValue;
  /** Other flags of the environment, for prerequisites. */
  readonly flags?: Lookup<FlagConfig>;
  /** Segments, for `inSegment` clauses. */
  readonly segments?: Lookup<Segment>;
  /** The key compared with targets and segment key lists, when they hold hashes (browser SDK). */
  readonly targetKey?: string;
}

/**
 * A compiled serve: `fixed`, or else a rollout. One flat shape for both, so the evaluator's loads stay
 * monomorphic; a rollout carries the murmur3 state after `salt + "/"` itself (it is a Murmur3State).
 */
interface CompiledServe extends Murmur3State {
  readonly fixed: Detail | undefined;
  readonly bucketBy: string;
  readonly bounds: readonly number[];
  readonly details: readonly Detail[];
  readonly missing: Detail;
}

interface CompiledRule {
  readonly clauses: readonly ClauseMatcher[];
  readonly serve: CompiledServe;
}

interface CompiledFlag {
  readonly config: FlagConfig;
  readonly error: ErrorCode | undefined;
  readonly off: Detail;
  readonly prerequisiteFailed: Detail;
  readonly unsupported: Detail | undefined;
  readonly targets: ReadonlyMap<string, Detail> | undefined;
  readonly rules: readonly CompiledRule[];
  readonly fallthrough: CompiledServe;
  /**
   * What the flag serves whatever the context's key and other flags, when that is decided at compile
   * time: off, an unsupported operator, or a flag without prerequisites, targets or rules (its
   * fallthrough). Such flags skip the general path. Undefined otherwise.
   */
  readonly plain: CompiledServe | undefined;
}

interface CompiledSegment {
  readonly included: ReadonlySet<string>;
  readonly excluded: ReadonlySet<string>;
  readonly rules: readonly (readonly ClauseMatcher[])[];
}

const BROKEN_DETAIL = makeDetail(null, undefined, 'ERROR', undefined, 'MALFORMED_FLAG');
const NO_DETAILS: readonly Detail[] = [];
const NO_BOUNDS: readonly number[] = [];
const NO_RULES: readonly CompiledRule[] = [];

function fixedServe(fixed: Detail): CompiledServe {
  return { fixed, bucketBy: '', h: 0, tail: 0, tailLength: 0, length: 0, bounds: NO_BOUNDS, details: NO_DETAILS, missing: fixed };
}

const BROKEN_SERVE = fixedServe(BROKEN_DETAIL);

function brokenFlag(config: FlagConfig, error: ErrorCode): CompiledFlag {
  return {
    config,
    error,
    off: BROKEN_DETAIL,
    prerequisiteFailed: BROKEN_DETAIL,
    unsupported: undefined,
    targets: undefined,
    rules: NO_RULES,
    fallthrough: BROKEN_SERVE,
    plain: undefined,
  };
}

// Past this many entries a DetailCache starts over, so flags replaced over a long life cannot grow it without end.
const DETAIL_CACHE_LIMIT = 50_000;
const serveOf = new WeakMap<Detail, CompiledServe>();

/**
 * Shares frozen details, and the fixed serves around them, between the flags of one set: most flags
 * serve the same few (value, variant, reason) triples, so 10,000 boolean flags need a handful of
 * details instead of 50,000. Rule matches (which carry a rule id) and details of object values or -0
 * are not shared. Sharing is safe because details are frozen.
 */
class DetailCache {
  private byReason = new Map<Reason, Map<string, Map<unknown, Detail>>>();
  // Shared details get small ids, so that lists of them can be keyed by a string.
  private ids = new Map<Detail, number>();
  private lists = new Map<string, readonly Detail[] | readonly number[]>();
  private size = 0;

  detail(value: JsonValue, variant: string, reason: Reason, ruleId: string | undefined): Detail {
    if (ruleId !== undefined || typeof variant !== 'string' || (typeof value === 'object' && value !== null) || Object.is(value, -0)) {
      return makeServedDetail(value, variant, reason, ruleId);
    }
    let byVariant = this.byReason.get(reason);
    if (byVariant === undefined) this.byReason.set(reason, (byVariant = new Map()));
    let byValue = byVariant.get(variant);
    if (byValue === undefined) byVariant.set(variant, (byValue = new Map()));
    let detail = byValue.get(value);
    if (detail === undefined) {
      this.grow();
      byValue.set(value, (detail = makeServedDetail(value, variant, reason, undefined)));
      this.ids.set(detail, this.ids.size);
    }
    return detail;
  }

  /** Shares equal lists of rollout bounds between rollouts (most use a few common percentages). */
  bounds(bounds: readonly number[]): readonly number[] {
    const key = `b${bounds.join(',')}`;
    const shared = this.lists.get(key) as readonly number[] | undefined;
    if (shared !== undefined) return shared;
    this.grow();
    this.lists.set(key, bounds);
    return bounds;
  }

  /** Shares equal lists of shared details between rollouts; lists holding another detail stay as they are. */
  details(details: readonly Detail[]): readonly Detail[] {
    let key = 'd';
    for (let i = 0; i < details.length; i++) {
      const id = this.ids.get(details[i] as Detail);
      if (id === undefined) return details;
      key += `,${id}`;
    }
    const shared = this.lists.get(key) as readonly Detail[] | undefined;
    if (shared !== undefined) return shared;
    this.grow();
    this.lists.set(key, details);
    return details;
  }

  private grow(): void {
    if (++this.size > DETAIL_CACHE_LIMIT) {
      this.byReason = new Map();
      this.ids = new Map();
      this.lists = new Map();
      this.size = 0;
    }
  }

  serve(fixed: Detail): CompiledServe {
    let compiled = serveOf.get(fixed);
    if (compiled === undefined) serveOf.set(fixed, (compiled = fixedServe(fixed)));
    return compiled;
  }
}

function newDetail(cache: DetailCache | undefined, value: JsonValue, variant: string, reason: Reason, ruleId?: string): Detail {
  return cache === undefined ? makeServedDetail(value, variant, reason, ruleId) : cache.detail(value, variant, reason, ruleId);
}

/**
 * makeDetail() for what a flag serves: the same frozen object, with the same keys in the same order,
 * but written as one literal, so all its fields sit inside the object (makeDetail adds `variant` and
 * `ruleId` afterwards, which puts them in a separate property array: 40 bytes more per detail).
 */
function makeServedDetail(value: JsonValue, variant: string, reason: Reason, ruleId: string | undefined): Detail {
  if (typeof variant !== 'string') return makeDetail(value, variant, reason, ruleId);
  if (ruleId === undefined) return Object.freeze({ value, reason, variant });
  if (typeof ruleId !== 'string') return makeDetail(value, variant, reason, ruleId);
  return Object.freeze({ value, reason, variant, ruleId });
}

type Variants = FlagConfig['variants'];

// The value of a variant; the last of duplicate keys wins (as if the variants were put in a Map, which
// costs more than this scan of two or three variants).
function variantValue(variants: Variants, variant: string): JsonValue {
  for (let i = variants.length - 1; i >= 0; i--) {
    const v = variants[i] as Variants[number];
    const key: unknown = v.key;
    if (key === variant || (key !== key && variant !== variant)) return v.value;
  }
  throw new EvaluationError('MALFORMED_FLAG', `unknown variant "${variant}"`);
}

function compileServe(
  config: FlagConfig,
  values: Variants,
  cache: DetailCache | undefined,
  missing: Detail,
  serve: Serve,
  reason: 'RULE_MATCH' | 'FALLTHROUGH',
  ruleId: string | undefined,
): CompiledServe {
  if ('variant' in serve) {
    const fixed = newDetail(cache, variantValue(values, serve.variant), serve.variant, reason, ruleId);
    return cache === undefined || ruleId !== undefined ? fixedServe(fixed) : cache.serve(fixed);
  }
  const rollout = serve.rollout;
  const slices = rollout.variants;
  if (!Array.isArray(slices)) throw new EvaluationError('MALFORMED_FLAG', 'rollout variants must be a list');
  const bounds: number[] = new Array<number>(slices.length);
  const details: Detail[] = new Array<Detail>(slices.length);
  let total = 0;
  for (let i = 0; i < slices.length; i++) {
    const slice = slices[i] as (typeof slices)[number];
    if (!Number.isInteger(slice.weight) || slice.weight < 0) throw new EvaluationError('MALFORMED_FLAG', 'bad rollout weight');
    total += slice.weight;
    bounds[i] = total;
    details[i] = newDetail(cache, variantValue(values, slice.variant), slice.variant, reason, ruleId);
  }
  if (total !== 100_000) throw new EvaluationError('MALFORMED_FLAG', `rollout weights sum to ${total}`);
  const prefix = bucketPrefix(rollout.salt ?? config.key);
  return {
    fixed: undefined,
    bucketBy: rollout.bucketBy ?? 'key',
    h: prefix.h,
    tail: prefix.tail,
    tailLength: prefix.tailLength,
    length: prefix.length,
    bounds: cache === undefined ? bounds : cache.bounds(bounds),
    details: cache === undefined ? details : cache.details(details),
    missing,
  };
}

/** What a flag serves when its evaluation needs an operator this evaluator does not know. */
function unsupportedDetail(flag: CompiledFlag): Detail {
  return flag.unsupported ?? makeDetail(flag.off.value, flag.off.variant, 'ERROR', undefined, 'UNSUPPORTED_OPERATOR');
}

const NEVER: ClauseMatcher = () => false;

/**
 * Compiles a flag config once: every detail it can serve is built here (or shared through `cache`), so
 * evaluation allocates nothing. No closures per flag: a set compiles thousands of flags at start-up,
 * mostly before the JIT has warmed up.
 */
function compileFlag(config: FlagConfig, cache?: DetailCache): CompiledFlag {
  try {
    const values = config.variants;
    // Fails on what a Map built from the variants would have failed on: a non-iterable list, or a
    // missing variant object.
    if (Array.isArray(values)) {
      for (let i = 0; i < values.length; i++) if (values[i] === null || values[i] === undefined) throw new EvaluationError('MALFORMED_FLAG', 'missing variant');
    } else {
      for (const v of values as Iterable<unknown>) if (v === null || v === undefined) throw new EvaluationError('MALFORMED_FLAG', 'missing variant');
    }
    const offValue = variantValue(values, config.offVariant);
    const off = newDetail(cache, offValue, config.offVariant, config.killed === true ? 'KILLED' : 'OFF');
    const prerequisiteFailed = newDetail(cache, offValue, config.offVariant, 'PREREQUISITE_FAILED');
    const missing = newDetail(cache, offValue, config.offVariant, 'BUCKET_KEY_MISSING');

    let unsupported: Detail | undefined;
    let targets: Map<string, Detail> | undefined;
    const configTargets = config.targets;
    // (An empty list is the common case; for...of would still build an iterator for it.)
    if (!Array.isArray(configTargets) || configTargets.length > 0) for (const target of configTargets) {
      const detail = newDetail(cache, variantValue(values, target.variant), target.variant, 'TARGET_MATCH');
      targets ??= new Map();
      for (const key of target.values) if (!targets.has(key)) targets.set(key, detail);
    }
    const configRules = config.rules;
    if (!Array.isArray(configRules)) throw new EvaluationError('MALFORMED_FLAG', 'rules must be a list');
    let rules = NO_RULES;
    if (configRules.length > 0) {
      const compiledRules: CompiledRule[] = new Array<CompiledRule>(configRules.length);
      for (let r = 0; r < configRules.length; r++) {
        const rule = configRules[r] as Rule;
        const source = rule.clauses;
        if (!Array.isArray(source)) throw new EvaluationError('MALFORMED_FLAG', 'clauses must be a list');
        const clauses: ClauseMatcher[] = new Array<ClauseMatcher>(source.length);
        for (let c = 0; c < source.length; c++) {
          try {
            clauses[c] = compileClause(source[c] as Clause);
          } catch (error) {
            if (error instanceof EvaluationError && error.code === 'UNSUPPORTED_OPERATOR') {
              unsupported = makeDetail(offValue, config.offVariant, 'ERROR', undefined, 'UNSUPPORTED_OPERATOR');
              clauses[c] = NEVER;
            } else {
              throw error;
            }
          }
        }
        compiledRules[r] = { clauses, serve: compileServe(config, values, cache, missing, rule.serve, 'RULE_MATCH', rule.id) };
      }
      rules = compiledRules;
    }
    const fallthrough = compileServe(config, values, cache, missing, config.fallthrough, 'FALLTHROUGH', undefined);
    if (!Array.isArray(config.prerequisites)) throw new EvaluationError('MALFORMED_FLAG', 'prerequisites must be a list');
    // The same order as Engine.run: off first, then an unsupported operator, then the general path.
    let plain: CompiledServe | undefined;
    if (config.enabled !== true) plain = cache === undefined ? fixedServe(off) : cache.serve(off);
    else if (unsupported !== undefined) plain = fixedServe(unsupported);
    else if (config.prerequisites.length === 0 && targets === undefined && rules.length === 0) plain = fallthrough;
    return { config, error: undefined, off, prerequisiteFailed, unsupported, targets, rules, fallthrough, plain };
  } catch (error) {
    if (error instanceof EvaluationError) return brokenFlag(config, error.code);
    return brokenFlag(config, 'MALFORMED_FLAG');
  }
}

function compileSegment(segment: Segment): CompiledSegment {
  return {
    included: new Set(segment.included),
    excluded: new Set(segment.excluded),
    rules: segment.rules.map((rule) => rule.clauses.map(compileClause)),
  };
}

function serve(compiled: CompiledServe, context: Context): Detail {
  const fixed = compiled.fixed;
  if (fixed !== undefined) return fixed;
  const raw = context[compiled.bucketBy];
  let value: string;
  if (typeof raw === 'string') value = raw;
  else if (typeof raw === 'number' && Number.isFinite(raw)) value = String(raw);
  else return compiled.missing;
  return slice(compiled, bucketFrom(compiled, value));
}

/**
 * serve() for evaluateAll, where one context's bucketing value is hashed under many salts:
 * bucketFromCached encodes it to UTF-8 once instead of once per flag. A separate function, so that
 * single evaluations never carry this path in their optimised code.
 */
function serveCached(compiled: CompiledServe, context: Context): Detail {
  const fixed = compiled.fixed;
  if (fixed !== undefined) return fixed;
  const raw = context[compiled.bucketBy];
  let value: string;
  if (typeof raw === 'string') value = raw;
  else if (typeof raw === 'number' && Number.isFinite(raw)) value = String(raw);
  else return compiled.missing;
  return slice(compiled, bucketFromCached(compiled, value));
}

// The served slice is the first whose cumulative bound exceeds bucket b, i.e. the number of bounds at
// or below b (the last bound is 100000, above every bucket). Counted without branching on b: which
// slice a user lands in is unpredictable, and a mispredicted branch costs more than the count.
function slice(compiled: CompiledServe, b: number): Detail {
  const bounds = compiled.bounds;
  const last = bounds.length - 1;
  let i = 0;
  for (let k = 0; k < last; k++) i += Number(b >= (bounds[k] as number));
  return compiled.details[i] as Detail;
}

/**
 * The evaluation engine over a mutable set of flags and segments, with each flag compiled on first
 * use. It is the in-memory store both SDKs evaluate from.
 */
class Engine implements ClauseScope {
  targetKey: string | undefined = undefined;
  private depth = 0;

  constructor(
    private readonly flagFor: (key: string) => CompiledFlag | undefined,
    private readonly segmentFor: (key: string) => CompiledSegment | undefined,
  ) {}

  inSegment(segmentKey: string, context: Context): boolean {
    const segment = this.segmentFor(segmentKey);
    if (segment === undefined) return false;
    const key = this.targetKey;
    if (key !== undefined) {
      if (segment.included.has(key)) return true;
      if (segment.excluded.has(key)) return false;
    }
    if (++this.depth > MAX_DEPTH) throw new EvaluationError('SEGMENT_CYCLE', `segments nest deeper than ${MAX_DEPTH} (cycle?)`);
    try {
      for (const rule of segment.rules) if (allMatch(rule, context, this)) return true;
      return false;
    } finally {
      this.depth--;
    }
  }

  run(flag: CompiledFlag, context: Context, chain: string[] | undefined): Detail {
    if (flag.error !== undefined) throw new EvaluationError('MALFORMED_FLAG', flag.error);
    const config = flag.config;
    if (config.enabled !== true) return flag.off;
    if (flag.unsupported !== undefined) return flag.unsupported;
    if (config.prerequisites.length > 0 && this.failsPrerequisites(flag, context, chain)) return flag.prerequisiteFailed;
    const key = this.targetKey;
    if (key !== undefined && flag.targets !== undefined) {
      const target = flag.targets.get(key);
      if (target !== undefined) return target;
    }
    const rules = flag.rules;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i] as CompiledRule;
      if (allMatch(rule.clauses, context, this)) return serve(rule.serve, context);
    }
    return serve(flag.fallthrough, context);
  }

  // Out of run(), so that run() stays small enough for the JIT to inline it.
  private failsPrerequisites(flag: CompiledFlag, context: Context, chain: string[] | undefined): boolean {
    const config = flag.config;
    const path = chain ?? [config.key];
    if (path.length > MAX_DEPTH) throw new EvaluationError('PREREQUISITE_CYCLE', 'prerequisites nest too deep');
    for (const prerequisite of config.prerequisites) {
      if (path.includes(prerequisite.flag)) throw new EvaluationError('PREREQUISITE_CYCLE', `prerequisite cycle through "${prerequisite.flag}"`);
      const other = this.flagFor(prerequisite.flag);
      if (other === undefined) return true;
      path.push(prerequisite.flag);
      let result: Detail;
      try {
        result = this.run(other, context, path);
      } catch (error) {
        // An unknown operator met in a segment fails the prerequisite softly, as one in its own rules does.
        if (!(error instanceof EvaluationError && error.code === 'UNSUPPORTED_OPERATOR')) throw error;
        result = unsupportedDetail(other);
      }
      path.pop();
      if (result.reason === 'OFF' || result.reason === 'KILLED' || result.reason === 'ERROR') return true;
      if (result.reason === 'PREREQUISITE_FAILED' || result.variant !== prerequisite.variant) return true;
    }
    return false;
  }

  evaluate(flag: CompiledFlag, context: Context, defaultValue: JsonValue, targetKey: string | undefined): Detail {
    try {
      const ctx: Context = context !== null && typeof context === 'object' ? context : {};
      const plain = flag.plain;
      if (plain !== undefined) return serve(plain, ctx);
      const key = ctx.key;
      this.targetKey = targetKey ?? (typeof key === 'string' ? key : undefined);
      this.depth = 0;
      return this.run(flag, ctx, undefined);
    } catch (error) {
      // An unknown operator met in a segment serves the offVariant, as one in the flag's own rules does.
      if (error instanceof EvaluationError && error.code === 'UNSUPPORTED_OPERATOR') return unsupportedDetail(flag);
      const code: ErrorCode = error instanceof EvaluationError ? error.code : 'GENERAL';
      return makeDetail(defaultValue, undefined, 'ERROR', undefined, code);
    }
  }
}

function allMatch(clauses: readonly ClauseMatcher[], context: Context, scope: ClauseScope): boolean {
  for (let i = 0; i < clauses.length; i++) if (!(clauses[i] as ClauseMatcher)(context, scope)) return false;
  return true;
}

function notFound(defaultValue: JsonValue): Detail {
  return makeDetail(defaultValue, undefined, 'FLAG_NOT_FOUND', undefined, 'FLAG_NOT_FOUND');
}

const compiledFlags = new WeakMap<FlagConfig, CompiledFlag>();
const compiledSegments = new WeakMap<Segment, CompiledSegment>();

function cachedFlag(config: FlagConfig): CompiledFlag {
  let compiled = compiledFlags.get(config);
  if (compiled === undefined) {
    compiled = compileFlag(config);
    compiledFlags.set(config, compiled);
  }
  return compiled;
}

function cachedSegment(segment: Segment): CompiledSegment {
  let compiled = compiledSegments.get(segment);
  if (compiled === undefined) {
    compiled = compileSegment(segment);
    compiledSegments.set(segment, compiled);
  }
  return compiled;
}

/**
 * Evaluates one flag for one context, following DESIGN.md's evaluation order. Never throws: a malformed
 * flag or context yields the default value with reason `ERROR`; an unknown flag yields `FLAG_NOT_FOUND`.
 * Compiled forms are cached per flag object, so keep flag objects immutable.
 * @example evaluate(flags.get('new-checkout'), { key: 'user-42' }, { flags, segments, defaultValue: false })
 */
export function evaluate(flag: FlagConfig | undefined, context: Context, options: EvaluateOptions = {}): Detail {
  const defaultValue = options?.defaultValue ?? null;
  try {
    if (flag === undefined || flag === null || typeof flag !== 'object') return notFound(defaultValue);
    const flags = options.flags;
    const segments = options.segments;
    const engine = new Engine(
      (key) => {
        const other = flags?.get(key);
        return other === undefined ? undefined : cachedFlag(other);
      },
      (key) => {
        const segment = segments?.get(key);
        return segment === undefined ? undefined : cachedSegment(segment);
      },
    );
    return engine.evaluate(cachedFlag(flag), context, defaultValue, options.targetKey);
  } catch {
    return makeDetail(defaultValue, undefined, 'ERROR', undefined, 'GENERAL');
  }
}

/** What a {@link FlagSet} is built from: an environment's flags and segments. */
export interface FlagSetInit {
  readonly flags?: readonly FlagConfig[];
  readonly segments?: readonly Segment[];
}

/**
 * An environment's flags and segments in memory, compiled lazily, evaluated without I/O or allocation
 * on the hot path. This is the store both SDKs keep.
 * @example const set = createFlagSet({ flags }); set.evaluate('new-checkout', { key: 'u1' }, false).value
 */
export interface FlagSet {
  /** Evaluates `key` for `context`; `defaultValue` is served for unknown flags and errors. Never throws. */
  evaluate(key: string, context: Context, defaultValue: JsonValue, targetKey?: string): Detail;
  /** Evaluates every flag for one context. */
  evaluateAll(context: Context, targetKey?: string): Record<string, Detail>;
  get(key: string): FlagConfig | undefined;
  keys(): string[];
  segments(): Segment[];
  flags(): FlagConfig[];
  upsertFlag(flag: FlagConfig): void;
  removeFlag(key: string): void;
  upsertSegment(segment: Segment): void;
  removeSegment(key: string): void;
  /** Replaces everything at once (a snapshot). */
  replace(init: FlagSetInit): void;
}

interface FlagEntry {
  readonly key: string;
  readonly config: FlagConfig;
  compiled: CompiledFlag | undefined;
}

interface SegmentEntry {
  readonly segment: Segment;
  compiled: CompiledSegment | undefined;
}

/**
 * Creates a {@link FlagSet}.
 * @example const set = createFlagSet({ flags: snapshot.flags, segments: snapshot.segments })
 */
export function createFlagSet(init: FlagSetInit = {}): FlagSet {
  let flagEntries = new Map<string, FlagEntry>();
  let segmentEntries = new Map<string, SegmentEntry>();
  let details = new DetailCache();

  const compiledFlag = (entry: FlagEntry): CompiledFlag => (entry.compiled ??= compileFlag(entry.config, details));
  const engine = new Engine(
    (key) => {
      const entry = flagEntries.get(key);
      return entry === undefined ? undefined : compiledFlag(entry);
    },
    (key) => {
      const entry = segmentEntries.get(key);
      if (entry === undefined) return undefined;
      return (entry.compiled ??= compileSegment(entry.segment));
    },
  );

  const replace = (next: FlagSetInit): void => {
    const flags = new Map<string, FlagEntry>();
    for (const config of next.flags ?? []) flags.set(config.key, { key: config.key, config, compiled: undefined });
    const segments = new Map<string, SegmentEntry>();
    for (const segment of next.segments ?? []) segments.set(segment.key, { segment, compiled: undefined });
    flagEntries = flags;
    segmentEntries = segments;
    details = new DetailCache();
  };
  replace(init);

  return {
    evaluate(key, context, defaultValue, targetKey) {
      const entry = flagEntries.get(key);
      if (entry === undefined) return notFound(defaultValue);
      return engine.evaluate(compiledFlag(entry), context, defaultValue, targetKey);
    },
    evaluateAll(context, targetKey) {
      // A plain object, but in dictionary mode from the start: adding a thousand keys to `{}` walks V8's
      // shared map-transition tree, and when other code has built objects with the same keys in the
      // same order (a peer SDK's config, a parsed copy of an earlier result) that walk can cost 8x more.
      const result: Record<string, Detail> = Object.setPrototypeOf(Object.create(null), Object.prototype) as Record<string, Detail>;
      const ctx: Context = context !== null && typeof context === 'object' ? context : {};
      try {
        // values(), not entries(): destructuring [key, entry] pairs costs more than evaluating most flags.
        for (const entry of flagEntries.values()) {
          const flag = entry.compiled ?? compiledFlag(entry);
          const plain = flag.plain;
          let detail: Detail;
          if (plain === undefined) {
            detail = engine.evaluate(flag, context, null, targetKey);
          } else {
            // What engine.evaluate does for a plain flag, with the context's value encoded once.
            try {
              detail = serveCached(plain, ctx);
            } catch {
              detail = makeDetail(null, undefined, 'ERROR', undefined, 'GENERAL');
            }
          }
          result[entry.key] = detail;
        }
      } finally {
        forgetCachedValue();
      }
      return result;
    },
    get: (key) => flagEntries.get(key)?.config,
    keys: () => [...flagEntries.keys()],
    flags: () => [...flagEntries.values()].map((e) => e.config),
    segments: () => [...segmentEntries.values()].map((e) => e.segment),
    upsertFlag(flag) {
      flagEntries.set(flag.key, { key: flag.key, config: flag, compiled: undefined });
    },
    removeFlag(key) {
      flagEntries.delete(key);
    },
    upsertSegment(segment) {
      segmentEntries.set(segment.key, { segment, compiled: undefined });
    },
    removeSegment(key) {
      segmentEntries.delete(key);
    },
    replace,
  };
}
