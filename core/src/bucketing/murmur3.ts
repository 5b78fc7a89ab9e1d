/**
 * MurmurHash3 x86_32 over the UTF-8 bytes of JavaScript strings, without allocating: strings are
 * encoded on the fly (lone surrogates become U+FFFD, as TextEncoder does), and a hash can be resumed
 * from a precomputed prefix state so a per-flag salt is hashed once, not on every evaluation.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/**
 * The state of a hash after some bytes: `h` after every full 4-byte block, the pending bytes of the
 * unfinished block packed little-endian in `tail` (`tailLength` of them), and the byte count so far.
 * @example const prefix = murmur3Prefix('new-checkout/'); murmur3Resume(prefix, 'user-42')
 */
export interface Murmur3State {
  readonly h: number;
  readonly tail: number;
  readonly tailLength: number;
  readonly length: number;
}

function scramble(k: number): number {
  k = Math.imul(k, C1);
  return Math.imul((k << 15) | (k >>> 17), C2);
}

/** One block of MurmurHash3 x86_32: `h` after mixing the little-endian 32-bit word `k`. Internal to core's bucketing. */
export function mixBlock(h: number, k: number): number {
  h ^= scramble(k);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

// The final hash as a signed 32-bit integer (a small integer for V8, never a heap number): callers
// that want the unsigned value apply `>>> 0` where the result is used.
export function finishHash(h: number, tail: number, tailLength: number, length: number): number {
  if (tailLength > 0) h ^= scramble(tail);
  h ^= length;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

// Scratch space for UTF-8 bytes of non-ASCII input, grown on demand and reused: hashing allocates
// nothing in the steady state.
let scratch = /* @__PURE__ */ new Uint8Array(256);

/**
 * Writes the UTF-8 encoding of `text` from index `from` into `bytes` (lone surrogates become U+FFFD,
 * as TextEncoder does) and returns the number of bytes written, or -1 when `bytes` may be too short
 * (it needs `3 * (text.length - from)` bytes).
 * @example const n = encodeUtf8Into('été', 0, new Uint8Array(9)) // 5
 */
export function encodeUtf8Into(text: string, from: number, bytes: Uint8Array): number {
  const n = text.length;
  if (bytes.length < 3 * (n - from)) return -1;
  let j = 0;
  for (let i = from; i < n; i++) {
    let code = text.charCodeAt(i);
    if (code < 0x80) {
      bytes[j++] = code;
      continue;
    }
    if (code < 0x800) {
      bytes[j++] = 0xc0 | (code >> 6);
    } else {
      if ((code & 0xf800) === 0xd800) {
        const next = text.charCodeAt(i + 1);
        if (code < 0xdc00 && (next & 0xfc00) === 0xdc00) {
          code = 0x10000 + ((code - 0xd800) << 10) + next - 0xdc00;
          i++;
          bytes[j++] = 0xf0 | (code >> 18);
          bytes[j++] = 0x80 | ((code >> 12) & 0x3f);
        } else {
          code = 0xfffd;
          bytes[j++] = 0xe0 | (code >> 12);
        }
      } else {
        bytes[j++] = 0xe0 | (code >> 12);
      }
      bytes[j++] = 0x80 | ((code >> 6) & 0x3f);
    }
    bytes[j++] = 0x80 | (code & 0x3f);
  }
  return j;
}

function encodeToScratch(text: string, from: number): number {
  const needed = 3 * (text.length - from);
  if (scratch.length < needed) scratch = new Uint8Array(needed * 2);
  return encodeUtf8Into(text, from, scratch);
}

/**
 * MurmurHash3 x86_32 of the prefix behind `state` followed by `bytes[0..length)`. Allocates nothing.
 * With {@link encodeUtf8Into} this hashes one value under many salts while encoding it only once.
 * @example murmur3ResumeBytes(murmur3Prefix('flag/'), bytes, encodeUtf8Into('user-1', 0, bytes)) === murmur3('flag/user-1')
 */
export function murmur3ResumeBytes(state: Murmur3State, bytes: Uint8Array, length: number): number {
  return hashBytes(state.h, state.tail, state.tailLength, state.length, bytes, length) >>> 0;
}

/** The signed hash of the prefix behind the state arguments followed by `bytes[0..length)`. */
export function hashBytes(h: number, tail: number, tailLength: number, prefixLength: number, bytes: Uint8Array, length: number): number {
  for (let i = 0; i < length; i++) {
    tail |= (bytes[i] as number) << (tailLength << 3);
    if (++tailLength === 4) {
      h = mixBlock(h, tail);
      tail = tailLength = 0;
    }
  }
  return finishHash(h, tail, tailLength, prefixLength + length);
}

/**
 * The hot path: the signed hash of the prefix behind the state arguments followed by `text`, with the
 * state in locals. ASCII is mixed four characters at a time whatever the alignment the prefix left: a
 * block is the pending tail bytes plus the low bytes of the next characters, the remaining bytes become
 * the new tail. The first non-ASCII character hands the rest over to the UTF-8 encoder.
 */
export function hashText(h: number, tail: number, tailLength: number, length: number, text: string): number {
  const n = text.length;
  // shift = bits pending; for shift 0, `(word >>> 1) >>> 31` is 0 because ASCII leaves bit 31 clear.
  const shift = tailLength << 3;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const a = text.charCodeAt(i);
    const b = text.charCodeAt(i + 1);
    const c = text.charCodeAt(i + 2);
    const d = text.charCodeAt(i + 3);
    if ((a | b | c | d) >= 0x80) break;
    const word = a | (b << 8) | (c << 16) | (d << 24);
    h = mixBlock(h, tail | (word << shift));
    tail = (word >>> 1) >>> (31 - shift);
  }
  for (; i < n; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) return hashNonAscii(h, tail, tailLength, length + i, text, i);
    tail |= code << (tailLength << 3);
    if (++tailLength === 4) {
      h = mixBlock(h, tail);
      tail = tailLength = 0;
    }
  }
  return finishHash(h, tail, tailLength, length + n);
}

function hashNonAscii(h: number, tail: number, tailLength: number, length: number, text: string, from: number): number {
  const n = encodeToScratch(text, from); // first: it may replace the scratch buffer
  return hashBytes(h, tail, tailLength, length, scratch, n);
}

/**
 * The state after hashing `prefix` (UTF-8), to resume with {@link murmur3Resume}.
 * @example const state = murmur3Prefix('salt/')
 */
export function murmur3Prefix(prefix: string, seed = 0): Murmur3State {
  const n = encodeToScratch(prefix, 0);
  let h = seed | 0;
  let tail = 0;
  let tailLength = 0;
  for (let i = 0; i < n; i++) {
    tail |= (scratch[i] as number) << (tailLength << 3);
    if (++tailLength === 4) {
      h = mixBlock(h, tail);
      tail = tailLength = 0;
    }
  }
  return { h, tail, tailLength, length: n };
}

/**
 * MurmurHash3 x86_32 of `prefix + text`, given the prefix's state. Allocates nothing.
 * @example murmur3Resume(murmur3Prefix('flag/'), 'user-1') === murmur3('flag/user-1')
 */
export function murmur3Resume(state: Murmur3State, text: string): number {
  return hashText(state.h, state.tail, state.tailLength, state.length, text) >>> 0;
}

// Every runtime the core targets has it (browsers, Node ≥ 11, workers); the core's lib has no DOM types.
declare const TextEncoder: new () => { encode(text: string): Uint8Array };

/**
 * MurmurHash3 x86_32 of the UTF-8 bytes of `text`, as an unsigned 32-bit integer.
 * @example murmur3('hello') // 613153351
 */
export function murmur3(text: string, seed = 0): number {
  // Written for size, not speed, and on its own: it is what the browser bundle carries (bucket() and
  // hashTargetKey() of the compact evaluator). The evaluator's hot path resumes a salt's prefix state
  // with hashText instead. TextEncoder turns lone surrogates into U+FFFD, as encodeUtf8Into does.
  const bytes = new TextEncoder().encode(text);
  const n = bytes.length;
  let h = seed | 0;
  let k = 0;
  for (let i = 0; i < n; ) {
    k |= (bytes[i] as number) << ((i & 3) << 3);
    // A full block is scrambled and mixed in; the last, partial one only scrambled (the tail).
    if (!(++i & 3) || i == n) {
      k = Math.imul(k, C1);
      h ^= Math.imul((k << 15) | (k >>> 17), C2);
      k = 0;
      if (!(i & 3)) {
        h = (h << 13) | (h >>> 19);
        h = (Math.imul(h, 5) + 0xe6546b64) | 0;
      }
    }
  }
  h ^= n;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
