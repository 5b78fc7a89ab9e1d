import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { createTestServer, type TestServer } from '../helpers/server.js';

// `switchyard rollout start|status|pause|resume|abort [--wait]` against a server whose scheduler ticks fast.
const ENV = 'production';
let server: TestServer;
let env: Record<string, string>;

function cli(...args: string[]) {
  return runCli(args, { env });
}

async function envState(key: string): Promise<{ enabled: boolean; rolloutPercentage?: number; killed: { reason: string; actor: string } | null }> {
  return (await server.api('GET', `/api/v1/flags/${key}/environments/${ENV}`)).json();
}

async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`not reached within ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface Plan {
  state: string;
  percentage: number;
  pausedReason: string | null;
  history: { event: string; detail?: string }[];
}

beforeAll(async () => {
  server = await createTestServer({ schedulerIntervalMs: 100, rolloutCheckIntervalMs: 200 });
  env = { SWITCHYARD_URL: await server.listen(), SWITCHYARD_TOKEN: await server.createKey('writer') };
  for (const key of ['new-checkout', 'search-v2', 'promo-banner']) {
    const res = await server.api('POST', '/api/v1/flags', { key, kind: 'release', owner: 'team-checkout', expiresAt: '2030-01-01T00:00:00Z' });
    expect(res.statusCode, res.body).toBe(201);
  }
});

afterAll(async () => {
  await server?.close();
});

describe('switchyard rollout plans', () => {
  it('starts a guarded plan, shows its status, pauses, resumes and aborts it', async () => {
    const start = await cli('rollout', 'start', 'new-checkout', '--env', ENV, '--steps', '10,50,100', '--hold', '1h', '--max-error-rate', '1%', '--max-error-rate-increase', '0.5%', '--max-p99-ms', '500', '--max-p99-increase', '100ms', '--min-samples', '100', '--json');
    expect(start.code, start.stderr).toBe(0);
    expect(start.json()).toMatchObject({
      flag: 'new-checkout',
      environment: ENV,
      state: 'running',
      stepIndex: 0,
      percentage: 10,
      steps: [10, 50, 100],
      holdSeconds: 3600,
      variant: 'true',
      baselineVariant: 'false',
      guards: { maxErrorRate: 0.01, maxErrorRateIncrease: 0.005, maxP99Ms: 500, maxP99Increase: 100, minSamples: 100 },
      noData: 'pause',
    });
    expect(await envState('new-checkout')).toMatchObject({ enabled: true, rolloutPercentage: 10 });

    const [status, again] = await Promise.all([cli('rollout', 'status', 'new-checkout', '--env', ENV), cli('rollout', 'start', 'new-checkout', '--env', ENV, '--steps', '10,100', '--hold', '1m')]);
    expect(status.code).toBe(0);
    const lines = status.stdout.split('\n');
    expect(lines[0]).toMatch(/^new-checkout in production: running, step 1\/3 at 10% · hold ends in (59m\d\ds|1h00m)/);
    expect(lines[1]).toMatch(/^ {2}plan {6}plan_\w+: \[10%\] → 50% → 100%, hold 1h00m$/);
    expect(lines[2]).toBe('  guards    error rate ≤ 1%, error rate ≤ baseline + 0.5%, p99 ≤ 500ms, p99 ≤ baseline + 100ms, at least 100 samples, no data → pause');
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('ROLLOUT_PLAN_ACTIVE');

    const pause = await cli('rollout', 'pause', 'new-checkout', '--env', ENV, '--reason', 'checking dashboards');
    expect(pause.code).toBe(0);
    expect(pause.stdout).toBe('new-checkout in production: paused, step 1/3 at 10%: checking dashboards\n');
    const paused = await cli('rollout', 'status', 'new-checkout', '--env', ENV, '--json');
    expect(paused.code).toBe(0);
    expect(paused.json()).toMatchObject({ state: 'paused', pausedReason: 'checking dashboards' });

    const resume = await cli('rollout', 'resume', 'new-checkout', '--env', ENV, '--json');
    expect(resume.code).toBe(0);
    expect(resume.json()).toMatchObject({ state: 'running', pausedReason: null });

    const abort = await cli('rollout', 'abort', 'new-checkout', '--env', ENV, '--reason', 'wrong day', '--json');
    expect(abort.code).toBe(0);
    expect(abort.json()).toMatchObject({ state: 'aborted' });
    expect((await envState('new-checkout')).rolloutPercentage).toBe(0);

    const [aborted, resumeAborted] = await Promise.all([cli('rollout', 'status', 'new-checkout', '--env', ENV), cli('rollout', 'resume', 'new-checkout', '--env', ENV)]);
    expect(aborted.code).toBe(1);
    expect(aborted.stdout.split('\n')[0]).toBe('new-checkout in production: aborted at 10%: wrong day');
    expect(aborted.stdout).toMatch(/ {4}\S+ {2}started 10%: rollout plan plan_\w+ started/);
    expect(resumeAborted.code).toBe(2);
    expect(resumeAborted.stderr).toContain('ROLLOUT_PLAN_NOT_ACTIVE');
  });

  it('exits 2 for a missing plan and for bad options, before calling the server', async () => {
    const runs = await Promise.all([
      cli('rollout', 'status', 'search-v2', '--env', ENV),
      cli('rollout', 'start', 'search-v2', '--env', ENV, '--hold', '1m'),
      cli('rollout', 'start', 'search-v2', '--env', ENV, '--steps', '1,5', '--hold', '1m', '--max-error-rate', '1'),
      cli('rollout', 'start', 'search-v2', '--env', ENV, '--steps', '1,5', '--hold', '500ms'),
      cli('rollout', 'start', 'search-v2', '--env', ENV, '--steps', '1,5', '--hold', '1m', '--no-data', 'shrug'),
      cli('rollout', 'start', 'search-v2', '--env', ENV, '--steps', '50,5', '--hold', '1m'),
      cli('rollout', 'start', 'search-v2', '--env', ENV, '--steps', '1,5', '--hold', '1m', '--wait', '--timeout', 'forever'),
    ]);
    expect(runs.map((r) => r.code)).toEqual([2, 2, 2, 2, 2, 2, 2]);
    expect(runs[0]?.stderr).toContain('ROLLOUT_PLAN_NOT_FOUND');
    expect(runs[1]?.stderr).toContain('--steps is required');
    expect(runs[2]?.stderr).toContain('--max-error-rate: "1" is ambiguous: write a percentage (1%) or a fraction below 1 (0.01)');
    expect(runs[3]?.stderr).toContain('--hold: whole seconds, at least 1s');
    expect(runs[4]?.stderr).toContain('--no-data: "shrug" is not pause or rollback');
    expect(runs[5]?.stderr).toContain('--steps: steps must go up');
    expect(runs[6]?.stderr).toContain('--timeout: "forever" is not a duration');
    expect((await envState('search-v2')).enabled).toBe(false);
  });

  it('pauses a running plan when the flag is killed; status --wait times out with exit 1', async () => {
    const start = await cli('rollout', 'start', 'search-v2', '--env', ENV, '--steps', '5,100', '--hold', '1h');
    expect(start.code, start.stderr).toBe(0);
    expect(start.stdout).toMatch(/^started plan_\w+ for search-v2 in production: 5% → 100%, hold 1h00m\n {2}guards: at least 1 sample, no data → pause\n$/);
    const kill = await cli('kill', 'search-v2', '--env', ENV, '--reason', 'INC-12');
    expect(kill.code).toBe(0);
    const plan = await until(async () => (await server.api('GET', `/api/v1/flags/search-v2/environments/${ENV}/rollout-plan`)).json() as Plan, (p) => p.state === 'paused');
    expect(plan.pausedReason).toContain('flag killed in production');

    const wait = await cli('rollout', 'status', 'search-v2', '--env', ENV, '--wait', '--timeout', '1s', '--interval', '200ms');
    expect(wait.code).toBe(1);
    expect(wait.stderr).toMatch(/^search-v2 in production: paused, step 1\/2 at 5%: flag killed in production by \S+: INC-12\n$/);
    expect(wait.stdout).toMatch(/still paused after 1s; the plan goes on on the server\n$/);
    expect((await cli('rollout', 'abort', 'search-v2', '--env', ENV)).code).toBe(0);
  });

  it('--wait exits 1 when the plan is rolled back (no data, --no-data rollback)', async () => {
    const started = Date.now();
    const result = await cli('rollout', 'start', 'promo-banner', '--env', ENV, '--steps', '50,100', '--hold', '1s', '--no-data', 'rollback', '--wait', '--timeout', '30s', '--interval', '200ms');
    expect(result.code, result.stderr).toBe(1);
    expect(Date.now() - started).toBeLessThan(15_000);
    const [startedLine, ...progress] = result.stderr.trimEnd().split('\n');
    expect(startedLine).toMatch(/^started plan_\w+: 50% → 100%, hold 1s; at least 1 sample, no data → rollback$/);
    expect(progress[0]).toMatch(/^promo-banner in production: running, step 1\/2 at 50%/);
    expect(result.stdout).toMatch(/^promo-banner in production: rolled back to 0%: rollout guard noData: no data: 0 outcomes reported for "true" at 50%/);
    const state = await envState('promo-banner');
    expect(state.killed).toMatchObject({ actor: 'rollout-scheduler' });
    expect(state.killed?.reason).toContain('rollout guard noData');

    const json = await cli('rollout', 'status', 'promo-banner', '--env', ENV, '--wait', '--json');
    expect(json.code).toBe(1);
    expect(json.json()).toMatchObject({ state: 'rolled_back', timedOut: false, history: [{ event: 'started' }, { event: 'rolled_back' }] });
  });
});
