import { LATENCY_BUCKETS_MS, latencyBucket } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import { checkGuards, percent, subtractCounts, type GuardInput, type OutcomeCounts } from './rollout-guards.js';

const at = new Date('2026-06-01T10:00:00Z');

function counts(outcomes: number, errors: number, latencyMs?: number): OutcomeCounts {
  const latency = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
  if (latencyMs !== undefined) latency[latencyBucket(latencyMs)] = outcomes;
  return { outcomes, errors, latency };
}

const input = (over: Partial<GuardInput>): GuardInput => ({
  guards: { minSamples: 100 },
  variant: 'true',
  baselineVariant: 'false',
  variantCounts: undefined,
  baselineCounts: undefined,
  percentage: 5,
  windowSeconds: 600,
  at,
  ...over,
});

describe('checkGuards', () => {
  it('calls fewer than minSamples outcomes no data, never healthy', () => {
    expect(checkGuards(input({ variantCounts: counts(99, 0) }))).toMatchObject({
      verdict: 'no-data',
      noData: 'no data: 99 outcomes reported for "true" at 5% in 600 s (minSamples 100)',
      variant: { samples: 99, errorRate: 0 },
    });
    expect(checkGuards(input({})).noData).toContain('0 outcomes');
    expect(checkGuards(input({ variantCounts: counts(100, 0) })).verdict).toBe('healthy');
  });

  it('needs latency when a p99 guard is set', () => {
    const check = checkGuards(input({ guards: { minSamples: 10, maxP99Ms: 500 }, variantCounts: counts(100, 0) }));
    expect(check).toMatchObject({ verdict: 'no-data', noData: expect.stringContaining('no latency reported'), variant: { p99Ms: null } });
  });

  it('names the first guard breached with its figures', () => {
    const guards = { minSamples: 100, maxErrorRate: 0.01, maxErrorRateIncrease: 0.005, maxP99Ms: 500, maxP99Increase: 100 };
    expect(checkGuards(input({ guards, variantCounts: counts(400, 50, 20), baselineCounts: counts(400, 0, 20) })).breach).toEqual({
      guard: 'maxErrorRate',
      reason: 'rollout guard maxErrorRate breached: 12.5% > 1% (400 samples)',
    });
    expect(checkGuards(input({ guards: { ...guards, maxErrorRate: 0.5 }, variantCounts: counts(400, 4, 20), baselineCounts: counts(1000, 0, 20) })).breach?.reason).toBe(
      'rollout guard maxErrorRateIncrease breached: 1% vs baseline 0%: +1 points > +0.5 points (400 samples, baseline 1000)',
    );
    expect(checkGuards(input({ guards, variantCounts: counts(400, 0, 20_000), baselineCounts: counts(400, 0, 20) }))).toMatchObject({
      breach: { guard: 'maxP99Ms', reason: 'rollout guard maxP99Ms breached: p99 over 10000 ms > 500 ms (400 samples)' },
      variant: { p99Ms: 10_000, p99Overflow: true },
    });
    expect(checkGuards(input({ guards: { ...guards, maxP99Ms: 1000 }, variantCounts: counts(400, 0, 450), baselineCounts: counts(400, 0, 150) })).breach?.reason).toBe(
      'rollout guard maxP99Increase breached: p99 500 ms vs baseline 200 ms: +300 ms > +100 ms (400 samples, baseline 400)',
    );
  });

  it('skips increase guards while the baseline is too small, and says so', () => {
    const check = checkGuards(input({ guards: { minSamples: 100, maxErrorRateIncrease: 0.001 }, variantCounts: counts(400, 40), baselineCounts: counts(10, 0) }));
    expect(check).toMatchObject({ verdict: 'healthy', notes: ['baseline "false" has 10 outcomes (< minSamples 100): increase guards skipped'] });
  });
});

describe('helpers', () => {
  it('formats rates and subtracts the outcomes counted before a step began', () => {
    expect([0.01, 0.125, 0.0005, 1].map(percent)).toEqual(['1%', '12.5%', '0.05%', '100%']);
    expect(subtractCounts(counts(150, 10, 20), counts(50, 4, 20))).toEqual(counts(100, 6, 20));
    expect(subtractCounts(counts(5, 1), undefined)).toEqual(counts(5, 1));
  });
});
