import type { Kysely } from 'kysely';
import type { Clock } from '../../clock.js';
import type { DatabaseHandle } from '../../db/connect.js';
import type { Database } from '../../db/schema.js';
import type { ChangeNotifier } from '../../plugins/changes.js';
import { createScheduler, type Scheduler, type SchedulerJob } from '../../plugins/scheduler.js';
import { createRolloutPlanService } from './rollout-plans.service.js';

export interface RolloutSchedulerOptions {
  readonly db: Kysely<Database>;
  readonly kind: DatabaseHandle['kind'];
  readonly clock: Clock;
  readonly notifier: ChangeNotifier;
  /** Tick period (default 1 s). */
  readonly intervalMs?: number;
  /** How often a running plan is checked for breaches within a hold (default 10 s). */
  readonly checkIntervalMs?: number;
  /** More work for each tick, after the plans (gate watcher, webhook outbox and deliveries). */
  readonly jobs?: readonly SchedulerJob[];
  readonly onError?: (error: unknown, context: string) => void;
}

/**
 * The guarded-rollout scheduler: each tick, on one replica at a time (see createScheduler), it checks
 * the running rollout plans that are due, then runs the other jobs. All its state lives in Postgres,
 * so a restarted or different replica picks up where the last one stopped.
 * @example const scheduler = createRolloutScheduler({ db, kind: 'postgres', clock, notifier }); scheduler.start();
 */
export function createRolloutScheduler(options: RolloutSchedulerOptions): Scheduler {
  const plans = createRolloutPlanService({
    db: options.db,
    clock: options.clock,
    notifier: options.notifier,
    ...(options.checkIntervalMs === undefined ? {} : { checkIntervalMs: options.checkIntervalMs }),
    ...(options.onError === undefined ? {} : { onError: options.onError }),
  });
  return createScheduler({
    db: options.db,
    kind: options.kind,
    jobs: [plans.runner, ...(options.jobs ?? [])],
    ...(options.intervalMs === undefined ? {} : { intervalMs: options.intervalMs }),
    ...(options.onError === undefined ? {} : { onError: options.onError }),
  });
}
