import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlag, errorOf, putConfig } from '../../../../test/helpers/flags.js';
import { createTestServer, type TestServer } from '../../../../test/helpers/server.js';
import { retryDelayMs } from './webhooks.service.js';

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly raw: string;
  readonly body: { id: string; event: string; at: string; flag: string; environment: string; detail: Record<string, unknown>; text: string };
}

/** A webhook receiver on 127.0.0.1 that answers with the next status of `plan` (then 200). */
function receiver(): { url: Promise<string>; received: Received[]; statuses: number[]; close(): Promise<void> } {
  const received: Received[] = [];
  const statuses: number[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      received.push({ headers: request.headers, raw, body: JSON.parse(raw) as Received['body'] });
      response.statusCode = statuses.shift() ?? 200;
      response.end('ok');
    });
  });
  const url = new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/switchyard`)));
  return { url, received, statuses, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 8000): Promise<void> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** What a receiver does: recompute the HMAC over the exact body and compare in constant time. */
function verify(secret: string, raw: string, header: string | string[] | undefined): boolean {
  if (typeof header !== 'string' || !header.startsWith('sha256=')) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(raw).digest('hex'));
  const actual = Buffer.from(header.slice('sha256='.length));
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

const SECRET = 'whsec-test-0123456789abcdef';
let server: TestServer;
const hooks = receiver();
beforeAll(async () => {
  server = await createTestServer({ schedulerIntervalMs: 50, webhookRetryBaseMs: 300 });
});
afterAll(async () => {
  await server.close();
  await hooks.close();
});

describe('webhook admin', () => {
  it('creates (secret shown once), lists without secrets, validates and deletes; admin keys only', async () => {
    const generated = await server.api('POST', '/api/v1/webhooks', { url: 'https://hooks.example.com/a', description: 'ops channel' });
    expect(generated.statusCode, generated.body).toBe(201);
    const body = generated.json() as { webhook: { id: string; events: string[] }; secret: string };
    expect(body.secret).toMatch(/^whsec_/);
    expect(body.webhook.events).toEqual(['kill', 'restore', 'rollout.step', 'rollout.paused', 'rollout.resumed', 'rollout.rollback', 'rollout.completed', 'rollout.aborted', 'gate.change']);
    const list = await server.api('GET', '/api/v1/webhooks');
    expect(list.body).not.toContain(body.secret);
    expect((list.json() as { webhooks: { id: string }[] }).webhooks.map((w) => w.id)).toContain(body.webhook.id);

    const invalid = await server.api('POST', '/api/v1/webhooks', { url: 'ftp://x', secret: 'short', events: ['kill', 'explode'] });
    expect(invalid.statusCode).toBe(400);
    expect(errorOf(invalid).details.map((d) => d.path).sort()).toEqual(['events[1]', 'secret', 'url']);
    const writer = await server.createKey('writer');
    expect((await server.api('GET', '/api/v1/webhooks', undefined, { token: writer })).statusCode).toBe(403);
    expect((await server.api('POST', '/api/v1/webhooks', { url: 'https://x.example' }, { token: writer })).statusCode).toBe(403);

    expect((await server.api('DELETE', `/api/v1/webhooks/${body.webhook.id}`)).statusCode).toBe(200);
    expect(errorOf(await server.api('DELETE', `/api/v1/webhooks/${body.webhook.id}`)).code).toBe('WEBHOOK_NOT_FOUND');
    expect((await server.api('GET', '/api/v1/webhooks')).body).not.toContain(body.webhook.id);
    const audit = await server.api('GET', `/api/v1/audit?resource=${body.webhook.id}`);
    expect((audit.json() as { entries: { action: string }[] }).entries.map((e) => e.action)).toEqual(['webhook.delete', 'webhook.create']);
    expect(audit.body).not.toContain(body.secret);
  });

  it('backs off exponentially: 1 s, 2 s, 4 s …', () => {
    expect([1, 2, 3, 4, 10].map((n) => retryDelayMs(n))).toEqual([1000, 2000, 4000, 8000, 512_000]);
    expect(retryDelayMs(40)).toBe(3_600_000);
  });
});

describe('deliveries', () => {
  it('posts a signed kill, retries after a failed attempt, and sends the restore too', async () => {
    const url = await hooks.url;
    const created = await server.api('POST', '/api/v1/webhooks', { url, secret: SECRET, events: ['kill', 'restore'] });
    expect(created.statusCode).toBe(201);
    const hookId = (created.json() as { webhook: { id: string } }).webhook.id;
    await createFlag(server, 'wh-checkout');
    await putConfig(server, 'wh-checkout', 'production', { enabled: true, offVariant: 'false', fallthrough: { variant: 'true' } });

    hooks.statuses.push(500);
    const kill = await server.api('POST', '/api/v1/flags/wh-checkout/environments/production/kill', { reason: 'INC-42' }, { headers: { 'x-switchyard-incident': 'INC-42' } });
    expect(kill.statusCode).toBe(200);
    await until(() => hooks.received.length >= 2);
    const [first, retry] = hooks.received;
    if (first === undefined || retry === undefined) throw new Error('no deliveries');
    // The same delivery twice: the first got a 500, the retry came after the backoff.
    expect(retry.body).toEqual(first.body);
    expect(retry.headers['x-switchyard-delivery']).toBe(first.body.id);
    expect(verify(SECRET, retry.raw, retry.headers['x-switchyard-signature'])).toBe(true);
    expect(verify('another-secret-entirely', retry.raw, retry.headers['x-switchyard-signature'])).toBe(false);
    expect(retry.headers['x-switchyard-event']).toBe('kill');
    expect(retry.headers['content-type']).toBe('application/json');
    expect(retry.body).toMatchObject({
      event: 'kill',
      flag: 'wh-checkout',
      environment: 'production',
      detail: { reason: 'INC-42', actor: 'bootstrap-admin', incidentId: 'INC-42', revision: (kill.json() as { revision: number }).revision },
      text: ':red_circle: *wh-checkout* in *production* was killed by bootstrap-admin: INC-42',
    });
    expect(Date.parse(retry.body.at)).not.toBeNaN();

    const deliveries = async (): Promise<{ deliveredAt: string | null }[]> => ((await server.api('GET', `/api/v1/webhooks/${hookId}/deliveries`)).json() as { deliveries: { deliveredAt: string | null }[] }).deliveries;
    // The receiver answered; the outcome is recorded right after.
    await until(async () => (await deliveries())[0]?.deliveredAt !== null);
    expect(await deliveries()).toEqual([
      expect.objectContaining({ attempts: 2, deliveredAt: expect.any(String), lastStatus: 200, lastError: null, failedAt: null }),
    ]);

    await server.api('POST', '/api/v1/flags/wh-checkout/environments/production/restore', { reason: 'fixed' });
    await until(() => hooks.received.length >= 3);
    expect(hooks.received[2]?.body).toMatchObject({ event: 'restore', flag: 'wh-checkout', text: expect.stringContaining('restored') });
    expect(verify(SECRET, hooks.received[2]?.raw ?? '', hooks.received[2]?.headers['x-switchyard-signature'])).toBe(true);

    // Only subscribed events, and nothing after the webhook is deleted.
    await server.api('POST', '/api/v1/flags/wh-checkout/environments/production/rollout', { percentage: 50 });
    await server.api('DELETE', `/api/v1/webhooks/${hookId}`);
    await server.api('POST', '/api/v1/flags/wh-checkout/environments/production/kill', { reason: 'INC-43' });
    await new Promise((r) => setTimeout(r, 400));
    expect(hooks.received).toHaveLength(3);
  });

  it('gives a delivery up after the last attempt', async () => {
    const url = await hooks.url;
    const created = await server.api('POST', '/api/v1/webhooks', { url, secret: SECRET, events: ['restore'] });
    const hookId = (created.json() as { webhook: { id: string } }).webhook.id;
    await server.app.services.scheduler.stop();
    await server.api('POST', '/api/v1/flags/wh-checkout/environments/production/restore', { reason: 'INC-43 over' });
    const before = hooks.received.length;
    hooks.statuses.push(503, 503);
    await server.app.services.scheduler.tick();
    await server.app.services.webhookDispatcher.idle();
    // Pretend eight more attempts failed, and the next one is due.
    await server.database.db.updateTable('webhook_deliveries').set({ attempts: 9, next_attempt_at: new Date() }).where('webhook_id', '=', hookId).execute();
    await server.app.services.scheduler.tick();
    await server.app.services.webhookDispatcher.idle();
    expect(hooks.received).toHaveLength(before + 2);
    const deliveries = (await server.api('GET', `/api/v1/webhooks/${hookId}/deliveries`)).json() as { deliveries: { attempts: number; failedAt: string | null; lastStatus: number; lastError: string }[] };
    expect(deliveries.deliveries).toEqual([expect.objectContaining({ attempts: 10, failedAt: expect.any(String), lastStatus: 503, lastError: 'receiver answered HTTP 503' })]);
  });
});
