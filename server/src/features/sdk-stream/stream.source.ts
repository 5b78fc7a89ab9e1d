import type { FlagConfig, FlagUpdate, PatchMessage, Segment, SnapshotMessage } from '@switchyard/core';
import { sql, type Kysely, type Transaction } from 'kysely';
import { currentRevision } from '../../db/revision.js';
import type { Database } from '../../db/schema.js';
import { toNumber } from '../../db/values.js';
import { clientSnapshot, type SdkConfigService, type SnapshotEntry } from '../sdk-config/sdk-config.service.js';
import { readEnvironmentState, toFlagConfig, toSegment, type FlagConfigRow } from '../sdk-config/sdk-config.store.js';
import type { Audience, StreamSource } from './stream.hub.js';

/**
 * Which of `keys` were client-side at some point after `since` (turned server-only or archived since):
 * the only hidden flags a browser may hold. Naming any other would hand a server-only flag's key to
 * the page (test/security/client-side-only.test.ts).
 */
async function clientSideSince(trx: Transaction<Database>, keys: readonly string[], since: number): Promise<string[]> {
  const rows = await trx
    .selectFrom('audit_log')
    .select('resource_key')
    .distinct()
    .where('resource_type', '=', 'flag')
    .where('resource_key', 'in', keys)
    .where('revision', '>', since)
    .where(sql<boolean>`before->>'clientSide' = 'true'`)
    .execute();
  return rows.map((r) => r.resource_key);
}

/**
 * The patch since `since` read in one repeatable-read transaction: the general case, for changed
 * segments (server keys get them whole; browsers get every segment their flags reach, hashed) and
 * for flags a browser key must stop seeing (the audit log tells which it ever saw).
 */
async function readInTransaction(db: Kysely<Database>, environment: string, audience: Audience, since: number): Promise<PatchMessage> {
  const changes = await db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      const revision = await currentRevision(trx);
      const rows = await trx
        .selectFrom('flag_environments as fe')
        .innerJoin('flags as f', 'f.key', 'fe.flag_key')
        .select(['f.key', 'f.type', 'f.variants', 'f.client_side', 'f.archived_at', 'fe.config', 'fe.killed', 'fe.version'])
        .where('fe.environment', '=', environment)
        .where('fe.updated_revision', '>', since)
        .execute();
      const upserts: FlagConfig[] = [];
      const hidden: string[] = [];
      for (const row of rows) {
        if (row.archived_at !== null || (audience === 'client' && !row.client_side)) {
          hidden.push(row.key);
          continue;
        }
        upserts.push(toFlagConfig(row));
      }
      const segmentKeys = (
        await trx.selectFrom('audit_log').select('resource_key').distinct().where('resource_type', '=', 'segment').where('revision', '>', since).execute()
      ).map((s) => s.resource_key);
      let segments: Segment[] = [];
      if (audience === 'server' && segmentKeys.length > 0) {
        const segmentRows = await trx.selectFrom('segments').select(['key', 'name', 'description', 'included', 'excluded', 'rules']).where('key', 'in', segmentKeys).execute();
        segments = segmentRows.map(toSegment);
      }
      const removed = audience === 'client' && hidden.length > 0 ? await clientSideSince(trx, hidden, since) : hidden;
      return { revision: Math.max(revision, since), upserts, removed, segments, segmentsChanged: segmentKeys.length > 0 };
    });
  let { upserts: flags, segments } = changes;
  if (audience === 'client') {
    // Browsers get hashed key lists; when a segment changed, resend every segment their flags reach.
    const others = changes.segmentsChanged ? await readEnvironmentState(db, environment, { clientSideOnly: true }) : { revision: changes.revision, flags: [], segments: [] };
    const changedKeys = new Set(flags.map((f) => f.key));
    const hashed = clientSnapshot(environment, { revision: changes.revision, flags: [...flags, ...others.flags.filter((f) => !changedKeys.has(f.key))], segments: others.segments });
    flags = hashed.flags.filter((f) => changedKeys.has(f.key));
    segments = [...hashed.segments];
  }
  return { type: 'patch', revision: changes.revision, flags, removed: changes.removed, segments, removedSegments: [] };
}

/** One row per flag changed since `since` (one row of nulls when none), each with the revision and whether a segment changed. */
type ChangeRow = { revision: string | number | bigint; segments_changed: boolean; archived: boolean | null } & { [K in keyof FlagConfigRow]: FlagConfigRow[K] | null };

/**
 * The common case, a flag change, in ONE statement: a statement reads one snapshot of the database,
 * so the revision names exactly the rows read, as in the transaction, at one round trip instead of
 * six (BEGIN, SET, three SELECTs, COMMIT). This read sits between a commit and the fan-out to every
 * SDK. Undefined when the general case applies (a segment changed, or a browser key must be told to
 * drop flags).
 */
async function readFlagChanges(db: Kysely<Database>, environment: string, audience: Audience, since: number): Promise<PatchMessage | undefined> {
  const { rows } = await sql<ChangeRow>`
    select rev.revision, seg.changed as segments_changed,
      f.key, f.type, f.variants, f.client_side, f.archived_at is not null as archived, fe.config, fe.killed, fe.version
    from (select rc.revision from revision_counter rc where rc.id = 1) rev
    cross join (select exists (select 1 from audit_log a where a.resource_type = 'segment' and a.revision > ${since}) as changed) seg
    left join (flag_environments fe inner join flags f on f.key = fe.flag_key) on fe.environment = ${environment} and fe.updated_revision > ${since}
  `.execute(db);
  const first = rows[0];
  if (first === undefined) throw new Error('the changes query returned no row');
  if (first.segments_changed) return undefined;
  const flags: FlagConfig[] = [];
  const removed: string[] = [];
  for (const row of rows) {
    if (row.key === null) continue;
    if (row.archived === true || (audience === 'client' && row.client_side !== true)) {
      if (audience === 'client') return undefined;
      removed.push(row.key);
    } else {
      flags.push(toFlagConfig(row as FlagConfigRow));
    }
  }
  return flagsPatch(environment, audience, Math.max(toNumber(first.revision), since), flags, removed);
}

/** A patch of flags only: as they are for server keys, with hashed key lists for browser keys (which get no removals here). */
function flagsPatch(environment: string, audience: Audience, revision: number, flags: FlagConfig[], removed: string[] = []): PatchMessage {
  const sent = audience === 'server' ? flags : clientSnapshot(environment, { revision, flags, segments: [] }).flags;
  return { type: 'patch', revision, flags: sent, removed: audience === 'server' ? removed : [], segments: [], removedSegments: [] };
}

/**
 * `next` as the fields that differ from `previous` (protocol 2's `updates`), so an SDK parses and
 * keeps a few fields instead of the whole flag; undefined when a field went away (an update cannot
 * say that).
 */
function flagUpdate(previous: FlagConfig, next: FlagConfig): FlagUpdate | undefined {
  if (previous.key !== next.key) return undefined;
  const before = previous as unknown as Record<string, unknown>;
  const after = next as unknown as Record<string, unknown>;
  for (const field of Object.keys(before)) if (!(field in after)) return undefined;
  const update: Record<string, unknown> = { key: next.key, from: previous.version };
  for (const field of Object.keys(after)) {
    if (field !== 'key' && JSON.stringify(after[field]) !== JSON.stringify(before[field])) update[field] = after[field];
  }
  return update as FlagUpdate;
}

/**
 * The stream's reads: snapshots come from the SDK config service (cached per revision; the message
 * is parsed once per cached entry), patches from the rows whose `updated_revision` is past the SDK's
 * revision and the segments the audit log says changed since then.
 */
export function createStreamSource(deps: { db: Kysely<Database>; sdkConfig: SdkConfigService }): StreamSource {
  const { db, sdkConfig } = deps;
  // The same entry (same revision) gives the same message object, which the hub serialises once.
  const messages = new WeakMap<SnapshotEntry, SnapshotMessage>();
  return {
    async snapshot(environment, audience) {
      const entry = await sdkConfig.snapshot(environment, audience);
      let message = messages.get(entry);
      if (message === undefined) {
        const parsed = JSON.parse(entry.body.toString()) as Omit<SnapshotMessage, 'type'>;
        message = { type: 'snapshot', ...parsed };
        messages.set(entry, message);
      }
      return message;
    },

    async changesSince(environment, audience, since) {
      return (await readFlagChanges(db, environment, audience, since)) ?? readInTransaction(db, environment, audience, since);
    },

    committed(environment, audience, revision, committed) {
      const flags = committed.map((c) => c.config);
      if (audience === 'server') {
        const patch = flagsPatch(environment, audience, revision, flags);
        const updates = committed.map((c) => flagUpdate(c.previous, c.config));
        if (updates.some((u) => u === undefined)) return { patch };
        return { patch, updates: { ...flagsPatch(environment, audience, revision, []), updates: updates as FlagUpdate[] } };
      }
      // As readFlagChanges: a flag a browser key must stop seeing takes the audit log (the general read).
      if (!flags.every((f) => f.clientSide === true)) return undefined;
      return { patch: flagsPatch(environment, audience, revision, flags) };
    },
  };
}
