import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { TestPostgres } from '../helpers/postgres.js';
import { http, startServer, waitFor, type ServerProcess } from '../helpers/processes.js';

// Graceful shutdown of a real server process (docs/operations.md, "Shutdown"): SIGTERM fails
// readiness at once, then SDK sockets get 1012, the listener closes, in-flight requests finish, and
// the process exits 0 within SHUTDOWN_GRACE_MS.
const ENV = 'production';
const adminToken = `sya_chaos_${randomBytes(18).toString('base64url')}`;
let pg: TestPostgres;
const servers: ServerProcess[] = [];

beforeAll(async () => {
  pg = await TestPostgres.start();
});

afterAll(async () => {
  for (const s of servers) await s.kill();
  await pg?.destroy();
});

async function server(env: Record<string, string>): Promise<ServerProcess> {
  const s = await startServer({ env: { DATABASE_URL: pg.url(), SWITCHYARD_ADMIN_TOKEN: adminToken, ...env } });
  servers.push(s);
  await s.ready();
  return s;
}

async function ok(res: Promise<{ status: number; body: unknown }>, status = 200): Promise<Record<string, unknown>> {
  const r = await res;
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  return r.body as Record<string, unknown>;
}

describe('SIGTERM', () => {
  it('fails readiness, closes SDK sockets with 1012, finishes the in-flight request, refuses new connections and exits 0', async () => {
    const DELAY = 500;
    const GRACE = 8000;
    const s = await server({ SHUTDOWN_DELAY_MS: String(DELAY), SHUTDOWN_GRACE_MS: String(GRACE), LOG_LEVEL: 'info' });
    await ok(http(`${s.url}/api/v1/flags`, { method: 'POST', token: adminToken, body: { key: 'drain-me', kind: 'kill-switch', owner: 'sre' } }), 201);
    await ok(http(`${s.url}/api/v1/flags/drain-me/environments/${ENV}`, { method: 'PUT', token: adminToken, body: { enabled: true, offVariant: 'false', fallthrough: { variant: 'true' } } }));
    const { secret: sdkKey } = (await ok(http(`${s.url}/api/v1/keys`, { method: 'POST', token: adminToken, body: { name: 'drain-sdk', kind: 'sdk-server', environment: ENV } }), 201)) as { secret: string };

    // An SDK that never acknowledges: a write with ?waitForSdks= waits for it, so it stays in flight.
    const ws = new WebSocket(`${s.url.replace('http', 'ws')}/api/v1/sdk/stream`, { headers: { authorization: `Bearer ${sdkKey}` } });
    const frames: { type: string }[] = [];
    ws.on('message', (data) => frames.push(JSON.parse(data.toString()) as { type: string }));
    const closed = new Promise<{ code: number; at: number }>((resolve) => ws.once('close', (code) => resolve({ code, at: Date.now() })));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.send(JSON.stringify({ type: 'hello', protocol: 1, sdk: { name: 'chaos-raw', version: '0' }, revision: null }));
    await waitFor('snapshot', () => frames.some((f) => f.type === 'snapshot'), 5000);

    const inFlight = http(`${s.url}/api/v1/flags/drain-me/environments/${ENV}/kill?waitForSdks=20000`, { method: 'POST', token: adminToken, body: { reason: 'drain test' }, timeoutMs: 20_000 }).then((r) => ({ ...r, at: Date.now() }));
    // The kill committed and reached the socket: the request now waits for an ack that never comes.
    await waitFor('patch', () => frames.some((f) => f.type === 'patch'), 5000);

    const sigterm = Date.now();
    s.child.kill('SIGTERM');
    const exited = s.exited.then((e) => ({ ...e, at: Date.now() }));

    // During the delay: not ready (our JSON, on a new connection), still alive and serving.
    let ready = await http(`${s.url}/health/ready`);
    // The signal reaches the process a moment after kill() returns.
    while (ready.status === 200 && Date.now() - sigterm < 300) ready = await http(`${s.url}/health/ready`);
    const readyAfter = Date.now() - sigterm;
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ status: 'not ready', checks: { draining: { ok: false } } });
    expect((await http(`${s.url}/health/live`)).status).toBe(200);

    const close = await closed;
    expect(close.code).toBe(1012);
    expect(close.at - sigterm).toBeGreaterThanOrEqual(DELAY - 50);

    const done = await inFlight;
    expect(done.status).toBe(200);
    // It waited until the socket closed: the SDK that left no longer counts, and none acknowledged.
    expect(done.body).toMatchObject({ propagation: { applied: 0 } });
    expect((done.body as { propagation: { waitedMs: number } }).propagation.waitedMs).toBeGreaterThanOrEqual(DELAY - 50);

    // After the delay the listener closes: a new connection is refused (or the process is gone).
    await waitFor('new connections refused', async () => (await http(`${s.url}/health/live`, { timeoutMs: 1000 })).error === 'ECONNREFUSED', 2000, 10);

    const exit = await exited;
    expect(exit.code).toBe(0);
    expect(exit.at - sigterm).toBeLessThan(GRACE);
    expect(s.stdout()).toContain('"msg":"stopped"');
    console.log(
      `SIGTERM: readiness 503 after ${readyAfter} ms; 1012 after ${close.at - sigterm} ms (delay ${DELAY} ms); in-flight write 200 after ${done.at - sigterm} ms; exit 0 after ${exit.at - sigterm} ms (grace ${GRACE} ms)`,
    );

    // The write that was in flight is committed; a new server on the same database sees it.
    const again = await server({});
    const view = await ok(http(`${again.url}/api/v1/flags/drain-me/environments/${ENV}`, { token: adminToken }));
    expect(view).toMatchObject({ killed: { reason: 'drain test' } });
    await again.kill();
  });

  it('exits 1 when a request is still open at the end of the grace period', async () => {
    const GRACE = 1500;
    const s = await server({ SHUTDOWN_GRACE_MS: String(GRACE) });
    // A client that announced a body and never sends it: its request never finishes.
    const socket = connect(s.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.on('error', () => undefined);
    socket.write(`POST /api/v1/flags HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${adminToken}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"key":`);
    await new Promise((r) => setTimeout(r, 200));
    const sigterm = Date.now();
    s.child.kill('SIGTERM');
    const exit = await s.exited;
    const took = Date.now() - sigterm;
    socket.destroy();
    expect(exit.code).toBe(1);
    expect(took).toBeGreaterThanOrEqual(GRACE - 50);
    expect(took).toBeLessThan(GRACE + 2000);
    expect(s.stdout()).toContain('grace period over');
  });
});
