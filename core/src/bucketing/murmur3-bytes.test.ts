import fc from 'fast-check';
import murmurhash from 'murmurhash';
import { describe, expect, it } from 'vitest';
import { bucket, bucketFrom, bucketPrefix } from './bucket.js';
import { encodeUtf8Into, murmur3Prefix, murmur3ResumeBytes } from './murmur3.js';

describe('encodeUtf8Into', () => {
  it('writes what TextEncoder writes, lone surrogates included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), fc.nat(5), (text, skip) => {
        const from = Math.min(skip, text.length);
        const bytes = new Uint8Array(3 * text.length);
        const n = encodeUtf8Into(text, from, bytes);
        expect([...bytes.subarray(0, n)]).toEqual([...new TextEncoder().encode(text.slice(from))]);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses a buffer that may be too short', () => {
    expect(encodeUtf8Into('abc', 0, new Uint8Array(8))).toBe(-1);
    expect(encodeUtf8Into('abc', 1, new Uint8Array(6))).toBe(2);
  });
});

describe('murmur3ResumeBytes', () => {
  it('equals hashing prefix + text, for every alignment the prefix leaves', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 30 }), fc.string({ unit: 'binary', maxLength: 40 }), (prefix, text) => {
        const bytes = new Uint8Array(3 * text.length);
        const n = encodeUtf8Into(text, 0, bytes);
        expect(murmur3ResumeBytes(murmur3Prefix(prefix), bytes, n)).toBe(murmurhash.v3(prefix + text));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('bucketPrefix / bucketFrom', () => {
  it('agree with bucket()', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 30 }), (salt, value) => {
        expect(bucketFrom(bucketPrefix(salt), value)).toBe(bucket(salt, value));
      }),
      { numRuns: 1000 },
    );
  });
});
