import { describe, expect, it } from 'vitest';
import { booleanFlag } from '../../../test/helpers/flags.js';
import { applyFlagUpdate } from './messages.js';

describe('applyFlagUpdate', () => {
  const flag = { ...booleanFlag('checkout'), version: 7 };

  it('replaces exactly the fields named, over the version it was made for', () => {
    const next = applyFlagUpdate(flag, { key: 'checkout', from: 7, version: 8, enabled: false, killed: true });
    expect(next).toEqual({ ...flag, version: 8, enabled: false, killed: true });
    expect(next).not.toHaveProperty('from');
    expect(flag.version).toBe(7);
  });

  it('refuses a missing flag, another flag, or another version', () => {
    expect(applyFlagUpdate(undefined, { key: 'checkout', from: 7, killed: true })).toBeUndefined();
    expect(applyFlagUpdate(flag, { key: 'other', from: 7, killed: true })).toBeUndefined();
    expect(applyFlagUpdate(flag, { key: 'checkout', from: 6, version: 7, killed: true })).toBeUndefined();
  });
});
