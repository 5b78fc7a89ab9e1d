import { createHmac, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../../clock.js';
import { nextRevision } from '../../db/revision.js';
import type { Database } from '../../db/schema.js';
import { json } from '../../db/values.js';
import { ApiError } from '../../errors.js';
import type { SchedulerJob } from '../../plugins/scheduler.js';
import { writeAudit, type Actor } from '../audit/audit.store.js';
import { WEBHOOK_EVENTS, type WebhookEventType } from './webhook-events.js';
import type { CreateWebhook } from './webhooks.schemas.js';
import {
  claimDeliveries,
  deliveryRecord,
  drainOutbox,
  recordDelivered,
  recordFailedAttempt,
  webhookRecord,
  type ClaimedDelivery,
  type DeliveryRecord,
  type WebhookRecord,
} from './webhooks.store.js';

/** A webhook as listed: never its secret, which is shown once at creation. */
export interface WebhookView {
  readonly id: string;
  readonly url: string;
  readonly events: WebhookEventType[];
  readonly description: string;
  readonly createdAt: string;
  readonly createdBy: string | null;
  readonly deletedAt: string | null;
}

function view(record: WebhookRecord): WebhookView {
  return {
    id: record.id,
    url: record.url,
    events: record.events,
    description: record.description,
    createdAt: record.createdAt,
    createdBy: record.createdBy,
    deletedAt: record.deletedAt,
  };
}

export interface WebhookService {
  list(): Promise<WebhookView[]>;
  create(input: CreateWebhook, actor: Actor): Promise<{ webhook: WebhookView; secret: string }>;
  remove(id: string, actor: Actor): Promise<WebhookView>;
  deliveries(id: string, limit: number): Promise<DeliveryRecord[]>;
}

function webhookNotFound(id: string): ApiError {
  return new ApiError('WEBHOOK_NOT_FOUND', `no webhook "${id}"`);
}

export function createWebhookService(deps: { db: Kysely<Database>; clock: Clock }): WebhookService {
  const { db, clock } = deps;
  return {
    async list() {
      const rows = await db.selectFrom('webhooks').selectAll().where('deleted_at', 'is', null).orderBy('created_at').orderBy('id').execute();
      return rows.map((row) => view(webhookRecord(row)));
    },

    async create(input, actor) {
      const secret = input.secret ?? `whsec_${randomBytes(24).toString('base64url')}`;
      const id = `wh_${randomBytes(8).toString('hex')}`;
      const now = clock.now();
      const record = await db.transaction().execute(async (trx) => {
        const row = await trx
          .insertInto('webhooks')
          .values({ id, url: input.url, secret, events: json(input.events ?? [...WEBHOOK_EVENTS]), description: input.description ?? '', created_at: now, created_by: actor.name })
          .returningAll()
          .executeTakeFirstOrThrow();
        const created = webhookRecord(row);
        const revision = await nextRevision(trx);
        await writeAudit(trx, { revision, actor, action: 'webhook.create', resourceType: 'webhook', resourceKey: id, after: view(created) });
        return created;
      });
      return { webhook: view(record), secret };
    },

    async remove(id, actor) {
      const now = clock.now();
      const record = await db.transaction().execute(async (trx) => {
        const before = await trx.selectFrom('webhooks').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
        if (before === undefined || before.deleted_at !== null) throw webhookNotFound(id);
        const row = await trx.updateTable('webhooks').set({ deleted_at: now }).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
        // Pending deliveries of a deleted webhook are given up, not left queued forever.
        await trx
          .updateTable('webhook_deliveries')
          .set({ failed_at: now, last_error: 'webhook deleted' })
          .where('webhook_id', '=', id)
          .where('delivered_at', 'is', null)
          .where('failed_at', 'is', null)
          .execute();
        const revision = await nextRevision(trx);
        await writeAudit(trx, { revision, actor, action: 'webhook.delete', resourceType: 'webhook', resourceKey: id, before: view(webhookRecord(before)), after: view(webhookRecord(row)) });
        return webhookRecord(row);
      });
      return view(record);
    },

    async deliveries(id, limit) {
      const hook = await db.selectFrom('webhooks').select('id').where('id', '=', id).executeTakeFirst();
      if (hook === undefined) throw webhookNotFound(id);
      const rows = await db.selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', id).orderBy('id', 'desc').limit(limit).execute();
      return rows.map(deliveryRecord);
    },
  };
}

/** Attempts per delivery before it is given up. */
export const MAX_DELIVERY_ATTEMPTS = 10;
/** Each attempt waits at most this long for the receiver. */
export const DELIVERY_TIMEOUT_MS = 5_000;
/** A claimed delivery is not sent by anyone else for this long (far above the timeout). */
const CLAIM_LEASE_MS = 60_000;
const CLAIM_BATCH = 20;

/** The signature header value of a body: `sha256=<hex HMAC-SHA256 of the exact body bytes>`. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** The wait before attempt `attempt + 1`: 1 s, 2 s, 4 s … (doubling), at most an hour. */
export function retryDelayMs(attempt: number, baseMs = 1000): number {
  return Math.min(baseMs * 2 ** Math.max(0, attempt - 1), 3_600_000);
}

export interface WebhookDispatcher {
  /** The scheduler jobs: turn audited changes into deliveries, then send what is due. */
  readonly jobs: readonly SchedulerJob[];
  /** Resolves when the sends started so far have finished. */
  idle(): Promise<void>;
  /** Aborts sends in flight (their claim lease runs out and they are retried) and waits for them. */
  stop(): Promise<void>;
}

export interface WebhookDispatcherOptions {
  readonly db: Kysely<Database>;
  readonly clock: Clock;
  readonly retryBaseMs?: number;
  readonly onError?: (error: unknown, context: string) => void;
}

export function createWebhookDispatcher(options: WebhookDispatcherOptions): WebhookDispatcher {
  const { db, clock } = options;
  const inflight = new Set<Promise<void>>();
  const abort = new AbortController();

  const send = async (delivery: ClaimedDelivery): Promise<void> => {
    const body = JSON.stringify({ id: String(delivery.id), ...delivery.event });
    let status: number | null = null;
    let error: string | undefined;
    try {
      const response = await fetch(delivery.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'switchyard-webhooks/1',
          'x-switchyard-event': delivery.event.event,
          'x-switchyard-delivery': String(delivery.id),
          'x-switchyard-signature': signBody(delivery.secret, body),
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.any([abort.signal, AbortSignal.timeout(DELIVERY_TIMEOUT_MS)]),
      });
      status = response.status;
      await response.body?.cancel().catch(() => undefined);
      if (status < 200 || status >= 300) error = `receiver answered HTTP ${status}`;
    } catch (cause) {
      // Shutting down: leave the attempt to the lease, another replica (or the next start) retries.
      if (abort.signal.aborted) return;
      error = cause instanceof Error ? (cause.name === 'TimeoutError' ? `no answer within ${DELIVERY_TIMEOUT_MS} ms` : cause.message) : String(cause);
    }
    const now = clock.now();
    if (error === undefined) await recordDelivered(db, delivery.id, status ?? 200, now);
    else {
      const next = delivery.attempt >= MAX_DELIVERY_ATTEMPTS ? null : new Date(now.getTime() + retryDelayMs(delivery.attempt, options.retryBaseMs));
      await recordFailedAttempt(db, delivery.id, { status, error }, next, now);
    }
  };

  const outbox: SchedulerJob = {
    name: 'webhook outbox',
    run: async () => {
      await drainOutbox(db, clock.now());
    },
  };

  const deliver: SchedulerJob = {
    name: 'webhook deliveries',
    run: async () => {
      if (abort.signal.aborted) return;
      const claimed = await claimDeliveries(db, clock.now(), CLAIM_BATCH, CLAIM_LEASE_MS);
      for (const delivery of claimed) {
        const task = send(delivery)
          .catch((error: unknown) => options.onError?.(error, `webhook delivery ${delivery.id}`))
          .finally(() => inflight.delete(task));
        inflight.add(task);
      }
    },
  };

  return {
    jobs: [outbox, deliver],
    async idle() {
      while (inflight.size > 0) await Promise.all([...inflight]);
    },
    async stop() {
      abort.abort();
      await Promise.all([...inflight]);
    },
  };
}
