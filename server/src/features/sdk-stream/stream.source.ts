import type { FlagConfig, PatchMessage, Segment, SnapshotMessage } from '@switchyard/core';
import { sql, type Kysely, type Transaction } from 'kysely';
import { currentRevision } from '../../db/revision.js';
import type { Database } from '../../db/schema.js';
import { clientSnapshot, type SdkConfigService } from '../sdk-config/sdk-config.service.js';
import { readEnvironmentState, toFlagConfig, toSegment } from '../sdk-config/sdk-config.store.js';
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
 * The stream's reads: snapshots come from the SDK config service (cached per revision), patches from
 * the rows whose `updated_revision` is past the SDK's revision and the segments the audit log says
 * changed since then, all inside one repeatable-read transaction.
 */
export function createStreamSource(deps: { db: Kysely<Database>; sdkConfig: SdkConfigService }): StreamSource {
  const { db, sdkConfig } = deps;
  return {
    async snapshot(environment, audience) {
      const entry = await sdkConfig.snapshot(environment, audience);
      const parsed = JSON.parse(entry.body.toString()) as Omit<SnapshotMessage, 'type'>;
      return { type: 'snapshot', ...parsed };
    },

    async changesSince(environment, audience, since) {
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
    },
  };
}
