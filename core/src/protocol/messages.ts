import { z } from 'zod';
import type { FlagConfig } from '../model/flag.js';
import type { Segment } from '../model/segment.js';

/**
 * The stream protocol version this core speaks. Each operator records the version that introduced it
 * (see OPERATORS); an SDK announcing an older version cannot evaluate newer operators. Version 2 adds
 * a patch's `updates` (see {@link FlagUpdate}); the server sends them only to SDKs that announce 2 or
 * more.
 * @example PROTOCOL_VERSION // 2
 */
export const PROTOCOL_VERSION = 2;

/** Largest message a client may send on the stream; larger ones close that socket (1009). */
export const MAX_CLIENT_MESSAGE_BYTES = 16 * 1024;

/**
 * An environment's complete state at one revision, as served by `GET /api/v1/sdk/config` and sent as
 * the stream's `snapshot` message.
 * @example { environment: 'production', revision: 42, flags: [...], segments: [...] }
 */
export interface ConfigSnapshot {
  readonly environment: string;
  readonly revision: number;
  readonly flags: readonly FlagConfig[];
  readonly segments: readonly Segment[];
  /** Present when target and segment key lists hold hashes (client keys): hash the context key with this salt. */
  readonly keyHashSalt?: string;
}

/** Server → SDK: the full state; replaces everything the SDK has. */
export interface SnapshotMessage extends ConfigSnapshot {
  readonly type: 'snapshot';
}

/**
 * Server → SDK: what changed since the previous revision the SDK had. `flags`/`segments` are upserted
 * whole; `removed`/`removedSegments` are deleted (archived, or no longer visible to this key).
 */
export interface PatchMessage {
  readonly type: 'patch';
  readonly revision: number;
  readonly flags: readonly FlagConfig[];
  readonly removed: readonly string[];
  readonly segments: readonly Segment[];
  readonly removedSegments: readonly string[];
  /** Protocol 2: flags of which only some fields changed (never sent to an SDK that announced 1). */
  readonly updates?: readonly FlagUpdate[];
}

/**
 * Protocol 2: the top-level fields of a flag that changed, to apply over the copy the SDK holds, which
 * must be at version `from`. An SDK whose copy is missing or at another version applies nothing of
 * that patch and reconnects: the server then resumes it with whole flags.
 * @example { key: 'new-checkout', from: 7, version: 8, enabled: false, killed: true }
 */
export type FlagUpdate = { readonly key: string; readonly from: number } & Readonly<Partial<Omit<FlagConfig, 'key'>>>;

/**
 * The flag `update` makes of `current`; undefined when `current` is missing or not at `update.from`.
 * @example applyFlagUpdate(set.get('new-checkout'), { key: 'new-checkout', from: 7, version: 8, killed: true })
 */
export function applyFlagUpdate(current: FlagConfig | undefined, update: FlagUpdate): FlagConfig | undefined {
  if (current === undefined || current.key !== update.key || current.version !== update.from) return undefined;
  const { from, ...fields } = update;
  void from;
  return { ...current, ...fields };
}

/** Server → SDK: liveness, every 25 s; carries the latest revision so a client can notice a gap. */
export interface PingMessage {
  readonly type: 'ping';
  readonly revision: number;
}

/** Server → SDK: a problem; the server closes the socket after it when `fatal`. */
export interface ErrorMessage {
  readonly type: 'error';
  readonly code: string;
  readonly message: string;
  readonly fatal: boolean;
}

/** Every message the server sends. @example if (msg.type === 'patch') apply(msg) */
export type ServerMessage = SnapshotMessage | PatchMessage | PingMessage | ErrorMessage;

/**
 * SDK → server, first message: which protocol it speaks, who it is, and the revision it has (null =
 * none). Browsers, which cannot set headers on a WebSocket, put their key here.
 * @example { type: 'hello', protocol: 1, sdk: { name: 'sdk-node', version: '0.1.0' }, revision: 41 }
 */
export const HelloMessageSchema = z
  .object({
    type: z.literal('hello'),
    protocol: z.number().int().min(0).max(1000),
    sdk: z.object({ name: z.string().min(1).max(64), version: z.string().min(1).max(64) }).strict(),
    revision: z.number().int().min(0).nullable(),
    key: z.string().min(1).max(256).optional(),
    instance: z.string().max(128).optional(),
  })
  .strict();
export type HelloMessage = z.infer<typeof HelloMessageSchema>;

/** SDK → server: the SDK has applied everything up to `revision` (provable propagation). */
export const AckMessageSchema = z.object({ type: z.literal('ack'), revision: z.number().int().min(0) }).strict();
export type AckMessage = z.infer<typeof AckMessageSchema>;

/** Every message an SDK sends. */
export const ClientMessageSchema = z.discriminatedUnion('type', [HelloMessageSchema, AckMessageSchema]);
export type ClientMessage = z.infer<typeof ClientMessageSchema>;

/** WebSocket close codes of the stream. */
export const CLOSE_CODES = {
  /** The server is restarting or draining: reconnect (elsewhere) right away, with a little jitter. */
  SERVICE_RESTART: 1012,
  /** A malformed or unexpected message. */
  PROTOCOL_ERROR: 1008,
  /** A message over {@link MAX_CLIENT_MESSAGE_BYTES}. */
  MESSAGE_TOO_BIG: 1009,
  /** Missing or invalid key: do not retry with the same key. */
  UNAUTHORIZED: 4401,
  /** Key revoked or not an SDK key: do not retry with the same key. */
  FORBIDDEN: 4403,
  /** No hello within the deadline. */
  HELLO_TIMEOUT: 4408,
} as const;

/**
 * Upper bounds (ms) of the latency histogram buckets SDKs report with `track()`; a last, open bucket
 * counts everything slower. Server and SDKs must agree, so it lives here.
 */
export const LATENCY_BUCKETS_MS: readonly number[] = Object.freeze([1, 2, 5, 10, 20, 50, 100, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 10_000]);

/** Most outcome latencies one entry may carry raw, in `latencies`, instead of the histogram. */
export const MAX_RAW_LATENCIES = 1000;

const variantCounts = {
  flag: z.string().min(1).max(128),
  variant: z.string().min(1).max(64),
  evaluations: z.number().int().min(0).max(1e12),
  outcomes: z.number().int().min(0).max(1e12),
  errors: z.number().int().min(0).max(1e12),
};

/** The histogram form: what the server stores, and what the Node SDK sends. */
const HistogramMetricsSchema = z
  .object({
    ...variantCounts,
    latency: z.array(z.number().int().min(0).max(1e12)).length(LATENCY_BUCKETS_MS.length + 1),
    latencySumMs: z.number().min(0).max(1e15),
  })
  .strict();

/**
 * The raw form, which the browser SDK sends so that a page carries no bucket table: the outcomes'
 * latencies as measured, in the order they were tracked. The server turns them into the histogram
 * form ({@link latencyHistogram}), which then must hold as if it had been sent.
 */
const RawMetricsSchema = z
  .object({ ...variantCounts, latencies: z.array(z.number().min(0).max(1e15)).max(MAX_RAW_LATENCIES) })
  .strict()
  .transform(({ latencies, ...counts }) => ({ ...counts, ...latencyHistogram(latencies) }))
  .pipe(HistogramMetricsSchema);

/**
 * One flag variant's counts over a window, as posted to `POST /api/v1/sdk/metrics`: `latency` has
 * `LATENCY_BUCKETS_MS.length + 1` counts, or, instead of `latency` and `latencySumMs`, `latencies`
 * holds at most {@link MAX_RAW_LATENCIES} raw ones. Parsed, it is always the histogram form.
 */
export const VariantMetricsSchema = z.union([HistogramMetricsSchema, RawMetricsSchema]);
export type VariantMetrics = z.infer<typeof VariantMetricsSchema>;

/** The body of `POST /api/v1/sdk/metrics`. */
export const MetricsBatchSchema = z
  .object({
    sdk: z.object({ name: z.string().min(1).max(64), version: z.string().min(1).max(64) }).strict(),
    // Informational, and optional: the server files a batch under the minute it arrives (its own clock).
    windowStart: z.iso.datetime({ offset: true }).optional(),
    windowEnd: z.iso.datetime({ offset: true }).optional(),
    metrics: z.array(VariantMetricsSchema).max(10_000),
  })
  .strict();
export type MetricsBatch = z.infer<typeof MetricsBatchSchema>;

/**
 * The bucket index of a latency in {@link LATENCY_BUCKETS_MS}.
 * @example latencyBucket(12) // 4 (the ≤20 ms bucket)
 */
export function latencyBucket(ms: number): number {
  for (let i = 0; i < LATENCY_BUCKETS_MS.length; i++) if (ms <= (LATENCY_BUCKETS_MS[i] as number)) return i;
  return LATENCY_BUCKETS_MS.length;
}

/**
 * The histogram form of raw latencies: the count per {@link latencyBucket}, and their sum, added in
 * order (as an SDK adding them one by one gets it, to the last bit).
 * @example latencyHistogram([12, 20000]) // { latency: [0, 0, 0, 0, 1, 0, …, 1], latencySumMs: 20012 }
 */
export function latencyHistogram(latencies: readonly number[]): { latency: number[]; latencySumMs: number } {
  const latency = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
  let latencySumMs = 0;
  for (const ms of latencies) {
    latency[latencyBucket(ms)]! += 1;
    latencySumMs += ms;
  }
  return { latency, latencySumMs };
}

/**
 * The p-quantile (0..1) of a latency histogram, as the upper bound of the bucket that holds it
 * (conservative: never lower than the true value). Infinity when it falls in the open bucket.
 * @example histogramQuantile([0, 0, 98, 2, ...zeros], 0.99) // 10
 */
export function histogramQuantile(counts: readonly number[], q: number): number | undefined {
  let total = 0;
  for (const c of counts) total += c;
  if (total === 0) return undefined;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i] as number;
    if (seen >= rank) return i < LATENCY_BUCKETS_MS.length ? (LATENCY_BUCKETS_MS[i] as number) : Number.POSITIVE_INFINITY;
  }
  return Number.POSITIVE_INFINITY;
}
