import type { JsonValue } from '../model/common.js';
import type { Context } from '../model/context.js';
import type { FlagConfig, Rule } from '../model/flag.js';
import type { Segment } from '../model/segment.js';
import type { Serve } from '../model/serve.js';
import { bucketer } from '../bucketing/bucket.js';
import { makeDetail, type Detail, type ErrorCode } from './detail.js';
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

interface CompiledRollout {
  readonly bucketBy: string;
  readonly bucket: (value: string) => number;
  readonly bounds: readonly number[];
  readonly details: readonly Detail[];
  readonly missing: Detail;
}

interface CompiledServe {
  readonly fixed: Detail | undefined;
  readonly rollout: CompiledRollout | undefined;
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
}

interface CompiledSegment {
  readonly included: ReadonlySet<string>;
  readonly excluded: ReadonlySet<string>;
  readonly rules: readonly (readonly ClauseMatcher[])[];
}

const BROKEN_DETAIL = makeDetail(null, undefined, 'ERROR', undefined, 'MALFORMED_FLAG');

function brokenFlag(config: FlagConfig, error: ErrorCode): CompiledFlag {
  const none: CompiledServe = { fixed: undefined, rollout: undefined };
  return { config, error, off: BROKEN_DETAIL, prerequisiteFailed: BROKEN_DETAIL, unsupported: undefined, targets: undefined, rules: [], fallthrough: none };
}

/** Compiles a flag config once: every detail it can serve is built here, so evaluation allocates nothing. */
function compileFlag(config: FlagConfig): CompiledFlag {
  try {
    const values = new Map<string, JsonValue>();
    for (const v of config.variants) values.set(v.key, v.value);
    const valueOf = (variant: string): JsonValue => {
      if (!values.has(variant)) throw new EvaluationError('MALFORMED_FLAG', `unknown variant "${variant}"`);
      return values.get(variant) as JsonValue;
    };
    const offValue = valueOf(config.offVariant);
    const off = makeDetail(offValue, config.offVariant, config.killed === true ? 'KILLED' : 'OFF');
    const prerequisiteFailed = makeDetail(offValue, config.offVariant, 'PREREQUISITE_FAILED');
    const missing = makeDetail(offValue, config.offVariant, 'BUCKET_KEY_MISSING');

    const compileServe = (serve: Serve, reason: 'RULE_MATCH' | 'FALLTHROUGH', ruleId?: string): CompiledServe => {
      if ('variant' in serve) return { fixed: makeDetail(valueOf(serve.variant), serve.variant, reason, ruleId), rollout: undefined };
      const rollout = serve.rollout;
      const bounds: number[] = [];
      const details: Detail[] = [];
      let total = 0;
      for (const slice of rollout.variants) {
        if (!Number.isInteger(slice.weight) || slice.weight < 0) throw new EvaluationError('MALFORMED_FLAG', 'bad rollout weight');
        total += slice.weight;
        bounds.push(total);
        details.push(makeDetail(valueOf(slice.variant), slice.variant, reason, ruleId));
      }
      if (total !== 100_000) throw new EvaluationError('MALFORMED_FLAG', `rollout weights sum to ${total}`);
      const salt = rollout.salt ?? config.key;
      return { fixed: undefined, rollout: { bucketBy: rollout.bucketBy ?? 'key', bucket: bucketer(salt), bounds, details, missing } };
    };

    let unsupported: Detail | undefined;
    const compileRule = (rule: Rule): CompiledRule => {
      const clauses: ClauseMatcher[] = [];
      for (const clause of rule.clauses) {
        try {
          clauses.push(compileClause(clause));
        } catch (error) {
          if (error instanceof EvaluationError && error.code === 'UNSUPPORTED_OPERATOR') {
            unsupported = makeDetail(offValue, config.offVariant, 'ERROR', undefined, 'UNSUPPORTED_OPERATOR');
            clauses.push(() => false);
          } else {
            throw error;
          }
        }
      }
      return { clauses, serve: compileServe(rule.serve, 'RULE_MATCH', rule.id) };
    };

    let targets: Map<string, Detail> | undefined;
    for (const target of config.targets) {
      const detail = makeDetail(valueOf(target.variant), target.variant, 'TARGET_MATCH');
      targets ??= new Map();
      for (const key of target.values) if (!targets.has(key)) targets.set(key, detail);
    }
    const rules = config.rules.map(compileRule);
    const fallthrough = compileServe(config.fallthrough, 'FALLTHROUGH');
    if (!Array.isArray(config.prerequisites)) throw new EvaluationError('MALFORMED_FLAG', 'prerequisites must be a list');
    return { config, error: undefined, off, prerequisiteFailed, unsupported, targets, rules, fallthrough };
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
  const rollout = compiled.rollout;
  if (rollout === undefined) return compiled.fixed as Detail;
  const raw = context[rollout.bucketBy];
  let value: string;
  if (typeof raw === 'string') value = raw;
  else if (typeof raw === 'number' && Number.isFinite(raw)) value = String(raw);
  else return rollout.missing;
  const b = rollout.bucket(value);
  const bounds = rollout.bounds;
  for (let i = 0; i < bounds.length; i++) if (b < (bounds[i] as number)) return rollout.details[i] as Detail;
  return rollout.details[rollout.details.length - 1] as Detail;
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
    const prerequisites = config.prerequisites;
    if (prerequisites.length > 0) {
      const path = chain ?? [config.key];
      if (path.length > MAX_DEPTH) throw new EvaluationError('PREREQUISITE_CYCLE', 'prerequisites nest too deep');
      for (const prerequisite of prerequisites) {
        if (path.includes(prerequisite.flag)) throw new EvaluationError('PREREQUISITE_CYCLE', `prerequisite cycle through "${prerequisite.flag}"`);
        const other = this.flagFor(prerequisite.flag);
        if (other === undefined) return flag.prerequisiteFailed;
        path.push(prerequisite.flag);
        const result = this.run(other, context, path);
        path.pop();
        if (result.reason === 'OFF' || result.reason === 'KILLED' || result.reason === 'ERROR') return flag.prerequisiteFailed;
        if (result.reason === 'PREREQUISITE_FAILED' || result.variant !== prerequisite.variant) return flag.prerequisiteFailed;
      }
    }
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

  evaluate(flag: CompiledFlag, context: Context, defaultValue: JsonValue, targetKey: string | undefined): Detail {
    try {
      const ctx: Context = context !== null && typeof context === 'object' ? context : {};
      const key = ctx.key;
      this.targetKey = targetKey ?? (typeof key === 'string' ? key : undefined);
      this.depth = 0;
      return this.run(flag, ctx, undefined);
    } catch (error) {
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
  const defaultValue = options.defaultValue ?? null;
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

  const compiledFlag = (entry: FlagEntry): CompiledFlag => (entry.compiled ??= compileFlag(entry.config));
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
    for (const config of next.flags ?? []) flags.set(config.key, { config, compiled: undefined });
    const segments = new Map<string, SegmentEntry>();
    for (const segment of next.segments ?? []) segments.set(segment.key, { segment, compiled: undefined });
    flagEntries = flags;
    segmentEntries = segments;
  };
  replace(init);

  return {
    evaluate(key, context, defaultValue, targetKey) {
      const entry = flagEntries.get(key);
      if (entry === undefined) return notFound(defaultValue);
      return engine.evaluate(compiledFlag(entry), context, defaultValue, targetKey);
    },
    evaluateAll(context, targetKey) {
      const result: Record<string, Detail> = {};
      for (const [key, entry] of flagEntries) result[key] = engine.evaluate(compiledFlag(entry), context, null, targetKey);
      return result;
    },
    get: (key) => flagEntries.get(key)?.config,
    keys: () => [...flagEntries.keys()],
    flags: () => [...flagEntries.values()].map((e) => e.config),
    segments: () => [...segmentEntries.values()].map((e) => e.segment),
    upsertFlag(flag) {
      flagEntries.set(flag.key, { config: flag, compiled: undefined });
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
