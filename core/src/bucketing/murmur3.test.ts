import fc from 'fast-check';
import murmurhash from 'murmurhash';
import { describe, expect, it } from 'vitest';
import { bucket, bucketer, BUCKETS } from './bucket.js';
import { murmur3, murmur3Prefix, murmur3Resume } from './murmur3.js';

describe('murmur3', () => {
  it('matches known x86_32 values', () => {
    expect(murmur3('')).toBe(0);
    expect(murmur3('hello')).toBe(613153351);
    expect(murmur3('The quick brown fox jumps over the lazy dog')).toBe(0x2e4ff723);
  });

  it('equals the murmurhash package on random strings, non-ASCII and lone surrogates included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (text) => {
        expect(murmur3(text)).toBe(murmurhash.v3(text));
      }),
      { numRuns: 3000 },
    );
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (text) => murmur3(text) === murmurhash.v3(text)), { numRuns: 2000 });
  });

  it('hashes long non-ASCII strings, which outgrow the scratch buffer, as the reference does', () => {
    // Each length needs a bigger buffer than the one before, so every call replaces the scratch space.
    for (const n of [90, 200, 700, 3000]) {
      const text = 'é😀x'.repeat(n);
      expect(murmur3(text)).toBe(murmurhash.v3(text));
      expect(murmur3Resume(murmur3Prefix('salt/'), `ab${text}`)).toBe(murmurhash.v3(`salt/ab${text}`));
      expect(murmur3Prefix(text).length).toBe(new TextEncoder().encode(text).length);
    }
  });

  it('resumes from a prefix state exactly as hashing the concatenation', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 30 }), fc.string({ unit: 'binary', maxLength: 30 }), (prefix, rest) => {
        expect(murmur3Resume(murmur3Prefix(prefix), rest)).toBe(murmurhash.v3(prefix + rest));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('bucket', () => {
  it('is murmur3(salt + "/" + value) mod 100000, and the bucketer agrees', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 30 }), (salt, value) => {
        const b = bucket(salt, value);
        expect(b).toBe(murmurhash.v3(`${salt}/${value}`) % BUCKETS);
        expect(bucketer(salt)(value)).toBe(b);
        expect(b >= 0 && b < BUCKETS && Number.isInteger(b)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('spreads keys evenly', () => {
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) counts[Math.floor(bucket('spread', `user-${i}`) / 10_000)]! += 1;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
  });
});
