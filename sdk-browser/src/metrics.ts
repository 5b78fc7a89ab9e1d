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

/** The body of `POST /api/v1/sdk/metrics` (core's `MetricsBatch`); the dates serialise as ISO strings. */
export interface MetricsBatch {
  readonly sdk: typeof SDK_INFO;
  readonly windowStart: Date;
  readonly windowEnd: Date;
  readonly metrics: VariantCounts[];
}

/** The metrics of one client: counts in memory, cut into windows, sent oldest first. */
export interface Metrics {
  /**
   * Counts one evaluation of `variant` of `flag`, or with `outcome` one outcome of it (`track()`).
   * Nothing is counted without a variant (unknown flags).
   */
  count(flag: string, variant: string | undefined, outcome?: { error?: boolean; latencyMs?: number }): void;
  /** Closes the current window and sends every pending one; rejects when one could not be sent. */
  flush(): Promise<void>;
}

/**
 * Aggregates evaluation counts and `track()` outcomes per flag and variant, in windows posted with
 * `post`. Memory is bounded: one counter per flag and variant, at most 30 windows (docs/protocol.md).
 * A window the server answers 4xx (except 429) is dropped: sending it again cannot help.
 * @example const metrics = createMetrics((batch) => fetch(url, { method: 'POST', body: JSON.stringify(batch) }))
 */
export function createMetrics(post: (batch: MetricsBatch) => Promise<ResponseLike>): Metrics {
  // Keyed by flag and variant: "\n" can be in neither, so no key is an Object.prototype name.
  let counters: Record<string, VariantCounts> = {};
  const pending: MetricsBatch[] = [];
  let windowStart = new Date();
  let sending: boolean | undefined;

  return {
    count(flag, variant, outcome) {
      if (variant === undefined) return;
      const id = `${flag}\n${variant}`;
      // One latency bucket per bound, plus the open last one.
      const c = counters[id] || (counters[id] = { flag, variant, evaluations: 0, outcomes: 0, errors: 0, latency: [0, ...LATENCY_BUCKETS_MS].fill(0), latencySumMs: 0 });
      if (!outcome) return void c.evaluations++;
      c.outcomes++;
      if (outcome.error === true) c.errors++;
      const ms = outcome.latencyMs!;
      if (ms >= 0 && ms < 1e15) {
        let i = 0;
        while (ms > LATENCY_BUCKETS_MS[i]!) i++;
        c.latency[i]!++;
        c.latencySumMs += ms;
      }
    },
    async flush() {
      const windowEnd = new Date();
      const metrics = Object.values(counters);
      if (metrics.length && pending.push({ sdk: SDK_INFO, windowStart, windowEnd, metrics }) > 30) pending.shift();
      counters = {};
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
