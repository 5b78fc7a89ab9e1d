import type { EnvironmentConfig } from '@switchyard/core';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { fromJson, json, toIso } from '../../db/values.js';
import type { Kill } from '../flags/flags.store.js';
import type { DatedWindow, GateSchedule, WeeklyWindow } from './gate-schedule.js';

/** A gate's schedule in one environment, as stored. */
export interface ScheduleRecord {
  readonly schedule: GateSchedule;
  readonly version: number;
  readonly updatedAt: string;
}

function scheduleOf(row: { timezone: string; weekly: unknown; dates: unknown }): GateSchedule {
  return { timezone: row.timezone, weekly: fromJson<WeeklyWindow[]>(row.weekly), dates: fromJson<DatedWindow[]>(row.dates) };
}

export async function findSchedule(db: Kysely<Database>, key: string, environment: string, lock = false): Promise<ScheduleRecord | undefined> {
  let query = db.selectFrom('gate_schedules').selectAll().where('flag_key', '=', key).where('environment', '=', environment);
  if (lock) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  return row === undefined ? undefined : { schedule: scheduleOf(row), version: row.version, updatedAt: toIso(row.updated_at) };
}

/** Inserts or replaces a schedule at `version` (the caller checked the previous one under a lock). */
export async function saveSchedule(db: Kysely<Database>, key: string, environment: string, schedule: GateSchedule, version: number, now: Date): Promise<ScheduleRecord> {
  const values = { timezone: schedule.timezone, weekly: json(schedule.weekly), dates: json(schedule.dates), version, updated_at: now };
  await db
    .insertInto('gate_schedules')
    .values({ flag_key: key, environment, ...values })
    .onConflict((oc) => oc.columns(['flag_key', 'environment']).doUpdateSet(values))
    .execute();
  return { schedule, version, updatedAt: now.toISOString() };
}

/** Everything a gate's state depends on in one environment. */
export interface GateInputs {
  readonly flag: string;
  readonly environment: string;
  readonly enabled: boolean;
  readonly killed: Kill | null;
  readonly schedule: GateSchedule | undefined;
}

/** Every live gate flag in every environment (or one), with its schedule. */
export async function gateInputs(db: Kysely<Database>, filter: { flag?: string; environment?: string } = {}): Promise<GateInputs[]> {
  let query = db
    .selectFrom('flags as f')
    .innerJoin('flag_environments as fe', 'fe.flag_key', 'f.key')
    .leftJoin('gate_schedules as gs', (join) => join.onRef('gs.flag_key', '=', 'fe.flag_key').onRef('gs.environment', '=', 'fe.environment'))
    .select(['f.key', 'fe.environment', 'fe.config', 'fe.killed', 'gs.timezone', 'gs.weekly', 'gs.dates'])
    .where('f.kind', '=', 'gate')
    .where('f.archived_at', 'is', null);
  if (filter.flag !== undefined) query = query.where('f.key', '=', filter.flag);
  if (filter.environment !== undefined) query = query.where('fe.environment', '=', filter.environment);
  const rows = await query.orderBy('f.key').orderBy('fe.environment').execute();
  return rows.map((row) => ({
    flag: row.key,
    environment: row.environment,
    enabled: fromJson<EnvironmentConfig>(row.config).enabled,
    killed: row.killed === null ? null : fromJson<Kill>(row.killed),
    schedule: row.timezone === null ? undefined : scheduleOf({ timezone: row.timezone, weekly: row.weekly, dates: row.dates }),
  }));
}

/** Flags killed in an environment (live ones, `except` one), oldest kill first. */
export async function killedFlags(db: Kysely<Database>, environment: string, except: string): Promise<{ flag: string; reason: string; at: string }[]> {
  const rows = await db
    .selectFrom('flag_environments as fe')
    .innerJoin('flags as f', 'f.key', 'fe.flag_key')
    .select(['fe.flag_key', 'fe.killed'])
    .where('fe.environment', '=', environment)
    .where('fe.killed', 'is not', null)
    .where('f.archived_at', 'is', null)
    .where('fe.flag_key', '!=', except)
    .execute();
  return rows
    .map((row) => {
      const kill = fromJson<Kill>(row.killed);
      return { flag: row.flag_key, reason: kill.reason, at: kill.at };
    })
    .sort((a, b) => a.at.localeCompare(b.at) || a.flag.localeCompare(b.flag));
}

/** The last announced state of each gate. */
export async function announcedStates(db: Kysely<Database>): Promise<Map<string, boolean>> {
  const rows = await db.selectFrom('gate_states').select(['flag_key', 'environment', 'open']).execute();
  return new Map(rows.map((r) => [`${r.flag_key}\u0000${r.environment}`, r.open]));
}
