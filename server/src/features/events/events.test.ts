import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installErrorHandling } from '../../errors.js';
import { authPlugin, type KeyResolver, type Principal } from '../../plugins/auth.js';
import { createLocalNotifier } from '../../plugins/changes.js';
import { createTestServer, type TestServer } from '../../../../test/helpers/server.js';
import { eventsRoutes } from './events.routes.js';

interface FeedEvent {
  event: string;
  id?: string;
  data?: unknown;
  comment?: string;
}

/** Reads a Server-Sent Events response the way the admin UI does: fetch + ReadableStream. */
function openFeed(url: string, token: string): { events: FeedEvent[]; status: Promise<number>; next(match: (e: FeedEvent) => boolean, timeoutMs?: number): Promise<FeedEvent>; ended: Promise<void>; close(): void } {
  const controller = new AbortController();
  const events: FeedEvent[] = [];
  const waiters = new Set<() => void>();
  let resolveStatus: (status: number) => void = () => undefined;
  const status = new Promise<number>((resolve) => (resolveStatus = resolve));
  const ended = (async () => {
    try {
      const res = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, signal: controller.signal });
      resolveStatus(res.status);
      if (res.body === null || res.status !== 200) return;
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: FeedEvent = { event: 'message' };
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) event.comment = line.slice(1).trim();
            else if (line.startsWith('event: ')) event.event = line.slice(7);
            else if (line.startsWith('id: ')) event.id = line.slice(4);
            else if (line.startsWith('data: ')) event.data = JSON.parse(line.slice(6));
          }
          if (event.comment !== undefined && event.data === undefined) event.event = 'comment';
          events.push(event);
          for (const wake of [...waiters]) wake();
        }
      }
    } catch {
      // aborted
    } finally {
      for (const wake of [...waiters]) wake();
    }
  })();
  let done = false;
  void ended.then(() => (done = true));
  return {
    events,
    status,
    ended,
    close: () => controller.abort(),
    next(match, timeoutMs = 3000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const found = events.find(match);
          if (found !== undefined) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(found);
          } else if (done) {
            waiters.delete(check);
            clearTimeout(timer);
            reject(new Error(`feed ended without a matching event; got ${JSON.stringify(events)}`));
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching event within ${timeoutMs} ms; got ${JSON.stringify(events)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}

describe('GET /api/v1/events', () => {
  let server: TestServer;
  let base: string;
  const feeds: { close(): void }[] = [];
  beforeAll(async () => {
    server = await createTestServer();
    base = await server.listen();
  });
  afterAll(async () => {
    for (const feed of feeds) feed.close();
    await server.close();
  });
  const feed = (token: string) => {
    const f = openFeed(`${base}/api/v1/events`, token);
    feeds.push(f);
    return f;
  };

  it('streams one change event per committed change, to any key that may read', async () => {
    const reader = await server.createKey('reader');
    const f = feed(reader);
    expect(await f.status).toBe(200);
    const hello = await f.next((e) => e.event === 'hello');
    expect(hello.data).toEqual({ revision: expect.any(Number) });

    const created = await server.api('POST', '/api/v1/flags', { key: 'live-one', kind: 'operational', owner: 'team-ui' });
    expect(created.statusCode).toBe(201);
    const revision = (created.json() as { revision: number }).revision;
    const change = await f.next((e) => e.event === 'change' && (e.data as { keys: string[] }).keys.includes('live-one'));
    expect(change).toMatchObject({ id: String(revision), data: { revision, environments: 'all', kind: 'flag', keys: ['live-one'] } });

    const kill = await server.api('POST', '/api/v1/flags/live-one/environments/production/kill', { reason: 'INC-1' });
    expect(kill.statusCode).toBe(200);
    const killRevision = (kill.json() as { revision: number }).revision;
    const killed = await f.next((e) => e.event === 'change' && (e.data as { revision: number }).revision === killRevision);
    expect(killed.data).toEqual({ revision: killRevision, environments: ['production'], kind: 'flag', keys: ['live-one'] });
  });

  it('refuses requests without a read permission', async () => {
    const sdk = await server.createKey('sdk-server', 'production');
    expect((await server.api('GET', '/api/v1/events', undefined, { token: sdk })).statusCode).toBe(403);
    expect((await server.api('GET', '/api/v1/events', undefined, { token: null })).statusCode).toBe(401);
  });

  it('shows key changes to admins only, and ends the feed of a key when it is revoked', async () => {
    const reader = await server.createKey('reader');
    const readerFeed = feed(reader);
    const adminFeed = feed(server.adminToken);
    await readerFeed.next((e) => e.event === 'hello');
    await adminFeed.next((e) => e.event === 'hello');
    const keys = (await server.api('GET', '/api/v1/keys')).json() as { keys: { id: string; prefix: string; revokedAt: string | null }[] };
    const readerKey = keys.keys.find((k) => k.revokedAt === null && reader.startsWith(k.prefix));
    expect(readerKey).toBeDefined();
    expect((await server.api('DELETE', `/api/v1/keys/${readerKey?.id ?? ''}`)).statusCode).toBe(200);
    await adminFeed.next((e) => e.event === 'change' && (e.data as { kind: string }).kind === 'key');
    await readerFeed.next((e) => e.event === 'revoked');
    await readerFeed.ended;
    expect(readerFeed.events.some((e) => e.event === 'change' && (e.data as { kind: string }).kind === 'key')).toBe(false);
  });
});

describe('the feed on its own', () => {
  const principal: Principal = { keyId: 'k1', name: 'reader-1', kind: 'reader', environment: null };
  const resolver: KeyResolver = { resolve: async (secret) => (secret === 'good' ? principal : null), evict: () => undefined };
  const notifier = createLocalNotifier();
  let latest = 5;
  const app = Fastify();
  // Left open on purpose: closing the app must end them.
  const open: { ended: Promise<void> }[] = [];
  let base: string;
  beforeAll(async () => {
    installErrorHandling(app);
    await app.register(authPlugin, { keys: resolver });
    await app.register(eventsRoutes, { prefix: '/api/v1/events', notifier, latestRevision: () => latest, heartbeatMs: 40, catchUpMs: 20 });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    base = `http://127.0.0.1:${address.port}`;
  });

  it('sends heartbeats, and a resync when the revision moved without a notification', async () => {
    const f = openFeed(`${base}/api/v1/events`, 'good');
    expect(await f.status).toBe(200);
    expect((await f.next((e) => e.event === 'hello')).data).toEqual({ revision: 5 });
    await f.next((e) => e.event === 'comment' && e.comment === 'heartbeat');
    latest = 9;
    expect((await f.next((e) => e.event === 'resync')).data).toEqual({ revision: 9 });
    // A notified change is not announced twice.
    notifier.publish({ revision: 10, environments: ['staging'], kind: 'segment', keys: ['beta'] });
    latest = 10;
    await f.next((e) => e.event === 'change');
    await new Promise((r) => setTimeout(r, 80));
    expect(f.events.filter((e) => e.event === 'resync')).toHaveLength(1);
    open.push(f);
  });

  it('ends open feeds when the app closes, so close() does not hang', async () => {
    const f = openFeed(`${base}/api/v1/events`, 'good');
    await f.next((e) => e.event === 'hello');
    open.push(f);
    const started = Date.now();
    await app.close();
    await Promise.all(open.map((feed) => feed.ended));
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
