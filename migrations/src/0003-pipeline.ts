// expand: adds the deploy-pipeline tables: gate schedules and states, rollout plans, webhooks and their deliveries, the webhook outbox cursor.
// New tables only, so the previous release ignores them. Every statement is idempotent (no wrapping
// transaction: the indexes are built CONCURRENTLY).
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE IF NOT EXISTS gate_schedules (
      flag_key text NOT NULL REFERENCES flags (key),
      environment text NOT NULL REFERENCES environments (key),
      timezone text NOT NULL,
      weekly jsonb NOT NULL DEFAULT '[]',
      dates jsonb NOT NULL DEFAULT '[]',
      version integer NOT NULL DEFAULT 1,
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (flag_key, environment)
    )`.execute(db);

  // The last state the scheduler saw per gate, so it notices flips (kills, schedule windows) and
  // announces each one once.
  await sql`
    CREATE TABLE IF NOT EXISTS gate_states (
      flag_key text NOT NULL,
      environment text NOT NULL,
      open boolean NOT NULL,
      source text NOT NULL,
      reason text NOT NULL,
      changed_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (flag_key, environment)
    )`.execute(db);

  await sql`
    CREATE TABLE IF NOT EXISTS rollout_plans (
      id text PRIMARY KEY,
      flag_key text NOT NULL REFERENCES flags (key),
      environment text NOT NULL REFERENCES environments (key),
      state text NOT NULL,
      steps jsonb NOT NULL,
      step_index integer NOT NULL DEFAULT 0,
      hold_seconds integer NOT NULL,
      variant text NOT NULL,
      baseline_variant text NOT NULL,
      guards jsonb NOT NULL DEFAULT '{}',
      no_data text NOT NULL DEFAULT 'pause',
      step_started_at timestamptz NOT NULL,
      step_offset jsonb,
      next_check_at timestamptz,
      paused_reason text,
      history jsonb NOT NULL DEFAULT '[]',
      last_check jsonb,
      version integer NOT NULL DEFAULT 1,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      created_by text
    )`.execute(db);
  // At most one active plan per flag and environment, whatever races the API loses.
  await sql`CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS rollout_plans_active_idx ON rollout_plans (flag_key, environment) WHERE state IN ('running', 'paused')`.execute(db);
  await sql`CREATE INDEX CONCURRENTLY IF NOT EXISTS rollout_plans_due_idx ON rollout_plans (next_check_at) WHERE state = 'running'`.execute(db);
  await sql`CREATE INDEX CONCURRENTLY IF NOT EXISTS rollout_plans_flag_idx ON rollout_plans (flag_key, environment, created_at)`.execute(db);

  await sql`
    CREATE TABLE IF NOT EXISTS webhooks (
      id text PRIMARY KEY,
      url text NOT NULL,
      secret text NOT NULL,
      events jsonb NOT NULL,
      description text NOT NULL DEFAULT '',
      created_at timestamptz NOT NULL DEFAULT now(),
      created_by text,
      deleted_at timestamptz
    )`.execute(db);

  await sql`
    CREATE TABLE IF NOT EXISTS webhook_deliveries (
      id bigserial PRIMARY KEY,
      webhook_id text NOT NULL REFERENCES webhooks (id),
      event jsonb NOT NULL,
      attempts integer NOT NULL DEFAULT 0,
      next_attempt_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      delivered_at timestamptz,
      failed_at timestamptz,
      last_status integer,
      last_error text
    )`.execute(db);
  await sql`CREATE INDEX CONCURRENTLY IF NOT EXISTS webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE delivered_at IS NULL AND failed_at IS NULL`.execute(db);
  await sql`CREATE INDEX CONCURRENTLY IF NOT EXISTS webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, id)`.execute(db);

  // How far the webhook outbox has read the audit log, by revision. Starts at the current revision:
  // a new installation does not replay history to its first webhook.
  await sql`
    CREATE TABLE IF NOT EXISTS outbox_cursors (
      name text PRIMARY KEY,
      revision bigint NOT NULL
    )`.execute(db);
  await sql`INSERT INTO outbox_cursors (name, revision) SELECT 'webhooks', revision FROM revision_counter WHERE id = 1 ON CONFLICT (name) DO NOTHING`.execute(db);
}

export async function down(): Promise<void> {
  // Expand-only.
}
