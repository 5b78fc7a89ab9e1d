import { describe, expect, it } from 'vitest';
import type { FlagConfig } from '../model/flag.js';
import type { Segment } from '../model/segment.js';
import { rolloutFromPercentage } from '../model/serve.js';
import { bucket } from '../bucketing/bucket.js';
import { booleanFlag } from '../../../test/helpers/flags.js';
import { evaluateCompact } from './compact.js';
import { createFlagSet, evaluate, MAX_DEPTH } from './evaluate.js';

// Off by default: the fallthrough serves `false`.
const flag = (key: string, fields: Partial<FlagConfig> = {}): FlagConfig => booleanFlag(key, { fallthrough: { variant: 'false' }, ...fields });

function segment(key: string, fields: Partial<Segment> = {}): Segment {
  return { key, name: key, description: '', included: [], excluded: [], rules: [], ...fields };
}

describe('evaluate', () => {
  it('answers FLAG_NOT_FOUND with the default (null unless given) for a missing flag', () => {
    expect(evaluate(undefined, { key: 'u1' })).toEqual({ value: null, reason: 'FLAG_NOT_FOUND', errorCode: 'FLAG_NOT_FOUND' });
    expect(evaluate(null as unknown as FlagConfig, { key: 'u1' }, { defaultValue: 3 })).toEqual({ value: 3, reason: 'FLAG_NOT_FOUND', errorCode: 'FLAG_NOT_FOUND' });
  });

  it('works without options: no other flags, no segments', () => {
    const f = flag('a', {
      prerequisites: [{ flag: 'b', variant: 'true' }],
    });
    expect(evaluate(f, { key: 'u1' })).toEqual({ value: false, variant: 'false', reason: 'PREREQUISITE_FAILED' });
    const g = flag('g', { rules: [{ id: 'r', clauses: [{ attribute: 's', op: 'inSegment', values: ['beta'], negate: true }], serve: { variant: 'true' } }] });
    expect(evaluate(g, { key: 'u1' })).toEqual({ value: true, variant: 'true', reason: 'RULE_MATCH', ruleId: 'r' });
  });

  it('returns frozen details', () => {
    expect(Object.isFrozen(evaluate(flag('a'), { key: 'u1' }))).toBe(true);
    expect(Object.isFrozen(evaluate(undefined, {}))).toBe(true);
    expect(Object.isFrozen(evaluate(flag('a', { fallthrough: { variant: 'nope' } }), {}))).toBe(true);
  });

  it('treats a context that is not an object as an empty context', () => {
    const f = flag('a', { fallthrough: { rollout: rolloutFromPercentage(100, 'true', 'false') } });
    for (const context of [null, undefined, 'user-1', 42]) {
      expect(evaluate(f, context as never)).toEqual({ value: false, variant: 'false', reason: 'BUCKET_KEY_MISSING' });
    }
  });

  it('compares targets and segment key lists with targetKey when one is given, but buckets by the context', () => {
    const segments = new Map([['beta', segment('beta', { included: ['hash-1'] })]]);
    const targeted = flag('a', { targets: [{ variant: 'true', values: ['hash-1'] }] });
    expect(evaluate(targeted, { key: 'u1' }, { targetKey: 'hash-1' }).reason).toBe('TARGET_MATCH');
    expect(evaluate(targeted, { key: 'hash-1' }, { targetKey: 'other' }).reason).toBe('FALLTHROUGH');
    const inSegment = flag('b', { rules: [{ id: 'r', clauses: [{ attribute: 's', op: 'inSegment', values: ['beta'] }], serve: { variant: 'true' } }] });
    expect(evaluate(inSegment, { key: 'u1' }, { segments, targetKey: 'hash-1' }).reason).toBe('RULE_MATCH');
    expect(evaluate(inSegment, { key: 'hash-1' }, { segments, targetKey: 'u1' }).reason).toBe('FALLTHROUGH');
    const rollout = flag('c', { fallthrough: { rollout: { variants: [{ variant: 'true', weight: 50_000 }, { variant: 'false', weight: 50_000 }] } } });
    for (let i = 0; i < 20; i++) {
      const expected = bucket('c', `user-${i}`) < 50_000 ? 'true' : 'false';
      expect(evaluate(rollout, { key: `user-${i}` }, { targetKey: 'hash-x' }).variant).toBe(expected);
    }
  });

  it('does not use a non-string context key as a target key', () => {
    const f = flag('a', { targets: [{ variant: 'true', values: ['42'] }] });
    expect(evaluate(f, { key: 42 } as never).reason).toBe('FALLTHROUGH');
  });

  it('serves an unknown operator in a rule as the offVariant with ERROR', () => {
    const f = flag('a', {
      offVariant: 'true',
      rules: [{ id: 'r', clauses: [{ attribute: 'x', op: 'future' as never, values: ['1'] }], serve: { variant: 'false' } }],
    });
    expect(evaluate(f, { key: 'u1' }, { defaultValue: 'd' })).toEqual({ value: true, variant: 'true', reason: 'ERROR', errorCode: 'UNSUPPORTED_OPERATOR' });
  });

  it('follows prerequisite chains up to MAX_DEPTH links and reports deeper ones as an error', () => {
    const chain = (links: number): Map<string, FlagConfig> => {
      const flags = new Map<string, FlagConfig>();
      for (let i = 0; i <= links; i++) {
        flags.set(`f${i}`, flag(`f${i}`, { prerequisites: i < links ? [{ flag: `f${i + 1}`, variant: 'true' }] : [], fallthrough: { variant: 'true' } }));
      }
      return flags;
    };
    const ok = chain(MAX_DEPTH);
    expect(evaluate(ok.get('f0'), { key: 'u1' }, { flags: ok }).reason).toBe('FALLTHROUGH');
    const deep = chain(MAX_DEPTH + 1);
    expect(evaluate(deep.get('f0'), { key: 'u1' }, { flags: deep, defaultValue: 'd' })).toEqual({ value: 'd', reason: 'ERROR', errorCode: 'PREREQUISITE_CYCLE' });
  });

  it('nests segments up to MAX_DEPTH levels and reports deeper ones as an error', () => {
    const nest = (levels: number): Map<string, Segment> => {
      const segments = new Map<string, Segment>();
      for (let i = 1; i <= levels; i++) {
        const clause = i < levels ? { attribute: 's', op: 'inSegment' as const, values: [`s${i + 1}`] } : { attribute: 'deep', op: 'eq' as const, values: [true] };
        segments.set(`s${i}`, segment(`s${i}`, { rules: [{ clauses: [clause] }] }));
      }
      return segments;
    };
    const f = flag('a', { rules: [{ id: 'r', clauses: [{ attribute: 's', op: 'inSegment', values: ['s1'] }], serve: { variant: 'true' } }] });
    expect(evaluate(f, { key: 'u1', deep: true }, { segments: nest(MAX_DEPTH) }).reason).toBe('RULE_MATCH');
    expect(evaluate(f, { key: 'u1', deep: true }, { segments: nest(MAX_DEPTH + 1) })).toEqual({ value: null, reason: 'ERROR', errorCode: 'SEGMENT_CYCLE' });
  });

  it('evaluates many clauses referencing the same segment without hitting the depth limit', () => {
    const segments = new Map([['beta', segment('beta', { rules: [{ clauses: [{ attribute: 'beta', op: 'eq', values: [true] }] }] })]]);
    const clauses = Array.from({ length: MAX_DEPTH * 3 }, () => ({ attribute: 's', op: 'inSegment' as const, values: ['beta'] }));
    const f = flag('a', { rules: [{ id: 'r', clauses, serve: { variant: 'true' } }] });
    expect(evaluate(f, { key: 'u1', beta: true }, { segments }).reason).toBe('RULE_MATCH');
  });

  it('serves everything a flag can serve from the compiled flag, for every evaluation', () => {
    const f = flag('a', { fallthrough: { variant: 'true' } });
    const first = evaluate(f, { key: 'u1' });
    expect(evaluate(f, { key: 'u2' })).toBe(first);
  });
});

describe('createFlagSet', () => {
  const base = flag('base', { rules: [{ id: 'nl', clauses: [{ attribute: 'country', op: 'eq', values: ['NL'] }], serve: { variant: 'true' } }] });
  const dependent = flag('dependent', { prerequisites: [{ flag: 'base', variant: 'true' }], fallthrough: { variant: 'true' } });

  it('evaluates like evaluate() and lists its content', () => {
    const set = createFlagSet({ flags: [base, dependent], segments: [segment('beta')] });
    expect(set.keys()).toEqual(['base', 'dependent']);
    expect(set.flags()).toEqual([base, dependent]);
    expect(set.segments().map((s) => s.key)).toEqual(['beta']);
    expect(set.get('base')).toBe(base);
    expect(set.get('nope')).toBeUndefined();
    expect(set.evaluate('dependent', { key: 'u1', country: 'NL' }, false)).toEqual({ value: true, variant: 'true', reason: 'FALLTHROUGH' });
    expect(set.evaluate('nope', { key: 'u1' }, 'd')).toEqual({ value: 'd', reason: 'FLAG_NOT_FOUND', errorCode: 'FLAG_NOT_FOUND' });
  });

  it('starts empty', () => {
    const set = createFlagSet();
    expect(set.keys()).toEqual([]);
    expect(set.evaluateAll({ key: 'u1' }).size).toBe(0);
    expect(set.evaluateAll({ key: 'u1' }).toJSON()).toEqual({});
  });

  it('sees upserts and removals of flags, recompiling a replaced flag', () => {
    const set = createFlagSet({ flags: [base, dependent] });
    expect(set.evaluate('base', { key: 'u1' }, null).variant).toBe('false');
    set.upsertFlag(flag('base', { fallthrough: { variant: 'true' } }));
    expect(set.evaluate('base', { key: 'u1' }, null).variant).toBe('true');
    expect(set.evaluate('dependent', { key: 'u1' }, null).reason).toBe('FALLTHROUGH');
    set.removeFlag('base');
    expect(set.evaluate('base', { key: 'u1' }, null).reason).toBe('FLAG_NOT_FOUND');
    expect(set.evaluate('dependent', { key: 'u1' }, null).reason).toBe('PREREQUISITE_FAILED');
  });

  it('sees upserts and removals of segments', () => {
    const f = flag('a', { rules: [{ id: 'r', clauses: [{ attribute: 's', op: 'inSegment', values: ['beta'] }], serve: { variant: 'true' } }] });
    const set = createFlagSet({ flags: [f] });
    expect(set.evaluate('a', { key: 'u1' }, null).reason).toBe('FALLTHROUGH');
    set.upsertSegment(segment('beta', { included: ['u1'] }));
    expect(set.evaluate('a', { key: 'u1' }, null).reason).toBe('RULE_MATCH');
    set.upsertSegment(segment('beta', { included: ['u2'] }));
    expect(set.evaluate('a', { key: 'u1' }, null).reason).toBe('FALLTHROUGH');
    set.upsertSegment(segment('beta', { included: ['u1'] }));
    set.removeSegment('beta');
    expect(set.evaluate('a', { key: 'u1' }, null).reason).toBe('FALLTHROUGH');
  });

  it('replaces everything with a snapshot', () => {
    const set = createFlagSet({ flags: [base] });
    set.replace({ flags: [dependent] });
    expect(set.keys()).toEqual(['dependent']);
    expect(set.evaluate('base', {}, 1).reason).toBe('FLAG_NOT_FOUND');
    set.replace({});
    expect(set.keys()).toEqual([]);
  });

  it('evaluates every flag with evaluateAll, errors included, with a null default', () => {
    const broken = flag('broken', { fallthrough: { variant: 'maybe' } });
    const set = createFlagSet({ flags: [base, dependent, broken] });
    expect(set.evaluateAll({ key: 'u1', country: 'NL' }).toJSON()).toEqual({
      base: { value: true, variant: 'true', reason: 'RULE_MATCH', ruleId: 'nl' },
      dependent: { value: true, variant: 'true', reason: 'FALLTHROUGH' },
      broken: { value: null, reason: 'ERROR', errorCode: 'MALFORMED_FLAG' },
    });
  });

  it('evaluateAll answers like a read-only map, serialises to a plain object, and keeps its values after the set changes', () => {
    const set = createFlagSet({ flags: [base, dependent] });
    const before = set.evaluateAll({ key: 'u1', country: 'NL' });
    expect(before.size).toBe(2);
    expect(before.has('base')).toBe(true);
    expect(before.has('nope')).toBe(false);
    expect(before.get('base')).toEqual({ value: true, variant: 'true', reason: 'RULE_MATCH', ruleId: 'nl' });
    expect(before.get('nope')).toBeUndefined();
    expect([...before.keys()]).toEqual(['base', 'dependent']);
    expect([...before.values()].map((d) => d.reason)).toEqual(['RULE_MATCH', 'FALLTHROUGH']);
    expect([...before].map(([key, d]) => `${key}:${d.reason}`)).toEqual(['base:RULE_MATCH', 'dependent:FALLTHROUGH']);
    const seen: string[] = [];
    before.forEach((d, key) => seen.push(`${key}:${String(d.value)}`));
    expect(seen).toEqual(['base:true', 'dependent:true']);
    expect(JSON.parse(JSON.stringify(before))).toEqual({
      base: { value: true, variant: 'true', reason: 'RULE_MATCH', ruleId: 'nl' },
      dependent: { value: true, variant: 'true', reason: 'FALLTHROUGH' },
    });

    // A replaced flag is swapped in place, a new one is appended, a removed one disappears; results
    // handed out earlier do not change.
    set.upsertFlag(flag('base', { fallthrough: { variant: 'false' } }));
    expect(set.evaluateAll({ key: 'u1', country: 'US' }).get('base')?.variant).toBe('false');
    set.upsertFlag(flag('extra', { fallthrough: { variant: 'true' } }));
    const after = set.evaluateAll({ key: 'u1', country: 'US' });
    expect([...after.keys()]).toEqual(['base', 'dependent', 'extra']);
    expect(after.get('extra')?.value).toBe(true);
    expect(after.get('dependent')?.reason).toBe('PREREQUISITE_FAILED');
    set.removeFlag('base');
    expect([...set.evaluateAll({ key: 'u1' }).keys()]).toEqual(['dependent', 'extra']);
    expect([...before.keys()]).toEqual(['base', 'dependent']);
    expect(before.get('base')?.reason).toBe('RULE_MATCH');
    set.replace({ flags: [dependent] });
    expect(set.evaluateAll({ key: 'u1' }).size).toBe(1);
    expect(after.size).toBe(3);
  });

  it('evaluateAll buckets every flag as evaluate() does, whatever the salt length and the value (non-ASCII, empty, long)', () => {
    // Salts of every length mod 4 leave every alignment pending; values of 0 to 3 bytes fit inside it.
    const salts = ['a', 'ab', 'abc', 'abcd', 'abcde', 'é', 'x😀'];
    const values = ['', 'u', 'ü', 'ab', 'abc', 'user-42', 'ユーザー-🚀-42', 'x'.repeat(300), 'é'.repeat(100)];
    const rollout = (key: string, salt: string): FlagConfig =>
      flag(key, { fallthrough: { rollout: { salt, variants: [{ variant: 'true', weight: 37_123 }, { variant: 'false', weight: 62_877 }] } } });
    const flags = salts.map((salt, i) => rollout(`f${i}`, salt));
    const set = createFlagSet({ flags });
    for (const value of values) {
      const all = set.evaluateAll({ key: value });
      for (const f of flags) {
        const salt = (f.fallthrough as { rollout: { salt: string } }).rollout.salt;
        expect(all.get(f.key)?.variant, `${salt}/${value}`).toBe(bucket(salt, value) < 37_123 ? 'true' : 'false');
        expect(all.get(f.key)).toEqual(set.evaluate(f.key, { key: value }, null));
      }
    }
  });

  it('recovers after an evaluation error: the next evaluation starts from a clean state', () => {
    const cyclic = [segment('a', { rules: [{ clauses: [{ attribute: 's', op: 'inSegment', values: ['a'] }] }] }), segment('b', { rules: [{ clauses: [{ attribute: 'x', op: 'eq', values: [1] }] }] })];
    const inA = flag('in-a', { rules: [{ id: 'r', clauses: [{ attribute: 's', op: 'inSegment', values: ['a'] }], serve: { variant: 'true' } }] });
    const inB = flag('in-b', { rules: [{ id: 'r', clauses: [{ attribute: 's', op: 'inSegment', values: ['b'] }], serve: { variant: 'true' } }] });
    const set = createFlagSet({ flags: [inA, inB], segments: cyclic });
    for (let i = 0; i < MAX_DEPTH * 2; i++) {
      expect(set.evaluate('in-a', { key: 'u1' }, null).errorCode).toBe('SEGMENT_CYCLE');
      expect(set.evaluate('in-b', { key: 'u1', x: 1 }, null).reason).toBe('RULE_MATCH');
    }
  });
});

describe('evaluateCompact', () => {
  it('reports whatever a context throws as GENERAL, even a look-alike of its own failures or a Proxy whose traps throw', () => {
    const f = flag('a', { rules: [{ id: 'r', clauses: [{ attribute: 'country', op: 'eq', values: ['NL'] }], serve: { variant: 'true' } }] });
    const trap = new Proxy({}, { get: () => { throw new Error('trap'); }, getPrototypeOf: () => { throw new Error('trap'); } });
    for (const thrown of [new Error('boom'), { code: 'MALFORMED_FLAG' }, 'SEGMENT_CYCLE', undefined, trap]) {
      const ctx = { key: 'u1', get country(): string { throw thrown; } };
      const expected = { value: 7, reason: 'ERROR', errorCode: 'GENERAL' };
      expect(evaluateCompact(f, ctx as never, { defaultValue: 7 })).toEqual(expected);
      expect(evaluate(f, ctx as never, { defaultValue: 7 })).toEqual(expected);
    }
    // And its own failures still come through after them.
    expect(evaluateCompact(flag('b', { offVariant: 'nope' }), {}).errorCode).toBe('MALFORMED_FLAG');
  });
});
