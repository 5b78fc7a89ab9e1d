import type { Kysely } from 'kysely';
import type { Clock } from '../../clock.js';
import { nextRevision } from '../../db/revision.js';
import type { Database } from '../../db/schema.js';
import { ApiError } from '../../errors.js';
import type { SchedulerJob } from '../../plugins/scheduler.js';
import { writeAudit, type Actor } from '../audit/audit.store.js';
import { flagNotFound } from '../flags/flags.service.js';
import { environmentExists, findFlag, lockFlagEnvironment } from '../flags/flags.store.js';
import { gateChangeEvent } from '../webhooks/webhook-events.js';
import { enqueueEvents } from '../webhooks/webhooks.store.js';
import { activeWindows, emptySchedule, formatLocal, scheduleState, type GateSchedule } from './gate-schedule.js';
import { announcedStates, findSchedule, gateInputs, killedFlags, saveSchedule, type GateInputs } from './gates.store.js';

export type GateSource = 'schedule' | 'manual' | 'kill' | 'active-kills' | 'open';

/** The answer of `GET /api/v1/gates/:key/environments/:env`. */
export interface GateStateView {
  readonly gate: string;
  readonly environment: string;
  readonly open: boolean;
  readonly reason: string;
  readonly source: GateSource;
  /** When the state next changes by schedule (within 8 days); null when no schedule change is due. */
  readonly until: string | null;
  readonly activeKills?: { flag: string; reason: string; at: string }[];
}

/** The answer of `GET|PUT .../schedule`. */
export interface ScheduleView extends GateSchedule {
  readonly gate: string;
  readonly environment: string;
  /** 0 when no schedule was ever written. */
  readonly version: number;
  readonly updatedAt: string | null;
  readonly revision?: number;
}

/** Whether a gate is open by its own state (kill, switch, schedule): cheap, no `until` search. */
export function gateOpen(inputs: GateInputs, now: Date): boolean {
  return inputs.killed === null && inputs.enabled && (inputs.schedule === undefined || activeWindows(inputs.schedule, now.getTime()).length === 0);
}

/** A gate's state from its inputs; `activeKills` only when the caller asked for the no-active-kills condition. */
export function gateState(inputs: GateInputs, now: Date, activeKills?: { flag: string; reason: string; at: string }[]): GateStateView {
  const base = { gate: inputs.flag, environment: inputs.environment, ...(activeKills === undefined ? {} : { activeKills }) };
  if (inputs.killed !== null) {
    return { ...base, open: false, source: 'kill', reason: `closed: killed by ${inputs.killed.actor} at ${inputs.killed.at}: ${inputs.killed.reason}`, until: null };
  }
  if (!inputs.enabled) return { ...base, open: false, source: 'manual', reason: `closed manually: the gate is off in ${inputs.environment}`, until: null };
  const schedule = inputs.schedule === undefined ? undefined : scheduleState(inputs.schedule, now.getTime());
  const local = (at: number): string => formatLocal(at, inputs.schedule?.timezone ?? 'UTC');
  if (schedule?.closed === true) {
    const until = schedule.until === null ? '' : ` (until ${local(schedule.until)})`;
    return { ...base, open: false, source: 'schedule', reason: `closed by schedule: ${schedule.reasons.join('; ')}${until}`, until: schedule.until === null ? null : new Date(schedule.until).toISOString() };
  }
  if (activeKills !== undefined && activeKills.length > 0) {
    const listed = activeKills.slice(0, 5).map((k) => `${k.flag} (${k.reason})`);
    const more = activeKills.length > 5 ? ` and ${activeKills.length - 5} more` : '';
    const count = activeKills.length === 1 ? '1 flag is' : `${activeKills.length} flags are`;
    return { ...base, open: false, source: 'active-kills', reason: `closed: ${count} killed in ${inputs.environment}: ${listed.join(', ')}${more}`, until: null };
  }
  const until = schedule?.until ?? null;
  const next = until === null ? '' : `; closes at ${local(until)} (${schedule?.nextReasons.join('; ') ?? 'schedule'})`;
  return { ...base, open: true, source: 'open', reason: `open${next}`, until: until === null ? null : new Date(until).toISOString() };
}

export interface GateService {
  state(key: string, environment: string, options: { noActiveKills: boolean }): Promise<GateStateView>;
  getSchedule(key: string, environment: string): Promise<ScheduleView>;
  putSchedule(key: string, environment: string, schedule: GateSchedule, expectedVersion: number | undefined, actor: Actor): Promise<ScheduleView>;
  /**
   * The scheduler job that notices gates opening or closing (kills, restores, config writes, schedule
   * windows starting or ending) and sends `gate.change` webhooks, once per flip.
   */
  readonly watcher: SchedulerJob;
}

async function requireGate(db: Kysely<Database>, key: string, environment: string): Promise<void> {
  const flag = await findFlag(db, key);
  if (flag === undefined) throw flagNotFound(key);
  if (flag.archivedAt !== null) throw new ApiError('FLAG_NOT_FOUND', `flag "${key}" is archived`);
  if (flag.kind !== 'gate') throw new ApiError('FLAG_NOT_FOUND', `flag "${key}" is a ${flag.kind} flag, not a gate (create it with kind "gate")`);
  if (!(await environmentExists(db, environment))) throw new ApiError('ENVIRONMENT_NOT_FOUND', `no environment "${environment}"`);
}

const stateKey = (flag: string, environment: string): string => `${flag}\u0000${environment}`;

export function createGateService(deps: { db: Kysely<Database>; clock: Clock }): GateService {
  const { db, clock } = deps;

  const scheduleView = (key: string, environment: string, record: { schedule: GateSchedule; version: number; updatedAt: string | null }): ScheduleView => ({
    gate: key,
    environment,
    ...record.schedule,
    version: record.version,
    updatedAt: record.updatedAt,
  });

  const watcher: SchedulerJob = {
    name: 'gate watcher',
    run: async () => {
      const now = clock.now();
      const [gates, announced] = await Promise.all([gateInputs(db), announcedStates(db)]);
      for (const gate of gates) {
        const previous = announced.get(stateKey(gate.flag, gate.environment));
        if (previous === gateOpen(gate, now)) continue;
        const state = gateState(gate, now);
        await db.transaction().execute(async (trx) => {
          const values = { open: state.open, source: state.source, reason: state.reason, changed_at: now };
          if (previous === undefined) {
            // First sight of this gate: remember its state; there is no change to announce.
            await trx
              .insertInto('gate_states')
              .values({ flag_key: gate.flag, environment: gate.environment, ...values })
              .onConflict((oc) => oc.columns(['flag_key', 'environment']).doNothing())
              .execute();
            return;
          }
          // Conditional on the old state, so a flip is announced once even if two watchers raced.
          const flipped = await trx
            .updateTable('gate_states')
            .set(values)
            .where('flag_key', '=', gate.flag)
            .where('environment', '=', gate.environment)
            .where('open', '=', previous)
            .executeTakeFirst();
          if (Number(flipped.numUpdatedRows) === 0) return;
          await enqueueEvents(trx, [gateChangeEvent({ flag: gate.flag, environment: gate.environment, open: state.open, reason: state.reason, source: state.source, until: state.until }, now)], now);
        });
      }
    },
  };

  return {
    watcher,

    async state(key, environment, options) {
      await requireGate(db, key, environment);
      const [inputs] = await gateInputs(db, { flag: key, environment });
      if (inputs === undefined) throw new ApiError('ENVIRONMENT_NOT_FOUND', `gate "${key}" has no configuration in ${environment} yet; retry`);
      const kills = options.noActiveKills ? await killedFlags(db, environment, key) : undefined;
      return gateState(inputs, clock.now(), kills);
    },

    async getSchedule(key, environment) {
      await requireGate(db, key, environment);
      const record = await findSchedule(db, key, environment);
      return scheduleView(key, environment, record ?? { schedule: emptySchedule(), version: 0, updatedAt: null });
    },

    async putSchedule(key, environment, schedule, expectedVersion, actor) {
      const now = clock.now();
      const result = await db.transaction().execute(async (trx) => {
        await requireGate(trx, key, environment);
        // The gate's environment row serialises schedule writers, the first one (no schedule row to lock yet) included.
        if ((await lockFlagEnvironment(trx, key, environment)) === undefined) throw new ApiError('ENVIRONMENT_NOT_FOUND', `gate "${key}" has no configuration in ${environment} yet; retry`);
        const before = await findSchedule(trx, key, environment);
        const currentVersion = before?.version ?? 0;
        if (expectedVersion !== undefined && expectedVersion !== currentVersion) {
          throw new ApiError('VERSION_CONFLICT', `the schedule of gate "${key}" in ${environment} is at version ${currentVersion}, not ${expectedVersion}; reload and retry`, [
            { path: 'If-Match', message: `version ${expectedVersion} is stale: the current version is ${currentVersion}`, expectedVersion, currentVersion },
          ]);
        }
        const saved = await saveSchedule(trx, key, environment, schedule, currentVersion + 1, now);
        const revision = await nextRevision(trx);
        await writeAudit(trx, {
          revision,
          actor,
          action: 'gate.schedule',
          resourceType: 'gate',
          resourceKey: key,
          environment,
          before: before === undefined ? null : { version: before.version, ...before.schedule },
          after: { version: saved.version, ...saved.schedule },
        });
        return { saved, revision };
      });
      return { ...scheduleView(key, environment, result.saved), revision: result.revision };
    },
  };
}
