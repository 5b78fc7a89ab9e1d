import { describe, expect, it } from 'vitest';
import { booleanFlag } from '../../../test/helpers/flags.js';
import { applyFlagUpdate, LATENCY_BUCKETS_MS, latencyBucket, latencyHistogram, MAX_RAW_LATENCIES, MetricsBatchSchema } from './messages.js';

describe('applyFlagUpdate', () => {
  const flag = { ...booleanFlag('checkout'), version: 7 };

  it('replaces exactly the fields named, over the version it was made for', () => {
    const next = applyFlagUpdate(flag, { key: 'checkout', from: 7, version: 8, enabled: false, killed: true });
    expect(next).toEqual({ ...flag, version: 8, enabled: false, killed: true });
    expect(next).not.toHaveProperty('from');
    expect(flag.version).toBe(7);
  });

  it('refuses a missing flag, another flag, or another version', () => {
    expect(applyFlagUpdate(undefined, { key: 'checkout', from: 7, killed: true })).toBeUndefined();
    expect(applyFlagUpdate(flag, { key: 'other', from: 7, killed: true })).toBeUndefined();
    expect(applyFlagUpdate(flag, { key: 'checkout', from: 6, version: 7, killed: true })).toBeUndefined();
  });
});

describe('MetricsBatchSchema', () => {
  const counts = { flag: 'checkout', variant: 'true', evaluations: 4, outcomes: 3, errors: 1 };
  const batch = (metrics: unknown[]) => ({ sdk: { name: 'sdk-browser', version: '0.1.0' }, windowStart: '2026-01-01T00:00:00.000Z', windowEnd: '2026-01-01T00:00:10.000Z', metrics });

  it('takes the histogram form as it is', () => {
    const histogram = { ...counts, latency: [0, 1, ...new Array<number>(16).fill(0)], latencySumMs: 1.5 };
    expect(MetricsBatchSchema.parse(batch([histogram])).metrics).toEqual([histogram]);
  });

  it('turns raw latencies into the histogram an SDK would have counted, bucket by bucket and bit for bit', () => {
    const latencies = [0, 1, 1.0001, 12, 20, 0.1, 0.2, 750, 10_000, 10_000.5, 1e14, 3e-7];
    const latency = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
    let latencySumMs = 0;
    for (const ms of latencies) {
      latency[latencyBucket(ms)]! += 1;
      latencySumMs += ms;
    }
    const [parsed] = MetricsBatchSchema.parse(batch([{ ...counts, latencies }])).metrics;
    expect(parsed).toEqual({ ...counts, latency, latencySumMs });
    expect(parsed).toEqual({ ...counts, ...latencyHistogram(latencies) });
    expect(parsed?.latency[latency.length - 1]).toBe(2);
    expect(MetricsBatchSchema.parse(batch([{ ...counts, latencies: [] }])).metrics[0]?.latency).toEqual(new Array<number>(18).fill(0));
  });

  it.each([
    ['too many latencies', { ...counts, latencies: new Array<number>(MAX_RAW_LATENCIES + 1).fill(1) }],
    ['a negative latency', { ...counts, latencies: [-1] }],
    ['a latency out of range', { ...counts, latencies: [1e16] }],
    ['a sum out of range', { ...counts, latencies: [9e14, 9e14] }],
    ['both forms at once', { ...counts, latencies: [1], latency: new Array<number>(18).fill(0), latencySumMs: 0 }],
    ['neither form', counts],
  ])('refuses %s', (_, entry) => {
    expect(MetricsBatchSchema.safeParse(batch([entry])).success).toBe(false);
  });

  it('takes a batch without its informational window bounds, and refuses bounds that are not ISO date-times', () => {
    const entry = { ...counts, latencies: [1] };
    expect(MetricsBatchSchema.safeParse({ sdk: { name: 'sdk-browser', version: '0.1.0' }, metrics: [entry] }).success).toBe(true);
    expect(MetricsBatchSchema.safeParse({ ...batch([entry]), windowStart: 'yesterday' }).success).toBe(false);
  });

  it('accepts as many latencies as an entry may carry', () => {
    expect(MetricsBatchSchema.safeParse(batch([{ ...counts, latencies: new Array<number>(MAX_RAW_LATENCIES).fill(1) }])).success).toBe(true);
  });
});
