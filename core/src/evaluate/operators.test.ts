import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OPERATORS, type Clause, type ClauseValue, type Operator } from '../model/clause.js';
import type { Context } from '../model/context.js';
import { compileClause, EvaluationError, MAX_REGEX_INPUT, type ClauseScope } from './operators.js';

/** A scope whose segments are plain key lists; records every segment asked for. */
function scopeOf(members: Record<string, readonly string[]> = {}, targetKey?: string): ClauseScope & { asked: string[] } {
  const asked: string[] = [];
  return {
    targetKey,
    asked,
    inSegment(segmentKey: string, context: Context) {
      asked.push(segmentKey);
      const key = context.key;
      return typeof key === 'string' && (members[segmentKey]?.includes(key) ?? false);
    },
  };
}

function matches(clause: Clause, context: Context, scope: ClauseScope = scopeOf()): boolean {
  return compileClause(clause)(context, scope);
}

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return error instanceof EvaluationError ? error.code : 'not an EvaluationError';
  }
}

describe('compileClause', () => {
  it('compiles every operator of the protocol', () => {
    for (const op of Object.keys(OPERATORS) as Operator[]) {
      expect(() => compileClause({ attribute: 'a', op, values: ['1'] })).not.toThrow();
      expect(() => compileClause({ attribute: 'a', op, values: [] })).not.toThrow();
    }
  });

  it('refuses unknown operators, including names inherited from Object.prototype', () => {
    for (const op of ['regexCaseless', 'EQ', '', 'toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf']) {
      expect(codeOf(() => compileClause({ attribute: 'a', op, values: ['x'] } as unknown as Clause))).toBe('UNSUPPORTED_OPERATOR');
    }
  });

  it('reports an invalid regex as a malformed flag', () => {
    expect(codeOf(() => compileClause({ attribute: 'a', op: 'matches', values: ['(unclosed'] }))).toBe('MALFORMED_FLAG');
    expect(codeOf(() => compileClause({ attribute: 'a', op: 'matches', values: ['ok', '[z-a]'] }))).toBe('MALFORMED_FLAG');
  });

  it('treats values that are not a list as no values', () => {
    const clause = { attribute: 'a', op: 'in', values: 'x' } as unknown as Clause;
    expect(matches(clause, { a: 'x' })).toBe(false);
    expect(matches({ ...clause, op: 'notIn' }, { a: 'x' })).toBe(true);
  });

  it('never matches a missing, null, undefined, object or function attribute, negated or not', () => {
    const ops: Operator[] = ['eq', 'neq', 'in', 'notIn', 'contains', 'matches', 'lt', 'before', 'semverEq'];
    const contexts: Context[] = [{}, { a: null }, { a: undefined }, { a: { nested: 1 } as unknown as string }, { a: (() => 1) as unknown as string }];
    for (const op of ops) {
      for (const negate of [false, true]) {
        for (const context of contexts) expect({ op, negate, context, m: matches({ attribute: 'a', op, values: ['x'], negate }, context) }).toMatchObject({ m: false });
      }
    }
  });

  it('ignores attributes inherited from Object.prototype', () => {
    for (const attribute of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(matches({ attribute, op: 'neq', values: ['x'] }, { key: 'u1' })).toBe(false);
      expect(matches({ attribute, op: 'contains', values: [''], negate: true }, { key: 'u1' })).toBe(false);
    }
  });

  it('matches a list attribute when any element matches, skipping elements that are not scalars', () => {
    const eq: Clause = { attribute: 'tags', op: 'eq', values: ['beta'] };
    expect(matches(eq, { tags: ['alpha', 'beta'] })).toBe(true);
    expect(matches(eq, { tags: ['alpha'] })).toBe(false);
    expect(matches(eq, { tags: [null, { a: 1 }, ['beta'], 'beta'] as unknown as string[] })).toBe(true);
    expect(matches(eq, { tags: [null, ['beta']] as unknown as string[] })).toBe(false);
    expect(matches({ ...eq, op: 'neq' }, { tags: [null, ['beta']] as unknown as string[] })).toBe(true);
    expect(matches({ ...eq, negate: true }, { tags: [] })).toBe(true);
  });

  it('compares equality strictly by type', () => {
    const clause: Clause = { attribute: 'a', op: 'in', values: [1, '2', true, 0] };
    expect(matches(clause, { a: 1 })).toBe(true);
    expect(matches(clause, { a: '1' })).toBe(false);
    expect(matches(clause, { a: 2 })).toBe(false);
    expect(matches(clause, { a: true })).toBe(true);
    expect(matches(clause, { a: -0 })).toBe(true);
    expect(matches(clause, { a: false })).toBe(false);
    expect(matches(clause, { a: '' })).toBe(false);
  });

  it('gives the same equality answers for short and long value lists (the long ones use a set)', () => {
    const scalar = fc.oneof(fc.string({ maxLength: 3 }), fc.integer({ min: -3, max: 3 }), fc.boolean(), fc.double());
    fc.assert(
      fc.property(fc.array(scalar, { minLength: 1, maxLength: 8 }), scalar, fc.boolean(), (values, attribute, negate) => {
        const padding: ClauseValue[] = Array.from({ length: 9 }, (_, i) => `\u0000pad-${i}`);
        for (const op of ['eq', 'neq', 'in', 'notIn'] as const) {
          const short = matches({ attribute: 'a', op, values, negate }, { a: attribute });
          const long = matches({ attribute: 'a', op, values: [...values, ...padding], negate }, { a: attribute });
          if (short !== long) return false;
          const expected = values.some((v) => v === attribute) !== (op === 'neq' || op === 'notIn') !== negate;
          if (short !== expected) return false;
        }
        return true;
      }),
      { numRuns: 300 },
    );
    // NaN equals nothing, itself included, in a long list as in a short one (as ===).
    const long: ClauseValue[] = Array.from({ length: 9 }, (_, i) => i);
    for (const values of [[Number.NaN], [...long, Number.NaN]]) {
      expect(matches({ attribute: 'a', op: 'in', values }, { a: Number.NaN })).toBe(false);
      expect(matches({ attribute: 'a', op: 'notIn', values }, { a: Number.NaN })).toBe(true);
    }
  });

  it('applies string operators to strings only and ignores values that are not strings', () => {
    expect(matches({ attribute: 'a', op: 'contains', values: [5, 'b'] }, { a: 'abc' })).toBe(true);
    expect(matches({ attribute: 'a', op: 'contains', values: [5] }, { a: '456' })).toBe(false);
    expect(matches({ attribute: 'a', op: 'contains', values: [5] }, { a: 5 })).toBe(false);
    expect(matches({ attribute: 'a', op: 'startsWith', values: [''] }, { a: 'x' })).toBe(true);
    expect(matches({ attribute: 'a', op: 'endsWith', values: [true] }, { a: 'true' })).toBe(false);
    expect(matches({ attribute: 'a', op: 'matches', values: [1] }, { a: '1' })).toBe(false);
  });

  it('runs a regex on inputs of up to MAX_REGEX_INPUT characters, statelessly', () => {
    const clause: Clause = { attribute: 'a', op: 'matches', values: ['x$'] };
    expect(matches(clause, { a: `${'a'.repeat(MAX_REGEX_INPUT - 1)}x` })).toBe(true);
    expect(matches(clause, { a: `${'a'.repeat(MAX_REGEX_INPUT)}x` })).toBe(false);
    const compiled = compileClause({ attribute: 'a', op: 'matches', values: ['^a'] });
    for (let i = 0; i < 3; i++) expect(compiled({ a: 'abc' }, scopeOf())).toBe(true);
  });

  it('applies numeric operators to finite numbers only', () => {
    const lt: Clause = { attribute: 'n', op: 'lt', values: [10, 'x' as unknown as number] };
    expect(matches(lt, { n: 9 })).toBe(true);
    expect(matches(lt, { n: '9' })).toBe(false);
    expect(matches(lt, { n: Number.NEGATIVE_INFINITY })).toBe(false);
    expect(matches(lt, { n: Number.NaN })).toBe(false);
    expect(matches({ attribute: 'n', op: 'gte', values: [] }, { n: 1 })).toBe(false);
    expect(matches({ attribute: 'n', op: 'gte', values: [-0] }, { n: 0 })).toBe(true);
  });

  it('compares dates as instants: ISO strings and epoch milliseconds alike; invalid values are ignored', () => {
    const before: Clause = { attribute: 'd', op: 'before', values: ['not a date', '2026-01-01T00:00:00+01:00'] };
    expect(matches(before, { d: '2025-12-31T22:59:59Z' })).toBe(true);
    expect(matches(before, { d: '2025-12-31T23:00:00Z' })).toBe(false);
    expect(matches(before, { d: Date.parse('2025-12-31T22:59:59Z') })).toBe(true);
    expect(matches({ attribute: 'd', op: 'after', values: ['never'] }, { d: '2026-01-01' })).toBe(false);
    expect(matches({ attribute: 'd', op: 'after', values: [0] }, { d: '1970-01-01T00:00:00.001Z' })).toBe(true);
    expect(matches({ attribute: 'd', op: 'after', values: [0] }, { d: true })).toBe(false);
  });

  it('compares semantic versions by precedence; invalid versions on either side never match', () => {
    expect(matches({ attribute: 'v', op: 'semverGt', values: ['1.x', '1.2.3'] }, { v: '1.10.0' })).toBe(true);
    expect(matches({ attribute: 'v', op: 'semverEq', values: ['1.2.3+a'] }, { v: '1.2.3+b' })).toBe(true);
    expect(matches({ attribute: 'v', op: 'semverLt', values: ['1.x'] }, { v: '0.0.1' })).toBe(false);
    expect(matches({ attribute: 'v', op: 'semverLt', values: ['2.0.0'] }, { v: 1 })).toBe(false);
  });

  it('asks the scope about each segment until one contains the context, and ignores the attribute', () => {
    const scope = scopeOf({ beta: ['u1'], staff: ['u2'] });
    const clause: Clause = { attribute: 'ignored', op: 'inSegment', values: ['nope', 7, 'beta', 'staff'] };
    expect(matches(clause, { key: 'u1' }, scope)).toBe(true);
    expect(scope.asked).toEqual(['nope', 'beta']);
    expect(matches(clause, { key: 'u3' }, scopeOf())).toBe(false);
    expect(matches({ ...clause, negate: true }, { key: 'u3' }, scopeOf())).toBe(true);
    expect(matches({ ...clause, negate: true }, { key: 'u2' }, scopeOf({ staff: ['u2'] }))).toBe(false);
    expect(matches({ ...clause, values: [] }, { key: 'u1' }, scope)).toBe(false);
  });

  it('inverts neq and notIn, and negate inverts again', () => {
    const table: [Operator, boolean, boolean][] = [
      ['eq', false, true],
      ['eq', true, false],
      ['neq', false, false],
      ['neq', true, true],
      ['in', false, true],
      ['notIn', false, false],
      ['notIn', true, true],
    ];
    for (const [op, negate, expected] of table) expect(matches({ attribute: 'a', op, values: ['x'], negate }, { a: 'x' })).toBe(expected);
  });
});
