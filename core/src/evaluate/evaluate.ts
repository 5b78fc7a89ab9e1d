import type { JsonValue } from '../model/common.js';
import type { Context } from '../model/context.js';
import type { FlagConfig } from '../model/flag.js';
import type { Segment } from '../model/segment.js';
import type { Serve } from '../model/serve.js';
import { bucketFrom, bucketFromCached, bucketPrefix, BUCKETS, forgetCachedValue } from '../bucketing/bucket.js';
import type { Murmur3State } from '../bucketing/murmur3.js';
import { makeDetail, type Detail, type ErrorCode, type Reason } from './detail.js';
import { allMatch, compileRule, compileSegment, EvaluationError, isUnsupported, malformed, MAX_DEPTH, memo, variantValue, type ClauseMatcher, type ClauseScope, type CompiledSegment } from './operators.js';

export { MAX_DEPTH } from './operators.js';

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
  /** Cumulative weights: slice i serves details[i] to buckets below bounds[i]. */
  readonly bounds: readonly number[];
  readonly details: readonly Detail[];
  readonly missing: Detail;
}

interface CompiledRule {
  readonly clauses: readonly ClauseMatcher[];
  readonly serve: CompiledServe;
}

/** Every detail a flag can serve is built at compile time, so evaluation allocates nothing. */
interface CompiledFlag {
  readonly config: FlagConfig;
  /** The config cannot be evaluated: every evaluation is an `ERROR` (`MALFORMED_FLAG`). */
  readonly broken: boolean;
  readonly off: Detail;
  readonly prerequisiteFailed: Detail;
  /** Set when a rule uses an operator this evaluator does not know: the flag then serves this. */
  readonly unsupported: Detail | undefined;
  readonly targets: ReadonlyMap<string, Detail> | undefined;
  readonly rules: readonly CompiledRule[];
  readonly fallthrough: CompiledServe;
  /**
   * What the flag serves whatever the context's key and other flags, when that is decided at compile
   * time (off, an unsupported operator, or nothing but a fallthrough). Such flags skip the general path.
   */
  readonly plain: CompiledServe | undefined;
}

// Details of booleans and strings without a rule id are shared by every flag that serves them: most
// flags serve the same few, so 10,000 boolean flags need a handful of details instead of 40,000.
// Sharing is safe because details are frozen; the memo starts over past a bound.
let sharedDetails = new Map<string, Detail>();

function detailOf(value: JsonValue, variant: string, reason: Reason, ruleId?: string): Detail {
  if (typeof variant !== 'string' || (ruleId !== undefined && typeof ruleId !== 'string')) return makeDetail(value, variant, reason, ruleId);
  // One literal, so that every field sits inside the object (makeDetail adds fields afterwards).
  if (ruleId !== undefined) return Object.freeze({ value, reason, variant, ruleId });
  const type = typeof value;
  if (type !== 'boolean' && type !== 'string') return Object.freeze({ value, reason, variant });
  // Unambiguous: reasons are fixed words none of which is a prefix of another, and the variant's length comes first.
  const key = `${variant.length}:${reason}${variant}${type}${value}`;
  let detail = sharedDetails.get(key);
  if (detail === undefined) {
    if (sharedDetails.size >= 50_000) sharedDetails = new Map();
    sharedDetails.set(key, (detail = Object.freeze({ value, reason, variant })));
  }
  return detail;
}

const NO_RULES: readonly CompiledRule[] = [];
const fixedServes = new WeakMap<Detail, CompiledServe>();

function fixedServe(fixed: Detail): CompiledServe {
  let serve = fixedServes.get(fixed);
  if (serve === undefined) {
    serve = { fixed, bucketBy: '', h: 0, tail: 0, tailLength: 0, length: 0, bounds: NO_RULES as [], details: NO_RULES as [], missing: fixed };
    fixedServes.set(fixed, serve);
  }
  return serve;
}

const BROKEN = makeDetail(null, undefined, 'ERROR', undefined, 'MALFORMED_FLAG');

function compileServe(config: FlagConfig, missing: Detail, serve: Serve, reason: 'RULE_MATCH' | 'FALLTHROUGH', ruleId?: string): CompiledServe {
  const variants = config.variants;
  if ('variant' in serve) return fixedServe(detailOf(variantValue(variants, serve.variant), serve.variant, reason, ruleId));
  const rollout = serve.rollout;
  if (!Array.isArray(rollout.variants)) throw malformed('rollout variants');
  // map(), not push(): arrays grown by push() keep room for 17 elements, which thousands of rollouts would carry.
  let total = 0;
  const bounds = rollout.variants.map(({ weight }) => {
    if (!Number.isInteger(weight) || weight < 0) throw malformed('rollout weight');
    return (total += weight);
  });
  if (total !== BUCKETS) throw malformed('rollout weights');
  const details = rollout.variants.map((slice) => detailOf(variantValue(variants, slice.variant), slice.variant, reason, ruleId));
  const prefix = bucketPrefix(rollout.salt ?? config.key);
  return { fixed: undefined, bucketBy: rollout.bucketBy ?? 'key', h: prefix.h, tail: prefix.tail, tailLength: prefix.tailLength, length: prefix.length, bounds, details, missing };
}

/** What a flag serves when its evaluation needs an operator this evaluator does not know. */
function unsupportedDetail(flag: CompiledFlag): Detail {
  return flag.unsupported ?? makeDetail(flag.off.value, flag.off.variant, 'ERROR', undefined, 'UNSUPPORTED_OPERATOR');
}

/** Compiles a flag config once; what it keeps holds no closures but the clauses' (a set compiles thousands of flags). */
function compileFlag(config: FlagConfig): CompiledFlag {
  try {
    const values = config.variants;
    for (const v of values as Iterable<unknown>) if (v === null || v === undefined) throw malformed('missing variant');
    const offVariant = config.offVariant;
    const offValue = variantValue(values, offVariant);
    const off = detailOf(offValue, offVariant, config.killed === true ? 'KILLED' : 'OFF');
    const missing = detailOf(offValue, offVariant, 'BUCKET_KEY_MISSING');
    let unsupported: Detail | undefined;
    let targets: Map<string, Detail> | undefined;
    for (const target of config.targets) {
      const detail = detailOf(variantValue(values, target.variant), target.variant, 'TARGET_MATCH');
      targets ??= new Map();
      for (const key of target.values) if (!targets.has(key)) targets.set(key, detail);
    }
    if (!Array.isArray(config.rules)) throw malformed('rules');
    const rules = config.rules.length === 0 ? NO_RULES : config.rules.map((rule): CompiledRule => {
      const compiled = compileRule(rule.clauses);
      if (compiled.unsupported) unsupported = makeDetail(offValue, offVariant, 'ERROR', undefined, 'UNSUPPORTED_OPERATOR');
      return { clauses: compiled.matchers, serve: compileServe(config, missing, rule.serve, 'RULE_MATCH', rule.id) };
    });
    const fallthrough = compileServe(config, missing, config.fallthrough, 'FALLTHROUGH');
    if (!Array.isArray(config.prerequisites)) throw malformed('prerequisites');
    // The same order as Engine.run: off first, then an unsupported operator, then the general path.
    let plain: CompiledServe | undefined;
    if (config.enabled !== true) plain = fixedServe(off);
    else if (unsupported !== undefined) plain = fixedServe(unsupported);
    else if (config.prerequisites.length === 0 && targets === undefined && rules.length === 0) plain = fallthrough;
    const prerequisiteFailed = detailOf(offValue, offVariant, 'PREREQUISITE_FAILED');
    return { config, broken: false, off, prerequisiteFailed, unsupported, targets, rules, fallthrough, plain };
  } catch {
    const fallthrough = fixedServe(BROKEN);
    return { config, broken: true, off: BROKEN, prerequisiteFailed: BROKEN, unsupported: undefined, targets: undefined, rules: NO_RULES, fallthrough, plain: undefined };
  }
}

/** The context's bucketing value for a rollout: a string, or a finite number as a string. */
function bucketValue(compiled: CompiledServe, context: Context): string | undefined {
  const raw = context[compiled.bucketBy];
  return typeof raw === 'string' ? raw : typeof raw === 'number' && Number.isFinite(raw) ? String(raw) : undefined;
}

function serve(compiled: CompiledServe, context: Context): Detail {
  if (compiled.fixed !== undefined) return compiled.fixed;
  const value = bucketValue(compiled, context);
  return value === undefined ? compiled.missing : slice(compiled, bucketFrom(compiled, value));
}

/**
 * serve() for evaluateAll, where one context's bucketing value is hashed under many salts:
 * bucketFromCached encodes it to UTF-8 once instead of once per flag. A separate function, so that
 * single evaluations never carry this path in their optimised code.
 */
function serveCached(compiled: CompiledServe, context: Context): Detail {
  if (compiled.fixed !== undefined) return compiled.fixed;
  const value = bucketValue(compiled, context);
  return value === undefined ? compiled.missing : slice(compiled, bucketFromCached(compiled, value));
}

// The served slice is the first whose cumulative bound exceeds bucket b, i.e. the number of bounds at
// or below b (the last bound is 100000, above every bucket). Counted without branching on b: which
// slice a user lands in is unpredictable, and a mispredicted branch costs more than the count.
function slice(compiled: CompiledServe, b: number): Detail {
  const bounds = compiled.bounds;
  let i = 0;
  for (let k = bounds.length - 2; k >= 0; k--) i += Number(b >= (bounds[k] as number));
  return compiled.details[i] as Detail;
}

const notFound = (defaultValue: JsonValue): Detail => makeDetail(defaultValue, undefined, 'FLAG_NOT_FOUND', undefined, 'FLAG_NOT_FOUND');

/**
 * The evaluation engine over a set of flags and segments, each compiled on first use. Fields are
 * declared, not initialised in the class body: class fields would cost the browser bundle a helper.
 */
class Engine implements ClauseScope {
  declare targetKey: string | undefined;
  /** Set while evaluateAll runs: rollouts hash through bucketFromCached (the context's value packed once). */
  declare cached: boolean;
  declare private depth: number;
  declare private readonly flagFor: (key: string) => CompiledFlag | undefined;
  declare private readonly segmentFor: (key: string) => CompiledSegment | undefined;

  constructor(flagFor: (key: string) => CompiledFlag | undefined, segmentFor: (key: string) => CompiledSegment | undefined) {
    this.targetKey = undefined;
    this.cached = false;
    this.depth = 0;
    this.flagFor = flagFor;
    this.segmentFor = segmentFor;
  }

  inSegment(segmentKey: string, context: Context): boolean {
    const segment = this.segmentFor(segmentKey);
    if (segment === undefined) return false;
    const key = this.targetKey;
    if (key !== undefined) {
      if (segment.included.has(key)) return true;
      if (segment.excluded.has(key)) return false;
    }
    if (++this.depth > MAX_DEPTH) throw new EvaluationError('SEGMENT_CYCLE', 'segments nest too deep');
    try {
      for (const rule of segment.rules) if (allMatch(rule, context, this)) return true;
      return false;
    } finally {
      this.depth--;
    }
  }

  run(flag: CompiledFlag, context: Context, chain: string[] | undefined): Detail {
    if (flag.broken) throw malformed('broken flag');
    const config = flag.config;
    if (config.enabled !== true) return flag.off;
    if (flag.unsupported !== undefined) return flag.unsupported;
    if (config.prerequisites.length > 0 && this.failsPrerequisites(flag, context, chain)) return flag.prerequisiteFailed;
    const key = this.targetKey;
    const target = key === undefined ? undefined : flag.targets?.get(key);
    if (target !== undefined) return target;
    const rules = flag.rules;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i] as CompiledRule;
      if (allMatch(rule.clauses, context, this)) return this.cached ? serveCached(rule.serve, context) : serve(rule.serve, context);
    }
    return this.cached ? serveCached(flag.fallthrough, context) : serve(flag.fallthrough, context);
  }

  // Out of run(), so that run() stays small enough for the JIT to inline it.
  private failsPrerequisites(flag: CompiledFlag, context: Context, chain: string[] | undefined): boolean {
    const path = chain ?? [flag.config.key];
    if (path.length > MAX_DEPTH) throw new EvaluationError('PREREQUISITE_CYCLE', 'prerequisites nest too deep');
    for (const prerequisite of flag.config.prerequisites) {
      if (path.includes(prerequisite.flag)) throw new EvaluationError('PREREQUISITE_CYCLE', `cycle through ${prerequisite.flag}`);
      const other = this.flagFor(prerequisite.flag);
      if (other === undefined) return true;
      path.push(prerequisite.flag);
      let result: Detail;
      try {
        result = this.run(other, context, path);
      } catch (error) {
        // An unknown operator met in a segment fails the prerequisite softly, as one in its own rules does.
        if (!isUnsupported(error)) throw error;
        result = unsupportedDetail(other);
      }
      path.pop();
      const reason = result.reason;
      if (reason === 'OFF' || reason === 'KILLED' || reason === 'ERROR' || reason === 'PREREQUISITE_FAILED' || result.variant !== prerequisite.variant) return true;
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
      if (isUnsupported(error)) return unsupportedDetail(flag);
      const code: ErrorCode = error instanceof EvaluationError ? error.code : 'GENERAL';
      return makeDetail(defaultValue, undefined, 'ERROR', undefined, code);
    }
  }
}

const compiledFlags = new WeakMap<FlagConfig, CompiledFlag>();
const compiledSegments = new WeakMap<Segment, CompiledSegment>();

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
    const engine = new Engine(
      (key) => {
        const other = options?.flags?.get(key);
        return other === undefined ? undefined : memo(compiledFlags, other, compileFlag);
      },
      (key) => {
        const segment = options?.segments?.get(key);
        return segment === undefined ? undefined : memo(compiledSegments, segment, compileSegment);
      },
    );
    return engine.evaluate(memo(compiledFlags, flag, compileFlag), context, defaultValue, options?.targetKey);
  } catch {
    return makeDetail(defaultValue, undefined, 'ERROR', undefined, 'GENERAL');
  }
}

/**
 * Every flag's {@link Detail} for one context, as {@link FlagSet.evaluateAll} returns it: a read-only
 * map from flag key to detail, in the set's order. `JSON.stringify` writes it as `{ [key]: Detail }`.
 * @example const all = set.evaluateAll({ key: 'u1' }); all.get('new-checkout')?.value; JSON.stringify(all)
 */
export interface FlagDetails extends Iterable<[string, Detail]> {
  /** The number of flags. */
  readonly size: number;
  /** The detail of one flag, or undefined when the set has no such flag. */
  get(key: string): Detail | undefined;
  has(key: string): boolean;
  keys(): IterableIterator<string>;
  values(): IterableIterator<Detail>;
  entries(): IterableIterator<[string, Detail]>;
  forEach(callback: (detail: Detail, key: string) => void): void;
  /** `{ [key]: Detail }`, a plain object (what `JSON.stringify` writes). */
  toJSON(): Record<string, Detail>;
}

/**
 * The keys of a set's flags in order and their positions: shared by every FlagDetails made until the
 * set gains or loses a flag, so a result is one array of details, not a thousand-key object.
 */
interface KeyIndex {
  readonly order: readonly string[];
  readonly position: ReadonlyMap<string, number>;
}

class DetailsView implements FlagDetails {
  declare private readonly index: KeyIndex;
  declare private readonly details: readonly Detail[];

  constructor(index: KeyIndex, details: readonly Detail[]) {
    this.index = index;
    this.details = details;
  }

  get size(): number {
    return this.details.length;
  }

  get(key: string): Detail | undefined {
    const i = this.index.position.get(key);
    return i === undefined ? undefined : this.details[i];
  }

  has(key: string): boolean {
    return this.index.position.has(key);
  }

  keys(): IterableIterator<string> {
    return this.index.order.values();
  }

  values(): IterableIterator<Detail> {
    return this.details.values();
  }

  *entries(): IterableIterator<[string, Detail]> {
    const order = this.index.order;
    for (let i = 0; i < order.length; i++) yield [order[i] as string, this.details[i] as Detail];
  }

  [Symbol.iterator](): IterableIterator<[string, Detail]> {
    return this.entries();
  }

  forEach(callback: (detail: Detail, key: string) => void): void {
    const order = this.index.order;
    for (let i = 0; i < order.length; i++) callback(this.details[i] as Detail, order[i] as string);
  }

  // What console.log and util.inspect show in Node: the flags, not the view's internals.
  [Symbol.for('nodejs.util.inspect.custom')](): Record<string, Detail> {
    return this.toJSON();
  }

  toJSON(): Record<string, Detail> {
    // In dictionary mode from the start: adding a thousand keys to `{}` walks V8's map-transition tree.
    const out = Object.setPrototypeOf(Object.create(null), Object.prototype) as Record<string, Detail>;
    const order = this.index.order;
    for (let i = 0; i < order.length; i++) out[order[i] as string] = this.details[i] as Detail;
    return out;
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
  /** Evaluates every flag for one context: a read-only map from flag key to {@link Detail}. */
  evaluateAll(context: Context, targetKey?: string): FlagDetails;
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

interface Entry<T, C> {
  readonly key: string;
  readonly config: T;
  compiled: C | undefined;
}

type FlagEntry = Entry<FlagConfig, CompiledFlag>;
type SegmentEntry = Entry<Segment, CompiledSegment>;

const flagEntry = (config: FlagConfig): FlagEntry => ({ key: config.key, config, compiled: undefined });
const segmentEntry = (segment: Segment): SegmentEntry => ({ key: segment.key, config: segment, compiled: undefined });

/**
 * Creates a {@link FlagSet}.
 * @example const set = createFlagSet({ flags: snapshot.flags, segments: snapshot.segments })
 */
export function createFlagSet(init: FlagSetInit = {}): FlagSet {
  let flags = new Map<string, FlagEntry>();
  let segments = new Map<string, SegmentEntry>();
  // evaluateAll's view of `flags`: the entries in order and their key index, rebuilt after a flag is
  // added or removed (a replaced flag is swapped in place; results already handed out keep theirs).
  let listed: FlagEntry[] | undefined;
  let index: KeyIndex = { order: [], position: new Map() };

  const compiledFlag = (entry: FlagEntry): CompiledFlag => (entry.compiled ??= compileFlag(entry.config));
  const engine = new Engine(
    (key) => {
      const entry = flags.get(key);
      return entry === undefined ? undefined : compiledFlag(entry);
    },
    (key) => {
      const entry = segments.get(key);
      return entry === undefined ? undefined : (entry.compiled ??= compileSegment(entry.config));
    },
  );

  const listing = (): FlagEntry[] => {
    if (listed === undefined) {
      listed = [...flags.values()];
      const order = listed.map((entry) => entry.key);
      index = { order, position: new Map(order.map((key, i) => [key, i])) };
    }
    return listed;
  };

  const replace = (next: FlagSetInit): void => {
    flags = new Map((next.flags ?? []).map((f) => [f.key, flagEntry(f)]));
    segments = new Map((next.segments ?? []).map((s) => [s.key, segmentEntry(s)]));
    listed = undefined;
  };
  replace(init);

  return {
    evaluate(key, context, defaultValue, targetKey) {
      const entry = flags.get(key);
      return entry === undefined ? notFound(defaultValue) : engine.evaluate(entry.compiled ?? compiledFlag(entry), context, defaultValue, targetKey);
    },
    evaluateAll(context, targetKey) {
      const entries = listing();
      const details = new Array<Detail>(entries.length);
      const ctx: Context = context !== null && typeof context === 'object' ? context : {};
      engine.cached = true;
      try {
        for (let i = 0; i < entries.length; i++) {
          const entry = entries[i] as FlagEntry;
          const flag = entry.compiled ?? compiledFlag(entry);
          const plain = flag.plain;
          if (plain === undefined) {
            details[i] = engine.evaluate(flag, ctx, null, targetKey);
          } else {
            // What engine.evaluate does for a plain flag, without its bookkeeping.
            try {
              details[i] = serveCached(plain, ctx);
            } catch {
              details[i] = makeDetail(null, undefined, 'ERROR', undefined, 'GENERAL');
            }
          }
        }
      } finally {
        engine.cached = false;
        forgetCachedValue();
      }
      return new DetailsView(index, details);
    },
    get: (key) => flags.get(key)?.config,
    keys: () => [...flags.keys()],
    flags: () => [...flags.values()].map((e) => e.config),
    segments: () => [...segments.values()].map((e) => e.config),
    upsertFlag(flag) {
      const entry = flagEntry(flag);
      const position = listed === undefined ? undefined : index.position.get(flag.key);
      if (position === undefined) listed = undefined;
      else (listed as FlagEntry[])[position] = entry;
      flags.set(flag.key, entry);
    },
    removeFlag(key) {
      if (flags.delete(key)) listed = undefined;
    },
    upsertSegment(segment) {
      segments.set(segment.key, segmentEntry(segment));
    },
    removeSegment(key) {
      segments.delete(key);
    },
    replace,
  };
}
