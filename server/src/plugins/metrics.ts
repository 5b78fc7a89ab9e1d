import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { sql, type Kysely } from 'kysely';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { PoolStats } from '../db/connect.js';
import { currentRevision } from '../db/revision.js';
import type { Database } from '../db/schema.js';
import { ApiError } from '../errors.js';
import type { HealthState } from '../features/health/health.routes.js';
import type { Audience } from '../features/sdk-stream/stream.hub.js';
import { bearerOf } from './auth.js';

/** The stream frames counted by `switchyard_stream_messages_total`. */
export type StreamMessageType = 'snapshot' | 'patch' | 'ping';

/**
 * One app's Prometheus registry (not prom-client's global one: tests run several apps in a process)
 * and the instruments that other parts feed.
 */
export interface Metrics {
  readonly registry: Registry;
  /** Frames written to SDK sockets; the stream hub calls it. */
  streamSent(type: StreamMessageType, frames: number): void;
}

/** Creates the registry with process metrics and the counters fed from outside the plugin. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const streamMessages = new Counter({
    name: 'switchyard_stream_messages_total',
    help: 'Frames sent to SDK stream sockets, by message type (a patch broadcast to 100 SDKs counts 100)',
    labelNames: ['type'],
    registers: [registry],
  });
  for (const type of ['snapshot', 'patch', 'ping'] as const) streamMessages.inc({ type }, 0);
  return {
    registry,
    streamSent: (type, frames) => {
      if (frames > 0) streamMessages.inc({ type }, frames);
    },
  };
}

/** One series of the histogram: its labels, the count in each bucket (not cumulative), sum and count. */
interface Series {
  readonly labels: { readonly method: string; readonly route: string; readonly status_code: string };
  readonly counts: number[];
  sum: number;
  count: number;
}

/**
 * `http_request_duration_seconds`, kept by hand. prom-client's Histogram validates and hashes the
 * label set on every observe(), which made the metrics hook the costliest part of a 304 from the SDK
 * config; here a response costs a Map lookup and a few additions. It is exposed exactly as a
 * prom-client histogram is (the registry formats what get() returns): `_bucket` series with `le`
 * (cumulative, `+Inf` last), `_sum` and `_count`.
 */
class HttpDurationHistogram {
  readonly name = 'http_request_duration_seconds';
  readonly help = 'HTTP request latency by method, route pattern and status code';
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, Series>();

  constructor(private readonly upperBounds: readonly number[]) {}

  observe(method: string, route: string, status: number, seconds: number): void {
    const id = `${method} ${status} ${route}`;
    let series = this.series.get(id);
    if (series === undefined) {
      series = { labels: { method, route, status_code: String(status) }, counts: this.upperBounds.map(() => 0), sum: 0, count: 0 };
      this.series.set(id, series);
    }
    for (let i = 0; i < this.upperBounds.length; i++) {
      if (seconds <= (this.upperBounds[i] ?? Infinity)) {
        series.counts[i] = (series.counts[i] ?? 0) + 1;
        break;
      }
    }
    series.sum += seconds;
    series.count += 1;
  }

  get(): { name: string; help: string; type: string; aggregator: string; values: { labels: Record<string, string | number>; value: number; metricName: string }[] } {
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    for (const { labels, counts, sum, count } of this.series.values()) {
      let cumulative = 0;
      this.upperBounds.forEach((le, i) => {
        cumulative += counts[i] ?? 0;
        values.push({ labels: { ...labels, le }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { ...labels, le: '+Inf' }, value: count, metricName: `${this.name}_bucket` });
      values.push({ labels, value: sum, metricName: `${this.name}_sum` });
      values.push({ labels, value: count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.series.clear();
  }
}

export interface MetricsPluginOptions {
  readonly metrics: Metrics;
  readonly db: Kysely<Database>;
  /** pg's pool counters; absent on PGlite. */
  readonly pool?: PoolStats | undefined;
  readonly health: HealthState;
  readonly streamStats: () => readonly { environment: string; audience: Audience; connections: number; maxLag: number }[];
  readonly latestRevision: () => number;
  readonly redis?: { ping(timeoutMs: number): Promise<void> } | undefined;
  /** When set, GET /metrics needs `Authorization: Bearer <token>`. */
  readonly token?: string | undefined;
}

// A scrape must answer while the database is down (that is when it matters most): every query it
// makes is bounded, and a failure shows as switchyard_database_up 0 instead of a failed scrape.
const SCRAPE_QUERY_TIMEOUT_MS = 1_000;

async function bounded<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * `GET /metrics` in the Prometheus text format, and the HTTP latency histogram that every response
 * feeds. Gauges that describe state (connections, revisions, pool, rollout plans) are read when
 * Prometheus scrapes, so nothing is kept up to date in between.
 */
export const metricsPlugin = fp<MetricsPluginOptions>(
  async (app: FastifyInstance, options) => {
    const { registry } = options.metrics;
    const registers = [registry];

    const httpDuration = new HttpDurationHistogram([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]);
    // The registry only reads a metric through get() and reset(); this one is not a prom-client class.
    registry.registerMetric(httpDuration as unknown as Histogram);
    // A callback hook, not an async one: it runs for every response.
    app.addHook('onResponse', (request, reply, done) => {
      // Route patterns, never raw URLs: label values stay few whatever clients send.
      httpDuration.observe(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
      done();
    });

    new Gauge({
      name: 'switchyard_sdk_connections',
      help: 'SDK stream connections on this replica, by environment and audience (server or client keys)',
      labelNames: ['environment', 'audience'],
      registers,
      collect() {
        this.reset();
        for (const s of options.streamStats()) this.set({ environment: s.environment, audience: s.audience }, s.connections);
      },
    });
    new Gauge({
      name: 'switchyard_sdk_revision_lag',
      help: 'Largest number of revisions a connected SDK of this replica has not acknowledged, by environment and audience',
      labelNames: ['environment', 'audience'],
      registers,
      collect() {
        this.reset();
        for (const s of options.streamStats()) this.set({ environment: s.environment, audience: s.audience }, s.maxLag);
      },
    });

    let databaseRevision: number | undefined;
    let databaseUp = 0;
    let plans: { state: string; count: number }[] | undefined;
    // prom-client calls every collect() of a scrape at once: the gauges that need the database share
    // one round of queries per scrape.
    let reading: Promise<void> | undefined;
    const readOnce = (): Promise<void> => {
      reading ??= readDatabase().finally(() => {
        reading = undefined;
      });
      return reading;
    };
    const readDatabase = async (): Promise<void> => {
      try {
        databaseRevision = await bounded(currentRevision(options.db), SCRAPE_QUERY_TIMEOUT_MS);
        databaseUp = 1;
      } catch {
        databaseRevision = undefined;
        databaseUp = 0;
        plans = undefined;
        return;
      }
      try {
        const rows = await bounded(
          sql<{ state: string; count: string | number | bigint }>`SELECT state, count(*) AS count FROM rollout_plans GROUP BY state`.execute(options.db),
          SCRAPE_QUERY_TIMEOUT_MS,
        );
        plans = rows.rows.map((r) => ({ state: r.state, count: Number(r.count) }));
      } catch {
        // No rollout_plans table (older schema) or a slow database: leave the gauge out of this scrape.
        plans = undefined;
      }
    };

    new Gauge({
      name: 'switchyard_database_up',
      help: '1 when this replica could read the database during the scrape, else 0',
      registers,
      async collect() {
        await readOnce();
        this.set(databaseUp);
      },
    });
    new Gauge({
      name: 'switchyard_revision_latest',
      help: 'Latest committed revision as this replica knows it (its revision tracker)',
      registers,
      collect() {
        this.set(options.latestRevision());
      },
    });
    new Gauge({
      name: 'switchyard_revision_database',
      help: 'Latest committed revision read from the database during the scrape',
      registers,
      async collect() {
        await readOnce();
        this.reset();
        if (databaseRevision !== undefined) this.set(databaseRevision);
      },
    });
    new Gauge({
      name: 'switchyard_revision_lag',
      help: 'Revisions this replica has not noticed yet (database minus tracker); above 0 for more than a few seconds means the revision poll is stuck',
      registers,
      async collect() {
        await readOnce();
        this.reset();
        if (databaseRevision !== undefined) this.set(Math.max(0, databaseRevision - options.latestRevision()));
      },
    });
    new Gauge({
      name: 'switchyard_rollout_plans',
      help: 'Rollout plans by state (the whole installation: every replica reports the same numbers)',
      labelNames: ['state'],
      registers,
      async collect() {
        await readOnce();
        this.reset();
        if (plans === undefined) return;
        for (const state of ['running', 'paused']) this.set({ state }, 0);
        for (const p of plans) this.set({ state: p.state }, p.count);
      },
    });
    new Gauge({
      name: 'switchyard_draining',
      help: '1 once this replica received SIGTERM and fails readiness',
      registers,
      collect() {
        this.set(options.health.draining ? 1 : 0);
      },
    });
    const { pool, redis } = options;
    if (pool !== undefined) {
      const poolGauge = (name: string, help: string, read: () => number | undefined): void => {
        new Gauge({
          name,
          help,
          registers,
          collect() {
            const value = read();
            if (value !== undefined) this.set(value);
          },
        });
      };
      poolGauge('switchyard_db_pool_connections', 'Open connections in the Postgres pool', () => pool.totalCount);
      poolGauge('switchyard_db_pool_idle', 'Idle connections in the Postgres pool', () => pool.idleCount);
      poolGauge('switchyard_db_pool_waiting', 'Queries waiting for a Postgres pool connection', () => pool.waitingCount);
      poolGauge('switchyard_db_pool_max', 'Size limit of the Postgres pool', () => pool.options.max);
    }
    if (redis !== undefined) {
      new Gauge({
        name: 'switchyard_redis_up',
        help: '1 when Redis answered a ping during the scrape; 0 means fan-out between replicas falls back to the revision poll',
        registers,
        async collect() {
          try {
            await redis.ping(SCRAPE_QUERY_TIMEOUT_MS);
            this.set(1);
          } catch {
            this.set(0);
          }
        },
      });
    }

    const expected = options.token === undefined ? undefined : digest(options.token);
    app.get('/metrics', { config: { permission: 'public' }, logLevel: 'warn' }, async (request, reply) => {
      if (expected !== undefined) {
        const given = bearerOf(request);
        // Compared as digests: equal lengths, constant time.
        if (given === undefined || !timingSafeEqual(digest(given), expected)) throw new ApiError('UNAUTHORIZED', 'GET /metrics needs Authorization: Bearer <METRICS_TOKEN>');
      }
      const text = await registry.metrics();
      return reply.header('content-type', registry.contentType).header('cache-control', 'no-store').send(text);
    });
  },
  { name: 'switchyard-metrics' },
);
