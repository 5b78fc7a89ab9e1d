import type { Kysely } from 'kysely';
import { Migrator, type MigrationResult } from 'kysely/migration';
import type { Database } from './schema.js';
import { migrations } from '@switchyard/migrations';

/** Applies pending migrations; throws with the failing migration's name when one fails. */
export async function migrateToLatest(db: Kysely<Database>, schema: string): Promise<readonly MigrationResult[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableSchema: schema,
    // Kysely takes a session-level advisory lock around the run, so replicas starting together
    // queue up instead of racing. No wrapping transaction: CREATE INDEX CONCURRENTLY needs none,
    // and every migration is written to be re-runnable.
    disableTransactions: true,
  });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results.find((r) => r.status === 'Error');
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`migration ${failed?.migrationName ?? '(unknown)'} failed: ${reason}`);
  }
  return results;
}
