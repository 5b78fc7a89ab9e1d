import { CliError } from './errors.js';
import type { Clock } from './command.js';

/** How to poll until something is done. */
export interface WaitOptions<T> {
  readonly clock: Clock;
  /** Give up after this long (the value read last is returned with `timedOut: true`). */
  readonly timeoutMs: number;
  /** Time between polls. */
  readonly intervalMs: number;
  poll(): Promise<T>;
  done(value: T): boolean;
  /** Called with every value read (progress lines). */
  onValue(value: T, elapsedMs: number): void;
  /** Called when a poll after the first fails in a way worth retrying. */
  onRetry(error: CliError): void;
}

/**
 * Polls until `done` or the timeout. The first poll's errors end the wait at once (a wrong URL,
 * key or flag); later network errors, 429s and 5xx are retried until the timeout, so a server restart
 * during a long rollout does not fail the pipeline. A timeout reached while the server is failing
 * throws that error.
 * @example const { value, timedOut } = await waitFor({ clock, timeoutMs: 3_600_000, intervalMs: 1000, poll, done, onValue, onRetry });
 */
export async function waitFor<T>(options: WaitOptions<T>): Promise<{ value: T; timedOut: boolean }> {
  const { clock } = options;
  const started = clock.now();
  const deadline = started + options.timeoutMs;
  let value = await options.poll();
  for (;;) {
    options.onValue(value, clock.now() - started);
    if (options.done(value)) return { value, timedOut: false };
    let failure: CliError | undefined;
    for (;;) {
      const remaining = deadline - clock.now();
      if (remaining <= 0) {
        if (failure !== undefined) throw failure;
        return { value, timedOut: true };
      }
      await clock.sleep(Math.min(options.intervalMs, remaining));
      try {
        value = await options.poll();
        break;
      } catch (err) {
        if (!(err instanceof CliError) || !err.transient) throw err;
        failure = err;
        options.onRetry(err);
      }
    }
  }
}
