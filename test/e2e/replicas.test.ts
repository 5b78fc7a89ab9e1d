import { randomBytes } from 'node:crypto';
import { buildApp, createLocalNotifier, createRedisNotifier, prepareDatabase, type DatabaseHandle, type RedisNotifier } from '@switchyard/server';
import { createClient, silentLogger } from '@switchyard/sdk-node';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { freePort } from '../helpers/net.js';
import { TestRedis } from '../helpers/redis.js';
import { dropSchema, openTestDatabase, uniqueSchema, usingPostgres } from '../helpers/server.js';

const ENV = 'production';
let redis: TestRedis;
const replicas: { app: FastifyInstance; bus: RedisNotifier; url: string; database: DatabaseHandle }[] = [];
let owned: DatabaseHandle[] = [];
const adminToken = `sya_test_${randomBytes(18).toString('base64url')}`;

async function until(condition: () => boolean, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return Date.now() - started;
}

async function reconnected(bus: RedisNotifier): Promise<void> {
  const started = Date.now();
  for (;;) {
    try {
      await bus.ping(200);
      return;
    } catch (error) {
      if (Date.now() - started > 10_000) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function replica(name: string, database: DatabaseHandle): Promise<(typeof replicas)[number]> {
  const bus = createRedisNotifier({ url: redis.url, local: createLocalNotifier(), replica: name });
  const app = await buildApp({ database, notifier: bus, redis: bus, peers: bus, replica: name });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  const entry = { app, bus, url: `http://127.0.0.1:${address.port}`, database };
  replicas.push(entry);
  return entry;
}

function api(app: FastifyInstance, method: 'POST' | 'PUT', url: string, payload: unknown) {
  return app.inject({ method, url, payload: payload as object, headers: { authorization: `Bearer ${adminToken}` } });
}

beforeAll(async () => {
  redis = new TestRedis(await freePort());
  await redis.start();
  // Real replicas on Postgres (separate pools); on PGlite, which is one embedded connection, both
  // replicas share the handle: the bus and the poll are still per replica.
  const schema = uniqueSchema('rep');
  const first = await openTestDatabase(schema, 4);
  const second = usingPostgres ? await openTestDatabase(schema, 4) : first;
  owned = usingPostgres ? [first, second] : [first];
  await Promise.all([prepareDatabase(first, { adminToken }), prepareDatabase(second, { adminToken })]);
  await replica('replica-a', first);
  await replica('replica-b', second);
});

afterAll(async () => {
  for (const r of replicas) {
    await r.app.close();
    await r.bus.close();
  }
  await redis.stop();
  const [first] = owned;
  if (first !== undefined) await dropSchema(first);
  for (const handle of owned) await handle.close();
});

describe('two replicas, one database, one Redis', () => {
  it('counts the SDKs of every replica: the connections view, ?waitForSdks= and protocol warnings on A see those connected to B', async () => {
    const [a, b] = replicas;
    if (a === undefined || b === undefined) throw new Error('replicas missing');
    const admin = { authorization: `Bearer ${adminToken}` };
    expect((await api(a.app, 'POST', '/api/v1/flags', { key: 'fleet-view', kind: 'kill-switch', owner: 'sre' })).statusCode).toBe(201);
    expect((await api(a.app, 'PUT', `/api/v1/flags/fleet-view/environments/${ENV}`, { enabled: true, offVariant: 'false', fallthrough: { variant: 'true' } })).statusCode).toBe(200);
    const keyRes = await a.app.inject({ method: 'POST', url: '/api/v1/keys', payload: { name: 'fleet-sdk', kind: 'sdk-server', environment: ENV }, headers: admin });
    const sdkKey = (keyRes.json() as { secret: string }).secret;

    const flags = createClient({ url: b.url, sdkKey, logger: silentLogger, metricsIntervalMs: 0 });
    // An SDK on B that speaks protocol 0 and never acknowledges anything.
    const silent = new WebSocket(`${b.url.replace('http', 'ws')}/api/v1/sdk/stream`, { headers: { authorization: `Bearer ${sdkKey}` } });
    const opened = new Promise((resolve, reject) => silent.once('open', resolve).once('error', reject));
    try {
      await flags.ready({ timeoutMs: 3000 });
      await opened;
      silent.send(JSON.stringify({ type: 'hello', protocol: 0, sdk: { name: 'ancient-sdk', version: '0.0.1' }, revision: null }));
      await until(() => b.app.services.stream.connections(ENV).filter((c) => c.keyName === 'fleet-sdk').length === 2, 3000);
      expect(a.app.services.stream.connections(ENV)).toHaveLength(0);

      const list = await a.app.inject({ method: 'GET', url: `/api/v1/sdk/connections?env=${ENV}`, headers: admin });
      expect(list.statusCode).toBe(200);
      const body = list.json() as { replica: string; total: number; replicas: unknown; connections: { keyName: string; replica: string; sdk: { name: string } }[] };
      expect(body).toMatchObject({ replica: 'replica-a', total: 2, replicas: { answered: 2, of: 2 } });
      expect(body.connections.map((c) => `${c.sdk.name}@${c.replica}`).sort()).toEqual(['ancient-sdk@replica-b', 'sdk-node@replica-b']);

      // A rule the protocol-0 SDK cannot evaluate, written on A, warns about that SDK on B.
      const semver = await api(a.app, 'PUT', `/api/v1/flags/fleet-view/environments/${ENV}`, {
        enabled: true,
        offVariant: 'false',
        rules: [{ id: 'v2', clauses: [{ attribute: 'appVersion', op: 'semverGt', values: ['2.0.0'] }], serve: { variant: 'false' } }],
        fallthrough: { variant: 'true' },
      });
      expect(semver.statusCode).toBe(200);
      const warnings = (semver.json() as { warnings?: { code: string; sdks: { sdk: string; replica: string }[] }[] }).warnings ?? [];
      expect(warnings.find((w) => w.code === 'SDK_PROTOCOL_TOO_OLD')?.sdks).toEqual([expect.objectContaining({ sdk: 'ancient-sdk/0.0.1', replica: 'replica-b' })]);

      // A kill on A waits for B's SDKs: the real one acknowledges, the silent one lags until the timeout.
      const kill = await a.app.inject({ method: 'POST', url: `/api/v1/flags/fleet-view/environments/${ENV}/kill?waitForSdks=1500`, payload: { reason: 'fleet' }, headers: admin });
      expect(kill.statusCode).toBe(200);
      const { revision, propagation } = kill.json() as { revision: number; propagation: { applied: number; total: number; waitedMs: number; replicas: unknown; lagging: { sdk: string; replica: string }[] } };
      expect(propagation).toMatchObject({ revision, applied: 1, total: 2, replicas: { answered: 2, of: 2 } });
      expect(propagation.lagging).toEqual([expect.objectContaining({ sdk: 'ancient-sdk/0.0.1', replica: 'replica-b' })]);
      expect(propagation.waitedMs).toBeGreaterThanOrEqual(1400);
      expect(flags.enabled('fleet-view', { key: 'u' })).toBe(false);
      const audit = await a.database.db.selectFrom('audit_log').select(['propagation']).where('revision', '=', revision).executeTakeFirstOrThrow();
      expect(audit.propagation).toMatchObject({ applied: 1, total: 2, replicas: { answered: 2, of: 2 } });

      // Only the real SDK: answered as soon as B's SDK acknowledged, well before the timeout.
      silent.close();
      await until(() => b.app.services.stream.connections(ENV).filter((c) => c.keyName === 'fleet-sdk').length === 1, 3000);
      const restore = await a.app.inject({ method: 'POST', url: `/api/v1/flags/fleet-view/environments/${ENV}/restore?waitForSdks=5000`, payload: { reason: 'fleet' }, headers: admin });
      const restored = (restore.json() as { propagation: { applied: number; total: number; waitedMs: number } }).propagation;
      expect(restored).toMatchObject({ applied: 1, total: 1 });
      expect(restored.waitedMs).toBeLessThan(2000);
      console.log(`fleet view: kill on A acknowledged by 1 of 2 SDKs on B (one silent), waited ${propagation.waitedMs} ms; restore acknowledged by the SDK on B in ${restored.waitedMs} ms`);
    } finally {
      silent.terminate();
      await flags.close();
    }
  });

  it('pushes a write on replica A to an SDK on replica B; without Redis the revision poll still delivers it', async () => {
    const [a, b] = replicas;
    if (a === undefined || b === undefined) throw new Error('replicas missing');
    expect((await api(a.app, 'POST', '/api/v1/flags', { key: 'cross-replica', kind: 'kill-switch', owner: 'sre' })).statusCode).toBe(201);
    expect((await api(a.app, 'PUT', `/api/v1/flags/cross-replica/environments/${ENV}`, { enabled: true, offVariant: 'false', fallthrough: { variant: 'true' } })).statusCode).toBe(200);
    const keyRes = await a.app.inject({ method: 'POST', url: '/api/v1/keys', payload: { name: 'sdk', kind: 'sdk-server', environment: ENV }, headers: { authorization: `Bearer ${adminToken}` } });
    const sdkKey = (keyRes.json() as { secret: string }).secret;

    const flags = createClient({ url: b.url, sdkKey, logger: silentLogger, metricsIntervalMs: 0 });
    try {
      await flags.ready({ timeoutMs: 3000 });
      expect(flags.enabled('cross-replica', { key: 'u' })).toBe(true);
      await until(() => b.app.services.stream.connections(ENV).length === 1, 2000);

      // Through Redis: milliseconds.
      expect((await api(a.app, 'POST', `/api/v1/flags/cross-replica/environments/${ENV}/kill`, { reason: 'via redis' })).statusCode).toBe(200);
      const viaRedis = await until(() => !flags.enabled('cross-replica', { key: 'u' }), 3000);
      expect(viaRedis).toBeLessThan(900);

      // Redis down: the write still commits, and replica B's revision poll finds it.
      await redis.stop();
      const ready = await b.app.inject({ method: 'GET', url: '/health/ready' });
      expect(ready.statusCode).toBe(200);
      expect((ready.json() as { checks: { redis: { ok: boolean } } }).checks.redis.ok).toBe(false);
      const restore = await a.app.inject({ method: 'POST', url: `/api/v1/flags/cross-replica/environments/${ENV}/restore?waitForSdks=3000`, payload: { reason: 'via poll' }, headers: { authorization: `Bearer ${adminToken}` } });
      expect(restore.statusCode).toBe(200);
      // B cannot be asked: the answer says it covers replica A only, rather than claim every SDK.
      expect((restore.json() as { propagation: unknown }).propagation).toMatchObject({ applied: 0, total: 0, replicas: { answered: 1, of: null } });
      const viaPoll = await until(() => flags.enabled('cross-replica', { key: 'u' }), 4000);
      expect(viaPoll).toBeLessThan(2500);

      // Redis back: fan-out resumes.
      await redis.start();
      await reconnected(a.bus);
      await reconnected(b.bus);
      // The subscriber connection resubscribes on its own reconnect, right after the publisher's.
      await new Promise((r) => setTimeout(r, 500));
      expect((await api(a.app, 'POST', `/api/v1/flags/cross-replica/environments/${ENV}/kill`, { reason: 'redis back' })).statusCode).toBe(200);
      const resumed = await until(() => !flags.enabled('cross-replica', { key: 'u' }), 3000);
      expect(resumed).toBeLessThan(900);
      console.log(`propagation to the other replica: via Redis ${viaRedis} ms, via poll (Redis down) ${viaPoll} ms, after Redis returned ${resumed} ms`);
    } finally {
      await flags.close();
    }
  });

  it('a local write after a change this replica never heard of (Redis down) brings both to its SDKs', async () => {
    const [a, b] = replicas;
    if (a === undefined || b === undefined) throw new Error('replicas missing');
    for (const key of ['gap-remote', 'gap-local']) {
      expect((await api(a.app, 'POST', '/api/v1/flags', { key, kind: 'kill-switch', owner: 'sre' })).statusCode).toBe(201);
      expect((await api(a.app, 'PUT', `/api/v1/flags/${key}/environments/${ENV}`, { enabled: true, offVariant: 'false', fallthrough: { variant: 'true' } })).statusCode).toBe(200);
    }
    const keyRes = await a.app.inject({ method: 'POST', url: '/api/v1/keys', payload: { name: 'sdk-gap', kind: 'sdk-server', environment: ENV }, headers: { authorization: `Bearer ${adminToken}` } });
    const sdkKey = (keyRes.json() as { secret: string }).secret;
    const flags = createClient({ url: a.url, sdkKey, logger: silentLogger, metricsIntervalMs: 0 });
    try {
      await flags.ready({ timeoutMs: 3000 });
      await until(() => a.app.services.stream.connections(ENV).length === 1, 2000);
      // A kill on replica A alone takes the local path: the committed row, no read.
      expect((await api(a.app, 'POST', `/api/v1/flags/gap-local/environments/${ENV}/kill`, { reason: 'local' })).statusCode).toBe(200);
      expect(await until(() => !flags.enabled('gap-local', { key: 'u' }), 3000)).toBeLessThan(900);
      expect((await api(a.app, 'POST', `/api/v1/flags/gap-local/environments/${ENV}/restore`, { reason: 'local' })).statusCode).toBe(200);
      await until(() => flags.enabled('gap-local', { key: 'u' }), 3000);

      await redis.stop();
      // Replica B's kill takes revision r; A hears nothing of it. A's own kill right after takes r + 1:
      // sending only A's committed row would move its SDKs past r without r's change, for good.
      const remote = await api(b.app, 'POST', `/api/v1/flags/gap-remote/environments/${ENV}/kill`, { reason: 'on B' });
      expect(remote.statusCode).toBe(200);
      const local = await api(a.app, 'POST', `/api/v1/flags/gap-local/environments/${ENV}/kill`, { reason: 'on A' });
      expect(local.statusCode).toBe(200);
      expect((local.json() as { revision: number }).revision).toBe((remote.json() as { revision: number }).revision + 1);
      await until(() => !flags.enabled('gap-local', { key: 'u' }) && !flags.enabled('gap-remote', { key: 'u' }), 3000);
      expect(flags.revision).toBeGreaterThanOrEqual((local.json() as { revision: number }).revision);
    } finally {
      await flags.close();
      await redis.start();
      await reconnected(a.bus);
      await reconnected(b.bus);
    }
  });
});
