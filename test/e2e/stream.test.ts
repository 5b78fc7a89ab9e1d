import { buildApp } from '@switchyard/server';
import { createClient, silentLogger, type SwitchyardClient } from '@switchyard/sdk-node';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createTestServer, type TestServer } from '../helpers/server.js';

const ENV = 'production';
let server: TestServer;
let url: string;
let sdkKey: string;
const clients: SwitchyardClient[] = [];

async function until(condition: () => boolean, timeoutMs = 5000): Promise<number> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return Date.now() - started;
}

function client(key = sdkKey): SwitchyardClient {
  const c = createClient({ url, sdkKey: key, logger: silentLogger, metricsIntervalMs: 0, backoff: { initialMs: 50, maxMs: 400 } });
  clients.push(c);
  return c;
}

async function createFlag(key: string, env = ENV): Promise<void> {
  const created = await server.api('POST', '/api/v1/flags', { key, kind: 'release', owner: 'team-checkout', expiresAt: '2030-01-01T00:00:00Z' });
  expect(created.statusCode).toBe(201);
  const put = await server.api('PUT', `/api/v1/flags/${key}/environments/${env}`, { enabled: true, offVariant: 'false', fallthrough: { variant: 'true' } });
  expect(put.statusCode).toBe(200);
}

function rawSocket(headers: Record<string, string> = { authorization: `Bearer ${sdkKey}` }): Promise<WebSocket> {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/api/v1/sdk/stream`, { headers });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function closeCode(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => ws.once('close', (code) => resolve(code)));
}

beforeAll(async () => {
  server = await createTestServer();
  url = await server.listen();
  sdkKey = await server.createKey('sdk-server', ENV);
  await createFlag('new-checkout');
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await server.close();
});

describe('change stream and sdk-node', () => {
  it('delivers a kill to a connected SDK and proves it with acknowledgements', async () => {
    const flags = client();
    expect(await flags.ready({ timeoutMs: 3000 })).toEqual({ ok: true, source: 'network' });
    expect(flags.enabled('new-checkout', { key: 'user-1' })).toBe(true);
    await until(() => flags.revision > 0);
    await until(() => server.app.services.stream.connections(ENV).length === 1);
    const changes: string[][] = [];
    flags.on('change', (keys) => changes.push(keys));

    const kill = await server.api('POST', `/api/v1/flags/new-checkout/environments/${ENV}/kill?waitForSdks=3000`, { reason: 'INC-4711' });
    expect(kill.statusCode).toBe(200);
    const body = kill.json() as { revision: number; propagation: { revision: number; applied: number; total: number; lagging: unknown[] } };
    expect(body.propagation).toMatchObject({ revision: body.revision, applied: 1, total: 1, lagging: [] });
    // Applied means applied: the SDK already serves the kill when the write returns.
    expect(flags.detail('new-checkout', { key: 'user-1' })).toMatchObject({ value: false, reason: 'KILLED' });
    expect(flags.revision).toBe(body.revision);
    expect(changes).toContainEqual(['new-checkout']);

    const connections = await server.api('GET', '/api/v1/sdk/connections');
    const list = (connections.json() as { connections: { sdk: { name: string }; appliedRevision: number; lag: number; keyName: string }[] }).connections;
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ sdk: { name: 'sdk-node' }, appliedRevision: body.revision, lag: 0 });

    const audit = await server.database.db.selectFrom('audit_log').select(['propagation']).where('revision', '=', body.revision).executeTakeFirstOrThrow();
    expect(audit.propagation).toMatchObject({ applied: 1, total: 1 });

    const restore = await server.api('POST', `/api/v1/flags/new-checkout/environments/${ENV}/restore?waitForSdks=3000`, { reason: 'INC-4711 resolved' });
    expect((restore.json() as { propagation: { applied: number } }).propagation.applied).toBe(1);
    expect(flags.enabled('new-checkout', { key: 'user-1' })).toBe(true);
    await flags.close();
  });

  it('closes the streams of a revoked key at once', async () => {
    const created = (await server.api('POST', '/api/v1/keys', { name: 'to-revoke', kind: 'sdk-server', environment: ENV })).json() as { key: { id: string }; secret: string };
    const flags = client(created.secret);
    const errors: string[] = [];
    flags.on('error', (e) => errors.push(e.code));
    await flags.ready({ timeoutMs: 3000 });
    await until(() => server.app.services.stream.connections(ENV).some((c) => c.keyName === 'to-revoke'));
    expect((await server.api('DELETE', `/api/v1/keys/${created.key.id}`)).statusCode).toBe(200);
    const took = await until(() => errors.includes('UNAUTHORIZED'), 2000);
    expect(took).toBeLessThan(2000);
    expect(server.app.services.stream.connections(ENV).some((c) => c.keyName === 'to-revoke')).toBe(false);
  });

  it('refuses bad keys before the upgrade and non-SDK keys', async () => {
    await expect(rawSocket({ authorization: 'Bearer nope' })).rejects.toThrow(/401/);
    const reader = await server.createKey('reader');
    await expect(rawSocket({ authorization: `Bearer ${reader}` })).rejects.toThrow(/403/);
    // A browser-style socket without the header must say hello with a valid key.
    const anonymous = await rawSocket({});
    const code = closeCode(anonymous);
    anonymous.send(JSON.stringify({ type: 'hello', protocol: 1, sdk: { name: 'x', version: '1' }, revision: null, key: 'wrong' }));
    expect(await code).toBe(4401);
  });

  it('closes only the socket that sends malformed or oversized messages', async () => {
    const flags = client();
    await flags.ready({ timeoutMs: 3000 });
    const garbage = await rawSocket();
    const garbageClosed = closeCode(garbage);
    garbage.send('{not json');
    expect(await garbageClosed).toBe(1008);
    const wrongShape = await rawSocket();
    const wrongClosed = closeCode(wrongShape);
    wrongShape.send(JSON.stringify({ type: 'hello', protocol: 'one' }));
    expect(await wrongClosed).toBe(1008);
    const big = await rawSocket();
    const bigClosed = closeCode(big);
    big.send(JSON.stringify({ type: 'hello', pad: 'x'.repeat(64 * 1024) }));
    expect(await bigClosed).toBe(1009);
    // The well-behaved SDK is unaffected and still receives changes.
    await createFlag('after-garbage');
    await until(() => flags.enabled('after-garbage', { key: 'u' }));
    await flags.close();
  });

  it('warns when a connected SDK speaks a protocol too old for the operators written', async () => {
    const old = await rawSocket();
    old.send(JSON.stringify({ type: 'hello', protocol: 0, sdk: { name: 'ancient-sdk', version: '0.0.1' }, revision: null }));
    await until(() => server.app.services.stream.connections(ENV).some((c) => c.sdk.name === 'ancient-sdk'));
    const res = await server.api('PUT', `/api/v1/flags/new-checkout/environments/${ENV}`, {
      enabled: true,
      offVariant: 'false',
      rules: [{ id: 'v2', clauses: [{ attribute: 'appVersion', op: 'semverGt', values: ['2.0.0'] }], serve: { variant: 'true' } }],
      fallthrough: { variant: 'false' },
    });
    expect(res.statusCode).toBe(200);
    const warnings = (res.json() as { warnings?: { code: string; sdks: { sdk: string }[] }[] }).warnings ?? [];
    expect(warnings.find((w) => w.code === 'SDK_PROTOCOL_TOO_OLD')?.sdks.map((s) => s.sdk)).toEqual(['ancient-sdk/0.0.1']);
    old.close();
  });

  it('stores track() outcomes and evaluation counts aggregated per minute', async () => {
    const flags = createClient({ url, sdkKey, logger: silentLogger, metricsIntervalMs: 60_000 });
    await flags.ready({ timeoutMs: 3000 });
    for (let i = 0; i < 50; i++) flags.enabled('after-garbage', { key: `u${i}` });
    for (let i = 0; i < 10; i++) flags.track('after-garbage', { key: `u${i}` }, { error: i < 2, latencyMs: 15 });
    await flags.close();
    const rows = await server.database.db.selectFrom('evaluation_metrics').selectAll().where('flag_key', '=', 'after-garbage').execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ environment: ENV, variant: 'true' });
    expect(Number(rows[0]?.evaluations)).toBe(50);
    expect(Number(rows[0]?.outcomes)).toBe(10);
    expect(Number(rows[0]?.errors)).toBe(2);
  });

  // Last: it closes the file's server.
  it('keeps serving during a server restart and catches up on what changed meanwhile', async () => {
    await createFlag('restart-a');
    await createFlag('restart-b');
    const flags = client();
    await flags.ready({ timeoutMs: 3000 });
    expect(flags.enabled('restart-a', { key: 'u' })).toBe(true);
    const port = Number(new URL(url).port);
    await server.app.close();

    // While the server is down the SDK keeps its rules.
    expect(flags.enabled('restart-a', { key: 'u' })).toBe(true);
    const replacement: FastifyInstance = await buildApp({ database: server.database });
    await replacement.ready();
    try {
      const inject = (method: 'POST' | 'PUT', path: string, payload: unknown) =>
        replacement.inject({ method, url: path, payload: payload as object, headers: { authorization: `Bearer ${server.adminToken}` } });
      expect((await inject('POST', `/api/v1/flags/restart-a/environments/${ENV}/kill`, { reason: 'while away' })).statusCode).toBe(200);
      expect((await inject('PUT', `/api/v1/flags/restart-b/environments/${ENV}`, { enabled: false, offVariant: 'false', fallthrough: { variant: 'true' } })).statusCode).toBe(200);
      expect(flags.enabled('restart-a', { key: 'u' })).toBe(true);
      await replacement.listen({ port, host: '127.0.0.1' });
      await until(() => !flags.enabled('restart-a', { key: 'u' }) && !flags.enabled('restart-b', { key: 'u' }), 8000);
      expect(flags.detail('restart-a', { key: 'u' }).reason).toBe('KILLED');
      expect(flags.detail('restart-b', { key: 'u' }).reason).toBe('OFF');
    } finally {
      await flags.close();
      await replacement.close();
    }
  });
});
