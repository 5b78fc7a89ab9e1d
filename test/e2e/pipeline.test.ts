import type { AddressInfo } from 'node:net';
import { createClient, silentLogger, type SwitchyardClient } from '@switchyard/sdk-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCheckoutApp, type CheckoutApp } from '../../examples/checkout-app/src/app.js';
import { startLoad } from '../../examples/checkout-app/src/load.js';
import { runCli } from '../helpers/cli.js';
import { createTestServer, type TestServer } from '../helpers/server.js';

// A deploy pipeline's guarded rollout, end to end: the example checkout app (in process, through the
// public SDK) serves traffic and reports outcomes with track(); `switchyard rollout start … --wait`
// (the built CLI, in a subprocess) waits while the server's scheduler judges each 2-second hold.
const ENV = 'production';
const FLAG = 'new-checkout';
const PLAN = ['--steps', '20,60,100', '--hold', '2s', '--max-error-rate', '5%', '--max-p99-ms', '500', '--min-samples', '5'];
let server: TestServer;
let env: Record<string, string>;
let flags: SwitchyardClient;
let app: CheckoutApp;
let appUrl: string;

function cli(...args: string[]) {
  return runCli(args, { env, timeoutMs: 90_000 });
}

interface Plan {
  state: string;
  stepIndex: number;
  pausedReason: string | null;
  history: { at: string; event: string; percentage: number; detail?: string }[];
}

const plan = async (): Promise<Plan> => (await server.api('GET', `/api/v1/flags/${FLAG}/environments/${ENV}/rollout-plan`)).json();

beforeAll(async () => {
  server = await createTestServer({ schedulerIntervalMs: 100, rolloutCheckIntervalMs: 250 });
  const url = await server.listen();
  env = { SWITCHYARD_URL: url, SWITCHYARD_TOKEN: await server.createKey('writer') };
  const created = await server.api('POST', '/api/v1/flags', { key: FLAG, kind: 'release', owner: 'team-checkout', expiresAt: '2030-01-01T00:00:00Z', tags: ['checkout'] });
  expect(created.statusCode, created.body).toBe(201);
  flags = createClient({ url, sdkKey: await server.createKey('sdk-server', ENV), logger: silentLogger, metricsIntervalMs: 200 });
  expect((await flags.ready({ timeoutMs: 5000 })).ok).toBe(true);
  app = createCheckoutApp({ flags });
  await new Promise<void>((resolve) => app.server.listen(0, '127.0.0.1', resolve));
  appUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  app?.server.close();
  await flags?.close();
  await server?.close();
});

describe('deploy pipeline: guarded rollout of the example checkout app', () => {
  it('ramps to 100% while the new checkout is healthy, and --wait exits 0', async () => {
    const load = startLoad({ baseUrl: appUrl, rps: 100 });
    const result = await cli('rollout', 'start', FLAG, '--env', ENV, ...PLAN, '--wait', '--timeout', '60s').finally(() => load.stop());
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('new-checkout in production: completed at 100%\n');
    // One progress line per change (stderr is a pipe here): every step shows up.
    for (const step of ['step 1/3 at 20%', 'step 2/3 at 60%', 'step 3/3 at 100%']) expect(result.stderr).toContain(step);
    expect((await plan()).history.map((h) => h.event)).toEqual(['started', 'advanced', 'advanced', 'completed']);
    const state = (await server.api('GET', `/api/v1/flags/${FLAG}/environments/${ENV}`)).json() as { enabled: boolean; rolloutPercentage: number };
    expect(state).toMatchObject({ enabled: true, rolloutPercentage: 100 });
    expect(app.stats.new).toBeGreaterThan(0);
    expect(app.stats.failed).toBe(0);
  });

  it('rolls back within one hold when the new checkout fails, and --wait exits 1', async () => {
    expect((await cli('rollout', 'set', FLAG, '0', '--env', ENV)).code).toBe(0);
    app.setFailureRate(0.5);
    const load = startLoad({ baseUrl: appUrl, rps: 100 });
    const result = await cli('rollout', 'start', FLAG, '--env', ENV, ...PLAN, '--wait', '--timeout', '60s').finally(() => load.stop());
    app.setFailureRate(0);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toMatch(/^new-checkout in production: rolled back to 0%: rollout guard maxErrorRate breached: [\d.]+% > 5% \(\d+ samples\)\n$/);
    const { history } = await plan();
    expect(history.map((h) => [h.event, h.percentage])).toEqual([['started', 20], ['rolled_back', 20]]);
    const [started, rolledBack] = history.map((h) => Date.parse(h.at));
    // Within one hold (2 s) plus scheduler latency: it never advanced past the first step.
    expect((rolledBack ?? 0) - (started ?? 0)).toBeLessThanOrEqual(2000 + 1500);

    // The rollback is a kill, with the guard's figures as its reason: the next pipeline's gate sees it.
    const killed = (await server.api('GET', `/api/v1/flags/${FLAG}/environments/${ENV}`)).json() as { killed: { reason: string; actor: string } };
    expect(killed.killed).toMatchObject({ actor: 'rollout-scheduler', reason: expect.stringContaining('maxErrorRate breached') });
    const gate = await cli('gate', 'check', '--no-active-kills', '--env', ENV);
    expect(gate.code).toBe(1);
    expect(gate.stdout).toContain('new-checkout (rollout guard maxErrorRate breached');
  });

  it('pauses a plan that gets no traffic, and status says why', async () => {
    expect((await cli('restore', FLAG, '--env', ENV, '--reason', 'fix deployed')).code).toBe(0);
    const start = await cli('rollout', 'start', FLAG, '--env', ENV, '--steps', '20,100', '--hold', '1s', '--min-samples', '5');
    expect(start.code, start.stderr).toBe(0);
    const deadline = Date.now() + 10_000;
    while ((await plan()).state !== 'paused' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    const status = await cli('rollout', 'status', FLAG, '--env', ENV);
    expect(status.code).toBe(0);
    expect(status.stdout.split('\n')[0]).toMatch(/^new-checkout in production: paused, step 1\/2 at 20%: no data: 0 outcomes reported for "true" at 20% in \d+ s \(minSamples 5\)$/);
    const json = await cli('rollout', 'status', FLAG, '--env', ENV, '--json');
    expect(json.json()).toMatchObject({ state: 'paused', pausedReason: expect.stringMatching(/^no data/), lastCheck: { verdict: 'no-data' } });
    expect((await cli('rollout', 'abort', FLAG, '--env', ENV)).code).toBe(0);
  });
});
