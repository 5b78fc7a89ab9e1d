import { createClient, silentLogger, type SwitchyardClient } from '@switchyard/sdk-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../helpers/server.js';

// The whole loop on the real clock: the server's scheduler ticks on its own timer, the Node SDK
// evaluates, track()s outcomes and flushes them as metrics, and the plan reacts within seconds.

const ENV = 'production';
let server: TestServer;
let flags: SwitchyardClient;
let traffic: NodeJS.Timeout | undefined;
/** Error probability of the new variant, per flag; the baseline never fails. */
const failRate = new Map<string, number>();

interface Plan {
  state: string;
  percentage: number;
  pausedReason: string | null;
  history: { event: string; percentage: number; at: string }[];
  lastCheck: { breach?: { reason: string } } | null;
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`not done within ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const plan = async (key: string): Promise<Plan> => (await server.api('GET', `/api/v1/flags/${key}/environments/${ENV}/rollout-plan`)).json() as Plan;

async function createFlag(key: string): Promise<void> {
  expect((await server.api('POST', '/api/v1/flags', { key, kind: 'release', owner: 'team-checkout', expiresAt: '2030-01-01T00:00:00Z' })).statusCode).toBe(201);
  expect((await server.api('PUT', `/api/v1/flags/${key}/environments/${ENV}`, { enabled: true, offVariant: 'false', fallthrough: { variant: 'false' } })).statusCode).toBe(200);
}

async function start(key: string, holdSeconds: number): Promise<void> {
  const res = await server.api('POST', `/api/v1/flags/${key}/environments/${ENV}/rollout-plan`, {
    steps: [10, 50, 100],
    holdSeconds,
    guards: { maxErrorRate: 0.05, maxP99Ms: 500, minSamples: 20 },
    noData: 'pause',
  });
  expect(res.statusCode, res.body).toBe(201);
}

beforeAll(async () => {
  server = await createTestServer({ schedulerIntervalMs: 100, rolloutCheckIntervalMs: 300 });
  const url = await server.listen();
  const sdkKey = await server.createKey('sdk-server', ENV);
  for (const key of ['e2e-ramp', 'e2e-breach', 'e2e-quiet']) await createFlag(key);
  flags = createClient({ url, sdkKey, logger: silentLogger, metricsIntervalMs: 100 });
  expect((await flags.ready({ timeoutMs: 5000 })).ok).toBe(true);
  // Plan changes reach the SDK over its stream: wait until it is connected.
  await until(async () => server.app.services.stream.connections(ENV).length, (n) => n === 1, 10_000);
  // An application handling requests: 200 users every 20 ms, each outcome tracked with its latency.
  let round = 0;
  traffic = setInterval(() => {
    round++;
    for (let i = 0; i < 200; i++) {
      const context = { key: `user-${i}` };
      for (const [key, rate] of failRate) {
        const on = flags.enabled(key, context);
        flags.track(key, context, { error: on && ((i + round) % 100) / 100 < rate, latencyMs: on ? 40 : 30 });
      }
    }
  }, 20);
});

afterAll(async () => {
  if (traffic !== undefined) clearInterval(traffic);
  await flags.close();
  await server.close();
});

describe('guarded rollout plans, end to end', () => {
  it('ramp a healthy variant to 100%, one short hold per step', async () => {
    failRate.set('e2e-ramp', 0);
    await start('e2e-ramp', 1);
    const done = await until(() => plan('e2e-ramp'), (p) => p.state !== 'running', 9000);
    expect(done.state, JSON.stringify(done)).toBe('completed');
    expect(done.history.map((h) => `${h.event}@${h.percentage}`)).toEqual(['started@10', 'advanced@50', 'advanced@100', 'completed@100']);
    expect(flags.enabled('e2e-ramp', { key: 'anyone' })).toBe(true);
  });

  it('roll back within one hold when the new variant starts failing, and SDKs serve the kill', async () => {
    failRate.set('e2e-breach', 0.3);
    const started = Date.now();
    await start('e2e-breach', 3);
    const rolled = await until(() => plan('e2e-breach'), (p) => p.state !== 'running', 8000);
    expect(rolled.state).toBe('rolled_back');
    expect(Date.now() - started).toBeLessThan(3000);
    expect(rolled.lastCheck?.breach?.reason).toMatch(/^rollout guard maxErrorRate breached: \d+(\.\d+)?% > 5% \(\d+ samples\)$/);
    await until(async () => flags.detail('e2e-breach', { key: 'user-1' }).reason, (reason) => reason === 'KILLED', 3000);
  });

  it('pause when no outcomes are reported', async () => {
    await start('e2e-quiet', 1);
    const paused = await until(() => plan('e2e-quiet'), (p) => p.state !== 'running', 5000);
    expect(paused).toMatchObject({ state: 'paused', percentage: 10, pausedReason: expect.stringMatching(/^no data: 0 outcomes reported for "true" at 10% in \d+ s \(minSamples 20\)$/) });
  });
});
