import { FLAG_KEY_PATTERN } from '@switchyard/core';
import { sql, type Kysely } from 'kysely';
import type { Clock } from '../../clock.js';
import { nextRevision } from '../../db/revision.js';
import type { Database } from '../../db/schema.js';
import { json } from '../../db/values.js';
import { ApiError } from '../../errors.js';
import type { ChangeNotifier } from '../../plugins/changes.js';
import { writeAudit, type Actor, type AuditEntry } from '../audit/audit.store.js';
import { environmentExists, flagEnvironmentRecord, type Kill } from '../flags/flags.store.js';
import { auditFlagEnvironment } from '../flags/flags.views.js';
import type { BulkKill } from './incidents.schemas.js';

/** The answer of `POST /api/v1/kill`. */
export interface BulkKillResult {
  /** The one revision of the whole kill; null for a dry run or when nothing needed killing. */
  readonly revision: number | null;
  readonly dryRun: boolean;
  readonly environment: string;
  readonly reason: string;
  /** Flags switched off by this call (or, in a dry run, that would be). */
  readonly killed: string[];
  /** Flags that were already killed, left as they are (their original kill stands). */
  readonly alreadyKilled: string[];
}

export interface IncidentService {
  bulkKill(body: BulkKill, actor: Actor): Promise<BulkKillResult>;
}

/** Which flags a bulk kill names: live flags with the tag, or the listed ones (which must all exist and be live). */
async function selectFlags(db: Kysely<Database>, body: BulkKill): Promise<string[]> {
  if (body.tag !== undefined) {
    const rows = await db
      .selectFrom('flags')
      .select('key')
      .where('archived_at', 'is', null)
      .where(sql<boolean>`tags @> ${json([body.tag])}::jsonb`)
      .orderBy('key')
      .execute();
    return rows.map((r) => r.key);
  }
  const keys = [...new Set(body.flags ?? [])].sort();
  const valid = keys.filter((k) => FLAG_KEY_PATTERN.test(k));
  const rows = valid.length === 0 ? [] : await db.selectFrom('flags').select(['key', 'archived_at']).where('key', 'in', valid).execute();
  const found = new Map(rows.map((r) => [r.key, r.archived_at]));
  const missing = keys.filter((k) => !found.has(k));
  if (missing.length > 0) {
    throw new ApiError(
      'FLAG_NOT_FOUND',
      `no flag ${missing.map((k) => `"${k}"`).join(', ')}; nothing was killed`,
      missing.map((k) => ({ path: `flags[${(body.flags ?? []).indexOf(k)}]`, message: 'no such flag', flag: k })),
    );
  }
  const archived = keys.filter((k) => found.get(k) !== null);
  if (archived.length > 0) {
    throw new ApiError(
      'FLAG_ARCHIVED',
      `flag ${archived.map((k) => `"${k}"`).join(', ')} ${archived.length === 1 ? 'is' : 'are'} archived; nothing was killed`,
      archived.map((k) => ({ path: `flags[${(body.flags ?? []).indexOf(k)}]`, message: 'archived', flag: k })),
    );
  }
  return keys;
}

/**
 * Incident operations across many flags. A bulk kill is one transaction with one revision: SDKs see
 * every flag go off in the same patch, and the audit log has one `flag-environment.kill` entry per flag,
 * as a single kill writes (so webhooks announce each one). Rows are locked in key order, the order a
 * concurrent bulk kill takes them too, and before the revision counter, as every writer does.
 */
export function createIncidentService(deps: { db: Kysely<Database>; clock: Clock; notifier: ChangeNotifier }): IncidentService {
  const { db, clock, notifier } = deps;
  return {
    async bulkKill(body, actor) {
      const now = clock.now();
      const result = await db.transaction().execute(async (trx) => {
        if (!(await environmentExists(trx, body.environment))) throw new ApiError('ENVIRONMENT_NOT_FOUND', `no environment "${body.environment}"`);
        const keys = await selectFlags(trx, body);
        if (keys.length === 0) return { revision: null, killed: [], alreadyKilled: [] };
        let query = trx.selectFrom('flag_environments').selectAll().where('environment', '=', body.environment).where('flag_key', 'in', keys).orderBy('flag_key');
        if (!body.dryRun) query = query.forUpdate();
        const rows = (await query.execute()).map(flagEnvironmentRecord);
        const alreadyKilled = rows.filter((r) => r.killed !== null).map((r) => r.flagKey);
        const targets = rows.filter((r) => r.killed === null);
        if (body.dryRun || targets.length === 0) return { revision: null, killed: targets.map((r) => r.flagKey), alreadyKilled };

        const revision = await nextRevision(trx);
        const audits: AuditEntry[] = [];
        for (const row of targets) {
          const killed: Kill = {
            reason: body.reason,
            at: now.toISOString(),
            actor: actor.name,
            revision,
            previousEnabled: row.config.enabled,
            ...(actor.incidentId === undefined ? {} : { incidentId: actor.incidentId }),
          };
          const config = { ...row.config, enabled: false };
          await trx
            .updateTable('flag_environments')
            .set({ config: json(config), killed: json(killed), version: row.version + 1, updated_at: now, updated_revision: revision })
            .where('flag_key', '=', row.flagKey)
            .where('environment', '=', row.environment)
            .execute();
          audits.push({
            revision,
            actor,
            action: 'flag-environment.kill',
            resourceType: 'flag-environment',
            resourceKey: row.flagKey,
            environment: row.environment,
            reason: body.reason,
            before: auditFlagEnvironment(row),
            after: { version: row.version + 1, config, killed },
          });
        }
        await writeAudit(trx, audits);
        return { revision, killed: targets.map((r) => r.flagKey), alreadyKilled };
      });
      if (result.revision !== null) notifier.publish({ revision: result.revision, environments: [body.environment], kind: 'flag', keys: result.killed });
      return { revision: result.revision, dryRun: body.dryRun, environment: body.environment, reason: body.reason, killed: result.killed, alreadyKilled: result.alreadyKilled };
    },
  };
}
