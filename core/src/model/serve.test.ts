import { describe, expect, it } from 'vitest';
import { rolloutFromPercentage, RolloutSchema, ServeSchema, WEIGHT_TOTAL } from './serve.js';

const slices = (...weights: number[]) => weights.map((weight, i) => ({ variant: `v${i}`, weight }));

describe('RolloutSchema', () => {
  it('accepts integer weights summing to 100000, zero weights included', () => {
    expect(RolloutSchema.safeParse({ variants: slices(100_000) }).success).toBe(true);
    expect(RolloutSchema.safeParse({ variants: slices(33_333, 33_333, 33_334) }).success).toBe(true);
    expect(RolloutSchema.safeParse({ variants: slices(0, 100_000, 0) }).success).toBe(true);
    expect(RolloutSchema.safeParse({ variants: slices(1, 99_999), bucketBy: 'accountId', salt: '' }).success).toBe(true);
  });

  it('rejects weights that do not sum to 100000', () => {
    for (const weights of [[99_999], [50_000, 50_001], [0], [100_000, 1], [25_000, 25_000, 25_000]]) {
      const result = RolloutSchema.safeParse({ variants: slices(...weights) });
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.message).toMatch(/weights must sum to 100000/);
    }
  });

  it('rejects negative, fractional and too large weights, even when the sum is right', () => {
    expect(RolloutSchema.safeParse({ variants: slices(-1, 100_001) }).success).toBe(false);
    expect(RolloutSchema.safeParse({ variants: slices(0.5, 99_999.5) }).success).toBe(false);
    expect(RolloutSchema.safeParse({ variants: slices(100_001, -1) }).success).toBe(false);
  });

  it('rejects empty rollouts, unknown fields and an empty bucketBy', () => {
    expect(RolloutSchema.safeParse({ variants: [] }).success).toBe(false);
    expect(RolloutSchema.safeParse({ variants: slices(100_000), seed: 1 }).success).toBe(false);
    expect(RolloutSchema.safeParse({ variants: slices(100_000), bucketBy: '' }).success).toBe(false);
  });
});

describe('ServeSchema', () => {
  it('is a fixed variant or a rollout, not both', () => {
    expect(ServeSchema.safeParse({ variant: 'true' }).success).toBe(true);
    expect(ServeSchema.safeParse({ rollout: { variants: slices(100_000) } }).success).toBe(true);
    expect(ServeSchema.safeParse({ variant: 'true', rollout: { variants: slices(100_000) } }).success).toBe(false);
    expect(ServeSchema.safeParse({}).success).toBe(false);
  });
});

describe('rolloutFromPercentage', () => {
  it('converts percentages to thousandths, rounding to the nearest', () => {
    expect(rolloutFromPercentage(25, 'true', 'false')).toEqual({ variants: [{ variant: 'true', weight: 25_000 }, { variant: 'false', weight: 75_000 }] });
    expect(rolloutFromPercentage(0.001, 'on', 'off').variants).toEqual([{ variant: 'on', weight: 1 }, { variant: 'off', weight: 99_999 }]);
    expect(rolloutFromPercentage(99.999, 'on', 'off').variants[0]?.weight).toBe(99_999);
    expect(rolloutFromPercentage(33.3333, 'on', 'off').variants[0]?.weight).toBe(33_333);
    expect(rolloutFromPercentage(0.0004, 'on', 'off').variants[0]?.weight).toBe(0);
    expect(rolloutFromPercentage(0.0006, 'on', 'off').variants[0]?.weight).toBe(1);
  });

  it('clamps to [0, 100] and maps non-finite numbers to 0', () => {
    for (const [p, weight] of [[-5, 0], [-0, 0], [150, WEIGHT_TOTAL], [Number.NaN, 0], [Number.POSITIVE_INFINITY, 0], [Number.NEGATIVE_INFINITY, 0]] as const) {
      const rollout = rolloutFromPercentage(p, 'on', 'off');
      expect(rollout.variants[0]?.weight).toBe(weight);
      expect(Object.is(rollout.variants[0]?.weight, -0)).toBe(false);
      expect(RolloutSchema.parse(rollout)).toEqual(rollout);
    }
  });

  it('carries bucketBy and salt only when given', () => {
    expect(rolloutFromPercentage(50, 'on', 'off', { bucketBy: 'accountId', salt: 's' })).toMatchObject({ bucketBy: 'accountId', salt: 's' });
    expect(Object.keys(rolloutFromPercentage(50, 'on', 'off'))).toEqual(['variants']);
  });
});
