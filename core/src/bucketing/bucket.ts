import { encodeUtf8Into, hashBytes, hashText, murmur3, murmur3Prefix, type Murmur3State } from './murmur3.js';

/** Number of buckets: one per thousandth of a percent. @example BUCKETS // 100000 */
export const BUCKETS = 100_000;

/**
 * The bucket of `value` for a rollout salted with `salt`: murmur3_x86_32(utf8(salt + "/" + value)) mod 100000.
 * This is the contract every SDK reproduces bit for bit.
 * @example bucket('new-checkout', 'user-42') // an integer in [0, 100000)
 */
export function bucket(salt: string, value: string): number {
  return murmur3(`${salt}/${value}`) % BUCKETS;
}

/**
 * A bucketer for one salt: hashes `salt + "/"` once and resumes from there for every value.
 * @example const b = bucketer('new-checkout'); b('user-42') === bucket('new-checkout', 'user-42')
 */
export function bucketer(salt: string): (value: string) => number {
  const prefix = bucketPrefix(salt);
  return (value) => bucketFrom(prefix, value);
}

/**
 * The hash state after `salt + "/"`. The evaluator keeps one per rollout and calls {@link bucketFrom}
 * directly, without a closure in between.
 * @example bucketFrom(bucketPrefix('new-checkout'), 'user-42') === bucket('new-checkout', 'user-42')
 */
export function bucketPrefix(salt: string): Murmur3State {
  return murmur3Prefix(`${salt}/`);
}

/** The bucket of `value` given {@link bucketPrefix}`(salt)`: equals `bucket(salt, value)`. Allocates nothing. */
export function bucketFrom(prefix: Murmur3State, value: string): number {
  // A literal, not BUCKETS: V8 does not fold a module constant here, and a modulo by a value it does
  // not know is a hardware division, about 8 ns of a 60 ns evaluation. By a literal it is a multiply.
  return (hashText(prefix.h, prefix.tail, prefix.tailLength, prefix.length, value) >>> 0) % 100_000;
}

// The value bucketFromCached last encoded, and its UTF-8 bytes.
let cachedValue: string | undefined;
let cachedBytes = /* @__PURE__ */ new Uint8Array(128);
let cachedLength = 0;

/**
 * {@link bucketFrom} for hashing one value under many salts (every flag for one context): the value's
 * UTF-8 bytes are kept from the previous call when the value is the same, so each further salt costs
 * only the mixing. Call {@link forgetCachedValue} afterwards so the value is not kept alive.
 * @example flags.map((f) => bucketFromCached(f.prefix, ctx.key)); forgetCachedValue()
 */
export function bucketFromCached(prefix: Murmur3State, value: string): number {
  if (value !== cachedValue) {
    let length = encodeUtf8Into(value, 0, cachedBytes);
    if (length < 0) {
      cachedBytes = new Uint8Array(3 * value.length);
      length = encodeUtf8Into(value, 0, cachedBytes);
    }
    cachedLength = length;
    cachedValue = value;
  }
  return (hashBytes(prefix.h, prefix.tail, prefix.tailLength, prefix.length, cachedBytes, cachedLength) >>> 0) % 100_000; // a literal: see bucketFrom
}

/** Drops the value remembered by {@link bucketFromCached}. */
export function forgetCachedValue(): void {
  cachedValue = undefined;
}
