import { describe, expect, it } from 'vitest';
import { booleanFlag } from '../../test/helpers/flags.js';
import { shareUnchanged } from './share.js';

const parsed = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

describe('shareUnchanged', () => {
  it('keeps the previous copies of the parts an update did not change', () => {
    const before = parsed({ ...booleanFlag('k'), rules: [{ id: 'eu', clauses: [{ attribute: 'country', op: 'in', values: ['NL'] }], serve: { variant: 'true' } }] });
    const next = parsed({ ...before, killed: true, enabled: false, version: before.version + 1 });
    const shared = shareUnchanged(next, before);
    expect(shared).toEqual({ ...before, killed: true, enabled: false, version: before.version + 1 });
    expect(shared).not.toBe(before);
    expect(shared.rules).toBe(before.rules);
    expect(shared.variants).toBe(before.variants);
    expect(shared.fallthrough).toBe(before.fallthrough);
  });

  it('shares inside a changed part, and nothing that differs', () => {
    const before = parsed({ rules: [{ id: 'a', values: ['x'] }, { id: 'b', values: ['y'] }], targets: [{ values: ['1', '2'] }] });
    const next = parsed({ rules: [{ id: 'a', values: ['x'] }, { id: 'b', values: ['y', 'z'] }], targets: [{ values: ['1'] }] });
    const shared = shareUnchanged(next, before);
    expect(shared).toEqual({ rules: [{ id: 'a', values: ['x'] }, { id: 'b', values: ['y', 'z'] }], targets: [{ values: ['1'] }] });
    expect(shared.rules).not.toBe(before.rules);
    expect(shared.rules[0]).toBe(before.rules[0]);
    expect(shared.rules[1]).not.toBe(before.rules[1]);
    expect(shared.targets).not.toBe(before.targets);
    expect(before).toEqual({ rules: [{ id: 'a', values: ['x'] }, { id: 'b', values: ['y'] }], targets: [{ values: ['1', '2'] }] });
  });

  it('returns the previous value when everything is equal, and the new one on any difference in shape', () => {
    const before = parsed(booleanFlag('k'));
    expect(shareUnchanged(parsed(before), before)).toBe(before);
    expect(shareUnchanged(parsed({ a: 1 }), { a: 1, b: 2 })).toEqual({ a: 1 });
    expect(shareUnchanged(parsed({ a: 1, b: 2 }), { a: 1 })).toEqual({ a: 1, b: 2 });
    expect(shareUnchanged(parsed({ a: [1] }), { a: { 0: 1 } })).toEqual({ a: [1] });
    expect(shareUnchanged(parsed({ a: { 0: 1 } }), { a: [1] })).toEqual({ a: { 0: 1 } });
    expect(shareUnchanged(parsed({ a: null }), { a: {} })).toEqual({ a: null });
    expect(shareUnchanged(parsed({ a: [1, 2] }), { a: [1] })).toEqual({ a: [1, 2] });
    expect(shareUnchanged(parsed({ a: 1 }), undefined)).toEqual({ a: 1 });
  });
});
