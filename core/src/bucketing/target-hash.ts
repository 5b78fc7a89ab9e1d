import { murmur3 } from './murmur3.js';

/** Seeds of the two murmur3 passes of {@link hashTargetKey}; part of the SDK contract. */
export const TARGET_HASH_SEEDS: readonly [number, number] = [0x5f0e1a2b, 0x2b1a0e5f];

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

/**
 * The hash under which a context key appears in the target and segment key lists sent to browser
 * (sdk-client) keys: two murmur3_x86_32 passes over the UTF-8 of `salt + ":" + key` with the seeds
 * {@link TARGET_HASH_SEEDS}, as 16 lower-case hex characters (first pass first). The salt is the
 * snapshot's `keyHashSalt`.
 *
 * This is obfuscation, not secrecy: it stops a list of user ids from being read out of a browser
 * bundle, but anyone who can guess candidate keys can hash them and compare (a dictionary attack).
 * Never put secrets in targets of client-side flags.
 * @example evaluate(flag, ctx, { targetKey: hashTargetKey(snapshot.keyHashSalt, ctx.key) })
 */
export function hashTargetKey(salt: string, key: string): string {
  const input = `${salt}:${key}`;
  return hex8(murmur3(input, TARGET_HASH_SEEDS[0])) + hex8(murmur3(input, TARGET_HASH_SEEDS[1]));
}
