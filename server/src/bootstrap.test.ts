import { migrations } from '@switchyard/migrations';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { prepareDatabase } from './bootstrap.js';
import type { DatabaseHandle } from './db/connect.js';
import { hashKey } from './plugins/auth.js';
import { dropSchema, openTestDatabase, uniqueSchema, usingPostgres } from '../../test/helpers/server.js';

const open: DatabaseHandle[] = [];
afterEach(async () => {
  const [first, ...rest] = open.splice(0);
  if (first === undefined) return;
  await dropSchema(first);
  for (const handle of [first, ...rest]) await handle.close();
});

/**
 * Two handles on one fresh schema, as two replicas would have: separate connection pools on Postgres;
 * on PGlite (one connection per worker, one open schema) the same handle twice, so the two runs still
 * interleave on the event loop.
 */
async function twoReplicas(): Promise<[DatabaseHandle, DatabaseHandle]> {
  const schema = uniqueSchema('replicas');
  const a = await openTestDatabase(schema);
  open.push(a);
  if (!usingPostgres) return [a, a];
  const b = await openTestDatabase(schema);
  open.push(b);
  return [a, b];
}

/** Runs both start-ups to the end (so cleanup never races a straggler) and fails if either failed. */
async function together<T>(runs: [Promise<T>, Promise<T>]): Promise<[T, T]> {
  const [first, second] = await Promise.allSettled(runs);
  if (first.status === 'rejected') throw first.reason;
  if (second.status === 'rejected') throw second.reason;
  return [first.value, second.value];
}

async function snapshot(handle: DatabaseHandle) {
  const db = handle.db;
  const applied = await sql<{ name: string }>`SELECT name FROM ${sql.id(handle.schema, 'kysely_migration')} ORDER BY name`.execute(db);
  return {
    migrations: applied.rows.map((r) => r.name),
    adminKeys: await db.selectFrom('api_keys').select(['name', 'hash', 'created_by']).where('kind', '=', 'admin').execute(),
    environments: (await db.selectFrom('environments').select('key').orderBy('sort_order').execute()).map((e) => e.key),
    revisionRows: (await db.selectFrom('revision_counter').selectAll().execute()).length,
  };
}

describe('replicas starting together on a fresh database', () => {
  it('migrate once, seed the default environments once and mint exactly one admin key', async () => {
    const [a, b] = await twoReplicas();
    const results = await together([prepareDatabase(a), prepareDatabase(b)]);

    const state = await snapshot(a);
    expect(state.migrations).toEqual(Object.keys(migrations));
    expect(state.environments).toEqual(['development', 'staging', 'production']);
    expect(state.revisionRows).toBe(1);
    expect(state.adminKeys).toHaveLength(1);
    const secrets = results.map((r) => r.adminSecret).filter((s) => s !== undefined);
    expect(secrets).toHaveLength(1);
    expect(state.adminKeys[0]?.hash).toBe(hashKey(secrets[0]!));
    // Each migration is applied by exactly one of the two.
    expect([...results[0].migrations, ...results[1].migrations].sort()).toEqual(Object.keys(migrations).sort());

    const third = await prepareDatabase(b);
    expect(third).toEqual({ migrations: [] });
    expect(await snapshot(a)).toEqual(state);
  });

  it('with SWITCHYARD_ADMIN_TOKEN: store that one key once and print no secret', async () => {
    const [a, b] = await twoReplicas();
    const adminToken = 'sya_bootstrap_token_0123456789abcdef';
    const results = await together([prepareDatabase(a, { adminToken }), prepareDatabase(b, { adminToken })]);
    expect(results.every((r) => r.adminSecret === undefined)).toBe(true);

    const state = await snapshot(b);
    expect(state.migrations).toEqual(Object.keys(migrations));
    expect(state.environments).toEqual(['development', 'staging', 'production']);
    expect(state.adminKeys).toEqual([{ name: 'bootstrap-admin', hash: hashKey(adminToken), created_by: 'SWITCHYARD_ADMIN_TOKEN' }]);

    expect(await prepareDatabase(a, { adminToken })).toEqual({ migrations: [] });
    expect(await snapshot(a)).toEqual(state);
  });
});
