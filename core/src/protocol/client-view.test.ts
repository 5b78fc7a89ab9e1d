import { describe, expect, it } from 'vitest';
import { booleanFlag } from '../../../test/helpers/flags.js';
import { hashTargetKey } from '../bucketing/target-hash.js';
import { evaluate } from '../evaluate/evaluate.js';
import { evaluateCompact } from '../evaluate/compact.js';
import { ClauseSchema } from '../model/clause.js';
import type { Segment } from '../model/segment.js';
import { clientView, HASHED_KEY_ATTRIBUTE } from './client-view.js';

const SALT = 'salt-1';
const h = (key: string): string => hashTargetKey(SALT, key);

describe('clientView', () => {
  const flag = booleanFlag('staff', {
    targets: [{ variant: 'true', values: ['user-1'] }],
    rules: [
      { id: 'list', clauses: [{ attribute: 'key', op: 'in', values: ['user-2', 'user-3'] }], serve: { variant: 'true' } },
      { id: 'prefix', clauses: [{ attribute: 'key', op: 'startsWith', values: ['admin-'] }], serve: { variant: 'true' } },
      { id: 'mixed', clauses: [{ attribute: 'key', op: 'eq', values: ['user-4', 4] }], serve: { variant: 'true' } },
      { id: 'plan', clauses: [{ attribute: 'plan', op: 'in', values: ['user-5'] }], serve: { variant: 'true' } },
    ],
    fallthrough: { variant: 'false' },
  });
  const segment: Segment = { key: 'beta', name: 'Beta', description: '', included: ['user-6'], excluded: ['user-7'], rules: [{ clauses: [{ attribute: 'key', op: 'notIn', values: ['user-8'], negate: true }] }] };

  it('hashes every list of keys: targets, segment lists, and string lists compared with the key for equality', () => {
    const view = clientView([flag], [segment], SALT);
    const [f] = view.flags;
    expect(f?.targets).toEqual([{ variant: 'true', values: [h('user-1')] }]);
    expect(f?.rules.map((r) => r.clauses[0])).toEqual([
      { attribute: HASHED_KEY_ATTRIBUTE, op: 'in', values: [h('user-2'), h('user-3')] },
      // Left in clear: not an equality (a hash has no prefix), a list with a number, another attribute.
      { attribute: 'key', op: 'startsWith', values: ['admin-'] },
      { attribute: 'key', op: 'eq', values: ['user-4', 4] },
      { attribute: 'plan', op: 'in', values: ['user-5'] },
    ]);
    expect(view.segments[0]).toMatchObject({ included: [h('user-6')], excluded: [h('user-7')], rules: [{ clauses: [{ attribute: HASHED_KEY_ATTRIBUTE, op: 'notIn', values: [h('user-8')], negate: true }] }] });
    const raw = JSON.stringify(view);
    for (const id of ['user-1', 'user-2', 'user-3', 'user-6', 'user-7', 'user-8']) expect(raw).not.toContain(`"${id}"`);
    // The input is not modified.
    expect(flag.rules[0]?.clauses[0]?.values).toEqual(['user-2', 'user-3']);
  });

  it('evaluates as the clear config does, given the hashed key as targetKey and as #key', () => {
    const view = clientView([flag], [], SALT);
    for (const key of ['user-1', 'user-2', 'user-3', 'user-4', 'admin-1', 'user-9']) {
      const clear = evaluate(flag, { key, plan: 'free' });
      const hashedCtx = { key, plan: 'free', [HASHED_KEY_ATTRIBUTE]: h(key) };
      expect(evaluate(view.flags[0], hashedCtx, { targetKey: h(key) }), key).toEqual(clear);
      expect(evaluateCompact(view.flags[0], hashedCtx, { targetKey: h(key) }), key).toEqual(clear);
    }
  });

  it('reserves #key: rules may not name it', () => {
    const result = ClauseSchema.safeParse({ attribute: HASHED_KEY_ATTRIBUTE, op: 'eq', values: ['x'] });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['attribute']);
    expect(ClauseSchema.safeParse({ attribute: 'key', op: 'eq', values: ['x'] }).success).toBe(true);
  });
});
