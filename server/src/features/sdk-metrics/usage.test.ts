import { LATENCY_BUCKETS_MS } from '@switchyard/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlag, errorOf, manualClock } from '../../../../test/helpers/flags.js';
import { createTestServer, type TestServer } from '../../../../test/helpers/server.js';

const clock = manualClock('2026-04-01T10:30:20Z');
let server: TestServer;
let sdkKey: string;
beforeAll(async () => {
  server = await createTestServer({ clock });
  sdkKey = await server.createKey('sdk-server', 'production');
  await createFlag(server, 'checkout-v2', { kind: 'release', expiresAt: '2027-01-01T00:00:00Z' });
  await createFlag(server, 'never-used');
});
afterAll(async () => server.close());

async function report(flag: string, counts: Record<string, number>): Promise<void> {
  const metrics = Object.entries(counts).map(([variant, evaluations]) => ({
    flag,
    variant,
    evaluations,
    outcomes: 0,
    errors: 0,
    latency: new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0),
    latencySumMs: 0,
  }));
  const now = clock.now().toISOString();
  const res = await server.api('POST', '/api/v1/sdk/metrics', { sdk: { name: 'test', version: '1' }, windowStart: now, windowEnd: now, metrics }, { token: sdkKey });
  expect(res.statusCode, res.body).toBe(202);
}

describe('GET /api/v1/flags/:key/environments/:env/exposure', () => {
  it('counts the last hour of evaluations and estimates what a rollout percentage would include', async () => {
    const empty = await server.api('GET', '/api/v1/flags/checkout-v2/environments/production/exposure?percentage=25');
    expect(empty.statusCode, empty.body).toBe(200);
    expect(empty.json()).toMatchObject({ evaluations: 0, estimate: 0, variants: [], windowMinutes: 60 });

    clock.advance(-2 * 60 * 60 * 1000);
    await report('checkout-v2', { true: 5000 }); // two hours ago: outside the window
    clock.advance(2 * 60 * 60 * 1000 - 30 * 60 * 1000);
    await report('checkout-v2', { true: 300, false: 700 });
    clock.advance(30 * 60 * 1000);
    await report('checkout-v2', { false: 1000 });

    const res = await server.api('GET', '/api/v1/flags/checkout-v2/environments/production/exposure?percentage=12.5');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      flag: 'checkout-v2',
      environment: 'production',
      since: '2026-04-01T09:31:00.000Z',
      until: '2026-04-01T10:31:00.000Z',
      windowMinutes: 60,
      evaluations: 2000,
      variants: [
        { variant: 'false', evaluations: 1700 },
        { variant: 'true', evaluations: 300 },
      ],
      percentage: 12.5,
      estimate: 250,
    });
    // Other environments have their own counts.
    expect((await server.api('GET', '/api/v1/flags/checkout-v2/environments/staging/exposure')).json()).toMatchObject({ evaluations: 0 });
  });

  it('answers 404 for unknown flags and environments and 400 for a bad percentage', async () => {
    expect(errorOf(await server.api('GET', '/api/v1/flags/nope/environments/production/exposure')).code).toBe('FLAG_NOT_FOUND');
    expect(errorOf(await server.api('GET', '/api/v1/flags/checkout-v2/environments/nope/exposure')).code).toBe('ENVIRONMENT_NOT_FOUND');
    expect(errorOf(await server.api('GET', '/api/v1/flags/Bad%20Key/environments/production/exposure')).code).toBe('FLAG_NOT_FOUND');
    for (const bad of ['101', '-1', 'abc', '25&x=1']) {
      expect((await server.api('GET', `/api/v1/flags/checkout-v2/environments/production/exposure?percentage=${bad}`)).statusCode, bad).toBe(400);
    }
  });

  it('takes a read key, not an SDK key', async () => {
    const reader = await server.createKey('reader');
    expect((await server.api('GET', '/api/v1/flags/checkout-v2/environments/production/exposure', undefined, { token: reader })).statusCode).toBe(200);
    expect((await server.api('GET', '/api/v1/flags/checkout-v2/environments/production/exposure', undefined, { token: sdkKey })).statusCode).toBe(403);
  });
});

describe('GET /api/v1/sdk/usage', () => {
  it('lists when each evaluated flag was last evaluated', async () => {
    const res = await server.api('GET', '/api/v1/sdk/usage');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ flags: [{ key: 'checkout-v2', lastEvaluatedAt: '2026-04-01T10:30:00.000Z' }] });
    expect((await server.api('GET', '/api/v1/sdk/usage', undefined, { token: sdkKey })).statusCode).toBe(403);
  });
});
