// expand: creates the initial tables.
// Migrations run without a wrapping transaction (so later ones can CREATE INDEX CONCURRENTLY) and
// under an advisory lock; every statement is idempotent so a migration interrupted half-way re-runs.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE IF NOT EXISTS environments (
      key text PRIMARY KEY,
      name text NOT NULL,
      sort_order integer NOT NULL DEFAULT 0,
      created_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);

  await sql`
    CREATE TABLE IF NOT EXISTS api_keys (
      id text PRIMARY KEY,
      name text NOT NULL,
      kind text NOT NULL,
      environment text REFERENCES environments (key),
      prefix text NOT NULL,
      hash text NOT NULL UNIQUE,
      created_by text,
      created_at timestamptz NOT NULL DEFAULT now(),
      revoked_at timestamptz,
      last_used_at timestamptz
    )`.execute(db);

  await sql`
    CREATE TABLE IF NOT EXISTS flags (
      key text PRIMARY KEY,
      name text NOT NULL,
      description text NOT NULL DEFAULT '',
      kind text NOT NULL,
      owner text NOT NULL,
      expires_at timestamptz,
      tags jsonb NOT NULL DEFAULT '[]',
      client_side boolean NOT NULL DEFAULT false,
      type text NOT NULL,
      variants jsonb NOT NULL,
      version integer NOT NULL DEFAULT 1,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      archived_at timestamptz
    )`.execute(db);

  await sql`
    CREATE TABLE IF NOT EXISTS flag_environments (
      flag_key text NOT NULL REFERENCES flags (key),
      environment text NOT NULL REFERENCES environments (key),
      config jsonb NOT NULL,
      killed jsonb,
      version integer NOT NULL DEFAULT 1,
      updated_at timestamptz NOT NULL DEFAULT now(),
      updated_revision bigint NOT NULL DEFAULT 0,
      PRIMARY KEY (flag_key, environment)
    )`.execute(db);

  await sql`
    CREATE TABLE IF NOT EXISTS segments (
      key text PRIMARY KEY,
      name text NOT NULL,
      description text NOT NULL DEFAULT '',
      included jsonb NOT NULL DEFAULT '[]',
      excluded jsonb NOT NULL DEFAULT '[]',
      rules jsonb NOT NULL DEFAULT '[]',
      version integer NOT NULL DEFAULT 1,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);

  // One row: bumping it inside each write transaction takes a row lock, so revisions are handed
  // out in commit order (a sequence is not: a later value can commit first, and an SDK resuming
  // from it would skip the earlier change).
  await sql`
    CREATE TABLE IF NOT EXISTS revision_counter (
      id integer PRIMARY KEY CHECK (id = 1),
      revision bigint NOT NULL
    )`.execute(db);
  await sql`INSERT INTO revision_counter (id, revision) VALUES (1, 0) ON CONFLICT (id) DO NOTHING`.execute(db);

  await sql`
    CREATE TABLE IF NOT EXISTS audit_log (
      id bigserial PRIMARY KEY,
      revision bigint NOT NULL,
      at timestamptz NOT NULL DEFAULT now(),
      actor text NOT NULL,
      actor_key_id text,
      action text NOT NULL,
      resource_type text NOT NULL,
      resource_key text NOT NULL,
      environment text,
      reason text,
      before jsonb,
      after jsonb,
      request_id text,
      incident_id text,
      deploy_id text,
      propagation jsonb
    )`.execute(db);
  await sql`CREATE INDEX CONCURRENTLY IF NOT EXISTS audit_log_revision_idx ON audit_log (revision)`.execute(db);
  await sql`CREATE INDEX CONCURRENTLY IF NOT EXISTS audit_log_resource_idx ON audit_log (resource_key, at)`.execute(db);
  await sql`CREATE INDEX CONCURRENTLY IF NOT EXISTS audit_log_at_idx ON audit_log (at)`.execute(db);
  await sql`CREATE INDEX CONCURRENTLY IF NOT EXISTS flag_environments_revision_idx ON flag_environments (environment, updated_revision)`.execute(db);
}

export async function down(): Promise<void> {
  // Expand-only: the initial schema is never dropped by a migration.
}
