import { describe, expect, it } from 'vitest';
import { ClauseSchema } from './clause.js';
import { FlagKeySchema, JsonValueSchema, VariantKeySchema } from './common.js';
import { ContextSchema } from './context.js';
import { BOOLEAN_VARIANTS, defaultEnvironmentConfig, EnvironmentConfigSchema, FlagConfigSchema, FlagPatchSchema, FlagSchema, RuleSchema } from './flag.js';
import { SegmentSchema } from './segment.js';

const RELEASE = { key: 'new-checkout', kind: 'release', owner: 'team-checkout', expiresAt: '2027-01-31T00:00:00Z' } as const;

function issuePaths(result: { success: boolean; error?: { issues: { path: PropertyKey[] }[] } }): string[] {
  return (result.error?.issues ?? []).map((i) => i.path.join('.'));
}

describe('FlagSchema', () => {
  it('fills in defaults; boolean flags get the true/false variants', () => {
    expect(FlagSchema.parse(RELEASE)).toEqual({
      key: 'new-checkout',
      name: 'new-checkout',
      description: '',
      kind: 'release',
      owner: 'team-checkout',
      expiresAt: '2027-01-31T00:00:00Z',
      tags: [],
      clientSide: false,
      type: 'boolean',
      variants: [
        { key: 'true', value: true },
        { key: 'false', value: false },
      ],
    });
  });

  it('gives each parsed flag its own copy of the boolean variants', () => {
    const a = FlagSchema.parse(RELEASE);
    expect(a.variants[0]).not.toBe(BOOLEAN_VARIANTS[0]);
    expect(Object.isFrozen(BOOLEAN_VARIANTS)).toBe(true);
  });

  it('requires an owner, not just whitespace', () => {
    const { owner: _owner, ...withoutOwner } = RELEASE;
    expect(issuePaths(FlagSchema.safeParse(withoutOwner))).toEqual(['owner']);
    expect(issuePaths(FlagSchema.safeParse({ ...RELEASE, owner: '' }))).toEqual(['owner']);
    expect(issuePaths(FlagSchema.safeParse({ ...RELEASE, owner: '   ' }))).toEqual(['owner']);
  });

  it('requires expiresAt for release and experiment flags only', () => {
    for (const kind of ['release', 'experiment']) {
      expect(issuePaths(FlagSchema.safeParse({ ...RELEASE, kind, expiresAt: undefined }))).toEqual(['expiresAt']);
      expect(issuePaths(FlagSchema.safeParse({ ...RELEASE, kind, expiresAt: null }))).toEqual(['expiresAt']);
    }
    for (const kind of ['kill-switch', 'operational', 'permission', 'gate']) {
      expect(FlagSchema.parse({ key: 'k', kind, owner: 'ops' }).expiresAt).toBeNull();
    }
  });

  it('takes expiresAt as an ISO date-time with a zone', () => {
    expect(FlagSchema.safeParse({ ...RELEASE, expiresAt: '2027-01-31T00:00:00+01:00' }).success).toBe(true);
    expect(issuePaths(FlagSchema.safeParse({ ...RELEASE, expiresAt: '2027-01-31' }))).toEqual(['expiresAt']);
    expect(issuePaths(FlagSchema.safeParse({ ...RELEASE, expiresAt: 'next year' }))).toEqual(['expiresAt']);
  });

  it('rejects unknown fields', () => {
    expect(FlagSchema.safeParse({ ...RELEASE, enabled: true }).success).toBe(false);
    expect(FlagSchema.safeParse({ ...RELEASE, variants: [{ key: 'true', value: true, weight: 1 }, { key: 'false', value: false }] }).success).toBe(false);
  });

  it('checks the key format', () => {
    for (const key of ['new-checkout', 'a', '0', 'a.b_c-d', 'x'.repeat(128)]) expect(FlagKeySchema.safeParse(key).success).toBe(true);
    for (const key of ['', 'New-Checkout', '-a', '.a', 'a b', 'a/b', 'é', 'x'.repeat(129)]) expect(FlagKeySchema.safeParse(key).success).toBe(false);
    expect(issuePaths(FlagSchema.safeParse({ ...RELEASE, key: 'Bad Key' }))).toEqual(['key']);
  });

  it('checks that boolean flags have exactly the true/false variants', () => {
    const wrong = [
      [{ key: 'true', value: true }, { key: 'false', value: true }],
      [{ key: 'on', value: true }, { key: 'off', value: false }],
      [{ key: 'true', value: true }, { key: 'false', value: false }, { key: 'maybe', value: false }],
    ];
    for (const variants of wrong) expect(FlagSchema.safeParse({ ...RELEASE, variants }).success).toBe(false);
    expect(FlagSchema.safeParse({ ...RELEASE, variants: [{ key: 'false', value: false }, { key: 'true', value: true }] }).success).toBe(true);
  });

  it('checks variant values against the flag type, and variant keys for duplicates', () => {
    const base = { key: 'layout', kind: 'operational', owner: 'ux' };
    expect(FlagSchema.safeParse({ ...base, type: 'string', variants: [{ key: 'a', value: 'a' }, { key: 'b', value: 'b' }] }).success).toBe(true);
    expect(issuePaths(FlagSchema.safeParse({ ...base, type: 'string', variants: [{ key: 'a', value: 'a' }, { key: 'b', value: 2 }] }))).toEqual(['variants.1.value']);
    expect(issuePaths(FlagSchema.safeParse({ ...base, type: 'number', variants: [{ key: 'a', value: 1 }, { key: 'b', value: '2' }] }))).toEqual(['variants.1.value']);
    expect(FlagSchema.safeParse({ ...base, type: 'json', variants: [{ key: 'a', value: { x: [1, null] } }, { key: 'b', value: 'b' }] }).success).toBe(true);
    expect(issuePaths(FlagSchema.safeParse({ ...base, type: 'string', variants: [{ key: 'a', value: 'a' }, { key: 'a', value: 'b' }] }))).toEqual(['variants.1.key']);
  });

  it('needs two variants for flags of other types', () => {
    const base = { key: 'layout', kind: 'operational', owner: 'ux' };
    expect(issuePaths(FlagSchema.safeParse({ ...base, type: 'string' }))).toEqual(['variants']);
    expect(FlagSchema.safeParse({ ...base, type: 'string', variants: [{ key: 'a', value: 'a' }] }).success).toBe(false);
  });
});

describe('FlagPatchSchema', () => {
  it('takes a subset of metadata, fills in no defaults, and refuses key and type changes', () => {
    expect(FlagPatchSchema.parse({ owner: 'team-b' })).toEqual({ owner: 'team-b' });
    expect(FlagPatchSchema.parse({})).toEqual({});
    expect(FlagPatchSchema.parse({ tags: ['checkout'], clientSide: true, expiresAt: null })).toEqual({ tags: ['checkout'], clientSide: true, expiresAt: null });
    expect(FlagPatchSchema.safeParse({ key: 'other' }).success).toBe(false);
    expect(FlagPatchSchema.safeParse({ type: 'string' }).success).toBe(false);
    expect(FlagPatchSchema.safeParse({ owner: ' ' }).success).toBe(false);
  });
});

describe('EnvironmentConfigSchema', () => {
  it('defaults targets, rules and prerequisites', () => {
    expect(EnvironmentConfigSchema.parse({ enabled: false, offVariant: 'false', fallthrough: { variant: 'true' } })).toEqual({
      enabled: false,
      offVariant: 'false',
      targets: [],
      rules: [],
      fallthrough: { variant: 'true' },
      prerequisites: [],
    });
  });

  it('rejects unknown fields, a serve with both a variant and a rollout, and bad rollouts', () => {
    const base = { enabled: true, offVariant: 'false', fallthrough: { variant: 'true' } };
    expect(EnvironmentConfigSchema.safeParse({ ...base, killed: true }).success).toBe(false);
    const both = { variant: 'true', rollout: { variants: [{ variant: 'true', weight: 100_000 }] } };
    expect(EnvironmentConfigSchema.safeParse({ ...base, fallthrough: both }).success).toBe(false);
    expect(EnvironmentConfigSchema.safeParse({ ...base, fallthrough: { rollout: { variants: [{ variant: 'true', weight: 99_999 }] } } }).success).toBe(false);
  });

  it('checks rule ids', () => {
    const rule = { clauses: [], serve: { variant: 'true' } };
    expect(RuleSchema.safeParse({ ...rule, id: 'beta-users.2' }).success).toBe(true);
    for (const id of ['', '-x', 'a b', 'x'.repeat(65)]) expect(RuleSchema.safeParse({ ...rule, id }).success).toBe(false);
  });

  it('is the default of a new flag: off, serving the last variant when off and the first when on', () => {
    expect(defaultEnvironmentConfig(FlagSchema.parse(RELEASE))).toEqual({ enabled: false, offVariant: 'false', targets: [], rules: [], fallthrough: { variant: 'true' }, prerequisites: [] });
    const layout = FlagSchema.parse({ key: 'l', kind: 'gate', owner: 'o', type: 'string', variants: [{ key: 'a', value: 'a' }, { key: 'b', value: 'b' }, { key: 'c', value: 'c' }] });
    const config = defaultEnvironmentConfig(layout);
    expect([config.offVariant, config.fallthrough]).toEqual(['c', { variant: 'a' }]);
    expect(EnvironmentConfigSchema.parse(config)).toEqual(config);
  });
});

describe('FlagConfigSchema', () => {
  const config = {
    key: 'a',
    version: 3,
    type: 'boolean',
    variants: [...BOOLEAN_VARIANTS],
    enabled: true,
    offVariant: 'false',
    targets: [],
    rules: [],
    fallthrough: { variant: 'true' },
    prerequisites: [],
  };

  it('accepts a complete config and the optional killed and clientSide flags', () => {
    expect(FlagConfigSchema.parse(config)).toEqual(config);
    expect(FlagConfigSchema.parse({ ...config, killed: true, clientSide: true })).toEqual({ ...config, killed: true, clientSide: true });
  });

  it('has no defaults: every field is explicit on the wire', () => {
    const { targets: _targets, ...withoutTargets } = config;
    expect(issuePaths(FlagConfigSchema.safeParse(withoutTargets))).toEqual(['targets']);
    expect(FlagConfigSchema.safeParse({ ...config, version: -1 }).success).toBe(false);
    expect(FlagConfigSchema.safeParse({ ...config, extra: 1 }).success).toBe(false);
  });
});

describe('ClauseSchema', () => {
  it('accepts every operator and scalar values, strictly', () => {
    expect(ClauseSchema.parse({ attribute: 'a', op: 'semverGt', values: ['1.0.0'], negate: true })).toEqual({ attribute: 'a', op: 'semverGt', values: ['1.0.0'], negate: true });
    expect(ClauseSchema.safeParse({ attribute: 'a', op: 'regex', values: ['x'] }).success).toBe(false);
    expect(ClauseSchema.safeParse({ attribute: '', op: 'eq', values: ['x'] }).success).toBe(false);
    expect(ClauseSchema.safeParse({ attribute: 'a', op: 'eq', values: [null] }).success).toBe(false);
    expect(ClauseSchema.safeParse({ attribute: 'a', op: 'eq', values: [Number.NaN] }).success).toBe(false);
    expect(ClauseSchema.safeParse({ attribute: 'a', op: 'eq', values: [{}] }).success).toBe(false);
    expect(ClauseSchema.safeParse({ attribute: 'a', op: 'eq', values: ['x'], not: true }).success).toBe(false);
  });
});

describe('SegmentSchema', () => {
  it('defaults the key lists and rules, needs a name and non-empty rules', () => {
    expect(SegmentSchema.parse({ key: 'beta', name: 'Beta' })).toEqual({ key: 'beta', name: 'Beta', description: '', included: [], excluded: [], rules: [] });
    expect(SegmentSchema.safeParse({ key: 'beta' }).success).toBe(false);
    expect(SegmentSchema.safeParse({ key: 'beta', name: 'Beta', rules: [{ clauses: [] }] }).success).toBe(false);
    expect(SegmentSchema.safeParse({ key: 'Beta', name: 'Beta' }).success).toBe(false);
    expect(SegmentSchema.safeParse({ key: 'beta', name: 'Beta', members: [] }).success).toBe(false);
  });
});

describe('ContextSchema, JsonValueSchema, VariantKeySchema', () => {
  it('accept what the evaluator reads', () => {
    expect(ContextSchema.parse({ key: 'u1', age: 3, beta: true, tags: ['a', 1, false], gone: null })).toEqual({ key: 'u1', age: 3, beta: true, tags: ['a', 1, false], gone: null });
    expect(ContextSchema.safeParse({ nested: { a: 1 } }).success).toBe(false);
    expect(ContextSchema.safeParse({ list: [['a']] }).success).toBe(false);
    expect(JsonValueSchema.safeParse({ a: [1, { b: null }] }).success).toBe(true);
    expect(JsonValueSchema.safeParse(Number.POSITIVE_INFINITY).success).toBe(false);
    expect(VariantKeySchema.safeParse('Control_2').success).toBe(true);
    expect(VariantKeySchema.safeParse('_x').success).toBe(false);
  });
});
