import { histogramQuantile, LATENCY_BUCKETS_MS } from '@switchyard/core';
import type { Guards } from './rollout-plans.schemas.js';

/** Outcome counts of one variant over a window (a subset of the metrics store's VariantStats). */
export interface OutcomeCounts {
  readonly outcomes: number;
  readonly errors: number;
  readonly latency: readonly number[];
}

/** What a check saw of one variant. */
export interface Figures {
  readonly variant: string;
  readonly samples: number;
  readonly errors: number;
  /** errors / samples; null without samples. */
  readonly errorRate: number | null;
  /**
   * The upper bound of the latency bucket holding the 99th percentile; null when no latency was
   * reported. Above the last bucket bound it reads as that bound and `p99Overflow` is set.
   */
  readonly p99Ms: number | null;
  readonly p99Overflow?: true;
}

/** One guard evaluation, kept on the plan as `lastCheck`. */
export interface GuardCheck {
  readonly at: string;
  readonly percentage: number;
  readonly windowSeconds: number;
  readonly verdict: 'healthy' | 'breach' | 'no-data';
  readonly variant: Figures;
  readonly baseline: Figures;
  /** The guard breached, and the rollback reason naming it and the figures. */
  readonly breach?: { readonly guard: string; readonly reason: string };
  /** Why the window counts as no data. */
  readonly noData?: string;
  /** Guards skipped, and why (e.g. a baseline with too few samples). */
  readonly notes: string[];
}

const LAST_BOUND = LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.length - 1] ?? 10_000;

function p99Of(latency: readonly number[]): number | undefined {
  return histogramQuantile(latency, 0.99);
}

function figures(variant: string, counts: OutcomeCounts | undefined): Figures & { readonly p99: number | undefined } {
  const samples = counts?.outcomes ?? 0;
  const errors = counts?.errors ?? 0;
  const p99 = counts === undefined ? undefined : p99Of(counts.latency);
  const overflow = p99 === Number.POSITIVE_INFINITY;
  return {
    variant,
    samples,
    errors,
    errorRate: samples > 0 ? errors / samples : null,
    p99Ms: p99 === undefined ? null : overflow ? LAST_BOUND : p99,
    ...(overflow ? { p99Overflow: true as const } : {}),
    p99,
  };
}

function publicFigures(f: Figures & { readonly p99: number | undefined }): Figures {
  const { p99: _p99, ...rest } = f;
  return rest;
}

/** A rate as a percentage for people: 0.125 → "12.5%". */
export function percent(rate: number): string {
  return `${Number((rate * 100).toFixed(3))}%`;
}

function points(delta: number): string {
  return `${Number((delta * 100).toFixed(3))} points`;
}

function ms(value: number): string {
  return value === Number.POSITIVE_INFINITY ? `over ${LAST_BOUND} ms` : `${value} ms`;
}

export interface GuardInput {
  readonly guards: Guards;
  readonly variant: string;
  readonly baselineVariant: string;
  readonly variantCounts: OutcomeCounts | undefined;
  readonly baselineCounts: OutcomeCounts | undefined;
  readonly percentage: number;
  readonly windowSeconds: number;
  readonly at: Date;
}

/**
 * Applies a plan's guards to one window of outcomes. Fewer than `minSamples` outcomes of the plan's
 * variant is no data (never healthy); a p99 guard without reported latency is no data too. Increase
 * guards compare with the baseline variant and are skipped, with a note, while the baseline has fewer
 * than `minSamples` outcomes. The first guard breached (in the order maxErrorRate,
 * maxErrorRateIncrease, maxP99Ms, maxP99Increase) is the one reported.
 */
export function checkGuards(input: GuardInput): GuardCheck {
  const { guards } = input;
  const v = figures(input.variant, input.variantCounts);
  const b = figures(input.baselineVariant, input.baselineCounts);
  const notes: string[] = [];
  const base = { at: input.at.toISOString(), percentage: input.percentage, windowSeconds: input.windowSeconds, variant: publicFigures(v), baseline: publicFigures(b) };
  const noData = (why: string): GuardCheck => ({ ...base, verdict: 'no-data', noData: why, notes });

  if (v.samples < guards.minSamples) {
    return noData(`no data: ${v.samples} outcome${v.samples === 1 ? '' : 's'} reported for "${input.variant}" at ${input.percentage}% in ${input.windowSeconds} s (minSamples ${guards.minSamples})`);
  }
  const p99Guarded = guards.maxP99Ms !== undefined || guards.maxP99Increase !== undefined;
  if (p99Guarded && v.p99 === undefined) {
    return noData(`no data: no latency reported for "${input.variant}" in ${input.windowSeconds} s, and a p99 guard is set (report latencyMs with track())`);
  }

  const baselineUsable = b.samples >= guards.minSamples;
  const increaseGuarded = guards.maxErrorRateIncrease !== undefined || guards.maxP99Increase !== undefined;
  if (increaseGuarded && !baselineUsable) {
    notes.push(`baseline "${input.baselineVariant}" has ${b.samples} outcome${b.samples === 1 ? '' : 's'} (< minSamples ${guards.minSamples}): increase guards skipped`);
  }
  const samples = `${v.samples} samples`;
  const both = `${v.samples} samples, baseline ${b.samples}`;
  const breach = (guard: string, detail: string): GuardCheck => ({ ...base, verdict: 'breach', breach: { guard, reason: `rollout guard ${guard} breached: ${detail}` }, notes });

  const rate = v.errorRate ?? 0;
  if (guards.maxErrorRate !== undefined && rate > guards.maxErrorRate) {
    return breach('maxErrorRate', `${percent(rate)} > ${percent(guards.maxErrorRate)} (${samples})`);
  }
  if (guards.maxErrorRateIncrease !== undefined && baselineUsable) {
    const baseRate = b.errorRate ?? 0;
    const delta = rate - baseRate;
    if (delta > guards.maxErrorRateIncrease) {
      return breach('maxErrorRateIncrease', `${percent(rate)} vs baseline ${percent(baseRate)}: +${points(delta)} > +${points(guards.maxErrorRateIncrease)} (${both})`);
    }
  }
  if (v.p99 !== undefined) {
    if (guards.maxP99Ms !== undefined && v.p99 > guards.maxP99Ms) {
      return breach('maxP99Ms', `p99 ${ms(v.p99)} > ${guards.maxP99Ms} ms (${samples})`);
    }
    if (guards.maxP99Increase !== undefined && baselineUsable) {
      if (b.p99 === undefined) notes.push(`baseline "${input.baselineVariant}" reported no latency: maxP99Increase skipped`);
      else {
        const delta = v.p99 - b.p99;
        if (delta > guards.maxP99Increase) {
          return breach('maxP99Increase', `p99 ${ms(v.p99)} vs baseline ${ms(b.p99)}: +${delta === Number.POSITIVE_INFINITY ? '∞' : delta} ms > +${guards.maxP99Increase} ms (${both})`);
        }
      }
    }
  }
  return { ...base, verdict: 'healthy', notes };
}

/** `a − b` per field: the outcomes of a window minus those already counted when it began. */
export function subtractCounts<T extends OutcomeCounts>(a: T, b: OutcomeCounts | undefined): OutcomeCounts {
  if (b === undefined) return a;
  return {
    outcomes: Math.max(0, a.outcomes - b.outcomes),
    errors: Math.max(0, a.errors - b.errors),
    latency: a.latency.map((count, i) => Math.max(0, count - (b.latency[i] ?? 0))),
  };
}
