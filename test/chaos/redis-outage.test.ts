import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { createClient, silentLogger, type SwitchyardClient } from '@switchyard/sdk-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestPostgres } from '../helpers/postgres.js';
import { atMost, http, startServer, waitFor, type ServerProcess } from '../helpers/processes.js';
import { freePort } from '../helpers/net.js';
import { TestRedis } from '../helpers/redis.js';

// Redis stopped under two real replicas: changes still reach the SDKs of both (each replica's
// revision poll), and fan-out through Redis resumes when it is back. The in-process variant with
// the same steps is test/e2e/replicas.test.ts.
const ENV = 'production';
const FLAG = 'rd-flag';
const PER_REPLICA = 5;
const adminToken = `sya_chaos_${randomBytes(18).toString('base64url')}`;
const run = promisify(execFile);
let pg: TestPostgres;
let redis: TestRedis;
const replicas: ServerProcess[] = [];
const clients: { replica: number; client: SwitchyardClient }[] = [];

beforeAll(async () => {
  pg = await TestPostgres.start();
  redis = new TestRedis(await freePort());
  await redis.start();
  for (let i = 0; i < 2; i++) {
    const s = await startServer({ env: { DATABASE_URL: pg.url(), REDIS_URL: redis.url, SWITCHYARD_ADMIN_TOKEN: adminToken } });
    replicas.push(s);
    await s.ready();
  }
});

afterAll(async () => {
  for (const r of replicas) await r.kill();
  await redis?.stop();
  await pg?.destroy();
  await atMost(Promise.all(clients.map((c) => c.client.close())), 5000);
});

/** Subscribers on the change channel, as Redis counts them. */
async function subscribers(): Promise<number> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(redis.port), 'PUBSUB', 'NUMSUB', 'switchyard:changes'], { timeout: 2000 });
  return Number(stdout.trim().split('\n')[1] ?? 0);
}

/** A kill or restore on one replica, and how long until every SDK on each replica serves it. */
async function flip(on: number, enabled: boolean, reason: string): Promise<number[]> {
  const replica = replicas[on] as ServerProcess;
  const res = await http(`${replica.url}/api/v1/flags/${FLAG}/environments/${ENV}/${enabled ? 'restore' : 'kill'}`, { method: 'POST', token: adminToken, body: { reason } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const started = Date.now();
  const times = [0, 0];
  await waitFor(
    `SDKs serve ${enabled}`,
    () => {
      for (const r of [0, 1]) {
        if (times[r] === 0 && clients.filter((c) => c.replica === r).every((c) => c.client.enabled(FLAG, { key: 'u' }) === enabled)) times[r] = Date.now() - started;
      }
      return times.every((t) => t > 0);
    },
    5000,
    5,
  );
  return times;
}

describe('Redis outage with two replicas', () => {
  it('delivers every change to the SDKs of both replicas through the revision poll, and resumes fan-out when Redis is back', async () => {
    const [a, b] = replicas as [ServerProcess, ServerProcess];
    const api = (path: string, body: unknown, method = 'POST') => http(`${a.url}${path}`, { method, token: adminToken, body });
    expect((await api('/api/v1/flags', { key: FLAG, kind: 'kill-switch', owner: 'sre' })).status).toBe(201);
    expect((await api(`/api/v1/flags/${FLAG}/environments/${ENV}`, { enabled: true, offVariant: 'false', fallthrough: { variant: 'true' } }, 'PUT')).status).toBe(200);
    const { secret: sdkKey } = (await api('/api/v1/keys', { name: 'redis-sdk', kind: 'sdk-server', environment: ENV })).body as { secret: string };
    for (const [index, replica] of [a, b].entries()) {
      for (let i = 0; i < PER_REPLICA; i++) clients.push({ replica: index, client: createClient({ url: replica.url, sdkKey, logger: silentLogger, metricsIntervalMs: 0 }) });
    }
    await Promise.all(clients.map((c) => c.client.ready({ timeoutMs: 5000 })));
    for (const replica of [a, b]) {
      await waitFor(
        'streams registered',
        async () => {
          // The view spans both replicas (through Redis); count the SDKs of the one that answered.
          const body = (await http(`${replica.url}/api/v1/sdk/connections`, { token: adminToken })).body as { replica: string; connections: { sentRevision: number; replica: string }[] };
          return body.connections.filter((c) => c.sentRevision > 0 && c.replica === body.replica).length === PER_REPLICA;
        },
        10_000,
        50,
      );
    }
    expect(await subscribers()).toBe(2);

    const viaRedis = await flip(0, false, 'baseline via redis');
    expect(Math.max(...viaRedis)).toBeLessThan(1000);

    await redis.stop();
    for (const replica of [a, b]) {
      const ready = await http(`${replica.url}/health/ready`, { timeoutMs: 5000 });
      // Redis only speeds up fan-out: an outage is reported, and the replica stays in the load balancer.
      expect(ready.status).toBe(200);
      expect(ready.body).toMatchObject({ status: 'ready (degraded)', checks: { redis: { ok: false, critical: false } } });
      expect(String((await http(`${replica.url}/metrics`, { timeoutMs: 5000 })).body)).toMatch(/^switchyard_redis_up 0$/m);
    }
    const viaPoll: number[][] = [];
    for (let i = 0; i < 4; i++) viaPoll.push(await flip(i % 2, i % 2 === 0, `redis down ${i}`));
    const otherReplica = viaPoll.map((times, i) => times[i % 2 === 0 ? 1 : 0] as number);
    expect(Math.max(...otherReplica)).toBeLessThan(2500);

    const restartedAt = Date.now();
    await redis.start();
    const resubscribed = await waitFor('both replicas subscribed again', async () => (await subscribers()) === 2, 15_000, 50);
    const resumed = await flip(1, false, 'redis back');
    expect(Math.max(...resumed)).toBeLessThan(1000);
    expect(Date.now() - restartedAt).toBeLessThan(20_000);
    console.log(
      `Redis outage, 2 replicas × ${PER_REPLICA} SDKs: via Redis the other replica's SDKs served a change in ${viaRedis[1]} ms; ` +
        `with Redis down in ${otherReplica.join(', ')} ms (revision poll every 1 s); Redis back: both replicas resubscribed after ${resubscribed} ms, then ${Math.max(...resumed)} ms`,
    );
  });
});
