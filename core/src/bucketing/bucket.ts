import { murmur3, murmur3Prefix, murmur3Resume, type Murmur3State } from './murmur3.js';

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
  const prefix: Murmur3State = murmur3Prefix(`${salt}/`);
  return (value) => murmur3Resume(prefix, value) % BUCKETS;
}
