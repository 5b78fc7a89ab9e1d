import { encodeUtf8Into, finishHash, hashText, mixBlock, murmur3, murmur3Prefix, type Murmur3State } from './murmur3.js';

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

// The value bucketFromCached last packed, and its UTF-8 bytes packed as little-endian 32-bit words
// four times over: row o (o = 0..3) holds the words that start o bytes into the value, which is where
// the first full block begins when the salt's prefix left 4 - o bytes pending (o = 0: none pending).
let cachedValue: string | undefined;
let cachedLength = 0;
let cachedBytes = /* @__PURE__ */ new Uint8Array(128);
let stride = 0;
let words = /* @__PURE__ */ new Int32Array(0);
/** heads[o]: the value's first o bytes (fewer when it is shorter), packed, to complete a pending block. */
const heads = /* @__PURE__ */ new Int32Array(4);
/** tails[o] / tailLengths[o]: the bytes after row o's last full word, packed, and their count. */
const tails = /* @__PURE__ */ new Int32Array(4);
const tailLengths = /* @__PURE__ */ new Int32Array(4);

function pack(value: string): void {
  let length = encodeUtf8Into(value, 0, cachedBytes);
  if (length < 0) {
    cachedBytes = new Uint8Array(3 * value.length);
    length = encodeUtf8Into(value, 0, cachedBytes);
  }
  const bytes = cachedBytes;
  stride = (length >> 2) + 1;
  if (words.length < 4 * stride) words = new Int32Array(8 * stride);
  for (let o = 0; o < 4; o++) {
    let head = 0;
    for (let i = 0; i < o && i < length; i++) head |= (bytes[i] as number) << (i << 3);
    heads[o] = head;
    let i = o;
    let row = o * stride;
    for (; i + 4 <= length; i += 4) {
      words[row++] = (bytes[i] as number) | ((bytes[i + 1] as number) << 8) | ((bytes[i + 2] as number) << 16) | ((bytes[i + 3] as number) << 24);
    }
    let tail = 0;
    const rest = length > i ? length - i : 0;
    for (let k = 0; k < rest; k++) tail |= (bytes[i + k] as number) << (k << 3);
    tails[o] = tail;
    tailLengths[o] = rest;
  }
  cachedLength = length;
  cachedValue = value;
}

/**
 * {@link bucketFrom} for hashing one value under many salts (every flag for one context): the value is
 * encoded and packed into 32-bit words once, for each alignment a salt can leave, so each further salt
 * costs a few block mixes instead of reading the string again. Call {@link forgetCachedValue}
 * afterwards so the value is not kept alive.
 * @example flags.map((f) => bucketFromCached(f.prefix, ctx.key)); forgetCachedValue()
 */
export function bucketFromCached(prefix: Murmur3State, value: string): number {
  if (value !== cachedValue) pack(value);
  const pending = prefix.tailLength;
  const length = cachedLength;
  let h = prefix.h;
  let o = 0;
  if (pending !== 0) {
    o = 4 - pending;
    const block = prefix.tail | (heads[o] as number) << (pending << 3);
    if (length < o) return (finishHash(h, block, pending + length, prefix.length + length) >>> 0) % 100_000; // a literal: see bucketFrom
    h = mixBlock(h, block);
  }
  const end = o * stride + ((length - o) >> 2);
  for (let j = o * stride; j < end; j++) h = mixBlock(h, words[j] as number);
  return (finishHash(h, tails[o] as number, tailLengths[o] as number, prefix.length + length) >>> 0) % 100_000;
}

/** Drops the value remembered by {@link bucketFromCached}. */
export function forgetCachedValue(): void {
  cachedValue = undefined;
}
