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

function mixBlock(h: number, k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, C2);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function finish(h: number, tail: number, tailLength: number, length: number): number {
  if (tailLength > 0) {
    let k = Math.imul(tail, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

// Feeds the UTF-8 encoding of `text` into a running state held in module-level scratch variables:
// returning a fresh state object per call would allocate on every evaluation.
let sH = 0;
let sTail = 0;
let sTailLength = 0;
let sLength = 0;

function pushByte(byte: number): void {
  sTail |= byte << (sTailLength << 3);
  sTailLength++;
  if (sTailLength === 4) {
    sH = mixBlock(sH, sTail);
    sTail = 0;
    sTailLength = 0;
  }
  sLength++;
}

function feed(text: string): void {
  const n = text.length;
  let i = 0;
  // Fast path: whole 4-byte blocks of ASCII while no partial block is pending.
  if (sTailLength === 0) {
    while (i + 4 <= n) {
      const a = text.charCodeAt(i);
      const b = text.charCodeAt(i + 1);
      const c = text.charCodeAt(i + 2);
      const d = text.charCodeAt(i + 3);
      if ((a | b | c | d) >= 0x80) break;
      sH = mixBlock(sH, a | (b << 8) | (c << 16) | (d << 24));
      sLength += 4;
      i += 4;
    }
  }
  for (; i < n; i++) {
    let code = text.charCodeAt(i);
    if (code < 0x80) {
      pushByte(code);
    } else if (code < 0x800) {
      pushByte(0xc0 | (code >> 6));
      pushByte(0x80 | (code & 0x3f));
    } else {
      if (code >= 0xd800 && code <= 0xdfff) {
        const next = i + 1 < n ? text.charCodeAt(i + 1) : 0;
        if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00);
          i++;
          pushByte(0xf0 | (code >> 18));
          pushByte(0x80 | ((code >> 12) & 0x3f));
          pushByte(0x80 | ((code >> 6) & 0x3f));
          pushByte(0x80 | (code & 0x3f));
          continue;
        }
        code = 0xfffd;
      }
      pushByte(0xe0 | (code >> 12));
      pushByte(0x80 | ((code >> 6) & 0x3f));
      pushByte(0x80 | (code & 0x3f));
    }
  }
}

/**
 * The state after hashing `prefix` (UTF-8), to resume with {@link murmur3Resume}.
 * @example const state = murmur3Prefix('salt/')
 */
export function murmur3Prefix(prefix: string, seed = 0): Murmur3State {
  sH = seed | 0;
  sTail = 0;
  sTailLength = 0;
  sLength = 0;
  feed(prefix);
  return { h: sH, tail: sTail, tailLength: sTailLength, length: sLength };
}

/**
 * MurmurHash3 x86_32 of `prefix + text`, given the prefix's state. Allocates nothing.
 * @example murmur3Resume(murmur3Prefix('flag/'), 'user-1') === murmur3('flag/user-1')
 */
export function murmur3Resume(state: Murmur3State, text: string): number {
  sH = state.h;
  sTail = state.tail;
  sTailLength = state.tailLength;
  sLength = state.length;
  feed(text);
  return finish(sH, sTail, sTailLength, sLength);
}

/**
 * MurmurHash3 x86_32 of the UTF-8 bytes of `text`, as an unsigned 32-bit integer.
 * @example murmur3('hello') // 613153351
 */
export function murmur3(text: string, seed = 0): number {
  sH = seed | 0;
  sTail = 0;
  sTailLength = 0;
  sLength = 0;
  feed(text);
  return finish(sH, sTail, sTailLength, sLength);
}
