import type { Detail } from '@switchyard/core/evaluate';
import type { ResponseLike } from './platform.js';
import { LATENCY_BUCKETS_MS, SDK_INFO } from './protocol.js';

/** One flag variant's counts over a window: core's `VariantMetrics`, as posted. */
export interface VariantCounts {
  readonly flag: string;
  readonly variant: string;
  evaluations: number;
  outcomes: number;
  errors: number;
  readonly latency: number[];
  latencySumMs: number;
}

/** The body of `POST /api/v1/sdk/metrics` (core's `MetricsBatch`). */
export interface MetricsBatch {
  readonly sdk: typeof SDK_INFO;
  readonly windowStart: string;
  readonly windowEnd: string;
  readonly metrics: VariantCounts[];
}

/** Most windows kept while the server is unreachable; older ones are dropped. */
export const MAX_PENDING_BATCHES = 30;

/** The metrics of one client: counts in memory, cut into windows, sent oldest first. */
export interface Metrics {
  /** Counts one evaluation (details without a variant, such as unknown flags, are not counted). */
  evaluated(flag: string, detail: Detail): void;
  /** Records an outcome of `variant` of `flag`. */
  outcome(flag: string, variant: string, error: boolean, latencyMs: number | undefined): void;
  /** Closes the current window and sends every pending one; rejects when one could not be sent. */
  flush(): Promise<void>;
}

/**
 * Aggregates evaluation counts and `track()` outcomes per flag and variant, in windows posted with
 * `post`. Memory is bounded: one counter per flag and variant, at most {@link MAX_PENDING_BATCHES}
 * windows. A window the server answers 4xx (except 429) is dropped: sending it again cannot help.
 * @example const metrics = createMetrics((batch) => fetch(url, { method: 'POST', body: JSON.stringify(batch) }))
 */
export function createMetrics(post: (batch: MetricsBatch) => Promise<ResponseLike>): Metrics {
  let counters = new Map<string, VariantCounts>();
  let windowStart = new Date().toISOString();
  const pending: MetricsBatch[] = [];
  let sending = false;

  const counter = (flag: string, variant: string): VariantCounts => {
    const id = `${flag}\n${variant}`;
    let c = counters.get(id);
    if (!c) counters.set(id, (c = { flag, variant, evaluations: 0, outcomes: 0, errors: 0, latency: LATENCY_BUCKETS_MS.map(() => 0).concat(0), latencySumMs: 0 }));
    return c;
  };

  return {
    evaluated(flag, detail) {
      if (detail.variant !== undefined) counter(flag, detail.variant).evaluations++;
    },
    outcome(flag, variant, error, latencyMs) {
      const c = counter(flag, variant);
      c.outcomes++;
      if (error) c.errors++;
      if (latencyMs! >= 0 && latencyMs! < 1e15) {
        const i = LATENCY_BUCKETS_MS.findIndex((bound) => latencyMs! <= bound);
        c.latency[i < 0 ? LATENCY_BUCKETS_MS.length : i]!++;
        c.latencySumMs += latencyMs!;
      }
    },
    async flush() {
      const windowEnd = new Date().toISOString();
      if (counters.size) {
        pending.push({ sdk: SDK_INFO, windowStart, windowEnd, metrics: [...counters.values()] });
        if (pending.length > MAX_PENDING_BATCHES) pending.shift();
      }
      counters = new Map();
      windowStart = windowEnd;
      if (sending) return;
      sending = true;
      try {
        while (pending[0]) {
          const response = await post(pending[0]);
          if (response.ok || (response.status < 500 && response.status != 429)) pending.shift();
          if (!response.ok) throw Error(`HTTP ${response.status}`);
        }
      } finally {
        sending = false;
      }
    },
  };
}
