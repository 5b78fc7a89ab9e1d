import { latencyBucket, LATENCY_BUCKETS_MS } from '@switchyard/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlag, manualClock } from '../../../../test/helpers/flags.js';
import { createTestServer, type TestServer } from '../../../../test/helpers/server.js';

const clock = manualClock('2026-04-01T10:30:20Z');
let server: TestServer;
beforeAll(async () => {
  server = await createTestServer({ clock });
  await createFlag(server, 'histogram-form');
  await createFlag(server, 'raw-form');
});
afterAll(async () => server.close());

// As the Node SDK posts (window bounds included) and as the browser SDK does (none).
async function post(token: string, metrics: unknown[], bounds = true): Promise<{ statusCode: number; body: string }> {
  const now = clock.now().toISOString();
  return server.api('POST', '/api/v1/sdk/metrics', { sdk: { name: 'test', version: '1' }, ...(bounds && { windowStart: now, windowEnd: now }), metrics }, { token });
}

const rows = (flag: string) =>
  server.database.db.selectFrom('evaluation_metrics').select(['variant', 'minute', 'evaluations', 'outcomes', 'errors', 'latency', 'latency_sum_ms']).where('flag_key', '=', flag).execute();

describe('POST /api/v1/sdk/metrics', () => {
  it('stores raw latencies (the browser SDK) exactly as the histogram an SDK would have counted (the Node SDK)', async () => {
    const latencies = [0.4, 12, 12, 20, 20.25, 999.9, 10_000, 60_000, 3e-7];
    const latency = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
    let latencySumMs = 0;
    for (const ms of latencies) {
      latency[latencyBucket(ms)]! += 1;
      latencySumMs += ms;
    }
    const counts = { variant: 'true', evaluations: 40, outcomes: latencies.length + 1, errors: 2 };
    const browserKey = await server.createKey('sdk-client', 'production');
    const nodeKey = await server.createKey('sdk-server', 'production');
    // Twice each: the second window adds to the first's minute.
    for (let i = 0; i < 2; i++) {
      expect((await post(nodeKey, [{ flag: 'histogram-form', ...counts, latency, latencySumMs }])).statusCode).toBe(202);
      const raw = await post(browserKey, [{ flag: 'raw-form', ...counts, latencies }], false);
      expect(raw.statusCode, raw.body).toBe(202);
    }
    const [fromHistogram] = await rows('histogram-form');
    expect(fromHistogram).toMatchObject({ evaluations: expect.anything() });
    expect(await rows('raw-form')).toEqual([fromHistogram]);
  });

  it('refuses an entry with more raw latencies than it may carry, or with both forms', async () => {
    const key = await server.createKey('sdk-client', 'production');
    const counts = { flag: 'raw-form', variant: 'true', evaluations: 0, outcomes: 1001, errors: 0 };
    expect((await post(key, [{ ...counts, latencies: new Array<number>(1001).fill(1) }])).statusCode).toBe(400);
    expect((await post(key, [{ ...counts, latencies: [1], latency: new Array<number>(18).fill(0), latencySumMs: 1 }])).statusCode).toBe(400);
  });
});
