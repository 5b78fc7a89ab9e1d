import type { ConfigSnapshot } from '@switchyard/core/evaluate';
import type { StorageLike } from './platform.js';

/** What the cache keeps: the rules and what is needed to evaluate them. */
export type CachedRules = Pick<ConfigSnapshot, 'revision' | 'flags' | 'segments' | 'keyHashSalt'>;

/** A structural check of rules from storage or the network. */
export function isSnapshot(value: unknown): value is ConfigSnapshot {
  const v = value as ConfigSnapshot | null;
  return typeof v?.revision == 'number' && Array.isArray(v.flags) && Array.isArray(v.segments);
}

/**
 * The last good rules kept under `key`; undefined when there are none or they are unreadable (another
 * page's value, storage disabled).
 * @example readCache(localStorage, 'switchyard:1f0e…')?.revision
 */
export function readCache(storage: StorageLike, key: string): CachedRules | undefined {
  try {
    const value: unknown = JSON.parse(storage.getItem(key)!);
    if (isSnapshot(value)) return value;
  } catch {
    // Treated as no cache.
  }
  return undefined;
}

/** Keeps `rules` under `key`. Throws what the storage throws (quota, disabled storage). */
export function writeCache(storage: StorageLike, key: string, rules: CachedRules): void {
  storage.setItem(key, JSON.stringify(rules));
}
