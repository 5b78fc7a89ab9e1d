import { evaluate, LATENCY_BUCKETS_MS, latencyBucket, type ConfigSnapshot, type FlagConfig } from '@switchyard/core';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlag, errorOf, manualClock, putConfig } from '../../../../test/helpers/flags.js';
import { createTestServer, openTestDatabase, usingPostgres, type TestServer } from '../../../../test/helpers/server.js';
import type { PlanView } from './rollout-plans.service.js';

const clock = manualClock('2026-06-01T10:00:00Z');
let server: TestServer;
let sdkKey: string;
beforeAll(async () => {
  server = await createTestServer({ clock, schedulerIntervalMs: 0, rolloutCheckIntervalMs: 2000 });
  sdkKey = await server.createKey('sdk-server', 'production');
});
afterAll(async () => server.close());

const ENV = 'production';
const planUrl = (key: string, action = ''): string => `/api/v1/flags/${key}/environments/${ENV}/rollout-plan${action}`;
const tick = async (): Promise<void> => {
  await server.app.services.scheduler.tick();
};

/** Reports outcomes of a variant as an SDK would after track(): `errors` of `outcomes` failed, all at `latencyMs`. */
async function report(flag: string, variant: string, outcomes: number, errors: number, latencyMs = 20): Promise<void> {
  const latency = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
  latency[latencyBucket(latencyMs)] = outcomes;
  const now = clock.now().toISOString();
  const res = await server.api(
    'POST',
    '/api/v1/sdk/metrics',
    { sdk: { name: 'test', version: '1' }, windowStart: now, windowEnd: now, metrics: [{ flag, variant, evaluations: outcomes, outcomes, errors, latency, latencySumMs: outcomes * latencyMs }] },
    { token: sdkKey },
  );
  expect(res.statusCode, res.body).toBe(202);
}

async function healthyTraffic(flag: string, outcomes = 200): Promise<void> {
  await report(flag, 'true', outcomes, 1);
  await report(flag, 'false', outcomes * 4, 4);
}

async function plan(key: string): Promise<PlanView> {
  const res = await server.api('GET', planUrl(key));
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as PlanView;
}

async function start(key: string, body: Record<string, unknown>): Promise<PlanView> {
  const res = await server.api('POST', planUrl(key), body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as PlanView;
}

async function rolloutFlag(key: string): Promise<void> {
  await createFlag(server, key, { kind: 'release', expiresAt: '2027-01-01T00:00:00Z' });
  await putConfig(server, key, ENV, { enabled: true, offVariant: 'false', fallthrough: { variant: 'false' } });
}

async function flagEnv(key: string): Promise<{ enabled: boolean; killed: { reason: string; actor: string } | null; rolloutPercentage?: number; config: { fallthrough: { rollout?: { variants: { variant: string; weight: number }[]; salt?: string } } } }> {
  return (await server.api('GET', `/api/v1/flags/${key}/environments/${ENV}`)).json() as never;
}

async function auditActions(key: string): Promise<{ action: string; revision: number; reason: string | null }[]> {
  const res = await server.api('GET', `/api/v1/audit?flag=${key}&limit=100`);
  return (res.json() as { entries: { action: string; revision: number; reason: string | null }[] }).entries.reverse().map((e) => ({ action: e.action, revision: e.revision, reason: e.reason }));
}

async function snapshotFlag(key: string): Promise<FlagConfig> {
  const snap = (await server.api('GET', '/api/v1/sdk/config', undefined, { token: sdkKey })).json() as ConfigSnapshot;
  const flag = snap.flags.find((f) => f.key === key);
  if (flag === undefined) throw new Error(`${key} not in the snapshot`);
  return flag;
}

const GUARDS = { maxErrorRate: 0.05, minSamples: 50 };

describe('starting a plan', () => {
  it('validates, puts the flag at the first step with a revision and audit entries, and allows one active plan', async () => {
    await rolloutFlag('rp-start');
    const bad = await server.api('POST', planUrl('rp-start'), { steps: [5, 5, 100], holdSeconds: 0, guards: { maxErrorRate: 2 }, noData: 'ignore' });
    expect(bad.statusCode).toBe(400);
    expect(errorOf(bad).details.map((d) => d.path).sort()).toEqual(['guards.maxErrorRate', 'holdSeconds', 'noData', 'steps']);
    expect(errorOf(await server.api('POST', planUrl('rp-ghost'), { steps: [5], holdSeconds: 60 })).code).toBe('FLAG_NOT_FOUND');
    expect(errorOf(await server.api('POST', planUrl('rp-start'), { steps: [5], holdSeconds: 60, variant: 'maybe' })).details[0]?.path).toBe('variant');
    expect(errorOf(await server.api('GET', planUrl('rp-start'))).code).toBe('ROLLOUT_PLAN_NOT_FOUND');

    const started = await start('rp-start', { steps: [1, 5, 25, 50, 100], holdSeconds: 600, guards: { maxErrorRate: 0.01, maxP99Ms: 500, minSamples: 100 } });
    expect(started).toMatchObject({
      flag: 'rp-start',
      environment: ENV,
      state: 'running',
      stepIndex: 0,
      percentage: 1,
      steps: [1, 5, 25, 50, 100],
      holdSeconds: 600,
      variant: 'true',
      baselineVariant: 'false',
      noData: 'pause',
      guards: { maxErrorRate: 0.01, maxP99Ms: 500, minSamples: 100 },
      stepStartedAt: clock.now().toISOString(),
      stepEndsAt: new Date(clock.now().getTime() + 600_000).toISOString(),
      pausedReason: null,
      lastCheck: null,
      history: [{ event: 'started', stepIndex: 0, percentage: 1, actor: 'bootstrap-admin' }],
    });
    expect(started.id).toMatch(/^plan_/);
    expect(await flagEnv('rp-start')).toMatchObject({ enabled: true, rolloutPercentage: 1 });
    const audit = (await auditActions('rp-start')).slice(-2);
    expect(audit.map((a) => a.action)).toEqual(['flag-environment.rollout', 'rollout-plan.start']);
    expect(audit[0]?.revision).toBe(audit[1]?.revision);
    expect(await plan('rp-start')).toMatchObject({ id: started.id, state: 'running' });

    const again = await server.api('POST', planUrl('rp-start'), { steps: [10], holdSeconds: 60 });
    expect(again.statusCode).toBe(409);
    expect(errorOf(again).code).toBe('ROLLOUT_PLAN_ACTIVE');
    const reader = await server.createKey('reader');
    expect((await server.api('GET', planUrl('rp-start'), undefined, { token: reader })).statusCode).toBe(200);
    expect((await server.api('POST', planUrl('rp-start', '/pause'), undefined, { token: reader })).statusCode).toBe(403);
    expect((await server.api('POST', planUrl('rp-start', '/abort'), { reason: 'test done' })).statusCode).toBe(200);
  });

  it('refuses a killed flag', async () => {
    await rolloutFlag('rp-killed');
    await server.api('POST', `/api/v1/flags/rp-killed/environments/${ENV}/kill`, { reason: 'INC-5' });
    const res = await server.api('POST', planUrl('rp-killed'), { steps: [5], holdSeconds: 60 });
    expect(res.statusCode).toBe(409);
    expect(errorOf(res).code).toBe('FLAG_KILLED');
  });
});

describe('a running plan', () => {
  it('ramps to 100% when healthy, one step per hold, keeping users sticky', async () => {
    await rolloutFlag('rp-healthy');
    const started = await start('rp-healthy', { steps: [5, 25, 100], holdSeconds: 5, guards: GUARDS });
    const users = Array.from({ length: 4000 }, (_, i) => `user-${i}`);
    const inAt = async (): Promise<Set<string>> => {
      const flag = await snapshotFlag('rp-healthy');
      return new Set(users.filter((u) => evaluate(flag, { key: u }).variant === 'true'));
    };
    const at5 = await inAt();
    expect(at5.size).toBeGreaterThan(120);
    expect(at5.size).toBeLessThan(280);

    await healthyTraffic('rp-healthy');
    clock.advance(2_000);
    await tick();
    expect(await plan('rp-healthy')).toMatchObject({ state: 'running', stepIndex: 0, lastCheck: { verdict: 'healthy', variant: { variant: 'true', samples: 200, errors: 1, errorRate: 0.005, p99Ms: 20 } } });
    clock.advance(3_000);
    await tick();
    const second = await plan('rp-healthy');
    expect(second).toMatchObject({ state: 'running', stepIndex: 1, percentage: 25, stepStartedAt: clock.now().toISOString() });
    const at25 = await inAt();
    expect([...at5].every((u) => at25.has(u))).toBe(true);
    expect(at25.size).toBeGreaterThan(850);
    expect(at25.size).toBeLessThan(1150);
    expect((await snapshotFlag('rp-healthy')).fallthrough).toEqual({ rollout: { variants: [{ variant: 'true', weight: 25_000 }, { variant: 'false', weight: 75_000 }] } });

    // Not before the hold is over, however healthy.
    await healthyTraffic('rp-healthy');
    clock.advance(4_000);
    await tick();
    expect((await plan('rp-healthy')).stepIndex).toBe(1);
    clock.advance(1_000);
    await tick();
    expect((await plan('rp-healthy')).percentage).toBe(100);
    await healthyTraffic('rp-healthy');
    clock.advance(5_000);
    await tick();
    const done = await plan('rp-healthy');
    expect(done).toMatchObject({ id: started.id, state: 'completed', stepIndex: 2, percentage: 100, nextCheckAt: null, stepEndsAt: null });
    expect(done.history.map((h) => `${h.event}@${h.percentage}`)).toEqual(['started@5', 'advanced@25', 'advanced@100', 'completed@100']);
    expect([...(await inAt())].length).toBe(users.length);
    const actions = (await auditActions('rp-healthy')).map((a) => a.action).filter((a) => a.startsWith('rollout-plan.'));
    expect(actions).toEqual(['rollout-plan.start', 'rollout-plan.advance', 'rollout-plan.advance', 'rollout-plan.complete']);
  });

  it('rolls back within the hold when the new variant errors: 0% as a kill naming guard and figures, in one revision', async () => {
    await rolloutFlag('rp-errors');
    await start('rp-errors', { steps: [10, 50, 100], holdSeconds: 10, guards: GUARDS });
    const salt = (await flagEnv('rp-errors')).config.fallthrough.rollout?.salt;
    await report('rp-errors', 'true', 400, 50);
    await report('rp-errors', 'false', 3600, 36);
    clock.advance(2_000);
    await tick();
    const rolled = await plan('rp-errors');
    const reason = 'rollout guard maxErrorRate breached: 12.5% > 5% (400 samples)';
    expect(rolled).toMatchObject({
      state: 'rolled_back',
      stepIndex: 0,
      nextCheckAt: null,
      lastCheck: { verdict: 'breach', breach: { guard: 'maxErrorRate', reason }, variant: { samples: 400, errors: 50, errorRate: 0.125 }, baseline: { variant: 'false', samples: 3600 } },
    });
    expect(rolled.history.at(-1)).toMatchObject({ event: 'rolled_back', detail: reason, actor: 'rollout-scheduler' });
    const env = await flagEnv('rp-errors');
    expect(env).toMatchObject({ enabled: false, killed: { reason, actor: 'rollout-scheduler' }, rolloutPercentage: 0 });
    expect(env.config.fallthrough.rollout?.salt).toBe(salt);
    const audit = (await auditActions('rp-errors')).slice(-2);
    expect(audit.map((a) => a.action)).toEqual(['flag-environment.kill', 'rollout-plan.rollback']);
    expect(audit.map((a) => a.reason)).toEqual([reason, reason]);
    expect(audit[0]?.revision).toBe(audit[1]?.revision);
    // A pipeline's --wait sees the end state; pause/resume/abort have nothing left to act on.
    expect(errorOf(await server.api('POST', planUrl('rp-errors', '/resume'))).code).toBe('ROLLOUT_PLAN_NOT_ACTIVE');
    // Restoring leaves the flag on at 0%: everyone on the baseline.
    await server.api('POST', `/api/v1/flags/rp-errors/environments/${ENV}/restore`, { reason: 'investigating' });
    expect(await flagEnv('rp-errors')).toMatchObject({ enabled: true, killed: null, rolloutPercentage: 0 });
  });

  it('rolls back on an error-rate increase over the baseline, and on p99 latency', async () => {
    await rolloutFlag('rp-increase');
    await start('rp-increase', { steps: [20, 100], holdSeconds: 10, guards: { maxErrorRateIncrease: 0.01, minSamples: 100 } });
    // The baseline has too few outcomes: the increase guard is skipped, with a note.
    await report('rp-increase', 'true', 200, 6);
    await report('rp-increase', 'false', 50, 0);
    clock.advance(2_000);
    await tick();
    expect(await plan('rp-increase')).toMatchObject({ state: 'running', lastCheck: { verdict: 'healthy', notes: ['baseline "false" has 50 outcomes (< minSamples 100): increase guards skipped'] } });
    await report('rp-increase', 'false', 950, 10);
    clock.advance(2_000);
    await tick();
    expect(await plan('rp-increase')).toMatchObject({
      state: 'rolled_back',
      lastCheck: { breach: { guard: 'maxErrorRateIncrease', reason: 'rollout guard maxErrorRateIncrease breached: 3% vs baseline 1%: +2 points > +1 points (200 samples, baseline 1000)' } },
    });

    await rolloutFlag('rp-latency');
    await start('rp-latency', { steps: [20, 100], holdSeconds: 10, guards: { maxP99Ms: 500, maxP99Increase: 300, minSamples: 10 } });
    await report('rp-latency', 'true', 100, 0, 700);
    await report('rp-latency', 'false', 100, 0, 150);
    clock.advance(2_000);
    await tick();
    expect(await plan('rp-latency')).toMatchObject({
      state: 'rolled_back',
      lastCheck: { breach: { guard: 'maxP99Ms', reason: 'rollout guard maxP99Ms breached: p99 750 ms > 500 ms (100 samples)' }, variant: { p99Ms: 750 }, baseline: { p99Ms: 200 } },
    });
  });

  it('pauses on no data (never advances) after a grace for late reports, counts only outcomes of the current step, and can roll back on no data', async () => {
    await rolloutFlag('rp-quiet');
    await start('rp-quiet', { steps: [10, 50, 100], holdSeconds: 5, guards: GUARDS });
    clock.advance(5_000);
    await tick();
    // The hold is over without data: it waits one more hold for late reports before pausing.
    expect(await plan('rp-quiet')).toMatchObject({ state: 'running', stepIndex: 0, lastCheck: { verdict: 'no-data' } });
    clock.advance(5_000);
    await tick();
    const paused = await plan('rp-quiet');
    expect(paused).toMatchObject({ state: 'paused', stepIndex: 0, pausedReason: 'no data: 0 outcomes reported for "true" at 10% in 10 s (minSamples 50)', lastCheck: { verdict: 'no-data' } });
    expect((await flagEnv('rp-quiet')).rolloutPercentage).toBe(10);

    // Resumed: a fresh hold. Traffic in this step moves it on; the next step (same minute) starts from zero.
    const resumed = await server.api('POST', planUrl('rp-quiet', '/resume'));
    expect(resumed.json()).toMatchObject({ state: 'running', pausedReason: null, stepStartedAt: clock.now().toISOString() });
    await healthyTraffic('rp-quiet');
    clock.advance(5_000);
    await tick();
    expect(await plan('rp-quiet')).toMatchObject({ state: 'running', stepIndex: 1 });
    // Reports that arrive during the grace still count.
    clock.advance(5_000);
    await tick();
    expect(await plan('rp-quiet')).toMatchObject({ state: 'running', stepIndex: 1, lastCheck: { verdict: 'no-data' } });
    await healthyTraffic('rp-quiet');
    clock.advance(2_000);
    await tick();
    expect(await plan('rp-quiet')).toMatchObject({ state: 'running', stepIndex: 2 });
    clock.advance(10_000);
    await tick();
    expect(await plan('rp-quiet')).toMatchObject({ state: 'paused', stepIndex: 2, pausedReason: expect.stringContaining('no data: 0 outcomes') });

    await rolloutFlag('rp-strict');
    await start('rp-strict', { steps: [10, 50], holdSeconds: 5, guards: GUARDS, noData: 'rollback' });
    await report('rp-strict', 'true', 3, 0);
    clock.advance(10_000);
    await tick();
    expect(await plan('rp-strict')).toMatchObject({ state: 'rolled_back' });
    expect((await flagEnv('rp-strict')).killed?.reason).toBe('rollout guard noData: no data: 3 outcomes reported for "true" at 10% in 10 s (minSamples 50)');
  });

  it('pauses when the flag is killed (at the next tick, mid-hold) and resumes only after a restore', async () => {
    await rolloutFlag('rp-kill');
    await start('rp-kill', { steps: [10, 50], holdSeconds: 600, guards: GUARDS });
    await server.api('POST', `/api/v1/flags/rp-kill/environments/${ENV}/kill`, { reason: 'INC-77' });
    clock.advance(500);
    await tick();
    expect(await plan('rp-kill')).toMatchObject({ state: 'paused', pausedReason: 'flag killed in production by bootstrap-admin: INC-77' });
    const refused = await server.api('POST', planUrl('rp-kill', '/resume'));
    expect(refused.statusCode).toBe(409);
    expect(errorOf(refused).code).toBe('FLAG_KILLED');
    await server.api('POST', `/api/v1/flags/rp-kill/environments/${ENV}/restore`, { reason: 'INC-77 resolved' });
    // Meanwhile someone moved the slider: resume puts the flag back at the plan's step.
    await server.api('POST', `/api/v1/flags/rp-kill/environments/${ENV}/rollout`, { percentage: 30 });
    expect((await server.api('POST', planUrl('rp-kill', '/resume'), { reason: 'go on' })).json()).toMatchObject({ state: 'running' });
    expect((await flagEnv('rp-kill')).rolloutPercentage).toBe(10);

    // A slider move while running pauses the plan at its next check instead of fighting it.
    await server.api('POST', `/api/v1/flags/rp-kill/environments/${ENV}/rollout`, { percentage: 40 });
    clock.advance(2_000);
    await tick();
    expect(await plan('rp-kill')).toMatchObject({ state: 'paused', pausedReason: 'rollout changed outside the plan: "true" is served to 40% in production, the plan\'s step is 10%' });
  });

  it('pauses, resumes and aborts by hand; abort returns everyone to the baseline', async () => {
    await rolloutFlag('rp-manual');
    await start('rp-manual', { steps: [10, 50, 100], holdSeconds: 60, guards: GUARDS });
    const paused = await server.api('POST', planUrl('rp-manual', '/pause'), { reason: 'waiting for the demo' });
    expect(paused.json()).toMatchObject({ state: 'paused', pausedReason: 'waiting for the demo', nextCheckAt: null });
    // Idempotent: pausing a paused plan answers it as it is.
    expect((await server.api('POST', planUrl('rp-manual', '/pause'), undefined, { headers: { 'content-type': 'application/json' } })).json()).toMatchObject({ state: 'paused', version: (paused.json() as PlanView).version });
    await healthyTraffic('rp-manual');
    clock.advance(120_000);
    await tick();
    expect((await plan('rp-manual')).stepIndex).toBe(0);
    expect((await server.api('POST', planUrl('rp-manual', '/resume'))).json()).toMatchObject({ state: 'running', stepIndex: 0 });
    const aborted = await server.api('POST', planUrl('rp-manual', '/abort'), { reason: 'release cancelled' });
    expect(aborted.json()).toMatchObject({ state: 'aborted', nextCheckAt: null });
    expect(await flagEnv('rp-manual')).toMatchObject({ enabled: true, killed: null, rolloutPercentage: 0 });
    expect((await plan('rp-manual')).history.map((h) => h.event)).toEqual(['started', 'paused', 'resumed', 'aborted']);
    const conflict = await server.api('POST', planUrl('rp-manual', '/pause'));
    expect(conflict.statusCode).toBe(409);
    expect(errorOf(conflict)).toMatchObject({ code: 'ROLLOUT_PLAN_NOT_ACTIVE', message: expect.stringContaining('aborted') });
    // A new plan may start now, and buckets the same users (same salt).
    expect((await start('rp-manual', { steps: [10], holdSeconds: 60 })).state).toBe('running');
    await server.api('POST', planUrl('rp-manual', '/abort'));
  });

  it('queues webhooks for steps, rollbacks and completion', async () => {
    const hook = await server.api('POST', '/api/v1/webhooks', { url: 'http://127.0.0.1:9/unused', events: ['rollout.step', 'rollout.completed', 'rollout.rollback', 'kill'] });
    expect(hook.statusCode).toBe(201);
    await tick();
    await rolloutFlag('rp-hooks');
    await start('rp-hooks', { steps: [50, 100], holdSeconds: 1, guards: GUARDS });
    await healthyTraffic('rp-hooks');
    clock.advance(1_000);
    await tick();
    await healthyTraffic('rp-hooks');
    clock.advance(1_000);
    await tick();
    await tick();
    const rows = await server.database.db.selectFrom('webhook_deliveries').select('event').orderBy('id').execute();
    const events = rows.map((r) => r.event as { event: string; flag: string; text: string; detail: { percentage: number } }).filter((e) => e.flag === 'rp-hooks');
    expect(events.map((e) => `${e.event}@${e.detail.percentage}`)).toEqual(['rollout.step@50', 'rollout.step@100', 'rollout.completed@100']);
    expect(events[1]?.text).toBe(':arrow_up: *rp-hooks* in *production*: rollout advanced, step 2/2 at 100%');
    await server.api('DELETE', `/api/v1/webhooks/${(hook.json() as { webhook: { id: string } }).webhook.id}`);
  });
});

describe('several schedulers', () => {
  it('survive restarts and never both advance a step (two apps on one database)', async () => {
    await rolloutFlag('rp-replicas');
    const steps = [1, 2, 3, 4, 5, 6];
    await start('rp-replicas', { steps, holdSeconds: 10, guards: GUARDS });
    // A second replica: on Postgres its own connection pool on the same schema, on PGlite the same handle.
    const database = usingPostgres ? await openTestDatabase(server.database.schema) : server.database;
    const other = await createTestServer({ database, clock, schedulerIntervalMs: 0, rolloutCheckIntervalMs: 2000 });
    try {
      for (let hold = 1; hold < steps.length; hold++) {
        await healthyTraffic('rp-replicas');
        clock.advance(10_000);
        // Both replicas tick at once, several times, while the step is due.
        await Promise.all([tick(), other.app.services.scheduler.tick(), tick(), other.app.services.scheduler.tick()]);
        expect((await plan('rp-replicas')).stepIndex, `after hold ${hold}`).toBe(hold);
      }
      const advances = (await auditActions('rp-replicas')).filter((a) => a.action === 'rollout-plan.advance');
      expect(advances).toHaveLength(steps.length - 1);
      if (usingPostgres) {
        // While a session holds the scheduler's advisory lock, no replica acts: each skips its tick.
        await healthyTraffic('rp-replicas');
        clock.advance(10_000);
        await server.database.db.connection().execute(async (connection) => {
          await sql`SELECT pg_advisory_lock(72401479, hashtext(current_schema()))`.execute(connection);
          try {
            expect(await Promise.all([server.app.services.scheduler.tick(), other.app.services.scheduler.tick()])).toEqual([false, false]);
            expect((await plan('rp-replicas')).stepIndex).toBe(steps.length - 1);
          } finally {
            await sql`SELECT pg_advisory_unlock(72401479, hashtext(current_schema()))`.execute(connection);
          }
        });
      }
      // "Restart": the first replica stops for good; the other one finishes the plan from the database.
      await server.app.services.scheduler.stop();
      await healthyTraffic('rp-replicas');
      clock.advance(10_000);
      await other.app.services.scheduler.tick();
      expect(await plan('rp-replicas')).toMatchObject({ state: 'completed', percentage: 6 });
    } finally {
      await other.close();
      if (usingPostgres) await database.close();
    }
  });
});
