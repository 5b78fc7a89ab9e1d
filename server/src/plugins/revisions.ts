import type { Kysely } from 'kysely';
import { currentRevision } from '../db/revision.js';
import type { Database } from '../db/schema.js';
import type { ChangeNotifier } from './changes.js';

/**
 * The latest committed global revision as this replica knows it, without a database round trip:
 * raised at once by changes published on the notifier, and by a poll of the revision counter (every
 * second by default) that catches changes whose notification was lost or came from a replica without
 * a shared bus. The SDK config route answers 304s from it.
 */
export interface RevisionTracker {
  latest(): number;
  /** Raises `latest()` to `revision` if it is higher (revisions only move forward). */
  observe(revision: number): void;
  /** Polls once now, then on an unref'd timer; subscribes to the notifier. Idempotent. */
  start(): Promise<void>;
  stop(): void;
}

export interface RevisionTrackerOptions {
  readonly db: Kysely<Database>;
  readonly notifier: ChangeNotifier;
  readonly intervalMs?: number;
  readonly onPollError?: (error: unknown) => void;
}

export function createRevisionTracker(options: RevisionTrackerOptions): RevisionTracker {
  const { db, notifier } = options;
  const intervalMs = options.intervalMs ?? 1000;
  let latest = 0;
  let timer: NodeJS.Timeout | undefined;
  let unsubscribe: (() => void) | undefined;
  let polling = false;

  const observe = (revision: number): void => {
    if (revision > latest) latest = revision;
  };

  const poll = async (): Promise<void> => {
    // A slow database must not pile up overlapping polls.
    if (polling) return;
    polling = true;
    try {
      observe(await currentRevision(db));
    } catch (error) {
      // Before migrations ran, or while the database is down: the next tick retries.
      options.onPollError?.(error);
    } finally {
      polling = false;
    }
  };

  return {
    latest: () => latest,
    observe,
    async start() {
      if (timer !== undefined) return;
      unsubscribe = notifier.subscribe((change) => observe(change.revision));
      timer = setInterval(() => void poll(), intervalMs);
      timer.unref();
      await poll();
    },
    stop() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      unsubscribe?.();
      unsubscribe = undefined;
    },
  };
}
