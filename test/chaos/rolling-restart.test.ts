import { randomBytes } from 'node:crypto';
import { connectDatabase, type DatabaseHandle } from '@switchyard/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestNginx } from '../helpers/nginx.js';
import { TestPostgres } from '../helpers/postgres.js';
import { http, startServer, waitFor, type ServerProcess } from '../helpers/processes.js';
import { freePort } from '../helpers/net.js';
import { TestRedis } from '../helpers/redis.js';
import { startFleet, type SdkFleet } from '../helpers/sdk-fleet.js';

// A rolling restart of two replicas behind nginx while 500 SDK clients are connected through it and
// a writer keeps changing flags: no evaluation errors, every client ends at the latest revision, and
// no acknowledged write is lost.
const ENV = 'production';
const FLAGS = ['rr-0', 'rr-1', 'rr-2'];
const CLIENTS = 500;
const adminToken = `sya_chaos_${randomBytes(18).toString('base64url')}`;
let pg: TestPostgres;
let redis: TestRedis;
let nginx: TestNginx | undefined;
let fleet: SdkFleet | undefined;
let database: DatabaseHandle | undefined;
const ports: number[] = [];
const live: (ServerProcess | undefined)[] = [];
const all: ServerProcess[] = [];

async function replica(index: number): Promise<ServerProcess> {
  const s = await startServer({
    port: ports[index] as number,
    env: { DATABASE_URL: pg.url(), REDIS_URL: redis.url, SWITCHYARD_ADMIN_TOKEN: adminToken, TRUST_PROXY: '127.0.0.1', RATE_LIMIT_WRITES_PER_MINUTE: '0' },
  });
  all.push(s);
  live[index] = s;
  await s.ready();
  return s;
}

beforeAll(async () => {
  pg = await TestPostgres.start();
  redis = new TestRedis(await freePort());
  await redis.start();
  ports.push(await freePort(), await freePort());
  await replica(0);
  await replica(1);
  nginx = await TestNginx.start(ports);
});

afterAll(async () => {
  await fleet?.process.kill();
  for (const s of all) await s.kill();
  await nginx?.stop();
  await redis?.stop();
  await database?.close();
  await pg?.destroy();
});

interface Write {
  readonly id: string;
  status: number;
  attempts: number;
  revision?: number;
  /** From the first attempt to the acknowledgement. */
  ms?: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

describe('rolling restart behind nginx', () => {
  it(`keeps ${CLIENTS} SDKs evaluating without errors and loses no acknowledged write`, async () => {
    const lb = (nginx as TestNginx).url;
    const api = (path: string, init: Parameters<typeof http>[1] = {}) => http(`${lb}${path}`, { token: adminToken, ...init });
    for (const key of FLAGS) {
      expect((await api('/api/v1/flags', { method: 'POST', body: { key, kind: 'operational', owner: 'sre' } })).status).toBe(201);
      expect((await api(`/api/v1/flags/${key}/environments/${ENV}`, { method: 'PUT', body: { enabled: true, offVariant: 'false', fallthrough: { variant: 'true' } } })).status).toBe(200);
    }
    const { secret: sdkKey } = (await api('/api/v1/keys', { method: 'POST', body: { name: 'rolling-fleet', kind: 'sdk-server', environment: ENV } })).body as { secret: string };
    fleet = await startFleet({ url: lb, sdkKey, clients: CLIENTS, flags: FLAGS, lifetimeMs: 150_000 });
    const connected = async (): Promise<number[]> =>
      Promise.all(
        live.map(async (s) => {
          if (s === undefined) return 0;
          // The view spans every replica (through Redis); count the SDKs of the one that answered.
          const body = (await http(`${s.url}/api/v1/sdk/connections`, { token: adminToken })).body as { replica?: string; connections?: { replica: string }[] };
          return (body.connections ?? []).filter((c) => c.replica === body.replica).length;
        }),
      );
    await waitFor('all SDK streams connected', async () => (await connected()).reduce((a, b) => a + b, 0) === CLIENTS, 30_000, 200);
    const before = await connected();

    // The writer: one change every ~50 ms through nginx; a write is acknowledged by a 2xx. A refused
    // or failed attempt (no answer, 502, 503) is retried with the same content, as a client would.
    const writes: Write[] = [];
    let writing = true;
    let retries = 0;
    const writer = (async () => {
      const deadline = Date.now() + 90_000;
      for (let n = 0; writing && Date.now() < deadline; n++) {
        const id = `rr-${n}`;
        const write: Write = { id, status: 0, attempts: 0 };
        const started = Date.now();
        writes.push(write);
        const key = FLAGS[n % FLAGS.length] as string;
        const body = { enabled: true, offVariant: 'false', targets: [{ variant: 'true', values: [id] }], fallthrough: { variant: n % 2 === 0 ? 'true' : 'false' } };
        while (write.attempts < 100 && Date.now() < deadline) {
          write.attempts++;
          const res = await api(`/api/v1/flags/${key}/environments/${ENV}`, { method: 'PUT', body, headers: { 'x-request-id': `${id}-a${write.attempts}` }, timeoutMs: 10_000 });
          write.status = res.status;
          if (res.status >= 200 && res.status < 300) {
            write.revision = (res.body as { revision: number }).revision;
            write.ms = Date.now() - started;
            break;
          }
          retries++;
          await new Promise((r) => setTimeout(r, 100));
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();

    // Restart A, then B: SIGTERM (sockets get 1012, in-flight requests finish), a new process on the
    // same port, ready, then a moment for nginx to route to it again.
    const restarts: { replica: number; drainedMs: number; exitCode: number | null; readyMs: number }[] = [];
    await new Promise((r) => setTimeout(r, 1000));
    for (const index of [0, 1]) {
      const old = live[index] as ServerProcess;
      const stopAt = Date.now();
      old.child.kill('SIGTERM');
      const exit = await old.exited;
      const drainedMs = Date.now() - stopAt;
      live[index] = undefined;
      const readyMs = await (async () => {
        const started = Date.now();
        await replica(index);
        return Date.now() - started;
      })();
      restarts.push({ replica: index, drainedMs, exitCode: exit.code, readyMs });
      await new Promise((r) => setTimeout(r, 1500));
    }
    await new Promise((r) => setTimeout(r, 1000));
    writing = false;
    await writer;

    // Every client converges on the latest revision.
    database = await connectDatabase({ databaseUrl: pg.url(), poolSize: 2 });
    const counter = await database.db.selectFrom('revision_counter').select('revision').where('id', '=', 1).executeTakeFirstOrThrow();
    const latest = Number(counter.revision);
    const stoppedWritingAt = Date.now();
    await waitFor('every SDK at the latest revision', async () => (await (fleet as SdkFleet).status()).minRevision === latest, 20_000, 100);
    const convergeMs = Date.now() - stoppedWritingAt;
    // An SDK can converge through polling while its stream still waits out a reconnect backoff
    // (full jitter, up to 30 s): count the streams once they are all back.
    await waitFor('all SDK streams reconnected', async () => (await connected()).reduce((a, b) => a + b, 0) === CLIENTS, 40_000, 200);
    const after = await connected();
    const final = await (fleet as SdkFleet).close();
    fleet = undefined;

    // No acknowledged write lost: each is in the audit log (under the request id of its successful
    // attempt) at the revision it was acknowledged with.
    const acked = writes.filter((w) => w.revision !== undefined);
    const audit = await database.db.selectFrom('audit_log').select(['request_id', 'revision']).where('request_id', 'like', 'rr-%').execute();
    const byId = new Map(audit.map((a) => [a.request_id, Number(a.revision)]));
    const lost = acked.filter((w) => byId.get(`${w.id}-a${w.attempts}`) !== w.revision);

    expect(restarts.map((r) => r.exitCode)).toEqual([0, 0]);
    expect(final.errors, JSON.stringify(final.errorSamples)).toBe(0);
    expect(final.minRevision).toBe(latest);
    expect(acked.length).toBe(writes.length);
    expect(lost.map((w) => w.id)).toEqual([]);
    expect(after.reduce((a, b) => a + b, 0)).toBe(CLIENTS);
    console.log(
      `rolling restart behind nginx: ${CLIENTS} SDKs (${before.join('/')} per replica before, ${after.join('/')} after), ${final.evaluations} evaluations, ${final.errors} errors; ` +
        `${writes.length} writes, ${acked.length} acknowledged (median ${median(acked.map((w) => w.ms ?? 0))} ms, max ${Math.max(...acked.map((w) => w.ms ?? 0))} ms), ${lost.length} lost, ${retries} retried attempts; ` +
        `restarts: ${restarts.map((r) => `replica ${r.replica} drained in ${r.drainedMs} ms (exit ${r.exitCode}), new one ready in ${r.readyMs} ms`).join('; ')}; ` +
        `every SDK at revision ${latest} ${convergeMs} ms after the last write`,
    );
  }, 150_000);
});
