import { LATENCY_BUCKETS_MS, type MetricsBatch } from '@switchyard/core';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { toNumber } from '../../db/values.js';

/** Counts of one variant over a period, summed from the per-minute rows. */
export interface VariantStats {
  readonly variant: string;
  readonly evaluations: number;
  readonly outcomes: number;
  readonly errors: number;
  readonly latency: number[];
  readonly latencySumMs: number;
}

const BUCKETS = LATENCY_BUCKETS_MS.length + 1;

function arrayLiteral(values: readonly number[]): string {
  return `{${values.map((v) => Math.max(0, Math.floor(v))).join(',')}}`;
}

/**
 * Adds a batch to the per-minute aggregates of the minute it arrives in (the server's clock, so SDK
 * clock skew cannot misplace it). One statement per row, all in one transaction.
 */
export async function recordMetrics(db: Kysely<Database>, environment: string, batch: MetricsBatch, now: Date): Promise<number> {
  const minute = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
  const rows = batch.metrics.filter((m) => m.evaluations > 0 || m.outcomes > 0);
  if (rows.length === 0) return 0;
  await db.transaction().execute(async (trx) => {
    for (const m of rows) {
      await sql`
        INSERT INTO evaluation_metrics AS em (environment, flag_key, variant, minute, evaluations, outcomes, errors, latency, latency_sum_ms)
        VALUES (${environment}, ${m.flag}, ${m.variant}, ${minute.toISOString()}, ${m.evaluations}, ${m.outcomes}, ${m.errors}, ${arrayLiteral(m.latency)}::bigint[], ${m.latencySumMs})
        ON CONFLICT (environment, flag_key, variant, minute) DO UPDATE SET
          evaluations = em.evaluations + EXCLUDED.evaluations,
          outcomes = em.outcomes + EXCLUDED.outcomes,
          errors = em.errors + EXCLUDED.errors,
          latency = ARRAY(SELECT coalesce(a, 0) + coalesce(b, 0) FROM unnest(em.latency, EXCLUDED.latency) AS t(a, b)),
          latency_sum_ms = em.latency_sum_ms + EXCLUDED.latency_sum_ms`.execute(trx);
    }
  });
  return rows.length;
}

/** Per-variant sums for a flag in an environment over [since, until). */
export async function variantStats(db: Kysely<Database>, environment: string, flag: string, since: Date, until: Date): Promise<VariantStats[]> {
  const rows = await db
    .selectFrom('evaluation_metrics')
    .select(['variant', 'evaluations', 'outcomes', 'errors', 'latency', 'latency_sum_ms'])
    .where('environment', '=', environment)
    .where('flag_key', '=', flag)
    .where('minute', '>=', since)
    .where('minute', '<', until)
    .execute();
  const byVariant = new Map<string, { variant: string; evaluations: number; outcomes: number; errors: number; latency: number[]; latencySumMs: number }>();
  for (const row of rows) {
    let stats = byVariant.get(row.variant);
    if (stats === undefined) {
      stats = { variant: row.variant, evaluations: 0, outcomes: 0, errors: 0, latency: new Array<number>(BUCKETS).fill(0), latencySumMs: 0 };
      byVariant.set(row.variant, stats);
    }
    stats.evaluations += toNumber(row.evaluations);
    stats.outcomes += toNumber(row.outcomes);
    stats.errors += toNumber(row.errors);
    stats.latencySumMs += Number(row.latency_sum_ms);
    row.latency.forEach((count, i) => {
      if (i < BUCKETS) stats.latency[i] = (stats.latency[i] ?? 0) + toNumber(count);
    });
  }
  return [...byVariant.values()];
}

/** When each flag was last evaluated in any environment (for staleness). */
export async function lastEvaluated(db: Kysely<Database>): Promise<Map<string, Date>> {
  const rows = await db
    .selectFrom('evaluation_metrics')
    .select((eb) => ['flag_key', eb.fn.max('minute').as('last')])
    .where('evaluations', '>', 0)
    .groupBy('flag_key')
    .execute();
  return new Map(rows.map((r) => [r.flag_key, new Date(r.last as Date | string)]));
}
