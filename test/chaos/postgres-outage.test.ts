import { randomBytes } from 'node:crypto';
import { createClient, silentLogger, type SwitchyardClient } from '@switchyard/sdk-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestPostgres } from '../helpers/postgres.js';
import { atMost, http, startServer, waitFor, type ServerProcess } from '../helpers/processes.js';

// Postgres stopped and started under a running server with connected SDKs: SDKs keep evaluating
// from memory, writes fail fast with 503, readiness follows the database, and the server recovers on
// its own.
const ENV = 'production';
const FLAGS = ['pg-a', 'pg-b', 'pg-c'];
const CLIENTS = 20;
const OUTAGE_MS = 3000;
const adminToken = `sya_chaos_${randomBytes(18).toString('base64url')}`;
let pg: TestPostgres;
let server: ServerProcess;
const clients: SwitchyardClient[] = [];

beforeAll(async () => {
  pg = await TestPostgres.start();
  server = await startServer({ env: { DATABASE_URL: pg.url(), SWITCHYARD_ADMIN_TOKEN: adminToken } });
  await server.ready();
});

afterAll(async () => {
  await server?.kill();
  await pg?.destroy();
  await atMost(Promise.all(clients.map((c) => c.close())), 5000);
});

const api = (path: string, init: Parameters<typeof http>[1] = {}) => http(`${server.url}${path}`, { token: adminToken, ...init });

describe('Postgres outage', () => {
  it('keeps SDKs evaluating, answers writes 503 fast, fails readiness, and recovers without a restart', async () => {
    for (const key of FLAGS) {
      expect((await api('/api/v1/flags', { method: 'POST', body: { key, kind: 'kill-switch', owner: 'sre' } })).status).toBe(201);
      expect((await api(`/api/v1/flags/${key}/environments/${ENV}`, { method: 'PUT', body: { enabled: true, offVariant: 'false', fallthrough: { variant: 'true' } } })).status).toBe(200);
    }
    const { secret: sdkKey } = (await api('/api/v1/keys', { method: 'POST', body: { name: 'pg-sdk', kind: 'sdk-server', environment: ENV } })).body as { secret: string };
    for (let i = 0; i < CLIENTS; i++) clients.push(createClient({ url: server.url, sdkKey, logger: silentLogger, metricsIntervalMs: 0, pollIntervalMs: 1000, backoff: { initialMs: 100, maxMs: 1000 } }));
    expect((await Promise.all(clients.map((c) => c.ready({ timeoutMs: 5000 })))).every((r) => r.ok)).toBe(true);
    // Every stream registered (ready() resolves on the first config fetch, before the stream is up).
    await waitFor(
      'all streams connected',
      async () => ((await api(`/api/v1/sdk/connections?env=${ENV}`)).body as { connections: { sentRevision: number }[] }).connections.filter((c) => c.sentRevision > 0).length === CLIENTS,
      10_000,
      50,
    );

    // Every client evaluates every flag every 20 ms for the whole test.
    let evaluations = 0;
    let errors = 0;
    let wrong = 0;
    let expectOn = true;
    const evaluate = setInterval(() => {
      for (const c of clients) {
        for (const key of FLAGS) {
          const d = c.detail(key, { key: `u-${evaluations % 100}` });
          evaluations++;
          if (d.reason === 'ERROR' || d.reason === 'FLAG_NOT_FOUND') errors++;
          else if (expectOn && d.value !== true) wrong++;
        }
      }
    }, 20);
    try {
      const stoppedAt = Date.now();
      await pg.stop('fast');

      const readinessFailedAfter = await waitFor('readiness 503', async () => (await http(`${server.url}/health/ready`, { timeoutMs: 3000 })).status === 503, 5000);
      const ready = await http(`${server.url}/health/ready`, { timeoutMs: 3000 });
      expect(ready.body).toMatchObject({ status: 'not ready', checks: { database: { ok: false } } });
      expect((await http(`${server.url}/health/live`)).status).toBe(200);

      // Writes: a clear 503 with Retry-After, never a hang.
      const writeLatencies: number[] = [];
      for (let i = 0; i < 5; i++) {
        const started = Date.now();
        const res = await api(`/api/v1/flags/${FLAGS[0]}/environments/${ENV}/kill`, { method: 'POST', body: { reason: `during outage ${i}` }, timeoutMs: 10_000 });
        writeLatencies.push(Date.now() - started);
        expect(res.status).toBe(503);
        expect(res.body).toMatchObject({ error: { code: 'DATABASE_UNAVAILABLE', message: expect.stringContaining('not applied') } });
        expect(res.headers?.get('retry-after')).toBe('1');
      }
      const metrics = await http(`${server.url}/metrics`, { timeoutMs: 5000 });
      expect(metrics.status).toBe(200);
      expect(String(metrics.body)).toMatch(/^switchyard_database_up 0$/m);

      const remaining = OUTAGE_MS - (Date.now() - stoppedAt);
      if (remaining > 0) await new Promise((r) => setTimeout(r, remaining));
      const outage = Date.now() - stoppedAt;
      const errorsDuringOutage = errors;
      const wrongDuringOutage = wrong;
      const evaluationsDuringOutage = evaluations;

      const restartedAt = Date.now();
      await pg.startAgain();
      const recovered = await waitFor('readiness 200', async () => (await http(`${server.url}/health/ready`, { timeoutMs: 3000 })).status === 200, 15_000, 50);
      const recoveredAfter = Date.now() - restartedAt;

      // The first write after recovery commits and reaches every SDK.
      const killAt = Date.now();
      expectOn = false;
      const kill = await api(`/api/v1/flags/${FLAGS[0]}/environments/${ENV}/kill`, { method: 'POST', body: { reason: 'after outage' } });
      expect(kill.status).toBe(200);
      const converged = await waitFor('SDKs see the kill', () => clients.every((c) => !c.enabled(FLAGS[0] ?? '', { key: 'u' })), 5000, 5);
      const convergeMs = Date.now() - killAt;

      expect(errorsDuringOutage).toBe(0);
      expect(wrongDuringOutage).toBe(0);
      expect(errors).toBe(0);
      expect(Math.max(...writeLatencies)).toBeLessThan(2000);
      console.log(
        `Postgres outage: ${outage} ms; ${CLIENTS} SDKs made ${evaluationsDuringOutage} evaluations during it with ${errorsDuringOutage} errors and ${wrongDuringOutage} wrong values; ` +
          `readiness 503 after ${readinessFailedAfter} ms; writes 503 in ${Math.min(...writeLatencies)}–${Math.max(...writeLatencies)} ms; ` +
          `readiness back ${recoveredAfter} ms after Postgres started (${recovered} ms of polling); first write after recovery reached all SDKs in ${convergeMs} ms (${converged} ms polling)`,
      );
    } finally {
      clearInterval(evaluate);
      if (!server.alive()) console.log(`server exited:\n${server.stderr().slice(-4000)}\n${server.stdout().slice(-4000)}`);
    }
  });
});
