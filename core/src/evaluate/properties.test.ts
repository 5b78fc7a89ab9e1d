import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bucket } from '../bucketing/bucket.js';
import { OPERATORS, type Clause, type ClauseValue } from '../model/clause.js';
import type { JsonValue } from '../model/common.js';
import type { Context, ContextValue } from '../model/context.js';
import type { FlagConfig, Prerequisite, Rule, Target } from '../model/flag.js';
import type { Segment } from '../model/segment.js';
import { rolloutFromPercentage, RolloutSchema, WEIGHT_TOTAL, type Rollout, type Serve } from '../model/serve.js';
import type { Detail } from './detail.js';
import { booleanFlag } from '../../../test/helpers/flags.js';
import { evaluateCompact } from './compact.js';
import { createFlagSet, evaluate } from './evaluate.js';

const REASONS = new Set(['FLAG_NOT_FOUND', 'OFF', 'KILLED', 'PREREQUISITE_FAILED', 'TARGET_MATCH', 'RULE_MATCH', 'FALLTHROUGH', 'BUCKET_KEY_MISSING', 'ERROR']);
const ERROR_CODES = new Set(['FLAG_NOT_FOUND', 'MALFORMED_FLAG', 'UNSUPPORTED_OPERATOR', 'PREREQUISITE_CYCLE', 'SEGMENT_CYCLE', 'TYPE_MISMATCH', 'GENERAL']);

// Small pools, so that random flags refer to each other, to segments and to context attributes.
const FLAG_KEYS = ['f0', 'f1', 'f2', 'f3'];
const SEGMENT_KEYS = ['s0', 's1', 's2'];
const CONTEXT_KEYS = ['u1', 'u2', 'qa-1', '', 'josé', '😀'];
const ATTRIBUTES = ['key', 'country', 'age', 'email', 'version', 'signup', 'tags', 'beta', 'accountId'];
const VARIANT_KEYS = ['true', 'false', 'a', 'b', 'c'];

const shortString = fc.oneof(
  fc.constantFrom('NL', 'DE', 'pro', 'ana@acme.io', '1.2.3', '2.0.0-rc.1', 'v1', '2026-01-01', '2026-01-01T00:00:00+01:00', '2026-02-30', '^[a-z]+$', '(a+)+', '(', ''),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
);
const finiteNumber = fc.oneof(fc.integer({ min: -100, max: 100 }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(1767225600000));
const scalar: fc.Arbitrary<string | number | boolean> = fc.oneof(shortString, finiteNumber, fc.boolean());
const contextValue: fc.Arbitrary<ContextValue | undefined> = fc.oneof(
  { weight: 4, arbitrary: scalar },
  { weight: 1, arbitrary: fc.constantFrom(null, undefined, Number.NaN, Number.POSITIVE_INFINITY) },
  { weight: 2, arbitrary: fc.array(scalar, { maxLength: 3 }) },
);
const context: fc.Arbitrary<Context> = fc.record(
  Object.fromEntries([['key', fc.constantFrom(...CONTEXT_KEYS)], ...ATTRIBUTES.filter((a) => a !== 'key').map((a) => [a, contextValue])]),
  { requiredKeys: [] },
) as fc.Arbitrary<Context>;

const operator = fc.oneof(
  { weight: 18, arbitrary: fc.constantFrom(...(Object.keys(OPERATORS) as Clause['op'][])) },
  { weight: 8, arbitrary: fc.constant<Clause['op']>('inSegment') },
  { weight: 1, arbitrary: fc.constant('futureOp' as Clause['op']) },
);
const clause: fc.Arbitrary<Clause> = operator.chain((op) =>
  fc
    .record({
      attribute: fc.constantFrom(...ATTRIBUTES),
      values: (op === 'inSegment' ? fc.array(fc.constantFrom(...SEGMENT_KEYS, 'ghost'), { maxLength: 2 }) : fc.array(scalar, { maxLength: 3 })) as fc.Arbitrary<ClauseValue[]>,
      negate: fc.option(fc.boolean(), { nil: undefined }),
    })
    .map(({ negate, ...rest }): Clause => (negate === undefined ? { ...rest, op } : { ...rest, op, negate })),
);

const segmentClause: fc.Arbitrary<Clause> = fc.record({ attribute: fc.constant('segment'), op: fc.constant('inSegment' as const), values: fc.array(fc.constantFrom(...SEGMENT_KEYS), { minLength: 1, maxLength: 2 }) });

/** Up to four integer weights summing to 100000: the gaps between random cut points. */
const weightsSummingToTotal = fc.array(fc.integer({ min: 0, max: WEIGHT_TOTAL }), { maxLength: 3 }).map((cuts) => {
  const points = [0, ...[...cuts].sort((a, b) => a - b), WEIGHT_TOTAL];
  return points.slice(1).map((p, i) => p - (points[i] as number));
});

/** Weights summing to 100000 (mostly), or anything (sometimes), over `variants`. */
function rollout(variants: readonly string[]): fc.Arbitrary<Rollout> {
  const valid = weightsSummingToTotal.chain((weights) => fc.tuple(...weights.map((weight) => fc.constantFrom(...variants).map((variant) => ({ variant, weight })))));
  const invalid = fc.array(fc.record({ variant: fc.constantFrom(...variants), weight: fc.integer({ min: -5, max: WEIGHT_TOTAL + 5 }) }), { minLength: 1, maxLength: 3 });
  return fc.record(
    {
      variants: fc.oneof({ weight: 15, arbitrary: valid }, { weight: 1, arbitrary: invalid }),
      bucketBy: fc.constantFrom(...ATTRIBUTES),
      salt: fc.string({ maxLength: 6 }),
    },
    { requiredKeys: ['variants'] },
  );
}

function serve(variants: readonly string[]): fc.Arbitrary<Serve> {
  return fc.oneof(fc.constantFrom(...variants).map((variant) => ({ variant })), rollout(variants).map((r) => ({ rollout: r })));
}

/** A FlagConfig-shaped flag; mostly well-formed, sometimes naming a variant it does not have. */
function flag(key: string): fc.Arbitrary<FlagConfig> {
  return fc.constantFrom('boolean', 'string').chain((type) => {
    const own = type === 'boolean' ? ['true', 'false'] : ['a', 'b', 'c'];
    const refs = fc.oneof({ weight: 40, arbitrary: fc.constantFrom(...own) }, { weight: 1, arbitrary: fc.constantFrom(...VARIANT_KEYS) });
    const target: fc.Arbitrary<Target> = fc.record({ variant: refs, values: fc.uniqueArray(fc.constantFrom(...CONTEXT_KEYS), { maxLength: 3 }) });
    const rule: fc.Arbitrary<Rule> = fc.record({ id: fc.constantFrom('r1', 'r2', 'r3'), clauses: fc.array(clause, { maxLength: 3 }), serve: serve(own) });
    const prerequisite: fc.Arbitrary<Prerequisite> = fc.record({ flag: fc.constantFrom(...FLAG_KEYS, 'ghost'), variant: fc.constantFrom(...VARIANT_KEYS) });
    return fc
      .record({
        version: fc.nat(),
        enabled: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
        killed: fc.option(fc.boolean(), { nil: undefined }),
        offVariant: refs,
        targets: fc.array(target, { maxLength: 2 }),
        rules: fc.array(rule, { maxLength: 3 }),
        fallthrough: serve(own),
        prerequisites: fc.oneof({ weight: 2, arbitrary: fc.constant<Prerequisite[]>([]) }, { weight: 1, arbitrary: fc.array(prerequisite, { minLength: 1, maxLength: 2 }) }),
      })
      .map((fields) => {
        const config: FlagConfig = {
          key,
          type: type as FlagConfig['type'],
          variants: own.map((k) => ({ key: k, value: (type === 'boolean' ? k === 'true' : `value-${k}`) as JsonValue })),
          ...fields,
        };
        if (config.killed === undefined) delete config.killed;
        return config;
      });
  });
}

function segment(key: string): fc.Arbitrary<Segment> {
  return fc.record({
    key: fc.constant(key),
    name: fc.constant(key),
    description: fc.constant(''),
    included: fc.uniqueArray(fc.constantFrom(...CONTEXT_KEYS), { maxLength: 2 }),
    excluded: fc.uniqueArray(fc.constantFrom(...CONTEXT_KEYS), { maxLength: 2 }),
    // Segments often refer to segments, so that nesting and cycles come up.
    rules: fc.array(fc.record({ clauses: fc.array(fc.oneof(clause, segmentClause), { minLength: 1, maxLength: 2 }) }), { maxLength: 2 }),
  });
}

const environment = fc.record({
  flags: fc.subarray(FLAG_KEYS, { minLength: 1 }).chain((keys) => fc.tuple(...keys.map(flag))),
  segments: fc.subarray(SEGMENT_KEYS).chain((keys) => fc.tuple(...keys.map(segment))),
});
/** An environment and a flag key to evaluate: mostly one of its flags, sometimes a missing one. */
const environmentAndKey = environment.chain((env) =>
  fc.tuple(fc.constant(env), fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...env.flags.map((f) => f.key)) }, { weight: 1, arbitrary: fc.constant('missing') })),
);

/** What every detail must satisfy, whatever the input. */
function checkDetail(detail: Detail, flagConfig: FlagConfig | undefined, ctx: Context, defaultValue: JsonValue): void {
  expect(REASONS.has(detail.reason)).toBe(true);
  if (detail.errorCode !== undefined) expect(ERROR_CODES.has(detail.errorCode)).toBe(true);
  if (detail.reason === 'ERROR') expect(detail.errorCode).toBeDefined();
  if (detail.reason === 'FLAG_NOT_FOUND') {
    expect(flagConfig).toBeUndefined();
    expect(detail).toEqual({ value: defaultValue, reason: 'FLAG_NOT_FOUND', errorCode: 'FLAG_NOT_FOUND' });
    return;
  }
  if (flagConfig === undefined) throw new Error('a missing flag must be FLAG_NOT_FOUND');
  if (detail.reason === 'ERROR' && detail.errorCode !== 'UNSUPPORTED_OPERATOR') {
    expect(detail).toEqual({ value: defaultValue, reason: 'ERROR', errorCode: detail.errorCode });
    return;
  }
  // Everything else serves a variant of the flag, with its value.
  const variant = flagConfig.variants.find((v) => v.key === detail.variant);
  expect(variant).toBeDefined();
  expect(detail.value).toEqual(variant?.value);
  switch (detail.reason) {
    case 'OFF':
    case 'KILLED':
      expect(flagConfig.enabled).toBe(false);
      expect(detail.reason === 'KILLED').toBe(flagConfig.killed === true);
      expect(detail.variant).toBe(flagConfig.offVariant);
      break;
    case 'ERROR':
    case 'PREREQUISITE_FAILED':
    case 'BUCKET_KEY_MISSING':
      expect(flagConfig.enabled).toBe(true);
      expect(detail.variant).toBe(flagConfig.offVariant);
      if (detail.reason === 'PREREQUISITE_FAILED') expect(flagConfig.prerequisites.length).toBeGreaterThan(0);
      break;
    case 'TARGET_MATCH':
      expect(flagConfig.targets.some((t) => t.variant === detail.variant && t.values.includes(ctx.key as string))).toBe(true);
      break;
    case 'RULE_MATCH':
      expect(flagConfig.rules.some((r) => r.id === detail.ruleId)).toBe(true);
      break;
    default:
      expect(detail.reason).toBe('FALLTHROUGH');
  }
  if (detail.reason !== 'RULE_MATCH') expect(detail.ruleId).toBeUndefined();
}

describe('evaluation never throws', () => {
  it('on random environments of well-formed and slightly broken flags, with cycles and segments; evaluate() and a FlagSet agree', () => {
    fc.assert(
      fc.property(environmentAndKey, context, fc.jsonValue({ maxDepth: 1 }), ([{ flags, segments }, key], ctx, defaultValue) => {
        const flagMap = new Map(flags.map((f) => [f.key, f]));
        const segmentMap = new Map(segments.map((s) => [s.key, s]));
        const flagConfig = flagMap.get(key);
        const detail = evaluate(flagConfig, ctx, { flags: flagMap, segments: segmentMap, defaultValue: defaultValue as JsonValue });
        checkDetail(detail, flagConfig, ctx, defaultValue as JsonValue);
        expect(evaluate(flagConfig, ctx, { flags: flagMap, segments: segmentMap, defaultValue: defaultValue as JsonValue })).toEqual(detail);

        const set = createFlagSet({ flags, segments });
        expect(set.evaluate(key, ctx, defaultValue as JsonValue)).toEqual(detail);
        const all = set.evaluateAll(ctx);
        expect([...all.keys()].sort()).toEqual(flags.map((f) => f.key).sort());
        expect(Object.keys(all.toJSON()).sort()).toEqual(flags.map((f) => f.key).sort());
        for (const f of flags) {
          const expected = evaluate(f, ctx, { flags: flagMap, segments: segmentMap });
          expect(all.get(f.key)).toEqual(expected);
          checkDetail(expected, f, ctx, null);
          // The compact evaluator agrees, with the context's key as the target key and with another.
          expect(evaluateCompact(f, ctx, { flags: flagMap, segments: segmentMap })).toEqual(expected);
          for (const targetKey of ['u2', 'qa-1']) {
            expect(evaluateCompact(f, ctx, { flags: flagMap, segments: segmentMap, targetKey })).toEqual(evaluate(f, ctx, { flags: flagMap, segments: segmentMap, targetKey }));
          }
        }
      }),
      { numRuns: 400 },
    );
  });

  it('on garbage flags, contexts and options', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), fc.anything(), (flagConfig, ctx, options) => {
        const detail = evaluate(flagConfig as FlagConfig, ctx as Context, options as never);
        expect(REASONS.has(detail.reason)).toBe(true);
        expect(evaluateCompact(flagConfig as FlagConfig, ctx as Context, options as never)).toEqual(detail);
      }),
      { numRuns: 1000 },
    );
  });

  it('on garbage options around a valid flag: defaults, lookups and target keys of any type', () => {
    const valid: FlagConfig = {
      key: 'a',
      version: 1,
      type: 'boolean',
      variants: [
        { key: 'true', value: true },
        { key: 'false', value: false },
      ],
      enabled: true,
      offVariant: 'false',
      targets: [{ variant: 'true', values: ['u1'] }],
      rules: [{ id: 'r', clauses: [{ attribute: 's', op: 'inSegment', values: ['s0'] }], serve: { variant: 'true' } }],
      fallthrough: { rollout: rolloutFromPercentage(50, 'true', 'false') },
      prerequisites: [{ flag: 'b', variant: 'true' }],
    };
    const lookup = fc.oneof(fc.anything(), fc.constant(new Map([['b', valid]])), fc.constant({ get: () => 42 }), fc.constant({ get: () => ({}) }));
    fc.assert(
      fc.property(fc.anything(), fc.record({ defaultValue: fc.anything(), flags: lookup, segments: lookup, targetKey: fc.anything() }, { requiredKeys: [] }), (ctx, options) => {
        const detail = evaluate(valid, ctx as Context, options as never);
        expect(REASONS.has(detail.reason)).toBe(true);
        expect(evaluateCompact(valid, ctx as Context, options as never)).toEqual(detail);
      }),
      { numRuns: 500 },
    );
  });

  it('on garbage inside a FlagSet: flags and segments of any shape, any context and default', () => {
    const garbageFlag = fc.oneof(fc.object(), fc.constantFrom(...FLAG_KEYS).chain((key) => fc.object().map((o) => ({ ...o, key }))));
    const garbageSegment = fc.constantFrom(...SEGMENT_KEYS).chain((key) => fc.object().map((o) => ({ ...o, key })));
    fc.assert(
      fc.property(
        fc.array(garbageFlag, { maxLength: 4 }),
        fc.array(garbageSegment, { maxLength: 3 }),
        fc.anything(),
        fc.anything(),
        fc.string(),
        (flags, segments, ctx, defaultValue, key) => {
          const init = { flags: flags as unknown as FlagConfig[], segments: segments as unknown as Segment[] };
          const set = createFlagSet(init);
          const lookups = { flags: new Map(init.flags.map((f) => [f.key, f])), segments: new Map(init.segments.map((s) => [s.key, s])) };
          for (const k of [key, ...set.keys()]) {
            const detail = set.evaluate(k, ctx as Context, defaultValue as JsonValue);
            expect(REASONS.has(detail.reason)).toBe(true);
            const options = { ...lookups, defaultValue: defaultValue as JsonValue };
            expect(evaluateCompact(lookups.flags.get(k), ctx as Context, options)).toEqual(evaluate(lookups.flags.get(k), ctx as Context, options));
          }
          for (const detail of set.evaluateAll(ctx as Context).values()) expect(REASONS.has(detail.reason)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('the compact evaluator\'s own clause matchers', () => {
  // Values of every kind an operator reads, so that clauses of each operator both match and miss:
  // numbers (NaN, -0 and infinities too), ISO dates, versions, regexes (one invalid), and lists of
  // more than 8 values, where the fast evaluator compares through a Set instead of with ===.
  const value = fc.oneof(
    fc.constantFrom('NL', 'nl', 'N', 'L', 'ana@acme.io', '@acme.io', 'acme', '', '0', '1', 'true'),
    fc.constantFrom('2026-01-01', '2026-01-01T12:00:00Z', '2025-12-31T23:59:59.999-01:00', '2026-02-29', '2024-02-29T00:00'),
    fc.constantFrom('1.2.3', '1.2.3-rc.1', '1.2.3-rc.2', '1.10.0', '2.0.0+build', '1.2', 'v1.2.3'),
    fc.constantFrom('^[a-z]+$', 'acme\\.io$', '^N', '(', '[0-9]{2}'),
    fc.constantFrom(0, -0, 1, -1, 0.5, 1767225600000, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
    fc.constant(Number.NaN),
    fc.integer({ min: -3, max: 3 }),
    fc.boolean(),
    // Not a scalar: never compared, even with itself.
    fc.constant(1n as unknown as number),
  );
  const anyOp = fc.constantFrom(...(Object.keys(OPERATORS) as Clause['op'][]).filter((op) => op !== 'inSegment'), 'toString' as Clause['op'], 'constructor' as Clause['op']);
  const clauseOf = fc.record({
    attribute: fc.constantFrom('a', 'b'),
    op: anyOp,
    values: fc.oneof(fc.array(value, { maxLength: 3 }), fc.array(value, { minLength: 8, maxLength: 12 })) as fc.Arbitrary<ClauseValue[]>,
    negate: fc.boolean(),
  });
  const attributes = fc.record({ a: fc.oneof(value, fc.array(value, { maxLength: 3 }), fc.constantFrom(null, undefined, {}, [Number.NaN])), b: value }, { requiredKeys: [] });

  it('match exactly as the fast evaluator\'s, operator by operator', () => {
    fc.assert(
      fc.property(fc.array(clauseOf, { minLength: 1, maxLength: 2 }), attributes, (clauses, ctx) => {
        const flag = booleanFlag('ops', { fallthrough: { variant: 'false' }, rules: [{ id: 'r', clauses, serve: { variant: 'true' } }] });
        const segment: Segment = { key: 's0', name: 's0', included: [], excluded: [], rules: [{ clauses }] } as unknown as Segment;
        const viaSegment = booleanFlag('seg', { fallthrough: { variant: 'false' }, rules: [{ id: 'r', clauses: [{ attribute: 'x', op: 'inSegment', values: ['s0'] }], serve: { variant: 'true' } }] });
        const options = { segments: new Map([['s0', segment]]) };
        expect(evaluateCompact(flag, ctx as Context)).toEqual(evaluate(flag, ctx as Context));
        expect(evaluateCompact(viaSegment, ctx as Context, options)).toEqual(evaluate(viaSegment, ctx as Context, options));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('rollouts', () => {
  const onFor = (percentage: number, salt: string, key: string): boolean => {
    const config = booleanFlag('monotonic', { fallthrough: { rollout: rolloutFromPercentage(percentage, 'true', 'false', { salt }) } });
    const detail = evaluate(config, { key });
    expect(detail.reason).toBe('FALLTHROUGH');
    return detail.value === true;
  };

  it('never move a context out when the percentage is raised', () => {
    const percentage = fc.oneof(fc.double({ min: 0, max: 100, noNaN: true }), fc.integer({ min: 0, max: 100 }), fc.constantFrom(0.001, 99.999));
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 16 }), fc.string({ unit: 'binary', maxLength: 24 }), percentage, percentage, (salt, key, p, q) => {
        const [low, high] = p <= q ? [p, q] : [q, p];
        if (onFor(low, salt, key)) expect(onFor(high, salt, key)).toBe(true);
        // The same through the bucket: in at p exactly when the bucket is below p's weight.
        expect(onFor(high, salt, key)).toBe(bucket(salt, key) < Math.round(high * 1000));
      }),
      { numRuns: 500 },
    );
  });

  it('bucket flags with different salts independently', () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => `user-${i}`);
    fc.assert(
      fc.property(fc.string({ maxLength: 16 }), fc.string({ maxLength: 16 }), (saltA, saltB) => {
        fc.pre(saltA !== saltB);
        let inA = 0;
        let inB = 0;
        let inBoth = 0;
        for (const key of keys) {
          const a = bucket(saltA, key) < 50_000;
          const b = bucket(saltB, key) < 50_000;
          if (a) inA++;
          if (b) inB++;
          if (a && b) inBoth++;
        }
        // 20k keys: the standard error of the joint rate is about 0.3 points, so 1.5 points is ~5 sigma.
        expect(Math.abs(inA / keys.length - 0.5)).toBeLessThan(0.015);
        expect(Math.abs(inB / keys.length - 0.5)).toBeLessThan(0.015);
        expect(Math.abs(inBoth / keys.length - 0.25)).toBeLessThan(0.015);
      }),
      { numRuns: 6 },
    );
  });

  it('accepted by RolloutSchema always sum to 100000 in integer weights', () => {
    const weights = fc.oneof(
      fc.array(fc.integer({ min: -10, max: WEIGHT_TOTAL + 10 }), { minLength: 0, maxLength: 4 }),
      weightsSummingToTotal,
      fc.array(fc.double({ noNaN: false }), { maxLength: 3 }),
    );
    let accepted = 0;
    fc.assert(
      fc.property(weights, (ws) => {
        const result = RolloutSchema.safeParse({ variants: ws.map((weight, i) => ({ variant: `v${i}`, weight })) });
        if (!result.success) return;
        accepted++;
        const parsed = result.data.variants.map((v) => v.weight);
        expect(parsed.every((w) => Number.isInteger(w) && w >= 0 && w <= WEIGHT_TOTAL)).toBe(true);
        expect(parsed.reduce((a, b) => a + b, 0)).toBe(WEIGHT_TOTAL);
      }),
      { numRuns: 1000 },
    );
    expect(accepted).toBeGreaterThan(100);
  });

  it('from rolloutFromPercentage are schema-valid for any double, NaN, infinities and out-of-range values included', () => {
    fc.assert(
      fc.property(fc.double(), (p) => {
        const r = rolloutFromPercentage(p, 'on', 'off');
        expect(RolloutSchema.safeParse(r).success).toBe(true);
        const on = r.variants[0]?.weight as number;
        if (Number.isFinite(p) && p >= 0 && p <= 100) expect(Math.abs(on - p * 1000)).toBeLessThanOrEqual(0.5);
        else expect(on).toBe(Number.isFinite(p) && p > 100 ? WEIGHT_TOTAL : 0);
      }),
      { numRuns: 2000 },
    );
  });
});
