import type { DatabaseHandle } from './db/connect.js';
import { migrateToLatest } from './db/migrate.js';
import { createEnvironmentService } from './features/environments/environments.service.js';
import { createKeyService } from './features/keys/keys.service.js';
import { createKeyResolver } from './plugins/auth.js';

/**
 * Brings a database up to date for this server version: migrations (under Kysely's advisory lock),
 * the default environments, and the first admin key. Safe to run from several replicas at once.
 * Returns a newly generated admin secret, which the caller prints once.
 */
export async function prepareDatabase(handle: DatabaseHandle, options: { adminToken?: string | undefined } = {}): Promise<{ adminSecret?: string; migrations: string[] }> {
  const results = await migrateToLatest(handle.db, handle.schema, handle.kind);
  await createEnvironmentService({ db: handle.db }).ensureDefaults();
  const keys = createKeyService({ db: handle.db, resolver: createKeyResolver(handle.db) });
  const admin = await keys.ensureAdminKey(options.adminToken);
  return { ...(admin.secret === undefined ? {} : { adminSecret: admin.secret }), migrations: results.map((r) => r.migrationName) };
}
