import { describe, expect, it } from 'vitest';
import type { Clause } from '../model/clause.js';
import { EnvironmentConfigSchema, type EnvironmentConfig, type EnvironmentConfigInput } from '../model/flag.js';
import type { Segment } from '../model/segment.js';
import {
  findPrerequisiteCycle,
  segmentReferences,
  validateClause,
  validateEnvironmentConfig,
  validateSegment,
  type ValidationContext,
  type ValidationIssue,
} from './validate.js';

const FLAG = {
  key: 'checkout',
  variants: [
    { key: 'control', value: 'control' },
    { key: 'grid', value: 'grid' },
  ],
};

/** An environment with flags (key → variants, prerequisites) and segments (key → inSegment references). */
function environment(
  flags: Record<string, { variants: string[]; prerequisites?: string[] }> = {},
  segments: Record<string, string[]> = {},
): ValidationContext {
  return {
    variantsOf: (key) => flags[key]?.variants,
    prerequisitesOf: (key) => flags[key]?.prerequisites ?? [],
    segmentExists: (key) => key in segments,
    segmentReferencesOf: (key) => segments[key] ?? [],
  };
}

function config(input: Partial<EnvironmentConfigInput> = {}): EnvironmentConfig {
  return EnvironmentConfigSchema.parse({ enabled: true, offVariant: 'control', fallthrough: { variant: 'grid' }, ...input });
}

function messages(issues: readonly ValidationIssue[]): string[] {
  return issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('validateEnvironmentConfig', () => {
  const env = environment({ other: { variants: ['true', 'false'] } }, { beta: [] });

  it('accepts a valid config', () => {
    const valid = config({
      targets: [
        { variant: 'grid', values: ['qa-1'] },
        { variant: 'control', values: ['qa-2'] },
      ],
      rules: [
        { id: 'beta', clauses: [{ attribute: 's', op: 'inSegment', values: ['beta'] }], serve: { variant: 'grid' } },
        { id: 'mail', clauses: [{ attribute: 'email', op: 'matches', values: ['^[a-z]+@acme\\.io$'] }], serve: { rollout: { variants: [{ variant: 'grid', weight: 50_000 }, { variant: 'control', weight: 50_000 }] } } },
      ],
      prerequisites: [{ flag: 'other', variant: 'true' }],
    });
    expect(validateEnvironmentConfig(FLAG, valid, env)).toEqual([]);
  });

  it('reports unknown variants everywhere they can be named', () => {
    const issues = validateEnvironmentConfig(
      FLAG,
      config({
        offVariant: 'off',
        targets: [{ variant: 'list', values: ['qa-1'] }],
        rules: [{ id: 'r', clauses: [], serve: { variant: 'list' } }],
        fallthrough: { rollout: { variants: [{ variant: 'grid', weight: 50_000 }, { variant: 'list', weight: 50_000 }] } },
      }),
      env,
    );
    expect(messages(issues)).toEqual([
      'offVariant: unknown variant "off"',
      'targets.0.variant: unknown variant "list"',
      'rules.0.serve.variant: unknown variant "list"',
      'fallthrough.rollout.variants.1.variant: unknown variant "list"',
    ]);
  });

  it('reports a variant named twice in one rollout', () => {
    const issues = validateEnvironmentConfig(FLAG, config({ fallthrough: { rollout: { variants: [{ variant: 'grid', weight: 50_000 }, { variant: 'grid', weight: 50_000 }] } } }), env);
    expect(messages(issues)).toEqual(['fallthrough.rollout.variants.1.variant: variant "grid" appears twice in the rollout']);
  });

  it('reports duplicate rule ids', () => {
    const rule = { id: 'same', clauses: [], serve: { variant: 'grid' } };
    expect(messages(validateEnvironmentConfig(FLAG, config({ rules: [rule, rule, { ...rule, id: 'other' }] }), env))).toEqual(['rules.1.id: duplicate rule id "same"']);
  });

  it('reports a key targeted twice, across targets or within one', () => {
    const issues = validateEnvironmentConfig(
      FLAG,
      config({
        targets: [
          { variant: 'grid', values: ['qa-1', 'qa-2', 'qa-2'] },
          { variant: 'control', values: ['qa-3', 'qa-1'] },
        ],
      }),
      env,
    );
    expect(messages(issues)).toEqual(['targets.0.values.2: "qa-2" is already targeted by targets[0]', 'targets.1.values.1: "qa-1" is already targeted by targets[0]']);
  });

  it('checks clause values against their operators, with paths into the rule', () => {
    const clauses: Clause[] = [
      { attribute: 'age', op: 'gt', values: ['18'] },
      { attribute: 'd', op: 'before', values: ['2026-02-30', 1767225600000, '2026-01-01T00:00:00+01:00'] },
      { attribute: 'v', op: 'semverGt', values: ['v1.2.3', 1, '1.2.3'] },
      { attribute: 'email', op: 'endsWith', values: [5] },
      { attribute: 'email', op: 'matches', values: ['(a+)+$'] },
      { attribute: 's', op: 'inSegment', values: ['ghost'] },
      { attribute: 'plan', op: 'in', values: [] },
    ];
    const issues = validateEnvironmentConfig(FLAG, config({ rules: [{ id: 'r', clauses, serve: { variant: 'grid' } }] }), env);
    expect(issues.map((i) => i.path.join('.'))).toEqual([
      'rules.0.clauses.0.values.0',
      'rules.0.clauses.1.values.0',
      'rules.0.clauses.2.values.0',
      'rules.0.clauses.2.values.1',
      'rules.0.clauses.3.values.0',
      'rules.0.clauses.4.values.0',
      'rules.0.clauses.5.values.0',
      'rules.0.clauses.6.values',
    ]);
    expect(issues[4]?.message).toBe('endsWith needs string values');
    expect(issues[5]?.message).toMatch(/nested quantifier/);
    expect(issues[6]?.message).toBe('segment "ghost" does not exist');
    expect(issues[7]?.message).toBe('in needs at least one value');
  });

  it('reports missing prerequisite flags and variants, and self-prerequisites', () => {
    const issues = validateEnvironmentConfig(
      FLAG,
      config({
        prerequisites: [
          { flag: 'ghost', variant: 'true' },
          { flag: 'other', variant: 'maybe' },
          { flag: 'checkout', variant: 'grid' },
        ],
      }),
      env,
    );
    expect(messages(issues)).toEqual([
      'prerequisites.0.flag: flag "ghost" does not exist',
      'prerequisites.1.variant: flag "other" has no variant "maybe"',
      'prerequisites.2.flag: a flag cannot be its own prerequisite',
      'prerequisites: prerequisite cycle: checkout → checkout',
    ]);
  });

  it('reports a prerequisite cycle a → b → c → a when a is written', () => {
    const cyclic = environment({ b: { variants: ['true', 'false'], prerequisites: ['c'] }, c: { variants: ['true', 'false'], prerequisites: ['a'] } });
    const a = { key: 'a', variants: [{ key: 'true', value: true }, { key: 'false', value: false }] };
    const issues = validateEnvironmentConfig(a, config({ offVariant: 'false', fallthrough: { variant: 'true' }, prerequisites: [{ flag: 'b', variant: 'true' }] }), cyclic);
    expect(messages(issues)).toEqual(['prerequisites: prerequisite cycle: a → b → c → a']);
  });

  it('accepts prerequisite diamonds, which are not cycles', () => {
    const diamond = environment({
      b: { variants: ['true'], prerequisites: ['d'] },
      c: { variants: ['true'], prerequisites: ['d'] },
      d: { variants: ['true'] },
    });
    const a = { key: 'a', variants: [{ key: 'true', value: true }, { key: 'false', value: false }] };
    const prerequisites = [
      { flag: 'b', variant: 'true' },
      { flag: 'c', variant: 'true' },
    ];
    expect(validateEnvironmentConfig(a, config({ offVariant: 'false', fallthrough: { variant: 'true' }, prerequisites }), diamond)).toEqual([]);
  });
});

describe('findPrerequisiteCycle', () => {
  const graph: Record<string, string[]> = { b: ['c'], c: ['d'], d: [], x: ['y'], y: ['x'] };
  const of = (key: string): readonly string[] => graph[key] ?? [];

  it('finds the cycle the new prerequisites would close', () => {
    expect(findPrerequisiteCycle('d', [{ flag: 'b' }], of)).toEqual(['d', 'b', 'c', 'd']);
    expect(findPrerequisiteCycle('a', [{ flag: 'a' }], of)).toEqual(['a', 'a']);
  });

  it('finds nothing in an acyclic graph', () => {
    expect(findPrerequisiteCycle('a', [{ flag: 'b' }, { flag: 'c' }], of)).toBeUndefined();
    expect(findPrerequisiteCycle('a', [], of)).toBeUndefined();
  });

  it('finds an existing cycle reachable from the flag', () => {
    expect(findPrerequisiteCycle('a', [{ flag: 'x' }], of)).toEqual(['x', 'y', 'x']);
  });

  it('uses the new prerequisites of the flag, not the stored ones', () => {
    const stored = (key: string): readonly string[] => (key === 'a' ? ['b'] : key === 'b' ? ['a'] : []);
    expect(findPrerequisiteCycle('a', [], stored)).toBeUndefined();
  });
});

describe('validateClause', () => {
  const ctx = { segmentExists: (key: string) => key === 'beta' };
  const problems = (clause: Clause): string[] => validateClause(clause, [], ctx).map((i) => i.message);

  it.each([
    [{ attribute: 'n', op: 'lt', values: [1, 2.5, -3] }],
    [{ attribute: 'd', op: 'after', values: ['2026-01-01', '2026-01-01T10:00:00Z', '2026-01-01T10:00:00+0530', 0] }],
    [{ attribute: 'v', op: 'semverLt', values: ['1.0.0', '2.0.0-rc.1+b'] }],
    [{ attribute: 'e', op: 'startsWith', values: ['', 'x'] }],
    [{ attribute: 'e', op: 'matches', values: ['^[a-z]+@acme\\.io$'] }],
    [{ attribute: 's', op: 'inSegment', values: ['beta'] }],
    [{ attribute: 'p', op: 'eq', values: ['pro', 1, true] }],
    [{ attribute: 'p', op: 'notIn', values: [false] }],
  ] as [Clause][])('accepts %j', (clause) => {
    expect(problems(clause)).toEqual([]);
  });

  it.each([
    [{ attribute: 'n', op: 'gte', values: ['1'] }, 'gte compares numbers; got "1"'],
    [{ attribute: 'n', op: 'lte', values: [true] }, 'lte compares numbers; got true'],
    [{ attribute: 'd', op: 'before', values: ['2026-02-30'] }, 'before needs an ISO 8601 date (e.g. 2026-12-01T00:00:00Z) or epoch milliseconds'],
    [{ attribute: 'd', op: 'after', values: [false] }, 'after needs an ISO 8601 date (e.g. 2026-12-01T00:00:00Z) or epoch milliseconds'],
    [{ attribute: 'v', op: 'semverEq', values: ['1.2'] }, 'semverEq needs a semantic version such as 1.4.0 or 2.0.0-rc.1'],
    [{ attribute: 'v', op: 'semverGt', values: [2] }, 'semverGt needs a semantic version such as 1.4.0 or 2.0.0-rc.1'],
    [{ attribute: 'e', op: 'contains', values: [1] }, 'contains needs string values'],
    [{ attribute: 's', op: 'inSegment', values: ['ghost'] }, 'segment "ghost" does not exist'],
    [{ attribute: 'e', op: 'matches', values: ['(a|aa)+'] }, /nested quantifier/],
    [{ attribute: 'e', op: 'matches', values: ['(x)\\1'] }, 'backreferences are not allowed'],
    [{ attribute: 'e', op: 'matches', values: ['['] }, /invalid regex/],
    [{ attribute: 'e', op: 'matches', values: ['a'.repeat(257)] }, 'regex is longer than 256 characters'],
    [{ attribute: 'e', op: 'eq', values: [] }, 'eq needs at least one value'],
  ] as [Clause, string | RegExp][])('rejects %j', (clause, problem) => {
    const found = problems(clause);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(problem);
  });

  it('reports every bad value of a clause, with its index', () => {
    const issues = validateClause({ attribute: 'n', op: 'lt', values: [1, 'a', 2, 'b'] }, ['rules', 3, 'clauses', 1], ctx);
    expect(issues.map((i) => i.path)).toEqual([
      ['rules', 3, 'clauses', 1, 'values', 1],
      ['rules', 3, 'clauses', 1, 'values', 3],
    ]);
  });
});

describe('validateSegment', () => {
  const seg = (key: string, refs: string[], extra: Partial<Segment> = {}): Segment => ({
    key,
    name: key,
    description: '',
    included: [],
    excluded: [],
    rules: refs.map((ref) => ({ clauses: [{ attribute: 'segment', op: 'inSegment', values: [ref] }] })),
    ...extra,
  });

  it('accepts a segment with valid rules and existing references', () => {
    const ctx = { segmentExists: (k: string) => k === 'staff', segmentReferencesOf: () => [] };
    expect(validateSegment(seg('beta', ['staff'], { included: ['u1'] }), ctx)).toEqual([]);
  });

  it('reports a segment that includes itself', () => {
    const ctx = { segmentExists: () => false, segmentReferencesOf: () => [] };
    expect(messages(validateSegment(seg('beta', ['beta']), ctx))).toEqual(['rules: segment cycle: beta → beta']);
  });

  it('reports a cycle through other segments', () => {
    const refs: Record<string, string[]> = { b: ['c'], c: ['a'] };
    const ctx = { segmentExists: (k: string) => k in refs, segmentReferencesOf: (k: string) => refs[k] ?? [] };
    expect(messages(validateSegment(seg('a', ['b']), ctx))).toEqual(['rules: segment cycle: a → b → c → a']);
  });

  it('reports missing referenced segments and bad clause values', () => {
    const ctx = { segmentExists: () => false };
    const s = seg('a', ['ghost']);
    const withBadClause: Segment = { ...s, rules: [...s.rules, { clauses: [{ attribute: 'age', op: 'gt', values: ['x'] }] }] };
    expect(messages(validateSegment(withBadClause, ctx))).toEqual(['rules.0.clauses.0.values.0: segment "ghost" does not exist', 'rules.1.clauses.0.values.0: gt compares numbers; got "x"']);
  });
});

describe('segmentReferences', () => {
  it('lists the segments named by inSegment clauses, negated or not', () => {
    const rules: Segment['rules'] = [
      { clauses: [{ attribute: 's', op: 'inSegment', values: ['a', 'b'] }, { attribute: 'x', op: 'eq', values: ['c'] }] },
      { clauses: [{ attribute: 's', op: 'inSegment', values: ['c', 1], negate: true }] },
    ];
    expect(segmentReferences({ rules })).toEqual(['a', 'b', 'c']);
  });
});
