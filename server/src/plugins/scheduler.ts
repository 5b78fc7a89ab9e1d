import { sql, type Kysely } from 'kysely';
import type { DatabaseHandle } from '../db/connect.js';
import type { Database } from '../db/schema.js';

/** One piece of periodic work (run rollout plans, watch gates, queue and send webhooks). */
export interface SchedulerJob {
  readonly name: string;
  run(): Promise<void>;
}

/** Runs its jobs once per tick, on one replica at a time. */
export interface Scheduler {
  /**
   * Runs one tick now and resolves when it is done: true when this replica ran the jobs, false when
   * another replica held the lock. A tick asked for while one runs joins that one.
   */
  tick(): Promise<boolean>;
  /** Ticks every `intervalMs` on an unref'd timer. Idempotent. */
  start(): void;
  /** Stops ticking and waits for a running tick (which skips the jobs it has not started). tick() still works after. */
  stop(): Promise<void>;
}

export interface SchedulerOptions {
  readonly db: Kysely<Database>;
  readonly kind: DatabaseHandle['kind'];
  readonly jobs: readonly SchedulerJob[];
  readonly intervalMs?: number;
  readonly onError?: (error: unknown, job: string) => void;
}

// The two-int advisory lock space (migrations use the one-bigint space); the second key is the schema,
// so installations (and test files) sharing one Postgres in different schemas do not block each other.
const SCHEDULER_LOCK_CLASS = 72401479;

/**
 * The scheduler's tick runs under a session-level Postgres advisory lock held on one dedicated
 * connection for the whole tick; a replica that does not get it skips the tick, so two replicas never
 * work the same plans or webhooks at once. The jobs also re-check what they change under row locks, so
 * even a lock lost with its connection cannot make a step advance twice. PGlite is one connection in
 * one process: the jobs just run (reserving that connection for the lock would leave none for them).
 */
export function createScheduler(options: SchedulerOptions): Scheduler {
  const { db, kind, jobs } = options;
  const intervalMs = options.intervalMs ?? 1000;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<boolean> | undefined;
  // Set while stop() waits: a tick in progress skips its remaining jobs.
  let stopping = false;

  const runJobs = async (): Promise<void> => {
    for (const job of jobs) {
      if (stopping) return;
      try {
        await job.run();
      } catch (error) {
        options.onError?.(error, job.name);
      }
    }
  };

  const locked = async (): Promise<boolean> => {
    if (kind === 'pglite') {
      await runJobs();
      return true;
    }
    return db.connection().execute(async (connection) => {
      const { rows } = await sql<{ locked: boolean }>`SELECT pg_try_advisory_lock(${SCHEDULER_LOCK_CLASS}, hashtext(current_schema())) AS locked`.execute(connection);
      if (rows[0]?.locked !== true) return false;
      try {
        await runJobs();
        return true;
      } finally {
        // If the session died, its lock died with it.
        await sql`SELECT pg_advisory_unlock(${SCHEDULER_LOCK_CLASS}, hashtext(current_schema()))`.execute(connection).catch(() => undefined);
      }
    });
  };

  const tick = (): Promise<boolean> => {
    running ??= locked()
      .catch((error: unknown) => {
        // The database is down or not migrated yet: the next tick retries.
        options.onError?.(error, 'lock');
        return false;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };

  return {
    tick,
    start() {
      if (timer !== undefined) return;
      timer = setInterval(() => void tick(), intervalMs);
      timer.unref();
    },
    async stop() {
      stopping = true;
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      try {
        await running;
      } finally {
        stopping = false;
      }
    },
  };
}
