import { sql, type Kysely, type Selectable, type Updateable } from 'kysely';
import type { Database, RolloutPlansTable } from '../../db/schema.js';
import { fromJson, json, toIso } from '../../db/values.js';
import { variantStats } from '../sdk-metrics/metrics.store.js';
import { subtractCounts, type GuardCheck, type OutcomeCounts } from './rollout-guards.js';
import type { Guards, NoDataPolicy } from './rollout-plans.schemas.js';

export type PlanState = 'running' | 'paused' | 'completed' | 'rolled_back' | 'aborted';
export const ACTIVE_STATES: readonly PlanState[] = ['running', 'paused'];

export type HistoryEvent = 'started' | 'advanced' | 'paused' | 'resumed' | 'rolled_back' | 'completed' | 'aborted';

export interface HistoryEntry {
  readonly at: string;
  readonly event: HistoryEvent;
  readonly stepIndex: number;
  readonly percentage: number;
  readonly detail?: string;
  readonly actor?: string;
}

/**
 * Outcomes already recorded in the minute a step started. Metrics are stored per minute, so a step's
 * window begins at the start of that minute; subtracting these counts leaves exactly the outcomes
 * reported since the step began (holds of seconds stay honest: a step never counts the previous
 * step's traffic).
 */
export interface StepOffset {
  readonly minute: string;
  readonly variants: Record<string, OutcomeCounts>;
}

/** A rollout plan as stored. */
export interface PlanRecord {
  readonly id: string;
  readonly flag: string;
  readonly environment: string;
  readonly state: PlanState;
  readonly steps: number[];
  readonly stepIndex: number;
  readonly holdSeconds: number;
  readonly variant: string;
  readonly baselineVariant: string;
  readonly guards: Guards;
  readonly noData: NoDataPolicy;
  readonly stepStartedAt: string;
  readonly stepOffset: StepOffset | null;
  readonly nextCheckAt: string | null;
  readonly pausedReason: string | null;
  readonly history: HistoryEntry[];
  readonly lastCheck: GuardCheck | null;
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly createdBy: string | null;
}

export function planRecord(row: Selectable<RolloutPlansTable>): PlanRecord {
  return {
    id: row.id,
    flag: row.flag_key,
    environment: row.environment,
    state: row.state as PlanState,
    steps: fromJson<number[]>(row.steps),
    stepIndex: row.step_index,
    holdSeconds: row.hold_seconds,
    variant: row.variant,
    baselineVariant: row.baseline_variant,
    guards: fromJson<Guards>(row.guards),
    noData: row.no_data as NoDataPolicy,
    stepStartedAt: toIso(row.step_started_at),
    stepOffset: row.step_offset === null ? null : fromJson<StepOffset>(row.step_offset),
    nextCheckAt: toIso(row.next_check_at),
    pausedReason: row.paused_reason,
    history: fromJson<HistoryEntry[]>(row.history),
    lastCheck: row.last_check === null ? null : fromJson<GuardCheck>(row.last_check),
    version: row.version,
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
    createdBy: row.created_by,
  };
}

export async function insertPlan(db: Kysely<Database>, plan: Omit<PlanRecord, 'version' | 'updatedAt'>): Promise<PlanRecord> {
  const row = await db
    .insertInto('rollout_plans')
    .values({
      id: plan.id,
      flag_key: plan.flag,
      environment: plan.environment,
      state: plan.state,
      steps: json(plan.steps),
      step_index: plan.stepIndex,
      hold_seconds: plan.holdSeconds,
      variant: plan.variant,
      baseline_variant: plan.baselineVariant,
      guards: json(plan.guards),
      no_data: plan.noData,
      step_started_at: plan.stepStartedAt,
      step_offset: plan.stepOffset === null ? null : json(plan.stepOffset),
      next_check_at: plan.nextCheckAt,
      paused_reason: plan.pausedReason,
      history: json(plan.history),
      last_check: plan.lastCheck === null ? null : json(plan.lastCheck),
      version: 1,
      created_at: plan.createdAt,
      updated_at: plan.createdAt,
      created_by: plan.createdBy,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return planRecord(row);
}

/** What a transition changes on a plan. */
export interface PlanPatch {
  readonly state?: PlanState;
  readonly stepIndex?: number;
  readonly stepStartedAt?: Date;
  readonly stepOffset?: StepOffset | null;
  readonly nextCheckAt?: Date | null;
  readonly pausedReason?: string | null;
  readonly history?: readonly HistoryEntry[];
  readonly lastCheck?: GuardCheck | null;
}

/** Writes a patch if the plan is still at `version`; undefined when it is not (someone else moved it). */
export async function updatePlan(db: Kysely<Database>, current: PlanRecord, patch: PlanPatch, now: Date): Promise<PlanRecord | undefined> {
  const set: Updateable<RolloutPlansTable> = { version: current.version + 1, updated_at: now };
  if (patch.state !== undefined) set.state = patch.state;
  if (patch.stepIndex !== undefined) set.step_index = patch.stepIndex;
  if (patch.stepStartedAt !== undefined) set.step_started_at = patch.stepStartedAt;
  if (patch.stepOffset !== undefined) set.step_offset = patch.stepOffset === null ? null : json(patch.stepOffset);
  if (patch.nextCheckAt !== undefined) set.next_check_at = patch.nextCheckAt;
  if (patch.pausedReason !== undefined) set.paused_reason = patch.pausedReason;
  if (patch.history !== undefined) set.history = json(patch.history);
  if (patch.lastCheck !== undefined) set.last_check = patch.lastCheck === null ? null : json(patch.lastCheck);
  const row = await db.updateTable('rollout_plans').set(set).where('id', '=', current.id).where('version', '=', current.version).returningAll().executeTakeFirst();
  return row === undefined ? undefined : planRecord(row);
}

/** The newest plan of a flag in an environment. */
export async function latestPlan(db: Kysely<Database>, key: string, environment: string): Promise<PlanRecord | undefined> {
  const row = await db
    .selectFrom('rollout_plans')
    .selectAll()
    .where('flag_key', '=', key)
    .where('environment', '=', environment)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row === undefined ? undefined : planRecord(row);
}

/** The running or paused plan of a flag in an environment, locked for update. */
export async function lockActivePlan(db: Kysely<Database>, key: string, environment: string): Promise<PlanRecord | undefined> {
  const row = await db
    .selectFrom('rollout_plans')
    .selectAll()
    .where('flag_key', '=', key)
    .where('environment', '=', environment)
    .where('state', 'in', ACTIVE_STATES)
    .forUpdate()
    .executeTakeFirst();
  return row === undefined ? undefined : planRecord(row);
}

export async function lockPlan(db: Kysely<Database>, id: string): Promise<PlanRecord | undefined> {
  const row = await db.selectFrom('rollout_plans').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  return row === undefined ? undefined : planRecord(row);
}

/**
 * Running plans the scheduler must look at now: those due for a check, and those whose flag was
 * killed or switched off meanwhile (they pause at once, not at the end of their hold).
 */
export async function plansToCheck(db: Kysely<Database>, now: Date, limit: number): Promise<PlanRecord[]> {
  const result = await sql<Selectable<RolloutPlansTable>>`
    SELECT p.* FROM rollout_plans AS p
    LEFT JOIN flag_environments AS fe ON fe.flag_key = p.flag_key AND fe.environment = p.environment
    WHERE p.state = 'running'
      AND (p.next_check_at <= ${now} OR fe.killed IS NOT NULL OR fe.flag_key IS NULL OR (fe.config ->> 'enabled') = 'false')
    ORDER BY p.next_check_at
    LIMIT ${limit}`.execute(db);
  return result.rows.map(planRecord);
}

const MINUTE_MS = 60_000;

export function minuteOf(at: Date): Date {
  return new Date(Math.floor(at.getTime() / MINUTE_MS) * MINUTE_MS);
}

/** The outcomes already recorded in the minute of `at`, per variant: the offset of a step starting now. */
export async function stepOffsetAt(db: Kysely<Database>, environment: string, flag: string, at: Date): Promise<StepOffset> {
  const minute = minuteOf(at);
  const stats = await variantStats(db, environment, flag, minute, new Date(minute.getTime() + MINUTE_MS));
  const variants: Record<string, OutcomeCounts> = {};
  for (const s of stats) variants[s.variant] = { outcomes: s.outcomes, errors: s.errors, latency: s.latency };
  return { minute: minute.toISOString(), variants };
}

/** Outcomes per variant reported since a step began (see {@link StepOffset}). */
export async function stepWindow(db: Kysely<Database>, plan: PlanRecord, now: Date): Promise<Map<string, OutcomeCounts>> {
  const since = minuteOf(new Date(plan.stepStartedAt));
  // Minute rows are keyed by their start: the current, partial minute is included.
  const until = new Date(minuteOf(now).getTime() + MINUTE_MS);
  const stats = await variantStats(db, plan.environment, plan.flag, since, until);
  const offset = plan.stepOffset !== null && plan.stepOffset.minute === since.toISOString() ? plan.stepOffset.variants : {};
  const window = new Map<string, OutcomeCounts>();
  for (const s of stats) window.set(s.variant, subtractCounts(s, offset[s.variant]));
  return window;
}
