import { migrations } from '@switchyard/migrations';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropSchema, openTestDatabase, uniqueSchema } from '../../../test/helpers/server.js';
import { prepareDatabase } from '../bootstrap.js';
import type { DatabaseHandle } from './connect.js';
import { appliedByNewerVersion, migrateToLatest } from './migrate.js';

let database: DatabaseHandle;
const table = () => sql.id(database.schema, 'kysely_migration');

beforeAll(async () => {
  database = await openTestDatabase(uniqueSchema('mig'));
  await prepareDatabase(database);
});
afterAll(async () => {
  await dropSchema(database);
  await database.close();
});

// A rolling deploy runs the previous version against the schema the new one migrated (and a rollback
// starts it there): it must start, not stop at "previously executed migration … is missing".
describe('a database migrated by a newer version', () => {
  it('is used as it is when this version has nothing of its own left to apply', async () => {
    await sql`INSERT INTO ${table()} (name, timestamp) VALUES ('9999-from-the-future', ${new Date().toISOString()})`.execute(database.db);
    expect(await appliedByNewerVersion(database.db, database.schema)).toEqual({ newer: ['9999-from-the-future'], pending: [] });
    expect(await migrateToLatest(database.db, database.schema, database.kind)).toEqual([]);
    await expect(prepareDatabase(database)).resolves.toMatchObject({ migrations: [] });
  });

  it('stops with a clear message when this version would also have to apply its own', async () => {
    const last = Object.keys(migrations).at(-1) ?? '';
    await sql`DELETE FROM ${table()} WHERE name = ${last}`.execute(database.db);
    await expect(migrateToLatest(database.db, database.schema, database.kind)).rejects.toThrow(/does not know \(9999-from-the-future\) but lacks some of its own/);
    await sql`DELETE FROM ${table()} WHERE name = '9999-from-the-future'`.execute(database.db);
    // Back on its own line: the missing migration is applied again (every migration is re-runnable).
    const results = await migrateToLatest(database.db, database.schema, database.kind);
    expect(results.map((r) => [r.migrationName, r.status])).toEqual([[last, 'Success']]);
  });
});
