import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropSchema, openTestDatabase, uniqueSchema, usingPostgres } from '../../../test/helpers/server.js';
import type { DatabaseHandle } from './connect.js';
import { prepare, preparedName } from './prepared.js';

let database: DatabaseHandle;
beforeAll(async () => {
  // One connection, so the statements below and the look at pg_prepared_statements share a session.
  database = await openTestDatabase(uniqueSchema('prep'), 1);
});
afterAll(async () => {
  await dropSchema(database);
  await database.close();
});

describe('prepared statements', () => {
  it('marks a statement with its name, and only names that are safe in a comment', () => {
    const compiled = sql`${prepare('flag-environment-read')} SELECT 1`.compile(database.db);
    expect(preparedName(compiled.sql)).toBe('flag-environment-read');
    expect(preparedName('SELECT 1 /* prepare late */')).toBeUndefined();
    expect(() => prepare('x */ DROP TABLE flags; /*')).toThrow(/bad prepared statement name/);
  });

  it('runs marked statements with their parameters, on Postgres as named statements planned once per connection', async () => {
    const run = async (n: number) => (await sql<{ doubled: number }>`${prepare('test-doubled')} SELECT (${n}::int * 2) AS doubled`.execute(database.db)).rows[0]?.doubled;
    expect(await run(2)).toBe(4);
    expect(await run(21)).toBe(42);
    if (usingPostgres) {
      const named = await sql<{ name: string }>`SELECT name FROM pg_prepared_statements WHERE name = 'test-doubled'`.execute(database.db);
      expect(named.rows).toEqual([{ name: 'test-doubled' }]);
    }
    // Unmarked statements stay unnamed.
    expect((await sql<{ one: number }>`SELECT 1 AS one`.execute(database.db)).rows).toEqual([{ one: 1 }]);
  });
});
