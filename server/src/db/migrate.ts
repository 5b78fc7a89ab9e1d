import { sql, type Kysely } from 'kysely';
import { Migrator, type MigrationResult } from 'kysely/migration';
import type { Database } from './schema.js';
import type { DatabaseHandle } from './connect.js';
import { migrations } from '@switchyard/migrations';

// Global, not per schema: Kysely's own migration lock is global too (see below).
const MIGRATION_LOCK_ID = 7240147810;
const LOCK_POLL_MS = 100;

/**
 * Holds a session-level advisory lock on one dedicated connection while `run` executes. Waiting is
 * done by polling pg_try_advisory_lock, never by blocking in pg_advisory_lock: a session blocked in
 * that call holds an open snapshot, and CREATE INDEX CONCURRENTLY in the migrating replica waits for
 * every older snapshot to finish, so the waiter and the holder deadlock (Postgres then kills one).
 * Polling leaves the waiter idle between attempts. Kysely's Migrator still takes its own blocking
 * lock, but only the holder of this one ever gets that far, so that call never waits.
 */
async function withMigrationLock<T>(db: Kysely<Database>, run: (connection: Kysely<Database>) => Promise<T>): Promise<T> {
  return db.connection().execute(async (connection) => {
    for (;;) {
      const { rows } = await sql<{ locked: boolean }>`SELECT pg_try_advisory_lock(${MIGRATION_LOCK_ID}) AS locked`.execute(connection);
      if (rows[0]?.locked === true) break;
      await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS * (0.5 + Math.random())));
    }
    try {
      // Migrations run on this same session, without the pool's statement timeout: building an
      // index CONCURRENTLY on a large table may take far longer than a request ever should.
      await sql`SET statement_timeout = 0`.execute(connection);
      return await run(connection);
    } finally {
      await sql`RESET statement_timeout`.execute(connection).catch(() => undefined);
      // If the session died, its lock died with it; an unlock error must not hide run()'s outcome.
      await sql`SELECT pg_advisory_unlock(${MIGRATION_LOCK_ID})`.execute(connection).catch(() => undefined);
    }
  });
}

/**
 * Migrations recorded in the database that this version does not ship: a newer version migrated it.
 * During a rolling deploy (or a rollback) the previous version starts against the expanded schema;
 * Kysely's Migrator would refuse that ("previously executed migration … is missing"), so this version
 * checks first and, when it has nothing of its own left to apply, runs on the newer schema as is:
 * migrations are expand-only, so what it reads and writes is still there.
 */
export async function appliedByNewerVersion(db: Kysely<Database>, schema: string): Promise<{ newer: string[]; pending: string[] }> {
  let applied: string[];
  try {
    const { rows } = await sql<{ name: string }>`SELECT name FROM ${sql.id(schema, 'kysely_migration')}`.execute(db);
    applied = rows.map((r) => r.name);
  } catch {
    // No migration table yet: a fresh database.
    return { newer: [], pending: Object.keys(migrations) };
  }
  const known = new Set(Object.keys(migrations));
  const done = new Set(applied);
  return { newer: applied.filter((name) => !known.has(name)).sort(), pending: [...known].filter((name) => !done.has(name)) };
}

/** Applies pending migrations; throws with the failing migration's name when one fails. */
export async function migrateToLatest(db: Kysely<Database>, schema: string, kind: DatabaseHandle['kind'] = 'postgres'): Promise<readonly MigrationResult[]> {
  const state = await appliedByNewerVersion(db, schema);
  if (state.newer.length > 0) {
    if (state.pending.length === 0) return [];
    throw new Error(
      `the database has migrations this server version does not know (${state.newer.join(', ')}) but lacks some of its own (${state.pending.join(', ')}): ` +
        'it was migrated by a different line of versions; deploy the version that migrated it',
    );
  }
  const migrator = (on: Kysely<Database>): Migrator =>
    new Migrator({
      db: on,
      provider: { getMigrations: async () => migrations },
      migrationTableSchema: schema,
      // Replicas starting together queue up on the advisory lock instead of racing. No wrapping
      // transaction: CREATE INDEX CONCURRENTLY needs none, and every migration is written to be re-runnable.
      disableTransactions: true,
    });
  // PGlite is one connection in one process: nothing to race with, and reserving its only
  // connection for the lock would leave none for the migrator.
  const { error, results = [] } = kind === 'pglite' ? await migrator(db).migrateToLatest() : await withMigrationLock(db, (connection) => migrator(connection).migrateToLatest());
  if (error !== undefined) {
    const failed = results.find((r) => r.status === 'Error');
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`migration ${failed?.migrationName ?? '(unknown)'} failed: ${reason}`);
  }
  return results;
}
