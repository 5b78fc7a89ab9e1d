import type { AuditRecord, JsonValue } from '@switchyard/core';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../db/schema.js';
import { fromJson, json, toIso, toNumber } from '../../db/values.js';

/** Who made a change and on whose behalf: filled from the authenticated key and request headers. */
export interface Actor {
  readonly name: string;
  readonly keyId: string | null;
  readonly requestId?: string | undefined;
  readonly incidentId?: string | undefined;
  readonly deployId?: string | undefined;
}

/** One audit entry, written in the same transaction as the change it records. */
export interface AuditEntry {
  readonly revision: number;
  readonly actor: Actor;
  readonly action: string;
  readonly resourceType: 'flag' | 'segment' | 'environment' | 'key' | 'flag-environment' | 'rollout-plan' | 'gate' | 'webhook';
  readonly resourceKey: string;
  readonly environment?: string | null;
  readonly reason?: string | null;
  readonly before?: unknown;
  readonly after?: unknown;
}

/** Writes audit rows inside `trx`: if the change rolls back, so does its audit trail. */
export async function writeAudit(trx: Transaction<Database>, entries: AuditEntry | readonly AuditEntry[]): Promise<void> {
  const list = Array.isArray(entries) ? (entries as readonly AuditEntry[]) : [entries as AuditEntry];
  if (list.length === 0) return;
  await trx
    .insertInto('audit_log')
    .values(
      list.map((e) => ({
        revision: e.revision,
        actor: e.actor.name,
        actor_key_id: e.actor.keyId,
        action: e.action,
        resource_type: e.resourceType,
        resource_key: e.resourceKey,
        environment: e.environment ?? null,
        reason: e.reason ?? null,
        before: e.before === undefined ? null : json(e.before),
        after: e.after === undefined ? null : json(e.after),
        request_id: e.actor.requestId ?? null,
        incident_id: e.actor.incidentId ?? null,
        deploy_id: e.actor.deployId ?? null,
      })),
    )
    .execute();
}

/** Which audit entries to read: every given filter must match. */
export interface AuditFilter {
  /** A flag's key: its own entries and those of its environment configs, rollout plans and gate schedules. */
  readonly flag?: string | undefined;
  /** Any resource's key (flag, segment, environment, key id). */
  readonly resource?: string | undefined;
  readonly resourceType?: string | undefined;
  readonly environment?: string | undefined;
  readonly actor?: string | undefined;
  readonly action?: string | undefined;
  /** Inclusive. */
  readonly since?: Date | undefined;
  /** Exclusive. */
  readonly until?: Date | undefined;
  /** Cursor: only entries with a smaller id. */
  readonly before?: number | undefined;
  readonly limit: number;
  /** Resource types the caller may not see. */
  readonly hiddenResourceTypes?: readonly string[] | undefined;
}

/** One audit entry as the API shows it. */
export type { AuditRecord } from '@switchyard/core';

/** Reads audit entries newest first; `nextBefore` is the cursor of the next page, null on the last. */
export async function queryAudit(db: Kysely<Database>, filter: AuditFilter): Promise<{ entries: AuditRecord[]; nextBefore: number | null }> {
  let query = db.selectFrom('audit_log').selectAll();
  if (filter.flag !== undefined) query = query.where('resource_key', '=', filter.flag).where('resource_type', 'in', ['flag', 'flag-environment', 'rollout-plan', 'gate']);
  if (filter.resource !== undefined) query = query.where('resource_key', '=', filter.resource);
  if (filter.resourceType !== undefined) query = query.where('resource_type', '=', filter.resourceType);
  if (filter.environment !== undefined) query = query.where('environment', '=', filter.environment);
  if (filter.actor !== undefined) query = query.where('actor', '=', filter.actor);
  if (filter.action !== undefined) query = query.where('action', '=', filter.action);
  if (filter.since !== undefined) query = query.where('at', '>=', filter.since);
  if (filter.until !== undefined) query = query.where('at', '<', filter.until);
  if (filter.before !== undefined) query = query.where('id', '<', filter.before);
  if (filter.hiddenResourceTypes !== undefined && filter.hiddenResourceTypes.length > 0) query = query.where('resource_type', 'not in', filter.hiddenResourceTypes);
  // One row more than asked tells whether another page exists without a count(*).
  const rows = await query.orderBy('id', 'desc').limit(filter.limit + 1).execute();
  const page = rows.slice(0, filter.limit);
  const entries = page.map((row) => ({
    id: toNumber(row.id),
    revision: toNumber(row.revision),
    at: toIso(row.at),
    actor: row.actor,
    action: row.action,
    resourceType: row.resource_type,
    resourceKey: row.resource_key,
    environment: row.environment,
    reason: row.reason,
    before: row.before === null ? null : fromJson<JsonValue>(row.before),
    after: row.after === null ? null : fromJson<JsonValue>(row.after),
    requestId: row.request_id,
    incidentId: row.incident_id,
    deployId: row.deploy_id,
    propagation: row.propagation === null ? null : fromJson<unknown>(row.propagation),
  }));
  const last = entries[entries.length - 1];
  return { entries, nextBefore: rows.length > filter.limit && last !== undefined ? last.id : null };
}
