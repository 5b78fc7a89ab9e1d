/**
 * `next` with every part that deep-equals the same part of `previous` replaced by that part of
 * `previous`; `previous` itself when everything is equal. `next` must be freshly parsed JSON (it is
 * changed in place); `previous` is never changed.
 *
 * Why: a patch re-sends a flag whole, though an update usually changes a field or two (a kill flips
 * `killed`, `enabled` and `version`; the targets, rules and rollout stay). Keeping the previous copies
 * of the unchanged parts lets the new copies die young: an SDK then retains a few objects per update
 * instead of the whole parsed rule tree, which the garbage collector would otherwise copy and promote.
 */
export function shareUnchanged<T>(next: T, previous: unknown): T {
  return share(next, previous) as T;
}

function share(next: unknown, previous: unknown): unknown {
  if (next === previous || typeof next !== 'object' || next === null || typeof previous !== 'object' || previous === null) return next;
  if (Array.isArray(next)) {
    if (!Array.isArray(previous)) return next;
    let same = next.length === previous.length;
    for (let i = 0; i < next.length; i++) {
      const before: unknown = previous[i];
      const value = share(next[i], before);
      if (value !== next[i]) next[i] = value;
      if (value !== before) same = false;
    }
    return same ? previous : next;
  }
  if (Array.isArray(previous)) return next;
  const target = next as Record<string, unknown>;
  const source = previous as Record<string, unknown>;
  // Parsed JSON and the rules parsed before it: plain objects, no inherited enumerable keys.
  let same = true;
  let keys = 0;
  for (const key in target) {
    keys++;
    const before = source[key];
    const value = share(target[key], before);
    if (value !== before) {
      same = false;
      if (value !== target[key]) target[key] = value;
    } else if (value !== target[key]) {
      target[key] = value;
    }
  }
  if (!same) return next;
  for (const key in source) if (--keys < 0) return next;
  return keys === 0 ? previous : next;
}
