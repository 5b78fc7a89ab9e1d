import murmurhash from 'murmurhash';
import { describe, expect, it } from 'vitest';
import { hashTargetKey, TARGET_HASH_SEEDS } from './target-hash.js';

describe('hashTargetKey', () => {
  it('is 16 hex characters: two murmur3 passes over salt:key with the published seeds', () => {
    const salt = 'switchyard:production';
    const key = 'user-42';
    const expected = TARGET_HASH_SEEDS.map((seed) => murmurhash.v3(`${salt}:${key}`, seed).toString(16).padStart(8, '0')).join('');
    expect(hashTargetKey(salt, key)).toBe(expected);
    expect(hashTargetKey(salt, key)).toMatch(/^[0-9a-f]{16}$/);
  });

  it('depends on the salt and the key, and hashes non-ASCII keys as UTF-8', () => {
    expect(hashTargetKey('a', 'user-1')).not.toBe(hashTargetKey('b', 'user-1'));
    expect(hashTargetKey('a', 'user-1')).not.toBe(hashTargetKey('a', 'user-2'));
    const utf8 = TARGET_HASH_SEEDS.map((seed) => murmurhash.v3('a:jürgen', seed).toString(16).padStart(8, '0')).join('');
    expect(hashTargetKey('a', 'jürgen')).toBe(utf8);
    expect(hashTargetKey('a', 'jürgen')).not.toBe(hashTargetKey('a', 'jurgen'));
  });
});
