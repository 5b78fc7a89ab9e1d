import type { EnvironmentConfig, Flag, FlagKind, FlagType, Kill, Variant } from '@switchyard/core';
import { sql, type Kysely, type RawBuilder, type Selectable } from 'kysely';
import type { Database, FlagEnvironmentsTable, FlagsTable } from '../../db/schema.js';
import { prepare } from '../../db/prepared.js';
import { fromJson, json, toIso, toNumber } from '../../db/values.js';
import type { Actor } from '../audit/audit.store.js';

/** A flag as stored: core's metadata plus its version, timestamps and archive state. */
export interface FlagRecord extends Flag {
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly archivedAt: string | null;
}

export type { Kill } from '@switchyard/core';

/** A flag's configuration in one environment, as stored. */
export interface FlagEnvironmentRecord {
  readonly flagKey: string;
  readonly environment: string;
  readonly config: EnvironmentConfig;
  readonly killed: Kill | null;
  readonly version: number;
  readonly updatedAt: string;
  readonly updatedRevision: number;
}

type FlagRow = Selectable<FlagsTable>;
type FlagEnvironmentRow = Selectable<FlagEnvironmentsTable>;

export function flagRecord(row: FlagRow): FlagRecord {
  return {
    key: row.key,
    name: row.name,
    description: row.description,
    kind: row.kind as FlagKind,
    owner: row.owner,
    expiresAt: row.expires_at === null ? null : toIso(row.expires_at),
    tags: fromJson<string[]>(row.tags),
    clientSide: row.client_side,
    type: row.type as FlagType,
    variants: fromJson<Variant[]>(row.variants),
    version: row.version,
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
    archivedAt: toIso(row.archived_at),
  };
}

export function flagEnvironmentRecord(row: FlagEnvironmentRow): FlagEnvironmentRecord {
  return {
    flagKey: row.flag_key,
    environment: row.environment,
    config: fromJson<EnvironmentConfig>(row.config),
    killed: row.killed === null ? null : fromJson<Kill>(row.killed),
    version: row.version,
    updatedAt: toIso(row.updated_at),
    updatedRevision: toNumber(row.updated_revision),
  };
}

function flagColumns(flag: Flag) {
  return {
    name: flag.name,
    description: flag.description,
    kind: flag.kind,
    owner: flag.owner,
    expires_at: flag.expiresAt,
    tags: json(flag.tags),
    client_side: flag.clientSide,
    variants: json(flag.variants),
  };
}

export async function findFlag(db: Kysely<Database>, key: string, lock?: 'update' | 'share'): Promise<FlagRecord | undefined> {
  let query = db.selectFrom('flags').selectAll().where('key', '=', key);
  if (lock === 'update') query = query.forUpdate();
  if (lock === 'share') query = query.forShare();
  const row = await query.executeTakeFirst();
  return row === undefined ? undefined : flagRecord(row);
}

/**
 * Locks a flag's row in one environment for update and reads its flag in the same round trip, without
 * locking the flag row. Lock order everywhere: flag row (when a writer needs one), then environment
 * rows, then the revision counter; a single statement locking both rows would take them in an
 * unspecified order and could deadlock against a metadata write.
 *
 * The flag columns come from the statement's snapshot, which is older than the row lock when the
 * statement had to wait for it. `flagFresh` says whether they are certainly current: every write to a
 * flag row also touches all its environment rows (updated_revision), so a flag change committed after
 * the snapshot shows as an environment row newer than the snapshot's revision. Once this row is locked,
 * no flag change can commit before the caller does.
 */
export async function lockFlagEnvironment(
  db: Kysely<Database>,
  key: string,
  environment: string,
): Promise<{ flag: FlagRecord; row: FlagEnvironmentRecord; flagFresh: boolean } | undefined> {
  return selectFlagEnvironment(db, key, environment, true);
}

/**
 * A flag's row in one environment and its flag, read in one statement without any lock: the starting
 * point of an optimistic write (commitFlagEnvironmentChangeIfUnchanged), which writes only if the row
 * is still this one.
 */
export async function readFlagEnvironment(db: Kysely<Database>, key: string, environment: string): Promise<{ flag: FlagRecord; row: FlagEnvironmentRecord } | undefined> {
  return selectFlagEnvironment(db, key, environment, false);
}

// Named, not `*`: these statements are prepared (db/prepared.ts).
const FLAG_COLUMNS = sql.raw(
  ['key', 'name', 'description', 'kind', 'owner', 'expires_at', 'tags', 'client_side', 'type', 'variants', 'version', 'created_at', 'updated_at', 'archived_at'].map((c) => `f.${c}`).join(', '),
);
const FLAG_ENVIRONMENT_COLUMNS = sql.raw(['flag_key', 'environment', 'config', 'killed', 'version', 'updated_at', 'updated_revision'].map((c) => `fe.${c}`).join(', '));
/** Segment lists up to this long get a prepared statement of their own in an optimistic write. */
const PREPARED_SEGMENT_LISTS = 4;

async function selectFlagEnvironment(
  db: Kysely<Database>,
  key: string,
  environment: string,
  lock: boolean,
): Promise<{ flag: FlagRecord; row: FlagEnvironmentRecord; flagFresh: boolean } | undefined> {
  const result = await sql<
    FlagRow & { fe_config: unknown; fe_killed: unknown; fe_version: number; fe_updated_at: Date; fe_updated_revision: string | number | bigint; snapshot_revision: string | number | bigint }
  >`${prepare(lock ? 'flag-environment-lock' : 'flag-environment-read')}
    SELECT ${FLAG_COLUMNS}, fe.config AS fe_config, fe.killed AS fe_killed, fe.version AS fe_version,
           fe.updated_at AS fe_updated_at, fe.updated_revision AS fe_updated_revision,
           (SELECT revision FROM revision_counter WHERE id = 1) AS snapshot_revision
    FROM flag_environments fe JOIN flags f ON f.key = fe.flag_key
    WHERE fe.flag_key = ${key} AND fe.environment = ${environment}
    ${lock ? sql`FOR UPDATE OF fe` : sql``}`.execute(db);
  const row = result.rows[0];
  if (row === undefined) return undefined;
  return {
    flag: flagRecord(row),
    row: flagEnvironmentRecord({
      flag_key: key,
      environment,
      config: row.fe_config,
      killed: row.fe_killed,
      version: row.fe_version,
      updated_at: row.fe_updated_at,
      updated_revision: row.fe_updated_revision,
    }),
    flagFresh: toNumber(row.fe_updated_revision) <= toNumber(row.snapshot_revision),
  };
}

/** Every environment row of the given flags, in environment order (optionally locked, in that order). */
export async function flagEnvironments(db: Kysely<Database>, keys: readonly string[], lock = false): Promise<FlagEnvironmentRecord[]> {
  if (keys.length === 0) return [];
  let query = db
    .selectFrom('flag_environments as fe')
    .innerJoin('environments as e', 'e.key', 'fe.environment')
    .selectAll('fe')
    .where('fe.flag_key', 'in', keys)
    .orderBy('fe.flag_key')
    .orderBy('e.sort_order')
    .orderBy('e.key');
  if (lock) query = query.forUpdate('fe');
  return (await query.execute()).map(flagEnvironmentRecord);
}

export async function insertFlag(db: Kysely<Database>, flag: Flag, now: Date): Promise<FlagRecord> {
  const row = await db
    .insertInto('flags')
    .values({ key: flag.key, type: flag.type, ...flagColumns(flag), version: 1, created_at: now, updated_at: now })
    .returningAll()
    .executeTakeFirstOrThrow();
  return flagRecord(row);
}

export async function insertFlagEnvironments(
  db: Kysely<Database>,
  key: string,
  environments: readonly string[],
  config: EnvironmentConfig,
  revision: number,
  now: Date,
): Promise<void> {
  if (environments.length === 0) return;
  await db
    .insertInto('flag_environments')
    .values(environments.map((environment) => ({ flag_key: key, environment, config: json(config), killed: null, version: 1, updated_at: now, updated_revision: revision })))
    .execute();
}

/** Writes new metadata if the row is still at `version`; undefined when it is not. */
export async function updateFlag(
  db: Kysely<Database>,
  key: string,
  version: number,
  flag: Flag,
  now: Date,
  archivedAt?: Date,
): Promise<FlagRecord | undefined> {
  const row = await db
    .updateTable('flags')
    .set({ ...flagColumns(flag), version: version + 1, updated_at: now, ...(archivedAt === undefined ? {} : { archived_at: archivedAt }) })
    .where('key', '=', key)
    .where('version', '=', version)
    .returningAll()
    .executeTakeFirst();
  return row === undefined ? undefined : flagRecord(row);
}

/** A change to one environment row and the audit entry that records it. */
export interface FlagEnvironmentChange {
  readonly config: EnvironmentConfig;
  /**
   * The kill to record, or null. A new kill comes without its revision and gets the one this change
   * takes; a kill the row already had keeps its own (an edit of a killed flag is not a new kill).
   */
  readonly killed: (Omit<Kill, 'revision'> & { readonly revision?: number }) | null;
  readonly action: string;
  readonly actor: Actor;
  readonly reason: string | null;
  readonly before: unknown;
}

/** The audit entry of an environment write, as the last CTE of its statement: one row per row in `changed`. */
function auditOfChanged(change: FlagEnvironmentChange): RawBuilder<unknown> {
  const { actor } = change;
  return sql`
      INSERT INTO audit_log (revision, actor, actor_key_id, action, resource_type, resource_key, environment, reason, before, after, request_id, incident_id, deploy_id)
      SELECT revision, ${actor.name}, ${actor.keyId}, ${change.action}, 'flag-environment', flag_key, environment, ${change.reason},
             ${json(change.before)}::jsonb, jsonb_build_object('version', version, 'config', config, 'killed', killed),
             ${actor.requestId ?? null}, ${actor.incidentId ?? null}, ${actor.deployId ?? null}
      FROM changed`;
}

/**
 * Takes the next global revision, writes the row (if still at `current.version`) and its audit entry,
 * in one statement: nextRevision + update + writeAudit in one round trip, so an environment write
 * costs as many round trips as a bare transaction. The counter row is still locked last (after the
 * environment row), and the three commit or roll back together with the caller's transaction. The
 * audit entry's `after` is built from the updated row: `{ version, config, killed }`.
 * Undefined when the row was not at `current.version`.
 */
export async function commitFlagEnvironmentChange(
  db: Kysely<Database>,
  current: FlagEnvironmentRecord,
  change: FlagEnvironmentChange,
  now: Date,
): Promise<{ row: FlagEnvironmentRecord; revision: number } | undefined> {
  const killed = change.killed === null ? null : json(change.killed);
  const result = await sql<FlagEnvironmentRow & { revision: string | number | bigint }>`
    WITH rev AS (
      UPDATE revision_counter SET revision = revision + 1 WHERE id = 1 RETURNING revision
    ), changed AS (
      UPDATE flag_environments AS fe
      SET config = ${json(change.config)}::jsonb,
          killed = CASE WHEN ${killed}::jsonb IS NULL THEN NULL ELSE jsonb_build_object('revision', rev.revision) || ${killed}::jsonb END,
          version = fe.version + 1,
          updated_at = ${now},
          updated_revision = rev.revision
      FROM rev
      WHERE fe.flag_key = ${current.flagKey} AND fe.environment = ${current.environment} AND fe.version = ${current.version}
      RETURNING fe.*, rev.revision AS revision
    ), audit AS (${auditOfChanged(change)})
    SELECT * FROM changed`.execute(db);
  const row = result.rows[0];
  return row === undefined ? undefined : { row: flagEnvironmentRecord(row), revision: toNumber(row.revision) };
}

/**
 * commitFlagEnvironmentChange for a row read without a lock (readFlagEnvironment), as one statement
 * that needs no transaction around it: the write, its revision and its audit entry commit together or
 * not at all, in one round trip. It writes only if the row is still exactly the one read: the same
 * version (every config write bumps it) and the same updated_revision (every flag metadata write
 * touches it, so variants validated against the read flag are still the flag's), and only if every
 * segment in `segments` still exists. The environment row is locked before the revision counter, the
 * lock order of every writer; when the row changed, no revision is taken. Undefined when nothing was
 * written: the caller falls back to its locking transaction, which reports why.
 */
export async function commitFlagEnvironmentChangeIfUnchanged(
  db: Kysely<Database>,
  current: FlagEnvironmentRecord,
  change: FlagEnvironmentChange,
  now: Date,
  segments: readonly string[],
): Promise<{ row: FlagEnvironmentRecord; revision: number } | undefined> {
  const killed = change.killed === null ? null : json(change.killed);
  const segmentsExist = segments.length === 0 ? sql`` : sql`AND (SELECT count(*) FROM segments WHERE key IN (${sql.join([...segments])})) = ${segments.length}`;
  const name = segments.length <= PREPARED_SEGMENT_LISTS ? prepare(`flag-environment-write-s${segments.length}`) : sql``;
  const result = await sql<FlagEnvironmentRow & { revision: string | number | bigint }>`${name}
    WITH target AS (
      SELECT fe.flag_key, fe.environment FROM flag_environments AS fe
      WHERE fe.flag_key = ${current.flagKey} AND fe.environment = ${current.environment}
        AND fe.version = ${current.version} AND fe.updated_revision = ${current.updatedRevision}
        ${segmentsExist}
      FOR UPDATE
    ), rev AS (
      UPDATE revision_counter SET revision = revision + 1 WHERE id = 1 AND EXISTS (SELECT 1 FROM target) RETURNING revision
    ), changed AS (
      UPDATE flag_environments AS fe
      SET config = ${json(change.config)}::jsonb,
          killed = CASE WHEN ${killed}::jsonb IS NULL THEN NULL ELSE jsonb_build_object('revision', rev.revision) || ${killed}::jsonb END,
          version = fe.version + 1,
          updated_at = ${now},
          updated_revision = rev.revision
      FROM rev, target
      WHERE fe.flag_key = target.flag_key AND fe.environment = target.environment
      RETURNING ${FLAG_ENVIRONMENT_COLUMNS}, rev.revision AS revision
    ), audit AS (${auditOfChanged(change)})
    SELECT * FROM changed`.execute(db);
  const row = result.rows[0];
  return row === undefined ? undefined : { row: flagEnvironmentRecord(row), revision: toNumber(row.revision) };
}

/** Marks every environment row of a flag as changed at `revision` (metadata is part of the SDK payload). */
export async function touchFlagEnvironments(db: Kysely<Database>, key: string, revision: number): Promise<void> {
  await db.updateTable('flag_environments').set({ updated_revision: revision }).where('flag_key', '=', key).execute();
}

export async function environmentKeys(db: Kysely<Database>): Promise<string[]> {
  const rows = await db.selectFrom('environments').select('key').orderBy('sort_order').orderBy('key').execute();
  return rows.map((r) => r.key);
}

export async function environmentExists(db: Kysely<Database>, key: string): Promise<boolean> {
  return (await db.selectFrom('environments').select('key').where('key', '=', key).executeTakeFirst()) !== undefined;
}

/** The latest audit entry of a flag (or of its config in one environment): who changed it last. */
export async function lastChange(
  db: Kysely<Database>,
  key: string,
  environment: string | null,
): Promise<{ actor: string; at: string; revision: number; action: string } | undefined> {
  let query = db.selectFrom('audit_log').select(['actor', 'at', 'revision', 'action']).where('resource_key', '=', key);
  query =
    environment === null
      ? query.where('resource_type', '=', 'flag')
      : query.where((eb) => eb.or([eb.and([eb('resource_type', '=', 'flag-environment'), eb('environment', '=', environment)]), eb('action', '=', 'flag.create')]));
  const row = await query.orderBy('id', 'desc').limit(1).executeTakeFirst();
  return row === undefined ? undefined : { actor: row.actor, at: toIso(row.at), revision: toNumber(row.revision), action: row.action };
}

/** Variants and prerequisites of every live flag in one environment, for prerequisite validation. */
export async function prerequisiteGraph(db: Kysely<Database>, environment: string): Promise<Map<string, { variants: string[]; prerequisites: string[] }>> {
  const rows = await db
    .selectFrom('flags as f')
    .innerJoin('flag_environments as fe', (join) => join.onRef('fe.flag_key', '=', 'f.key').on('fe.environment', '=', environment))
    .select(['f.key', 'f.variants', sql<unknown>`fe.config -> 'prerequisites'`.as('prerequisites')])
    .where('f.archived_at', 'is', null)
    .execute();
  const graph = new Map<string, { variants: string[]; prerequisites: string[] }>();
  for (const row of rows) {
    graph.set(row.key, {
      variants: fromJson<Variant[]>(row.variants).map((v) => v.key),
      prerequisites: (fromJson<{ flag: string }[] | null>(row.prerequisites) ?? []).map((p) => p.flag),
    });
  }
  return graph;
}

/** Takes share locks on other flags' rows, so their variants cannot change under a validation. */
export async function shareLockFlags(db: Kysely<Database>, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return;
  await db.selectFrom('flags').select('key').where('key', 'in', [...keys].sort()).orderBy('key').forShare().execute();
}

/**
 * Serialises writers that add prerequisites in one environment: two concurrent writes could each
 * pass cycle detection and together close a cycle (a → b, b → a).
 */
export async function lockPrerequisiteGraph(db: Kysely<Database>, environment: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(72401478, hashtext(${environment}))`.execute(db);
}

export async function existingSegments(db: Kysely<Database>, keys: readonly string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const rows = await db.selectFrom('segments').select('key').where('key', 'in', [...keys]).execute();
  return new Set(rows.map((r) => r.key));
}

/** Live flags whose config in some environment lists `key` as a prerequisite. */
export async function prerequisiteDependents(db: Kysely<Database>, key: string): Promise<{ flagKey: string; environment: string; prerequisites: { flag: string; variant: string }[] }[]> {
  const rows = await db
    .selectFrom('flag_environments as fe')
    .innerJoin('flags as f', 'f.key', 'fe.flag_key')
    .select(['fe.flag_key', 'fe.environment', sql<unknown>`fe.config -> 'prerequisites'`.as('prerequisites')])
    .where('f.archived_at', 'is', null)
    .where('fe.flag_key', '!=', key)
    .where(sql<boolean>`fe.config -> 'prerequisites' @> ${json([{ flag: key }])}::jsonb`)
    .orderBy('fe.flag_key')
    .orderBy('fe.environment')
    .execute();
  return rows.map((r) => ({ flagKey: r.flag_key, environment: r.environment, prerequisites: fromJson<{ flag: string; variant: string }[]>(r.prerequisites) }));
}

export interface FlagFilters {
  readonly tags: readonly string[];
  readonly kind?: FlagKind | undefined;
  readonly owner?: string | undefined;
  readonly q?: string | undefined;
  readonly archived: boolean;
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export async function listFlags(db: Kysely<Database>, filters: FlagFilters): Promise<FlagRecord[]> {
  let query = db.selectFrom('flags').selectAll();
  query = filters.archived ? query.where('archived_at', 'is not', null) : query.where('archived_at', 'is', null);
  if (filters.tags.length > 0) query = query.where(sql<boolean>`tags @> ${json(filters.tags)}::jsonb`);
  if (filters.kind !== undefined) query = query.where('kind', '=', filters.kind);
  if (filters.owner !== undefined) query = query.where('owner', '=', filters.owner);
  if (filters.q !== undefined) {
    const pattern = `%${escapeLike(filters.q)}%`;
    query = query.where((eb) => eb.or([eb('key', 'ilike', pattern), eb('name', 'ilike', pattern), eb('description', 'ilike', pattern)]));
  }
  const rows = await query.orderBy('key').execute();
  return rows.map(flagRecord);
}
