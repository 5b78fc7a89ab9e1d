import { mkdirSync } from 'node:fs';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { preparedName } from './prepared.js';
import type { Database } from './schema.js';

/** An open database: Kysely over pg (DATABASE_URL) or over an embedded PGlite. */
export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  readonly kind: 'postgres' | 'pglite';
  readonly schema: string;
  /** Where the data lives, for the start-up log line (credentials removed). */
  readonly description: string;
  /** The pg pool's live counters (Postgres only), for metrics. */
  readonly pool?: PoolStats;
  close(): Promise<void>;
}

/** What pg.Pool reports about its connections. */
export interface PoolStats {
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
  readonly options: { readonly max?: number | undefined };
}

export interface ConnectOptions {
  readonly databaseUrl?: string | undefined;
  readonly dataDir?: string | undefined;
  readonly schema?: string | undefined;
  /** An already running PGlite to share (tests start one per worker: it takes seconds and ~300 MB). */
  readonly pglite?: import('@electric-sql/pglite').PGlite | undefined;
  readonly poolSize?: number | undefined;
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://(unparseable url)';
  }
}

/** Sends statements marked with prepare() (prepared.ts) as named statements on this connection. */
function usePreparedStatements(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (config: pg.QueryConfig) => Promise<pg.QueryResult>;
  const plain = client.query.bind(client) as (...args: unknown[]) => unknown;
  // Kysely's driver calls query(text, values); everything else passes through untouched.
  client.query = ((...args: unknown[]): unknown => {
    const [text, values] = args;
    const name = typeof text === 'string' && args.length === 2 && Array.isArray(values) ? preparedName(text) : undefined;
    return name === undefined ? plain(...args) : query({ name, text: text as string, values: values as unknown[] });
  }) as typeof client.query;
}

/** Opens the database and makes sure `schema` exists and is first on the search path. */
export async function connectDatabase(options: ConnectOptions): Promise<DatabaseHandle> {
  const schema = options.schema ?? 'public';
  if (options.databaseUrl !== undefined) {
    // Read bigint (int8) as a string, not a lossy number; toNumber() converts where needed.
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
      options: `-c search_path=${schema}`,
      statement_timeout: 15_000,
    });
    // A dropped idle connection emits 'error' on the pool; without a listener it would crash the process.
    pool.on('error', () => undefined);
    // A connection that dies while checked out (Postgres restarted, network cut) emits 'error' on its
    // client, and pg-pool leaves checked-out clients without a listener: that crashed the process
    // (test/chaos/postgres-outage.test.ts). The query in flight fails on its own, and the pool drops
    // the broken client when it is released.
    pool.on('connect', (client) => {
      client.on('error', () => undefined);
      usePreparedStatements(client);
    });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    if (schema !== 'public') await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(schema)}`.execute(db);
    return { db, kind: 'postgres', schema, description: `PostgreSQL at ${redact(options.databaseUrl)}`, pool, close: () => db.destroy() };
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGliteDialect } = await import('kysely-pglite-dialect');
  let owned = false;
  let pglite = options.pglite;
  if (pglite === undefined) {
    const dataDir = options.dataDir ?? './.switchyard';
    mkdirSync(dataDir, { recursive: true });
    pglite = await PGlite.create(`${dataDir}/pgdata`);
    owned = true;
  }
  const instance = pglite;
  if (schema !== 'public') await instance.exec(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  await instance.exec(`SET search_path TO "${schema}"`);
  const db = new Kysely<Database>({ dialect: new PGliteDialect(instance) });
  return {
    db,
    kind: 'pglite',
    schema,
    description: owned ? `embedded PGlite in ${options.dataDir ?? './.switchyard'}` : 'embedded PGlite (shared)',
    close: async () => {
      if (owned) {
        await db.destroy();
        await instance.close();
      }
    },
  };
}
