// expand: adds the per-minute evaluation metrics that SDKs report (guarded rollouts, staleness).
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE IF NOT EXISTS evaluation_metrics (
      environment text NOT NULL,
      flag_key text NOT NULL,
      variant text NOT NULL,
      minute timestamptz NOT NULL,
      evaluations bigint NOT NULL DEFAULT 0,
      outcomes bigint NOT NULL DEFAULT 0,
      errors bigint NOT NULL DEFAULT 0,
      latency bigint[] NOT NULL,
      latency_sum_ms double precision NOT NULL DEFAULT 0,
      PRIMARY KEY (environment, flag_key, variant, minute)
    )`.execute(db);
  await sql`CREATE INDEX CONCURRENTLY IF NOT EXISTS evaluation_metrics_flag_minute_idx ON evaluation_metrics (flag_key, minute)`.execute(db);
}

export async function down(): Promise<void> {
  // Expand-only.
}
