import { randomBytes } from 'node:crypto';
import { WEIGHT_TOTAL, type EnvironmentConfig } from '@switchyard/core';
import type { Kysely, Transaction } from 'kysely';
import type { Clock } from '../../clock.js';
import { nextRevision } from '../../db/revision.js';
import type { Database } from '../../db/schema.js';
import { ApiError, validationError } from '../../errors.js';
import type { ChangeNotifier } from '../../plugins/changes.js';
import type { SchedulerJob } from '../../plugins/scheduler.js';
import { writeAudit, type Actor } from '../audit/audit.store.js';
import { sliderRollout, sliderVariant } from '../flags/flag-environments.service.js';
import { flagArchived, flagNotFound } from '../flags/flags.service.js';
import { commitFlagEnvironmentChange, environmentExists, findFlag, lockFlagEnvironment, type FlagEnvironmentRecord, type FlagRecord, type Kill } from '../flags/flags.store.js';
import { auditFlagEnvironment } from '../flags/flags.views.js';
import { checkGuards, type GuardCheck } from './rollout-guards.js';
import type { Guards, NoDataPolicy, PlanAction, StartPlan } from './rollout-plans.schemas.js';
import {
  insertPlan,
  latestPlan,
  lockActivePlan,
  lockPlan,
  plansToCheck,
  stepOffsetAt,
  stepWindow,
  updatePlan,
  type HistoryEntry,
  type HistoryEvent,
  type PlanPatch,
  type PlanRecord,
  type PlanState,
} from './rollout-plans.store.js';

/** The plan as the API shows it. */
export interface PlanView {
  readonly id: string;
  readonly flag: string;
  readonly environment: string;
  readonly state: PlanState;
  readonly stepIndex: number;
  readonly percentage: number;
  readonly steps: number[];
  readonly holdSeconds: number;
  readonly variant: string;
  readonly baselineVariant: string;
  readonly guards: Guards;
  readonly noData: NoDataPolicy;
  readonly stepStartedAt: string;
  /** When the current step's hold ends (null unless running). */
  readonly stepEndsAt: string | null;
  readonly nextCheckAt: string | null;
  readonly pausedReason: string | null;
  readonly history: HistoryEntry[];
  readonly lastCheck: GuardCheck | null;
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly createdBy: string | null;
}

export function planView(plan: PlanRecord): PlanView {
  return {
    id: plan.id,
    flag: plan.flag,
    environment: plan.environment,
    state: plan.state,
    stepIndex: plan.stepIndex,
    percentage: plan.steps[plan.stepIndex] ?? 0,
    steps: plan.steps,
    holdSeconds: plan.holdSeconds,
    variant: plan.variant,
    baselineVariant: plan.baselineVariant,
    guards: plan.guards,
    noData: plan.noData,
    stepStartedAt: plan.stepStartedAt,
    stepEndsAt: plan.state === 'running' ? new Date(Date.parse(plan.stepStartedAt) + plan.holdSeconds * 1000).toISOString() : null,
    nextCheckAt: plan.nextCheckAt,
    pausedReason: plan.pausedReason,
    history: plan.history,
    lastCheck: plan.lastCheck,
    version: plan.version,
    createdAt: plan.createdAt,
    updatedAt: plan.updatedAt,
    createdBy: plan.createdBy,
  };
}

/** The plan in audit rows and webhook events: everything but the history. */
function planSummary(plan: PlanRecord): Omit<PlanView, 'history'> {
  const { history: _history, ...rest } = planView(plan);
  return rest;
}

export interface RolloutPlanService {
  start(key: string, environment: string, body: StartPlan, actor: Actor): Promise<PlanView>;
  get(key: string, environment: string): Promise<PlanView>;
  pause(key: string, environment: string, body: PlanAction, actor: Actor): Promise<PlanView>;
  resume(key: string, environment: string, body: PlanAction, actor: Actor): Promise<PlanView>;
  abort(key: string, environment: string, body: PlanAction, actor: Actor): Promise<PlanView>;
  /** The scheduler job: checks every running plan that is due (or whose flag was killed). */
  readonly runner: SchedulerJob;
}

export interface RolloutPlanServiceDeps {
  readonly db: Kysely<Database>;
  readonly clock: Clock;
  readonly notifier: ChangeNotifier;
  /** How often a running plan is checked for breaches within a hold (default 10 s; never less often than the hold). */
  readonly checkIntervalMs?: number;
  readonly onError?: (error: unknown, context: string) => void;
}

/** Who the scheduler's changes are audited as. */
export const SCHEDULER_ACTOR: Actor = { name: 'rollout-scheduler', keyId: null };

const DEFAULT_CHECK_INTERVAL_MS = 10_000;
/**
 * Outcomes reach the server late: SDKs flush every few seconds, and they start serving a new step only
 * once the change reached them. So a hold that ends without enough data waits this much longer (one
 * more hold, at most a minute) for late reports before the no-data policy applies.
 */
const MAX_NO_DATA_GRACE_MS = 60_000;
const MAX_HISTORY = 200;
const PLANS_PER_TICK = 100;

type PlanActionName = 'start' | 'advance' | 'pause' | 'resume' | 'abort' | 'rollback' | 'complete';

const stepWeight = (percentage: number): number => Math.round(percentage * 1000);

/** How much of the fallthrough serves `variant`, in weight units (100000 = everyone). */
function servedWeight(config: EnvironmentConfig, variant: string): number {
  const serve = config.fallthrough;
  if ('variant' in serve) return serve.variant === variant ? WEIGHT_TOTAL : 0;
  return serve.rollout.variants.filter((v) => v.variant === variant).reduce((n, v) => n + v.weight, 0);
}

/**
 * The config with the plan's variant at `percentage` and the baseline for everyone else in the
 * fallthrough. The slider's rollout keeps the salt, bucketBy and slice order, so raising the
 * percentage only adds users (sticky), and a restarted or new plan buckets the same users again.
 */
function withPercentage(config: EnvironmentConfig, plan: { variant: string; baselineVariant: string }, percentage: number): EnvironmentConfig {
  return { ...config, fallthrough: { rollout: sliderRollout({ ...config, offVariant: plan.baselineVariant }, percentage, plan.variant) } };
}

function planNotActive(key: string, environment: string, latest: PlanRecord | undefined): ApiError {
  const state = latest === undefined ? 'there is no rollout plan' : `its latest rollout plan is ${latest.state.replace('_', ' ')}`;
  return new ApiError('ROLLOUT_PLAN_NOT_ACTIVE', `flag "${key}" has no running or paused rollout plan in ${environment} (${state})`);
}

/** Postgres unique_violation (the one-active-plan index). */
function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';
}

interface FlagWrite {
  readonly row: FlagEnvironmentRecord;
  readonly config: EnvironmentConfig;
  readonly killed: Omit<Kill, 'revision'> | null;
  readonly action: 'flag-environment.rollout' | 'flag-environment.kill';
  readonly reason: string;
}

interface Transition {
  readonly action: PlanActionName;
  readonly event: HistoryEvent;
  readonly actor: Actor;
  readonly reason: string | null;
  readonly patch: PlanPatch;
  readonly flag?: FlagWrite | undefined;
}

interface Committed {
  readonly plan: PlanRecord;
  readonly revision: number;
}

export function createRolloutPlanService(deps: RolloutPlanServiceDeps): RolloutPlanService {
  const { db, clock, notifier } = deps;
  const checkIntervalMs = deps.checkIntervalMs ?? DEFAULT_CHECK_INTERVAL_MS;

  /** The next check of a step that starts (or was checked) at `now`: within the hold, at its end at the latest. */
  const nextCheck = (stepStartedAt: Date, holdSeconds: number, now: Date): Date =>
    new Date(Math.min(stepStartedAt.getTime() + holdSeconds * 1000, now.getTime() + checkIntervalMs));

  /** Locks the flag's environment row (always before the plan row, as every writer does) and checks it exists. */
  const lockTarget = async (trx: Transaction<Database>, key: string, environment: string): Promise<{ flag: FlagRecord; row: FlagEnvironmentRecord }> => {
    const found = await lockFlagEnvironment(trx, key, environment);
    if (found === undefined) {
      if ((await findFlag(trx, key)) === undefined) throw flagNotFound(key);
      throw new ApiError('ENVIRONMENT_NOT_FOUND', `no environment "${environment}"`);
    }
    if (found.flag.archivedAt !== null) throw flagArchived(key);
    return found;
  };

  /**
   * One state change of a plan, in the caller's transaction: the flag write (if any, with its own
   * revision and audit entry through the flag-environment write path), the plan row, a history entry
   * and a `rollout-plan.<action>` audit entry with the same revision.
   */
  const commit = async (trx: Transaction<Database>, plan: PlanRecord, t: Transition, now: Date): Promise<Committed> => {
    let revision: number;
    if (t.flag !== undefined) {
      const written = await commitFlagEnvironmentChange(
        trx,
        t.flag.row,
        { config: t.flag.config, killed: t.flag.killed, action: t.flag.action, actor: t.actor, reason: t.flag.reason, before: auditFlagEnvironment(t.flag.row) },
        now,
      );
      // Unreachable while the row is locked; a lost lock must never become a lost update.
      if (written === undefined) throw new ApiError('VERSION_CONFLICT', `flag "${plan.flag}" changed in ${plan.environment} while the rollout plan was moving; retry`);
      revision = written.revision;
    } else {
      revision = await nextRevision(trx);
    }
    const stepIndex = t.patch.stepIndex ?? plan.stepIndex;
    const entry: HistoryEntry = {
      at: now.toISOString(),
      event: t.event,
      stepIndex,
      percentage: plan.steps[stepIndex] ?? 0,
      ...(t.reason === null ? {} : { detail: t.reason }),
      actor: t.actor.name,
    };
    const history = [...plan.history, entry];
    // Bounded: the first entry (how it started) and the latest ones.
    if (history.length > MAX_HISTORY) history.splice(1, history.length - MAX_HISTORY);
    const updated = await updatePlan(trx, plan, { ...t.patch, history }, now);
    if (updated === undefined) throw new ApiError('VERSION_CONFLICT', `the rollout plan of "${plan.flag}" in ${plan.environment} changed meanwhile; retry`);
    await writeAudit(trx, {
      revision,
      actor: t.actor,
      action: `rollout-plan.${t.action}`,
      resourceType: 'rollout-plan',
      resourceKey: plan.flag,
      environment: plan.environment,
      reason: t.reason,
      before: { id: plan.id, state: plan.state, stepIndex: plan.stepIndex, percentage: plan.steps[plan.stepIndex] ?? 0 },
      after: planSummary(updated),
    });
    return { plan: updated, revision };
  };

  // Every plan change is announced (SDKs get the new rollout; the admin UI's feed refetches the plan).
  const publish = (committed: Committed | undefined): void => {
    if (committed !== undefined) notifier.publish({ revision: committed.revision, environments: [committed.plan.environment], kind: 'flag', keys: [committed.plan.flag] });
  };

  const pauseTransition = (actor: Actor, reason: string, lastCheck?: GuardCheck): Transition => ({
    action: 'pause',
    event: 'paused',
    actor,
    reason,
    patch: { state: 'paused', pausedReason: reason, nextCheckAt: null, ...(lastCheck === undefined ? {} : { lastCheck }) },
  });

  const rollbackTransition = (plan: PlanRecord, row: FlagEnvironmentRecord, reason: string, lastCheck: GuardCheck, now: Date): Transition => ({
    action: 'rollback',
    event: 'rolled_back',
    actor: SCHEDULER_ACTOR,
    reason,
    patch: { state: 'rolled_back', nextCheckAt: null, lastCheck },
    flag: {
      row,
      // Back to 0% with the same salt, and killed: a kill is what responders look for, and restoring
      // it leaves the flag on at 0% (everyone on the baseline) rather than back at the failed step.
      config: { ...withPercentage(row.config, plan, 0), enabled: false },
      killed: { reason, at: now.toISOString(), actor: SCHEDULER_ACTOR.name, previousEnabled: row.config.enabled },
      action: 'flag-environment.kill',
      reason,
    },
  });

  /** Checks one plan; the transaction re-reads it under lock, so a plan moved by another replica is left alone. */
  const check = async (seen: PlanRecord): Promise<void> => {
    const now = clock.now();
    const due = seen.nextCheckAt !== null && Date.parse(seen.nextCheckAt) <= now.getTime();
    const window = due ? await stepWindow(db, seen, now) : undefined;
    const committed = await db.transaction().execute(async (trx): Promise<Committed | undefined> => {
      const found = await lockFlagEnvironment(trx, seen.flag, seen.environment);
      const plan = await lockPlan(trx, seen.id);
      if (plan === undefined || plan.state !== 'running' || plan.version !== seen.version) return undefined;
      if (found === undefined || found.flag.archivedAt !== null) {
        return commit(trx, plan, { action: 'abort', event: 'aborted', actor: SCHEDULER_ACTOR, reason: `flag "${plan.flag}" was archived`, patch: { state: 'aborted', nextCheckAt: null } }, now);
      }
      const { row } = found;
      if (row.killed !== null) {
        return commit(trx, plan, pauseTransition(SCHEDULER_ACTOR, `flag killed in ${plan.environment} by ${row.killed.actor}: ${row.killed.reason}`), now);
      }
      if (!row.config.enabled) return commit(trx, plan, pauseTransition(SCHEDULER_ACTOR, `flag switched off in ${plan.environment} outside the plan`), now);
      const percentage = plan.steps[plan.stepIndex] ?? 0;
      const served = servedWeight(row.config, plan.variant);
      if (served !== stepWeight(percentage)) {
        return commit(trx, plan, pauseTransition(SCHEDULER_ACTOR, `rollout changed outside the plan: "${plan.variant}" is served to ${served / 1000}% in ${plan.environment}, the plan's step is ${percentage}%`), now);
      }
      if (window === undefined) return undefined;

      const stepStarted = new Date(plan.stepStartedAt);
      const result = checkGuards({
        guards: plan.guards,
        variant: plan.variant,
        baselineVariant: plan.baselineVariant,
        variantCounts: window.get(plan.variant),
        baselineCounts: window.get(plan.baselineVariant),
        percentage,
        windowSeconds: Math.max(0, Math.round((now.getTime() - stepStarted.getTime()) / 1000)),
        at: now,
      });
      if (result.breach !== undefined) return commit(trx, plan, rollbackTransition(plan, row, result.breach.reason, result, now), now);

      const holdEnds = stepStarted.getTime() + plan.holdSeconds * 1000;
      if (now.getTime() < holdEnds) {
        // Mid-hold: healthy so far (or not enough data yet); look again later. Not a state change.
        await updatePlan(trx, plan, { lastCheck: result, nextCheckAt: nextCheck(stepStarted, plan.holdSeconds, now) }, now);
        return undefined;
      }
      if (result.verdict === 'no-data') {
        const graceEnds = holdEnds + Math.min(plan.holdSeconds * 1000, MAX_NO_DATA_GRACE_MS);
        if (now.getTime() < graceEnds) {
          await updatePlan(trx, plan, { lastCheck: result, nextCheckAt: new Date(Math.min(graceEnds, now.getTime() + checkIntervalMs)) }, now);
          return undefined;
        }
        const why = result.noData ?? 'no data';
        // A step never advances on no data: the policy only chooses between waiting for a person and rolling back.
        if (plan.noData === 'rollback') return commit(trx, plan, rollbackTransition(plan, row, `rollout guard noData: ${why}`, result, now), now);
        return commit(trx, plan, pauseTransition(SCHEDULER_ACTOR, why, result), now);
      }
      const nextIndex = plan.stepIndex + 1;
      const nextPercentage = plan.steps[nextIndex];
      if (nextPercentage === undefined) {
        return commit(trx, plan, { action: 'complete', event: 'completed', actor: SCHEDULER_ACTOR, reason: null, patch: { state: 'completed', nextCheckAt: null, lastCheck: result } }, now);
      }
      const reason = `rollout plan ${plan.id}: step ${nextIndex + 1}/${plan.steps.length} at ${nextPercentage}%`;
      return commit(
        trx,
        plan,
        {
          action: 'advance',
          event: 'advanced',
          actor: SCHEDULER_ACTOR,
          reason,
          patch: {
            stepIndex: nextIndex,
            stepStartedAt: now,
            stepOffset: await stepOffsetAt(trx, plan.environment, plan.flag, now),
            nextCheckAt: nextCheck(now, plan.holdSeconds, now),
            lastCheck: result,
          },
          flag: { row, config: withPercentage(row.config, plan, nextPercentage), killed: null, action: 'flag-environment.rollout', reason },
        },
        now,
      );
    });
    publish(committed);
  };

  const runner: SchedulerJob = {
    name: 'rollout plans',
    run: async () => {
      for (const plan of await plansToCheck(db, clock.now(), PLANS_PER_TICK)) {
        try {
          await check(plan);
        } catch (error) {
          // One broken plan must not hold up the others; it is retried next tick.
          deps.onError?.(error, `rollout plan ${plan.id}`);
        }
      }
    },
  };

  /** Runs `body` on the active plan under lock (flag row first); answers 409 when there is none. */
  const onActive = async (
    key: string,
    environment: string,
    body: (trx: Transaction<Database>, plan: PlanRecord, target: { flag: FlagRecord; row: FlagEnvironmentRecord }, now: Date) => Promise<Committed | PlanRecord>,
  ): Promise<PlanView> => {
    const now = clock.now();
    const result = await db.transaction().execute(async (trx) => {
      const target = await lockTarget(trx, key, environment);
      const plan = await lockActivePlan(trx, key, environment);
      if (plan === undefined) throw planNotActive(key, environment, await latestPlan(trx, key, environment));
      return body(trx, plan, target, now);
    });
    if ('revision' in result) {
      publish(result);
      return planView(result.plan);
    }
    return planView(result);
  };

  return {
    runner,

    async start(key, environment, body, actor) {
      const now = clock.now();
      const id = `plan_${randomBytes(10).toString('hex')}`;
      let committed: Committed;
      try {
        committed = await db.transaction().execute(async (trx) => {
          const { flag, row } = await lockTarget(trx, key, environment);
          if (row.killed !== null) {
            throw new ApiError('FLAG_KILLED', `flag "${key}" is killed in ${environment} (${row.killed.reason}); restore it before starting a rollout plan`);
          }
          const active = await lockActivePlan(trx, key, environment);
          if (active !== undefined) {
            throw new ApiError('ROLLOUT_PLAN_ACTIVE', `flag "${key}" already has a ${active.state} rollout plan in ${environment} (${active.id}); abort it first`, [{ path: '', message: active.state, planId: active.id }]);
          }
          const variants = new Set(flag.variants.map((v) => v.key));
          const baselineVariant = body.baselineVariant ?? row.config.offVariant;
          const variant = sliderVariant(flag, { ...row.config, offVariant: baselineVariant }, body.variant);
          if (!variants.has(baselineVariant)) throw validationError([{ path: ['baselineVariant'], message: `unknown variant "${baselineVariant}"` }]);
          if (variant === undefined || !variants.has(variant)) {
            throw validationError([{ path: ['variant'], message: variant === undefined ? 'the flag has no variant besides the baseline to roll out' : `unknown variant "${variant}"` }]);
          }
          if (variant === baselineVariant) throw validationError([{ path: ['variant'], message: `"${variant}" is the baseline variant; roll out another one` }]);
          const first = body.steps[0] ?? 0;
          const reason = `rollout plan ${id} started: step 1/${body.steps.length} at ${first}%${row.config.enabled ? '' : ' (the flag was off: switched on)'}`;
          const plan = await insertPlan(trx, {
            id,
            flag: key,
            environment,
            state: 'running',
            steps: body.steps,
            stepIndex: 0,
            holdSeconds: body.holdSeconds,
            variant,
            baselineVariant,
            guards: body.guards,
            noData: body.noData,
            stepStartedAt: now.toISOString(),
            stepOffset: await stepOffsetAt(trx, environment, key, now),
            nextCheckAt: nextCheck(now, body.holdSeconds, now).toISOString(),
            pausedReason: null,
            history: [],
            lastCheck: null,
            createdAt: now.toISOString(),
            createdBy: actor.name,
          });
          return commit(
            trx,
            plan,
            {
              action: 'start',
              event: 'started',
              actor,
              reason,
              patch: {},
              flag: { row, config: withPercentage({ ...row.config, enabled: true }, plan, first), killed: null, action: 'flag-environment.rollout', reason },
            },
            now,
          );
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw new ApiError('ROLLOUT_PLAN_ACTIVE', `flag "${key}" already has an active rollout plan in ${environment}; abort it first`);
        throw error;
      }
      publish(committed);
      return planView(committed.plan);
    },

    async get(key, environment) {
      const plan = await latestPlan(db, key, environment);
      if (plan !== undefined) return planView(plan);
      const flag = await findFlag(db, key);
      if (flag === undefined) throw flagNotFound(key);
      if (!(await environmentExists(db, environment))) throw new ApiError('ENVIRONMENT_NOT_FOUND', `no environment "${environment}"`);
      throw new ApiError('ROLLOUT_PLAN_NOT_FOUND', `flag "${key}" has no rollout plan in ${environment}`);
    },

    pause: (key, environment, body, actor) =>
      onActive(key, environment, async (trx, plan, _target, now) => {
        if (plan.state === 'paused') return plan;
        return commit(trx, plan, pauseTransition(actor, body.reason ?? `paused by ${actor.name}`), now);
      }),

    resume: (key, environment, body, actor) =>
      onActive(key, environment, async (trx, plan, { row }, now) => {
        if (plan.state === 'running') return plan;
        if (row.killed !== null) {
          throw new ApiError('FLAG_KILLED', `flag "${key}" is killed in ${environment} (${row.killed.reason}); restore it before resuming the rollout plan`);
        }
        const percentage = plan.steps[plan.stepIndex] ?? 0;
        const reason = body.reason ?? `resumed by ${actor.name} at step ${plan.stepIndex + 1}/${plan.steps.length} (${percentage}%)`;
        // The step's hold starts over with fresh data; the flag is put back to the step if it drifted.
        const drifted = !row.config.enabled || servedWeight(row.config, plan.variant) !== stepWeight(percentage);
        return commit(
          trx,
          plan,
          {
            action: 'resume',
            event: 'resumed',
            actor,
            reason,
            patch: { state: 'running', pausedReason: null, stepStartedAt: now, stepOffset: await stepOffsetAt(trx, environment, key, now), nextCheckAt: nextCheck(now, plan.holdSeconds, now) },
            flag: drifted ? { row, config: withPercentage({ ...row.config, enabled: true }, plan, percentage), killed: null, action: 'flag-environment.rollout', reason } : undefined,
          },
          now,
        );
      }),

    abort: (key, environment, body, actor) =>
      onActive(key, environment, async (trx, plan, { row }, now) => {
        const reason = body.reason ?? `aborted by ${actor.name}`;
        // Abort returns everyone to the baseline (0%, same salt); pause is the way to stop where it is.
        const atZero = servedWeight(row.config, plan.variant) === 0;
        return commit(
          trx,
          plan,
          {
            action: 'abort',
            event: 'aborted',
            actor,
            reason,
            patch: { state: 'aborted', nextCheckAt: null, pausedReason: null },
            flag: atZero ? undefined : { row, config: withPercentage(row.config, plan, 0), killed: row.killed, action: 'flag-environment.rollout', reason: `rollout plan ${plan.id} aborted: ${reason}` },
          },
          now,
        );
      }),
  };
}
