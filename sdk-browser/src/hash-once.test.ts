import type * as Evaluate from '@switchyard/core/evaluate';
import { describe, expect, it, vi } from 'vitest';
import { booleanFlag } from '../../test/helpers/flags.js';

// Counts the SDK's calls of hashTargetKey: the context key is hashed once per setContext, not per evaluation.
const hashes = vi.hoisted(() => ({ calls: [] as [string, string][] }));
vi.mock('@switchyard/core/evaluate', async (importOriginal) => {
  const actual = await importOriginal<typeof Evaluate>();
  return {
    ...actual,
    hashTargetKey: (salt: string, key: string) => {
      hashes.calls.push([salt, key]);
      return actual.hashTargetKey(salt, key);
    },
  };
});

const { createClient } = await import('./client.js');

describe('sdk-browser hashes the context key once per context', () => {
  it('hashes on setContext and when the salt changes, never per evaluation', async () => {
    const flags = createClient({
      url: '',
      clientKey: '',
      offline: true,
      cache: false,
      context: { key: 'user-1' },
      bootstrap: { flags: [booleanFlag('a'), booleanFlag('b')], segments: [], keyHashSalt: 's1' },
    });
    // The cache key is a hash too (of url and client key, here both empty); only context keys count.
    const contextHashes = () => hashes.calls.filter(([salt]) => salt !== '');
    expect(contextHashes()).toEqual([['s1', 'user-1']]);
    for (let i = 0; i < 100; i++) flags.enabled('a');
    flags.all();
    flags.setContext({ key: 'user-2', plan: 'pro' });
    for (let i = 0; i < 100; i++) flags.detail('b');
    expect(contextHashes()).toEqual([
      ['s1', 'user-1'],
      ['s1', 'user-2'],
    ]);
    // Without a key there is nothing to hash.
    flags.setContext({ plan: 'free' });
    expect(contextHashes()).toHaveLength(2);
    await flags.close();
  });
});
