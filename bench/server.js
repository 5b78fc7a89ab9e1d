// Suite "server": the SDK config endpoint and admin writes, each beside a bare baseline in the same
// process and on the same database server, so the ratio measures Switchyard's own overhead.
//
//   1. GET /api/v1/sdk/config with 100 mixed flags, full response (200) and conditional (304), driven
//      by autocannon, beside a bare Fastify route that serves the same bytes (and a bare 304).
//   2. Sequential admin writes (PUT of an environment config, and the rollout slider: each an update,
//      a revision bump and an audit row in one transaction, over HTTP) beside a bare pg transaction
//      BEGIN; UPDATE; INSERT; UPDATE; COMMIT on the same Postgres.
//
// The server runs in-process on 127.0.0.1 with PGlite (or DATABASE_URL when set) for part 1; part 2
// needs a real Postgres (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test) and works in
// throwaway schemas it drops afterwards. Every loop is bounded in time and count.
//
//   npm run bench -- server        (through bench/run.js)
//   node bench/server.js           (standalone, after `npx tsc -b`)
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import pg from 'pg';
import { buildApp, connectDatabase, prepareDatabase } from '@switchyard/server';
import { prng, quantile } from './lib/harness.js';

export const description = 'GET /api/v1/sdk/config (200 and 304) and admin writes/s, each beside a bare baseline';

const FLAGS = 100;
const CONNECTIONS = 8;
const WARMUP_S = 1;
/**
 * Each HTTP case runs this many rounds of ROUND_S (about 5 s in all), paired with its baseline
 * back to back in alternating order; the reported ratio is the median of the per-round ratios, so a
 * burst of load from elsewhere skews one round, not the result.
 */
const HTTP_ROUNDS = 5;
const ROUND_S = 1;
/** Admin writes: interleaved slices of bare and API writes, bounded in time and count. */
const WRITE_SLICES = 8;
const WRITE_SLICE_MS = 1000;
const WRITE_SLICE_MAX = 5000;
const TARGET_RATIO = 0.7;
const DEFAULT_POSTGRES = 'postgres://postgres@127.0.0.1:5432/test';

/**
 * @typedef {{ title: string, columns: string[], rows: string[][], notes?: string[] }} Table
 * @typedef {{ name: string, pass: boolean, detail: string }} Target
 */

const fmt = (/** @type {number} */ n) => Math.round(n).toLocaleString('en-US');
const pct = (/** @type {number} */ r) => `${(r * 100).toFixed(0)}%`;
const spread = (/** @type {number[]} */ xs) => (xs.length === 0 ? '' : `${pct(Math.min(...xs))}–${pct(Math.max(...xs))}`);

/** Starts the app on a fresh database (schema) and returns what the benchmark needs. */
async function startServer(/** @type {{ databaseUrl?: string }} */ { databaseUrl }) {
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  /** @type {import('@electric-sql/pglite').PGlite | undefined} */
  let pglite;
  let database;
  if (databaseUrl === undefined) {
    const { PGlite } = await import('@electric-sql/pglite');
    pglite = await PGlite.create();
    database = await connectDatabase({ pglite, schema });
  } else {
    database = await connectDatabase({ databaseUrl, schema, poolSize: 10 });
  }
  const adminToken = `sya_bench_${randomBytes(18).toString('base64url')}`;
  await prepareDatabase(database, { adminToken });
  const app = await buildApp({ database, logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  const base = `http://127.0.0.1:${address.port}`;

  /** JSON request through app.inject with the admin key; throws on an unexpected status. */
  const api = async (/** @type {string} */ method, /** @type {string} */ url, /** @type {unknown} */ body, expected = [200, 201]) => {
    const res = await app.inject({ method: /** @type {any} */ (method), url, headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { payload: JSON.stringify(body) }) });
    if (!expected.includes(res.statusCode)) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
    return res.json();
  };

  const close = async () => {
    await app.close();
    if (databaseUrl !== undefined) {
      const { sql } = await import('kysely');
      await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(database.db);
    }
    await database.close();
    await pglite?.close();
  };
  return { app, base, api, adminToken, database, kind: database.kind, close };
}

/** 100 flags like a real installation's: on/off, rollouts, rules, targets, segments, multivariate, some client-side. */
async function seedFlags(/** @type {(method: string, url: string, body?: unknown) => Promise<any>} */ api) {
  const random = prng(42);
  const users = (/** @type {number} */ n, /** @type {string} */ prefix) => Array.from({ length: n }, (_, i) => `${prefix}-${i}-${Math.floor(random() * 1e9)}`);
  for (const key of ['internal-users', 'beta-testers', 'enterprise']) {
    await api('POST', '/api/v1/segments', {
      key,
      name: key,
      included: users(50, key),
      excluded: users(5, `${key}-x`),
      rules: [{ clauses: [{ attribute: 'email', op: 'endsWith', values: [`@${key}.example`] }] }],
    });
  }
  const strings = [{ key: 'control', value: 'control' }, { key: 'grid', value: 'grid' }, { key: 'cards', value: 'cards' }];
  for (let i = 0; i < FLAGS; i++) {
    const key = `bench-flag-${String(i).padStart(3, '0')}`;
    const shape = i % 5;
    const flag = { key, kind: i % 2 === 0 ? 'release' : 'operational', owner: `team-${i % 7}`, expiresAt: '2030-01-01T00:00:00Z', tags: [`area-${i % 4}`], clientSide: i % 4 === 0 };
    let config;
    if (shape === 0) {
      await api('POST', '/api/v1/flags', flag);
      config = { enabled: true, offVariant: 'false', fallthrough: { rollout: { variants: [{ variant: 'true', weight: 25000 }, { variant: 'false', weight: 75000 }], salt: `${key}-salt` } } };
    } else if (shape === 1) {
      await api('POST', '/api/v1/flags', flag);
      config = {
        enabled: true,
        offVariant: 'false',
        fallthrough: { variant: 'false' },
        rules: [
          { id: 'eu', clauses: [{ attribute: 'country', op: 'in', values: ['NL', 'DE', 'FR', 'BE'] }], serve: { variant: 'true' } },
          { id: 'staff', clauses: [{ attribute: 'email', op: 'endsWith', values: ['@acme.io'] }, { attribute: 'plan', op: 'neq', values: ['free'] }], serve: { variant: 'true' } },
        ],
      };
    } else if (shape === 2) {
      await api('POST', '/api/v1/flags', { ...flag, type: 'string', variants: strings });
      config = {
        enabled: true,
        offVariant: 'control',
        targets: [{ variant: 'grid', values: users(20, `${key}-qa`) }],
        fallthrough: { rollout: { variants: [{ variant: 'control', weight: 34000 }, { variant: 'grid', weight: 33000 }, { variant: 'cards', weight: 33000 }] } },
      };
    } else if (shape === 3) {
      await api('POST', '/api/v1/flags', flag);
      config = { enabled: false, offVariant: 'false', fallthrough: { variant: 'true' } };
    } else {
      await api('POST', '/api/v1/flags', { ...flag, type: 'json', variants: [{ key: 'small', value: { limit: 10, features: ['a'] } }, { key: 'large', value: { limit: 1000, features: ['a', 'b', 'c'] } }] });
      config = {
        enabled: true,
        offVariant: 'small',
        fallthrough: { variant: 'small' },
        rules: [
          { id: 'seg', clauses: [{ attribute: 'key', op: 'inSegment', values: [['internal-users', 'beta-testers', 'enterprise'][i % 3]] }], serve: { variant: 'large' } },
          { id: 'app', clauses: [{ attribute: 'appVersion', op: 'semverGt', values: ['2.3.0'] }, { attribute: 'email', op: 'matches', values: ['^[a-z]+@example\\.com$'] }], serve: { variant: 'large' } },
        ],
      };
    }
    await api('PUT', `/api/v1/flags/${key}/environments/production`, config);
  }
}

/**
 * One autocannon run; checks every response had the expected status.
 * @param {string} url @param {Record<string, string>} headers @param {number} seconds @param {200 | 304} status
 * @param {{ connections?: number, requests?: object[], maxOverallRequests?: number }} [extra]
 */
async function cannon(url, headers, seconds, status, extra = {}) {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: seconds, headers, ...extra });
  const expected = status === 200 ? result['2xx'] : result['3xx'];
  const total = result.requests.total;
  if (result.errors > 0 || result.timeouts > 0 || expected !== total) {
    throw new Error(`${url}: expected only ${status}s, got ${JSON.stringify(result.statusCodeStats)}, ${result.errors} errors, ${result.timeouts} timeouts`);
  }
  return { requests: total, seconds: result.duration };
}

/** @param {(line: string) => void} log */
export async function sdkConfigCases(log) {
  const databaseUrl = process.env.DATABASE_URL || undefined;
  const server = await startServer({ databaseUrl });
  const bare = Fastify({ logger: false });
  try {
    log(`   seeding ${FLAGS} flags (${server.kind})…`);
    await seedFlags(server.api);
    const { secret: sdkKey } = await server.api('POST', '/api/v1/keys', { name: 'bench-sdk', kind: 'sdk-server', environment: 'production' });
    const first = await fetch(`${server.base}/api/v1/sdk/config`, { headers: { authorization: `Bearer ${sdkKey}` } });
    if (first.status !== 200) throw new Error(`sdk config: ${first.status}`);
    const etag = first.headers.get('etag') ?? '';
    const bytes = Buffer.from(await first.arrayBuffer());
    const snapshot = JSON.parse(bytes.toString('utf8'));
    if (snapshot.flags.length !== FLAGS) throw new Error(`sdk config holds ${snapshot.flags.length} flags, expected ${FLAGS}`);

    // The baseline: the same path, headers and bytes, and the same 304 decision, with nothing else.
    bare.get('/api/v1/sdk/config', (request, reply) => {
      void reply.header('cache-control', 'no-cache').header('etag', etag);
      if (request.headers['if-none-match'] === etag) return reply.code(304).send();
      return reply.header('content-type', 'application/json; charset=utf-8').send(bytes);
    });
    await bare.listen({ host: '127.0.0.1', port: 0 });
    const bareAddress = bare.server.address();
    if (bareAddress === null || typeof bareAddress === 'string') throw new Error('no address');
    const bareBase = `http://127.0.0.1:${bareAddress.port}`;

    const auth = { authorization: `Bearer ${sdkKey}` };
    const cases = [
      { id: 'bare-200', url: `${bareBase}/api/v1/sdk/config`, headers: auth, status: /** @type {200} */ (200) },
      { id: 'switchyard-200', url: `${server.base}/api/v1/sdk/config`, headers: auth, status: /** @type {200} */ (200) },
      { id: 'bare-304', url: `${bareBase}/api/v1/sdk/config`, headers: { ...auth, 'if-none-match': etag }, status: /** @type {304} */ (304) },
      { id: 'switchyard-304', url: `${server.base}/api/v1/sdk/config`, headers: { ...auth, 'if-none-match': etag }, status: /** @type {304} */ (304) },
    ];
    for (const c of cases) await cannon(c.url, c.headers, WARMUP_S, c.status);
    /** @type {Record<string, { requests: number, seconds: number }>} */
    const totals = Object.fromEntries(cases.map((c) => [c.id, { requests: 0, seconds: 0 }]));
    /** @type {Record<string, number[]>} */
    const ratios = { 200: [], 304: [] };
    const pairs = [
      [cases[0], cases[1]],
      [cases[2], cases[3]],
    ];
    for (let round = 0; round < HTTP_ROUNDS; round++) {
      for (const pair of pairs) {
        const [bareCase, syCase] = /** @type {[(typeof cases)[number], (typeof cases)[number]]} */ (pair);
        /** @type {Record<string, number>} */
        const rate = {};
        for (const c of round % 2 === 0 ? [bareCase, syCase] : [syCase, bareCase]) {
          const r = await cannon(c.url, c.headers, ROUND_S, c.status);
          const t = /** @type {{ requests: number, seconds: number }} */ (totals[c.id]);
          t.requests += r.requests;
          t.seconds += r.seconds;
          rate[c.id] = r.requests / r.seconds;
        }
        /** @type {number[]} */ (ratios[bareCase.status]).push(/** @type {number} */ (rate[syCase.id]) / /** @type {number} */ (rate[bareCase.id]));
      }
    }
    const rps = (/** @type {string} */ id) => {
      const t = /** @type {{ requests: number, seconds: number }} */ (totals[id]);
      return t.requests / t.seconds;
    };
    const median = (/** @type {number[]} */ xs) => quantile(xs, 0.5);
    return {
      store: server.kind,
      bytes: bytes.length,
      etag,
      rps: { bare200: rps('bare-200'), sy200: rps('switchyard-200'), bare304: rps('bare-304'), sy304: rps('switchyard-304') },
      ratio: { 200: median(/** @type {number[]} */ (ratios[200])), 304: median(/** @type {number[]} */ (ratios[304])) },
      rounds: ratios,
    };
  } finally {
    await bare.close();
    await server.close();
  }
}

/** @param {(line: string) => void} log */
export async function adminWriteCases(log) {
  const databaseUrl = process.env.DATABASE_URL || DEFAULT_POSTGRES;
  const probe = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 3000 });
  try {
    await probe.connect();
  } catch (error) {
    return { skipped: `no Postgres at ${databaseUrl.replace(/:[^:@/]*@/, ':***@')} (${error instanceof Error ? error.message : String(error)})` };
  }
  const bareSchema = `bench_bare_${randomBytes(4).toString('hex')}`;
  const server = await startServer({ databaseUrl });
  try {
    // The baseline writes the same rows into tables laid out like Switchyard's (columns, defaults and
    // indexes copied), so the ratio measures the server, not the cost of indexing an audit log.
    const serverSchema = server.database.schema;
    await probe.query(`CREATE SCHEMA ${bareSchema}`);
    await probe.query(`SET search_path TO ${bareSchema}`);
    await probe.query(`CREATE TABLE counter (LIKE ${serverSchema}.revision_counter INCLUDING ALL)`);
    await probe.query(`CREATE TABLE item (LIKE ${serverSchema}.flag_environments INCLUDING ALL)`);
    await probe.query(`CREATE TABLE audit (LIKE ${serverSchema}.audit_log INCLUDING ALL)`);
    await probe.query("INSERT INTO counter VALUES (1, 0); INSERT INTO item (flag_key, environment, config) VALUES ('flag', 'production', '{}')");

    log('   admin writes on PostgreSQL…');
    await server.api('POST', '/api/v1/flags', { key: 'bench-writes', kind: 'operational', owner: 'bench' });
    const configs = [
      { enabled: true, offVariant: 'false', fallthrough: { variant: 'true' }, rules: [{ id: 'eu', clauses: [{ attribute: 'country', op: 'in', values: ['NL', 'DE'] }], serve: { variant: 'true' } }] },
      { enabled: true, offVariant: 'false', fallthrough: { variant: 'false' }, rules: [{ id: 'eu', clauses: [{ attribute: 'country', op: 'in', values: ['NL', 'FR'] }], serve: { variant: 'true' } }] },
    ];
    const headers = { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' };
    const envUrl = `${server.base}/api/v1/flags/bench-writes/environments/production`;
    let n = 0;
    // One connection, so writes are sequential; autocannon is a far cheaper HTTP client than fetch,
    // whose own CPU cost per request would otherwise be most of what this measures.
    const sequential = (/** @type {string} */ url, /** @type {object[]} */ requests) => async () => {
      const r = await cannon(url, headers, WRITE_SLICE_MS / 1000, 200, { connections: 1, requests, maxOverallRequests: WRITE_SLICE_MAX });
      return r.requests;
    };
    const putSlice = sequential(envUrl, configs.map((c) => ({ method: 'PUT', body: JSON.stringify(c) })));
    const rolloutSlice = sequential(`${envUrl}/rollout`, [5, 10, 25, 50, 75.5].map((percentage) => ({ method: 'POST', body: JSON.stringify({ percentage }) })));
    const bareOnce = async () => {
      const before = JSON.stringify({ version: n, config: configs[n % 2], killed: null });
      const config = JSON.stringify(configs[++n % 2]);
      const after = JSON.stringify({ version: n, config: configs[n % 2], killed: null });
      await probe.query('BEGIN');
      const { rows } = await probe.query('UPDATE counter SET revision = revision + 1 WHERE id = 1 RETURNING revision');
      await probe.query(
        "INSERT INTO audit (revision, actor, action, resource_type, resource_key, environment, before, after, request_id) VALUES ($1, 'bench', 'flag-environment.update', 'flag-environment', 'flag', 'production', $2, $3, 'req-1')",
        [rows[0].revision, before, after],
      );
      await probe.query("UPDATE item SET config = $1, version = version + 1, updated_at = now(), updated_revision = $2 WHERE flag_key = 'flag' AND environment = 'production'", [config, rows[0].revision]);
      await probe.query('COMMIT');
    };
    const bareSlice = async () => {
      const t0 = performance.now();
      let ops = 0;
      while (ops < WRITE_SLICE_MAX && performance.now() - t0 < WRITE_SLICE_MS) {
        await bareOnce();
        ops++;
      }
      return ops;
    };
    const cases = [
      { id: 'bare', slice: bareSlice },
      { id: 'put', slice: putSlice },
      { id: 'rollout', slice: rolloutSlice },
    ];
    /** @type {Record<string, { ops: number, ms: number }>} */
    const totals = Object.fromEntries(cases.map((c) => [c.id, { ops: 0, ms: 0 }]));
    /** @type {{ put: number[], rollout: number[] }} */
    const ratios = { put: [], rollout: [] };
    for (let i = 0; i < 50; i++) await bareOnce();
    await putSlice();
    await rolloutSlice();
    for (let slice = 0; slice < WRITE_SLICES; slice++) {
      // Rotate the order each slice: the disk's commit latency drifts, and must hit every case alike.
      /** @type {Record<string, number>} */
      const rate = {};
      for (let k = 0; k < cases.length; k++) {
        const c = /** @type {(typeof cases)[number]} */ (cases[(slice + k) % cases.length]);
        const t0 = performance.now();
        const ops = await c.slice();
        const ms = performance.now() - t0;
        const t = /** @type {{ ops: number, ms: number }} */ (totals[c.id]);
        t.ops += ops;
        t.ms += ms;
        rate[c.id] = ops / ms;
      }
      ratios.put.push(/** @type {number} */ (rate.put) / /** @type {number} */ (rate.bare));
      ratios.rollout.push(/** @type {number} */ (rate.rollout) / /** @type {number} */ (rate.bare));
    }
    const perSecond = (/** @type {string} */ id) => {
      const t = /** @type {{ ops: number, ms: number }} */ (totals[id]);
      return (t.ops * 1000) / t.ms;
    };
    // Every measured write must have left its audit row (and so its revision).
    const { sql } = await import('kysely');
    const audited = await sql`SELECT count(*)::int AS n FROM audit_log WHERE resource_key = 'bench-writes' AND resource_type = 'flag-environment'`.execute(server.database.db);
    const writesDone = /** @type {{ ops: number }} */ (totals.put).ops + /** @type {{ ops: number }} */ (totals.rollout).ops;
    const auditRows = Number(/** @type {{ n: number }} */ (audited.rows[0]).n);
    if (auditRows < writesDone) throw new Error(`${writesDone} writes but only ${auditRows} audit rows`);
    return {
      bare: perSecond('bare'),
      put: perSecond('put'),
      rollout: perSecond('rollout'),
      ratio: { put: quantile(ratios.put, 0.5), rollout: quantile(ratios.rollout, 0.5) },
      slices: ratios,
      auditRows,
    };
  } finally {
    await probe.query(`DROP SCHEMA IF EXISTS ${bareSchema} CASCADE`).catch(() => undefined);
    await probe.end();
    await server.close();
  }
}

/**
 * @param {{ log: (line: string) => void, options?: Record<string, number> }} context
 * @returns {Promise<{ tables: Table[], targets: Target[], data: unknown }>}
 */
export async function run({ log }) {
  const sdk = await sdkConfigCases(log);
  const writes = await adminWriteCases(log);
  const r200 = sdk.ratio[200];
  const r304 = sdk.ratio[304];

  /** @type {Table[]} */
  const tables = [
    {
      title: `GET /api/v1/sdk/config, ${FLAGS} flags (${fmt(sdk.bytes)} bytes), ${CONNECTIONS} connections, store ${sdk.store}`,
      columns: ['path', 'bare Fastify req/s', 'Switchyard req/s', 'ratio (median of rounds)', 'min–max of rounds'],
      rows: [
        ['200 (full body)', fmt(sdk.rps.bare200), fmt(sdk.rps.sy200), pct(r200), spread(sdk.rounds[200] ?? [])],
        ['304 (If-None-Match)', fmt(sdk.rps.bare304), fmt(sdk.rps.sy304), pct(r304), spread(sdk.rounds[304] ?? [])],
      ],
      notes: [
        `autocannon in the same process as both servers; ${HTTP_ROUNDS} rounds of ${ROUND_S} s per case after ${WARMUP_S} s warm-up, each paired with its baseline (alternating order); the ratio is the median of the rounds' ratios.`,
        'Switchyard adds key authentication, request ids, the revision check and the snapshot cache; the bare route serves fixed bytes.',
      ],
    },
  ];
  /** @type {Target[]} */
  const targets = [
    { name: 'sdk/config 200 vs bare Fastify', pass: r200 >= TARGET_RATIO, detail: `${pct(r200)} (${fmt(sdk.rps.sy200)} vs ${fmt(sdk.rps.bare200)} req/s; target ≥ ${pct(TARGET_RATIO)})` },
    { name: 'sdk/config 304 vs bare Fastify', pass: r304 >= TARGET_RATIO, detail: `${pct(r304)} (${fmt(sdk.rps.sy304)} vs ${fmt(sdk.rps.bare304)} req/s; target ≥ ${pct(TARGET_RATIO)})` },
  ];
  if ('skipped' in writes) {
    tables.push({ title: 'Admin writes per second (sequential)', columns: ['write', 'ops/s'], rows: [], notes: [`skipped: ${writes.skipped}`] });
  } else {
    const rPut = writes.ratio.put;
    const rRollout = writes.ratio.rollout;
    tables.push({
      title: 'Admin writes per second, sequential, PostgreSQL',
      columns: ['write', 'ops/s', 'vs bare (median of slices)', 'min–max of slices'],
      rows: [
        ['bare pg: BEGIN; UPDATE; INSERT; UPDATE; COMMIT (same tables)', fmt(writes.bare), '100%', ''],
        ['PUT .../environments/production (HTTP, 1 connection)', fmt(writes.put), pct(rPut), spread(writes.slices.put)],
        ['POST .../rollout (HTTP, 1 connection)', fmt(writes.rollout), pct(rRollout), spread(writes.slices.rollout)],
      ],
      notes: [
        `${WRITE_SLICES} interleaved slices of ${WRITE_SLICE_MS} ms per case; each API write is validated, versioned, audited and takes a revision in one transaction.`,
        'The bare transaction writes the same rows into copies of the server\'s tables (same columns and indexes), with no HTTP, no validation and no locks.',
        'Commit latency (WAL flush) dominates both sides, so the ratio depends on the disk as much as on the server.',
      ],
    });
    targets.push({ name: 'PUT env config vs bare transaction', pass: rPut >= TARGET_RATIO, detail: `${pct(rPut)} (${fmt(writes.put)} vs ${fmt(writes.bare)} ops/s; target ≥ ${pct(TARGET_RATIO)})` });
    targets.push({ name: 'rollout vs bare transaction', pass: rRollout >= TARGET_RATIO, detail: `${pct(rRollout)} (${fmt(writes.rollout)} vs ${fmt(writes.bare)} ops/s; target ≥ ${pct(TARGET_RATIO)})` });
  }
  return { tables, targets, data: { sdk, writes, targets: { ratio: TARGET_RATIO } } };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await run({ log: (line) => console.log(line) });
  for (const table of result.tables) {
    console.log(`\n${table.title}`);
    for (const row of table.rows) console.log(`  ${row.join(' | ')}`);
    for (const note of table.notes ?? []) console.log(`  ${note}`);
  }
  for (const t of result.targets) console.log(`${t.pass ? 'PASS' : 'MISS'}  ${t.name}: ${t.detail}`);
  process.exit(0);
}
