import type { FlagConfig, PatchMessage, Segment, SnapshotMessage } from '@switchyard/core';
import { sql, type Kysely, type Transaction } from 'kysely';
import { currentRevision } from '../../db/revision.js';
import type { Database } from '../../db/schema.js';
import { fromJson, toNumber } from '../../db/values.js';
import { clientSnapshot, type SdkConfigService, type SnapshotEntry } from '../sdk-config/sdk-config.service.js';
import { readEnvironmentState, toFlagConfig, toSegment, type FlagConfigRow } from '../sdk-config/sdk-config.store.js';
import type { Audience, StreamSource } from './stream.hub.js';

/** What the one-statement read of {@link readChanges} returns. */
interface Changes {
  readonly revision: number;
  readonly rows: readonly (FlagConfigRow & { readonly archived: boolean })[];
  readonly segmentKeys: readonly string[];
  readonly segments: readonly Segment[];
}

/**
 * The revision and everything a patch since `since` needs, in ONE statement: a statement sees one
 * snapshot of the database, so the revision names exactly the rows read, as the repeatable-read
 * transaction it replaces did, at a single round trip instead of six (BEGIN, SET, four SELECTs,
 * COMMIT). This read sits between a commit and the fan-out to every SDK, so its latency is the
 * stream's. Segments (changed ones, whole) only for server keys.
 */
async function readChanges(db: Kysely<Database>, environment: string, audience: Audience, since: number): Promise<Changes> {
  const result = await sql<{ revision: string | number | bigint; flags: unknown; segment_keys: unknown; segments: unknown }>`
    select
      (select rc.revision from revision_counter rc where rc.id = 1) as revision,
      (select coalesce(json_agg(json_build_object(
          'key', f.key, 'type', f.type, 'variants', f.variants, 'client_side', f.client_side, 'archived', f.archived_at is not null,
          'config', fe.config, 'killed', fe.killed, 'version', fe.version)), '[]'::json)
        from flag_environments fe inner join flags f on f.key = fe.flag_key
        where fe.environment = ${environment} and fe.updated_revision > ${since}) as flags,
      (select coalesce(json_agg(distinct a.resource_key), '[]'::json)
        from audit_log a where a.resource_type = 'segment' and a.revision > ${since}) as segment_keys,
      (select coalesce(json_agg(json_build_object(
          'key', s.key, 'name', s.name, 'description', s.description, 'included', s.included, 'excluded', s.excluded, 'rules', s.rules)), '[]'::json)
        from segments s
        where ${audience === 'server'} and s.key in (select a.resource_key from audit_log a where a.resource_type = 'segment' and a.revision > ${since})) as segments
  `.execute(db);
  const row = result.rows[0];
  if (row === undefined) throw new Error('the changes query returned no row');
  const segmentRows = fromJson<{ key: string; name: string; description: string; included: unknown; excluded: unknown; rules: unknown }[]>(row.segments);
  return {
    revision: toNumber(row.revision),
    rows: fromJson<(FlagConfigRow & { archived: boolean })[]>(row.flags),
    segmentKeys: fromJson<string[]>(row.segment_keys),
    segments: segmentRows.map(toSegment),
  };
}

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
 * A browser key's patch since `since` when a flag was hidden or a segment changed, read in one
 * repeatable-read transaction: which hidden flags were ever client-side comes from the audit log, and
 * a changed segment means resending every segment the client-side flags reach, hashed.
 */
async function clientChangesSince(db: Kysely<Database>, environment: string, since: number): Promise<PatchMessage> {
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
        if (row.archived_at !== null || !row.client_side) hidden.push(row.key);
        else upserts.push(toFlagConfig(row));
      }
      const segmentsChanged =
        (await trx.selectFrom('audit_log').select('resource_key').where('resource_type', '=', 'segment').where('revision', '>', since).limit(1).execute()).length > 0;
      const removed = hidden.length > 0 ? await clientSideSince(trx, hidden, since) : hidden;
      return { revision: Math.max(revision, since), upserts, removed, segmentsChanged };
    });
  const others = changes.segmentsChanged ? await readEnvironmentState(db, environment, { clientSideOnly: true }) : { revision: changes.revision, flags: [], segments: [] };
  const changedKeys = new Set(changes.upserts.map((f) => f.key));
  const hashed = clientSnapshot(environment, { revision: changes.revision, flags: [...changes.upserts, ...others.flags.filter((f) => !changedKeys.has(f.key))], segments: others.segments });
  return { type: 'patch', revision: changes.revision, flags: hashed.flags.filter((f) => changedKeys.has(f.key)), removed: changes.removed, segments: [...hashed.segments], removedSegments: [] };
}

/**
 * The stream's reads: snapshots come from the SDK config service (cached per revision; the message
 * is parsed once per cached entry), patches from the rows whose `updated_revision` is past the SDK's
 * revision and the segments the audit log says changed since then, read in one statement.
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
      const changes = await readChanges(db, environment, audience, since);
      const upserts: FlagConfig[] = [];
      const hidden: string[] = [];
      for (const row of changes.rows) {
        if (row.archived || (audience === 'client' && !row.client_side)) hidden.push(row.key);
        else upserts.push(toFlagConfig(row));
      }
      const revision = Math.max(changes.revision, since);
      if (audience === 'server') return { type: 'patch', revision, flags: upserts, removed: hidden, segments: changes.segments, removedSegments: [] };
      // Browsers: a hidden flag needs the audit log to tell which were ever client-side, and a changed
      // segment resends every segment their flags reach; both rare, both read in one transaction.
      if (hidden.length > 0 || changes.segmentKeys.length > 0) return clientChangesSince(db, environment, since);
      const changedKeys = new Set(upserts.map((f) => f.key));
      const hashed = clientSnapshot(environment, { revision, flags: upserts, segments: [] });
      return { type: 'patch', revision, flags: hashed.flags.filter((f) => changedKeys.has(f.key)), removed: [], segments: [], removedSegments: [] };
    },
  };
}
