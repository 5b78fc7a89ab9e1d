import type { FlagConfig } from '@switchyard/core';

/**
 * Key of what a local write committed, as SDKs see it. A symbol, so the rows never leave the process:
 * JSON.stringify skips symbol keys (the Redis envelope, the admin event stream).
 */
export const COMMITTED_FLAGS: unique symbol = Symbol('committed flags');

/** A flag's SDK config as a local write committed it, and as it was at the revision before. */
export interface CommittedFlag {
  readonly config: FlagConfig;
  readonly previous: FlagConfig;
}

/**
 * A committed change, announced after its transaction commits: which global revision it got, which
 * environments it touched (`'all'` for environment-independent data such as flag metadata, segments
 * and keys), what kind of resource changed and which keys.
 */
export interface Change {
  readonly revision: number;
  readonly environments: readonly string[] | 'all';
  readonly kind: 'flag' | 'segment' | 'environment' | 'key';
  readonly keys: readonly string[];
  /**
   * Set by the replica that committed a flag change, when it knows the flags' complete SDK configs
   * at `revision` and just before it (the rows its statement read and wrote): its stream hub can then
   * push them without reading them back. Absent on changes from other replicas.
   */
  readonly [COMMITTED_FLAGS]?: readonly CommittedFlag[];
}

/**
 * The change bus seam. Services publish after commit; the revision tracker, the SDK config cache and
 * the stream subscribe. The in-process implementation is below; a Redis one (several replicas) keeps
 * the same two methods. Delivery is best effort: subscribers must tolerate a lost notification,
 * because the revision tracker's poll catches up within a second.
 */
export interface ChangeNotifier {
  publish(change: Change): void;
  /** Returns the unsubscribe function. */
  subscribe(listener: (change: Change) => void): () => void;
}

/** A notifier for one process: listeners run synchronously, in subscription order. */
export function createLocalNotifier(options: { onListenerError?: (error: unknown) => void } = {}): ChangeNotifier {
  const listeners = new Set<(change: Change) => void>();
  return {
    publish(change) {
      for (const listener of [...listeners]) {
        // A failing subscriber must not fail the write that already committed, nor starve the others.
        try {
          listener(change);
        } catch (error) {
          options.onListenerError?.(error);
        }
      }
    },
    subscribe(listener) {
      const wrapped = (change: Change): void => listener(change);
      listeners.add(wrapped);
      return () => {
        listeners.delete(wrapped);
      };
    },
  };
}
