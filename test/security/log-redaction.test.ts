import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { TestPostgres } from '../helpers/postgres.js';
import { http, startServer, waitFor, type ServerProcess } from '../helpers/processes.js';

// A real server process logging at trace level: whatever it prints, key material must not be in it.
const adminToken = `sya_logtest_${randomBytes(18).toString('base64url')}`;
const metricsToken = `metrics_${randomBytes(16).toString('hex')}`;
const dbPassword = `pw_${randomBytes(9).toString('hex')}`;
let pg: TestPostgres;
let server: ServerProcess;

beforeAll(async () => {
  pg = await TestPostgres.start();
  // Trust authentication ignores the password: it is here only to be looked for in the logs.
  const url = pg.url().replace('postgres@', `postgres:${dbPassword}@`);
  server = await startServer({ env: { DATABASE_URL: url, SWITCHYARD_ADMIN_TOKEN: adminToken, METRICS_TOKEN: metricsToken, LOG_LEVEL: 'trace' } });
  await server.ready();
});

afterAll(async () => {
  await server?.kill();
  await pg?.destroy();
});

describe('structured logs', () => {
  it('are JSON lines with request ids, and never contain a key, token or password', async () => {
    const secrets = [adminToken, metricsToken, dbPassword];
    const api = (path: string, init: Parameters<typeof http>[1] = {}) => http(`${server.url}${path}`, init);
    const created: string[] = [];
    for (const [kind, environment] of [['sdk-server', 'production'], ['sdk-client', 'production'], ['writer', undefined], ['reader', undefined]] as const) {
      const res = await api('/api/v1/keys', { method: 'POST', token: adminToken, body: { name: `log-${kind}`, kind, ...(environment === undefined ? {} : { environment }) } });
      expect(res.status).toBe(201);
      created.push((res.body as { secret: string }).secret);
    }
    secrets.push(...created);
    const [sdkKey, clientKey, writerKey, readerKey] = created as [string, string, string, string];

    // Keys used every way a client might: header, query string (wrong, but it happens), stream hello.
    expect((await api('/api/v1/flags', { method: 'POST', token: writerKey, body: { key: 'logged', kind: 'operational', owner: 'sre' }, headers: { 'x-request-id': 'trace-me-1' } })).status).toBe(201);
    expect((await api('/api/v1/flags', { token: readerKey })).status).toBe(200);
    expect((await api('/api/v1/sdk/config', { token: sdkKey })).status).toBe(200);
    await api(`/api/v1/sdk/config?key=${clientKey}&sdk_key=${sdkKey}`);
    await api(`/api/v1/flags?token=${writerKey}`, { token: readerKey });
    expect((await api('/metrics', { token: metricsToken })).status).toBe(200);
    const wrong = `sys_${randomBytes(24).toString('base64url')}`;
    secrets.push(wrong);
    expect((await api('/api/v1/flags', { token: wrong })).status).toBe(401);
    expect((await api('/metrics', { token: wrong })).status).toBe(401);
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/v1/sdk/stream`);
    const first = new Promise<void>((resolve) => ws.once('message', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.send(JSON.stringify({ type: 'hello', protocol: 1, sdk: { name: 'log-test', version: '0' }, revision: null, key: clientKey }));
    await first;
    ws.close();
    // A revoked key, and a malformed body carrying a key.
    const keys = (await api('/api/v1/keys', { token: adminToken })).body as { keys: { id: string; name: string }[] };
    const readerId = keys.keys.find((k) => k.name === 'log-reader')?.id ?? '';
    expect((await api(`/api/v1/keys/${readerId}`, { method: 'DELETE', token: adminToken })).status).toBe(200);
    expect((await api('/api/v1/flags', { token: readerKey })).status).toBe(401);
    await fetch(`${server.url}/api/v1/flags`, { method: 'POST', headers: { authorization: `Bearer ${writerKey}`, 'content-type': 'application/json' }, body: `{"key": "${writerKey}", broken` });

    server.child.kill('SIGTERM');
    await server.exited;
    const output = server.stdout() + server.stderr();
    expect(output.length).toBeGreaterThan(1000);
    for (const secret of secrets) expect(output.includes(secret), `a secret (${secret.slice(0, 8)}…) is in the log`).toBe(false);

    const lines = server.stdout().split('\n').filter((l) => l.trim() !== '');
    const records = lines.map((l) => JSON.parse(l) as { level: number; reqId?: string; req?: { url?: string; headers?: unknown }; msg?: string });
    const requestLines = records.filter((r) => r.req !== undefined);
    expect(requestLines.length).toBeGreaterThan(10);
    for (const r of requestLines) expect(r.reqId).toEqual(expect.any(String));
    // A client's x-request-id is the request's id in the log.
    expect(records.some((r) => r.reqId === 'trace-me-1')).toBe(true);
    expect(records.some((r) => r.req?.url?.includes('key=[redacted]&sdk_key=[redacted]'))).toBe(true);
    await waitFor('exit', () => !server.alive(), 1000);
  });
});
