import { latencyBucket, LATENCY_BUCKETS_MS, type Detail, type MetricsBatch, type VariantMetrics } from '@switchyard/core';

interface Counter {
  readonly flag: string;
  readonly variant: string;
  evaluations: number;
  outcomes: number;
  errors: number;
  latency: number[];
  latencySumMs: number;
}

/** Most batches kept while the server is unreachable; older ones are dropped and counted. */
export const MAX_PENDING_BATCHES = 30;

/**
 * Aggregates evaluation counts and outcomes per flag and variant in memory. Memory is bounded: one
 * counter per (flag, variant) per window, and at most {@link MAX_PENDING_BATCHES} unsent windows.
 */
export class MetricsAggregator {
  // Keyed by the evaluator's precomputed detail objects: one identity lookup per evaluation.
  private byDetail = new Map<Detail, Counter>();
  private byVariant = new Map<string, Map<string, Counter>>();
  private windowStart = new Date();
  private readonly pending: MetricsBatch[] = [];
  dropped = 0;

  constructor(private readonly sdk: { name: string; version: string }) {}

  private counter(flag: string, variant: string): Counter {
    let variants = this.byVariant.get(flag);
    if (variants === undefined) {
      variants = new Map();
      this.byVariant.set(flag, variants);
    }
    let counter = variants.get(variant);
    if (counter === undefined) {
      counter = { flag, variant, evaluations: 0, outcomes: 0, errors: 0, latency: new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0), latencySumMs: 0 };
      variants.set(variant, counter);
    }
    return counter;
  }

  /** Counts one evaluation (details without a variant — unknown flags, errors — are not counted). */
  evaluated(flag: string, detail: Detail): void {
    const counter = this.byDetail.get(detail);
    if (counter !== undefined) {
      counter.evaluations++;
      return;
    }
    if (detail.variant === undefined) return;
    const fresh = this.counter(flag, detail.variant);
    fresh.evaluations++;
    if (Object.isFrozen(detail)) this.byDetail.set(detail, fresh);
  }

  /** Records an outcome of the variant a context got. */
  outcome(flag: string, variant: string, error: boolean, latencyMs: number | undefined): void {
    const counter = this.counter(flag, variant);
    counter.outcomes++;
    if (error) counter.errors++;
    if (latencyMs !== undefined && Number.isFinite(latencyMs) && latencyMs >= 0) {
      const bucket = latencyBucket(latencyMs);
      counter.latency[bucket] = (counter.latency[bucket] ?? 0) + 1;
      counter.latencySumMs += latencyMs;
    }
  }

  /** Closes the current window into a batch queued for sending; returns how many were dropped. */
  cut(now = new Date()): number {
    const metrics: VariantMetrics[] = [];
    for (const variants of this.byVariant.values()) {
      for (const c of variants.values()) {
        if (c.evaluations === 0 && c.outcomes === 0) continue;
        metrics.push({ flag: c.flag, variant: c.variant, evaluations: c.evaluations, outcomes: c.outcomes, errors: c.errors, latency: c.latency, latencySumMs: c.latencySumMs });
      }
    }
    const start = this.windowStart;
    this.byDetail = new Map();
    this.byVariant = new Map();
    this.windowStart = now;
    if (metrics.length === 0) return 0;
    this.pending.push({ sdk: this.sdk, windowStart: start.toISOString(), windowEnd: now.toISOString(), metrics });
    let dropped = 0;
    while (this.pending.length > MAX_PENDING_BATCHES) {
      this.pending.shift();
      dropped++;
    }
    this.dropped += dropped;
    return dropped;
  }

  /** Sends queued batches oldest first with `send`; stops at the first failure and keeps the rest. */
  async drain(send: (batch: MetricsBatch) => Promise<void>): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending[0] as MetricsBatch;
      await send(batch);
      this.pending.shift();
    }
  }

  get pendingBatches(): number {
    return this.pending.length;
  }
}
