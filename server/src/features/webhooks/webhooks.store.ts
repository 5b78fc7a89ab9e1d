import { sql, type Kysely, type Selectable } from 'kysely';
import { currentRevision } from '../../db/revision.js';
import type { Database, WebhookDeliveriesTable, WebhooksTable } from '../../db/schema.js';
import { fromJson, json, toIso, toNumber } from '../../db/values.js';
import { AUDITED_EVENTS, eventFromAudit, type WebhookEvent, type WebhookEventType } from './webhook-events.js';

/** A webhook as stored (the secret never leaves the server after creation). */
export interface WebhookRecord {
  readonly id: string;
  readonly url: string;
  readonly secret: string;
  readonly events: WebhookEventType[];
  readonly description: string;
  readonly createdAt: string;
  readonly createdBy: string | null;
  readonly deletedAt: string | null;
}

export function webhookRecord(row: Selectable<WebhooksTable>): WebhookRecord {
  return {
    id: row.id,
    url: row.url,
    secret: row.secret,
    events: fromJson<WebhookEventType[]>(row.events),
    description: row.description,
    createdAt: toIso(row.created_at),
    createdBy: row.created_by,
    deletedAt: toIso(row.deleted_at),
  };
}

/** One delivery of one event to one webhook. */
export interface DeliveryRecord {
  readonly id: number;
  readonly webhookId: string;
  readonly event: WebhookEvent;
  readonly attempts: number;
  readonly nextAttemptAt: string;
  readonly createdAt: string;
  readonly deliveredAt: string | null;
  readonly failedAt: string | null;
  readonly lastStatus: number | null;
  readonly lastError: string | null;
}

export function deliveryRecord(row: Selectable<WebhookDeliveriesTable>): DeliveryRecord {
  return {
    id: toNumber(row.id),
    webhookId: row.webhook_id,
    event: fromJson<WebhookEvent>(row.event),
    attempts: row.attempts,
    nextAttemptAt: toIso(row.next_attempt_at),
    createdAt: toIso(row.created_at),
    deliveredAt: toIso(row.delivered_at),
    failedAt: toIso(row.failed_at),
    lastStatus: row.last_status,
    lastError: row.last_error,
  };
}

export async function activeWebhooks(db: Kysely<Database>): Promise<WebhookRecord[]> {
  const rows = await db.selectFrom('webhooks').selectAll().where('deleted_at', 'is', null).orderBy('created_at').orderBy('id').execute();
  return rows.map(webhookRecord);
}

/** Queues deliveries of `events` to every live webhook subscribed to them, in the caller's transaction. Returns how many. */
export async function enqueueEvents(db: Kysely<Database>, events: readonly WebhookEvent[], now: Date, hooks?: readonly WebhookRecord[]): Promise<number> {
  if (events.length === 0) return 0;
  const targets = hooks ?? (await activeWebhooks(db));
  const rows = [];
  for (const event of events) {
    for (const hook of targets) {
      if (hook.events.includes(event.event)) rows.push({ webhook_id: hook.id, event: json(event), attempts: 0, next_attempt_at: now, created_at: now });
    }
  }
  for (let i = 0; i < rows.length; i += 500) await db.insertInto('webhook_deliveries').values(rows.slice(i, i + 500)).execute();
  return rows.length;
}

const OUTBOX = 'webhooks';
/** Revisions read per outbox pass, so one huge backlog is turned into deliveries in bounded steps. */
const OUTBOX_BATCH_REVISIONS = 1000;

/**
 * Turns audited changes committed since the outbox cursor into deliveries, and moves the cursor, in
 * one transaction. Revisions are handed out under the counter's row lock and committed in order, so
 * every change with a revision up to the committed counter is visible: nothing is skipped, and the
 * cursor row lock keeps two replicas from queueing the same change twice.
 */
export async function drainOutbox(db: Kysely<Database>, now: Date): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const cursorRow = await trx.selectFrom('outbox_cursors').select('revision').where('name', '=', OUTBOX).forUpdate().executeTakeFirst();
    const latest = await currentRevision(trx);
    if (cursorRow === undefined) {
      await trx.insertInto('outbox_cursors').values({ name: OUTBOX, revision: latest }).onConflict((oc) => oc.column('name').doNothing()).execute();
      return 0;
    }
    const cursor = toNumber(cursorRow.revision);
    const upper = Math.min(latest, cursor + OUTBOX_BATCH_REVISIONS);
    if (upper <= cursor) return 0;
    const hooks = await activeWebhooks(trx);
    let queued = 0;
    if (hooks.length > 0) {
      const rows = await trx
        .selectFrom('audit_log')
        .select(['revision', 'at', 'actor', 'action', 'resource_key', 'environment', 'reason', 'after', 'incident_id', 'deploy_id'])
        .where('revision', '>', cursor)
        .where('revision', '<=', upper)
        .where('action', 'in', Object.keys(AUDITED_EVENTS))
        .orderBy('id')
        .execute();
      const events: WebhookEvent[] = [];
      for (const row of rows) {
        const event = eventFromAudit({
          revision: toNumber(row.revision),
          at: toIso(row.at),
          actor: row.actor,
          action: row.action,
          resourceKey: row.resource_key,
          environment: row.environment,
          reason: row.reason,
          after: row.after === null ? null : fromJson<unknown>(row.after),
          incidentId: row.incident_id,
          deployId: row.deploy_id,
        });
        if (event !== undefined) events.push(event);
      }
      queued = await enqueueEvents(trx, events, now, hooks);
    }
    await trx.updateTable('outbox_cursors').set({ revision: upper }).where('name', '=', OUTBOX).execute();
    return queued;
  });
}

/** A delivery claimed for sending, with where to send it. */
export interface ClaimedDelivery {
  readonly id: number;
  readonly attempt: number;
  readonly event: WebhookEvent;
  readonly url: string;
  readonly secret: string;
}

/**
 * Claims due deliveries by pushing their next attempt `leaseMs` into the future and counting the
 * attempt: a replica that dies mid-send leaves them to be retried when the lease runs out, and no
 * other replica sends them meanwhile.
 */
export async function claimDeliveries(db: Kysely<Database>, now: Date, limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
  const result = await sql<{ id: string | number | bigint; attempts: number; event: unknown; url: string; secret: string }>`
    UPDATE webhook_deliveries AS d
    SET attempts = d.attempts + 1, next_attempt_at = ${new Date(now.getTime() + leaseMs)}
    FROM webhooks AS w
    WHERE w.id = d.webhook_id
      AND d.id IN (
        SELECT d2.id FROM webhook_deliveries AS d2 JOIN webhooks AS w2 ON w2.id = d2.webhook_id
        WHERE d2.delivered_at IS NULL AND d2.failed_at IS NULL AND d2.next_attempt_at <= ${now} AND w2.deleted_at IS NULL
        ORDER BY d2.next_attempt_at, d2.id
        LIMIT ${limit}
        FOR UPDATE OF d2 SKIP LOCKED
      )
    RETURNING d.id, d.attempts, d.event, w.url, w.secret`.execute(db);
  return result.rows
    .map((row) => ({ id: toNumber(row.id), attempt: row.attempts, event: fromJson<WebhookEvent>(row.event), url: row.url, secret: row.secret }))
    .sort((a, b) => a.id - b.id);
}

export async function recordDelivered(db: Kysely<Database>, id: number, status: number, now: Date): Promise<void> {
  await db.updateTable('webhook_deliveries').set({ delivered_at: now, last_status: status, last_error: null }).where('id', '=', id).execute();
}

export async function recordFailedAttempt(db: Kysely<Database>, id: number, failure: { status: number | null; error: string }, next: Date | null, now: Date): Promise<void> {
  await db
    .updateTable('webhook_deliveries')
    .set({ last_status: failure.status, last_error: failure.error.slice(0, 500), ...(next === null ? { failed_at: now } : { next_attempt_at: next }) })
    .where('id', '=', id)
    .execute();
}
