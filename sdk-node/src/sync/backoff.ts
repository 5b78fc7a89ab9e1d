/** Reconnect delays: exponential, capped, with full jitter. */
export interface BackoffOptions {
  /** First retry's upper bound. Default 500 ms. */
  readonly initialMs?: number;
  /** Cap on the upper bound. Default 30 s. */
  readonly maxMs?: number;
}

/**
 * Full-jitter exponential backoff: attempt n waits a uniformly random time in
 * [0, min(maxMs, initialMs * 2^n)], so many clients that lost the same server spread out over the
 * window instead of returning together.
 * @example const b = createBackoff(); setTimeout(reconnect, b.next())
 */
export function createBackoff(options: BackoffOptions = {}, random: () => number = Math.random) {
  const initial = Math.max(1, options.initialMs ?? 500);
  const max = Math.max(initial, options.maxMs ?? 30_000);
  let attempt = 0;
  return {
    /** The delay before the next attempt; each call widens the window. */
    next(): number {
      const ceiling = Math.min(max, initial * 2 ** Math.min(attempt, 30));
      attempt++;
      return Math.floor(random() * ceiling);
    },
    /** After a connection that worked: start from the smallest window again. */
    reset(): void {
      attempt = 0;
    },
    get attempts(): number {
      return attempt;
    },
  };
}
