import { randomBytes } from 'node:crypto';
import type { PGlite } from '@electric-sql/pglite';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { buildApp, connectDatabase, prepareDatabase, type AppDeps, type DatabaseHandle } from '@switchyard/server';

/** True when the suite runs against a real Postgres (CI sets DATABASE_URL). */
export const usingPostgres = process.env.DATABASE_URL !== undefined && process.env.DATABASE_URL !== '';

declare global {
  // One embedded Postgres per test worker: PGlite takes seconds and hundreds of MB to start.
  var __switchyardPglite: Promise<PGlite> | undefined;
  var __switchyardPgliteSchema: string | undefined;
}

async function sharedPglite(): Promise<PGlite> {
  globalThis.__switchyardPglite ??= import('@electric-sql/pglite').then(({ PGlite }) => PGlite.create());
  return globalThis.__switchyardPglite;
}

/** A fresh schema name, so every test file (or replica group) has its own data. */
export function uniqueSchema(prefix = 't'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/**
 * Opens the test database in `schema` (real Postgres when DATABASE_URL is set, else the worker's
 * PGlite). PGlite is one connection whose search_path selects the schema, so only one schema may be
 * open at a time in a worker: test files run one after another there, and a file that needs a second
 * server passes the first one's `database` to createTestServer.
 */
export async function openTestDatabase(schema: string, poolSize = 5): Promise<DatabaseHandle> {
  if (usingPostgres) return connectDatabase({ databaseUrl: process.env.DATABASE_URL, schema, poolSize });
  const open = globalThis.__switchyardPgliteSchema;
  if (open !== undefined && open !== schema) throw new Error(`PGlite test schema ${open} is still open; reuse its database handle or close it first`);
  globalThis.__switchyardPgliteSchema = schema;
  return connectDatabase({ pglite: await sharedPglite(), schema });
}

/** Drops a test schema and everything in it. */
export async function dropSchema(handle: DatabaseHandle): Promise<void> {
  await sql`DROP SCHEMA IF EXISTS ${sql.id(handle.schema)} CASCADE`.execute(handle.db);
  if (globalThis.__switchyardPgliteSchema === handle.schema) globalThis.__switchyardPgliteSchema = undefined;
}

export interface TestServer {
  readonly app: FastifyInstance;
  readonly database: DatabaseHandle;
  readonly adminToken: string;
  /** `app.inject` with the admin key (or `token`), JSON in and out. */
  api(method: InjectOptions['method'], url: string, body?: unknown, options?: { token?: string | null; headers?: Record<string, string> }): Promise<LightMyRequestResponse>;
  /** Creates an API key of `kind` and returns its secret. */
  createKey(kind: string, environment?: string): Promise<string>;
  /** Listens on a random loopback port and returns the base URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

/**
 * Starts a migrated, seeded app on its own schema (or on `database`, shared with another test
 * server, which then owns it). Call close() in afterAll.
 */
export async function createTestServer(deps: Partial<AppDeps> & { schema?: string } = {}): Promise<TestServer> {
  const shared = deps.database;
  const database = shared ?? (await openTestDatabase(deps.schema ?? uniqueSchema()));
  const adminToken = `sya_test_${randomBytes(18).toString('base64url')}`;
  await prepareDatabase(database, { adminToken });
  const app = await buildApp({ ...deps, database });
  await app.ready();
  const api: TestServer['api'] = (method, url, body, options = {}) => {
    const token = options.token === undefined ? adminToken : options.token;
    const headers: Record<string, string> = { ...options.headers };
    if (token !== null) headers.authorization = `Bearer ${token}`;
    const request: InjectOptions = { method, url, headers };
    if (body !== undefined) {
      request.payload = typeof body === 'string' ? body : JSON.stringify(body);
      headers['content-type'] ??= 'application/json';
    }
    return app.inject(request);
  };
  return {
    app,
    database,
    adminToken,
    api,
    async createKey(kind, environment) {
      const res = await api('POST', '/api/v1/keys', { name: `${kind}-${randomBytes(3).toString('hex')}`, kind, ...(environment === undefined ? {} : { environment }) });
      if (res.statusCode !== 201) throw new Error(`creating a ${kind} key failed: ${res.statusCode} ${res.body}`);
      return (res.json() as { secret: string }).secret;
    },
    async listen() {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const address = app.server.address();
      if (address === null || typeof address === 'string') throw new Error('no address');
      return `http://127.0.0.1:${address.port}`;
    },
    async close() {
      await app.close();
      if (shared !== undefined) return;
      await dropSchema(database);
      await database.close();
    },
  };
}
