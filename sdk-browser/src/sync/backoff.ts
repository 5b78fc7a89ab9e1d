/** Reconnect delays: exponential, capped, with full jitter. */
export interface BackoffOptions {
  /** First retry's upper bound. Default 500 ms. */
  readonly initialMs?: number;
  /** Cap on the upper bound. Default 30 s. */
  readonly maxMs?: number;
}

/**
 * Full-jitter exponential backoff (docs/protocol.md "Reconnecting"): attempt n waits a uniformly
 * random time in [0, min(maxMs, initialMs * 2^n)], so pages that lost the same server spread out.
 * @example setTimeout(connect, backoffDelay(attempt++))
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  return Math.random() * Math.min(options.maxMs ?? 3e4, (options.initialMs ?? 500) * 2 ** Math.min(attempt, 30));
}
