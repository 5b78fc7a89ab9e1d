import type { Transaction } from 'kysely';
import type { Database } from '../../db/schema.js';
import { json } from '../../db/values.js';

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
  readonly resourceType: 'flag' | 'segment' | 'environment' | 'key' | 'flag-environment';
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
