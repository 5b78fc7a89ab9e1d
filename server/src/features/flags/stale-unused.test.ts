import { LATENCY_BUCKETS_MS } from '@switchyard/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlag, DAY_MS, errorOf, manualClock } from '../../../../test/helpers/flags.js';
import { createTestServer, type TestServer } from '../../../../test/helpers/server.js';

const clock = manualClock('2026-03-01T00:00:00Z');
let server: TestServer;
let sdkKey: string;
beforeAll(async () => {
  server = await createTestServer({ clock, schedulerIntervalMs: 0 });
  sdkKey = await server.createKey('sdk-server', 'staging');
});
afterAll(async () => server.close());

async function evaluated(flag: string): Promise<void> {
  const now = clock.now().toISOString();
  const metric = { flag, variant: 'true', evaluations: 3, outcomes: 0, errors: 0, latency: new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0), latencySumMs: 0 };
  const res = await server.api('POST', '/api/v1/sdk/metrics', { sdk: { name: 'test', version: '1' }, windowStart: now, windowEnd: now, metrics: [metric] }, { token: sdkKey });
  expect(res.statusCode).toBe(202);
}

async function unused(query = ''): Promise<Record<string, string | null>> {
  const res = await server.api('GET', `/api/v1/flags?stale=true${query}`);
  expect(res.statusCode, res.body).toBe(200);
  const flags = (res.json() as { flags: { key: string; staleReasons: string[]; lastEvaluatedAt: string | null }[] }).flags;
  return Object.fromEntries(flags.filter((f) => f.key.startsWith('un-') && f.staleReasons.includes('unused')).map((f) => [f.key, f.lastEvaluatedAt]));
}

describe('stale flags: unused', () => {
  it('lists flags no SDK evaluated for `days` days, once SDKs report metrics at all', async () => {
    for (const key of ['un-idle', 'un-busy', 'un-faded']) await createFlag(server, key);
    await createFlag(server, 'un-gate', { kind: 'gate' });
    await evaluated('un-faded');
    clock.advance(31 * DAY_MS);
    // No evaluation reported in the window by anyone: "not evaluated" is unknown, not a reason.
    expect(await unused()).toEqual({});

    await evaluated('un-busy');
    await createFlag(server, 'un-young');
    expect(await unused()).toEqual({ 'un-idle': null, 'un-faded': '2026-03-01T00:00:00.000Z' });
    // A longer window: none of them is that old.
    expect(await unused('&days=60')).toEqual({});
    expect(await unused('&days=7')).toEqual({ 'un-idle': null, 'un-faded': '2026-03-01T00:00:00.000Z' });
    const bad = await server.api('GET', '/api/v1/flags?stale=true&days=0');
    expect(bad.statusCode).toBe(400);
    expect(errorOf(bad).details[0]?.path).toBe('query.days');
  });
});
