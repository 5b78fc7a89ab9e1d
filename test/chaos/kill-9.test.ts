import { randomBytes } from 'node:crypto';
import { connectDatabase, type DatabaseHandle } from '@switchyard/server';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestPostgres } from '../helpers/postgres.js';
import { http, startServer, type ServerProcess } from '../helpers/processes.js';

// kill -9 of a server under a steady write load: every write that got a 2xx is in the database and
// in the audit log after a restart, and no write is half-applied (state without its audit row, an
// audit row without its state, a revision counter behind the audit log).
const ENV = 'production';
const BASE_FLAGS = Array.from({ length: 8 }, (_, i) => `k9-base-${i}`);
const WORKERS = 6;
// The kill comes once this many writes were acknowledged (at least MIN_LOAD_MS in, at most MAX_LOAD_MS).
const TARGET_ACKS = 150;
const MIN_LOAD_MS = 1000;
const MAX_LOAD_MS = 8000;
const adminToken = `sya_chaos_${randomBytes(18).toString('base64url')}`;
let pg: TestPostgres;
let database: DatabaseHandle | undefined;
const servers: ServerProcess[] = [];

beforeAll(async () => {
  pg = await TestPostgres.start();
});

afterAll(async () => {
  for (const s of servers) await s.kill();
  await database?.close();
  await pg?.destroy();
});

async function server(): Promise<ServerProcess> {
  // No write limit: the load is the point.
  const s = await startServer({ env: { DATABASE_URL: pg.url(), SWITCHYARD_ADMIN_TOKEN: adminToken, RATE_LIMIT_WRITES_PER_MINUTE: '0' } });
  servers.push(s);
  await s.ready();
  return s;
}

interface Write {
  readonly id: string;
  readonly kind: 'create' | 'update';
  readonly flag: string;
  status: number;
  revision?: number;
}

describe('kill -9 under write load', () => {
  it('keeps every acknowledged write, with its audit row, and half-applies none', async () => {
    const first = await server();
    for (const key of BASE_FLAGS) expect((await http(`${first.url}/api/v1/flags`, { method: 'POST', token: adminToken, body: { key, kind: 'operational', owner: 'sre' } })).status).toBe(201);

    const writes: Write[] = [];
    let seq = 0;
    let killed = false;
    const worker = async (): Promise<void> => {
      // Bounded: the load stops at the kill, and never runs past 20 s.
      const deadline = Date.now() + 20_000;
      while (!killed && Date.now() < deadline) {
        const n = seq++;
        const id = `k9-${n}`;
        const create = n % 3 === 0;
        const flag = create ? `k9-new-${n}` : (BASE_FLAGS[n % BASE_FLAGS.length] as string);
        const write: Write = { id, kind: create ? 'create' : 'update', flag, status: -1 };
        writes.push(write);
        const res = create
          ? await http(`${first.url}/api/v1/flags`, { method: 'POST', token: adminToken, headers: { 'x-request-id': id }, body: { key: flag, kind: 'operational', owner: 'sre', description: id }, timeoutMs: 5000 })
          : await http(`${first.url}/api/v1/flags/${flag}/environments/${ENV}`, {
              method: 'PUT',
              token: adminToken,
              headers: { 'x-request-id': id },
              body: { enabled: true, offVariant: 'false', targets: [{ variant: 'true', values: [id] }], fallthrough: { variant: 'false' } },
              timeoutMs: 5000,
            });
        write.status = res.status;
        const revision = (res.body as { revision?: unknown } | undefined)?.revision;
        if (typeof revision === 'number') write.revision = revision;
      }
    };
    const load = Array.from({ length: WORKERS }, () => worker());
    const loadStarted = Date.now();
    const ackedSoFar = () => writes.filter((w) => w.status >= 200 && w.status < 300).length;
    while (Date.now() - loadStarted < MAX_LOAD_MS && (Date.now() - loadStarted < MIN_LOAD_MS || ackedSoFar() < TARGET_ACKS)) await new Promise((r) => setTimeout(r, 20));
    const loadMs = Date.now() - loadStarted;
    first.child.kill('SIGKILL');
    killed = true;
    const exit = await first.exited;
    expect(exit.signal).toBe('SIGKILL');
    await Promise.all(load);

    const acked = writes.filter((w) => w.status >= 200 && w.status < 300);
    const failedOther = writes.filter((w) => w.status > 0 && (w.status < 200 || w.status >= 300));
    const inFlight = writes.filter((w) => w.status === 0);
    expect(acked.length).toBeGreaterThanOrEqual(10);
    expect(failedOther, JSON.stringify(failedOther.slice(0, 3))).toEqual([]);
    for (const w of acked) expect(w.revision, w.id).toEqual(expect.any(Number));

    // Restart on the same database, then read what survived, directly.
    const second = await server();
    database = await connectDatabase({ databaseUrl: pg.url(), poolSize: 2 });
    const db = database.db;
    const audit = await db.selectFrom('audit_log').select(['request_id', 'revision', 'action', 'resource_key', 'environment', 'after']).where('request_id', 'like', 'k9-%').execute();
    const auditById = new Map(audit.map((a) => [a.request_id, a]));
    const flagKeys = new Set((await db.selectFrom('flags').select('key').where('key', 'like', 'k9-new-%').execute()).map((r) => r.key));

    // 1. Every acknowledged write is there, at the revision it was acknowledged with.
    const missing = acked.filter((w) => auditById.get(w.id) === undefined || Number(auditById.get(w.id)?.revision) !== w.revision || (w.kind === 'create' && !flagKeys.has(w.flag)));
    expect(missing.map((w) => w.id)).toEqual([]);

    // 2. No audit row without its state, no state without its audit row (creates).
    const createdAudit = new Set(audit.filter((a) => a.action === 'flag.create').map((a) => a.resource_key));
    expect([...createdAudit].filter((k) => !flagKeys.has(k))).toEqual([]);
    expect([...flagKeys].filter((k) => !createdAudit.has(k))).toEqual([]);

    // 3. Each base flag's config is the one its latest audited update wrote, at that revision.
    for (const key of BASE_FLAGS) {
      const updates = audit.filter((a) => a.resource_key === key && a.action === 'flag-environment.update').sort((a, b) => Number(b.revision) - Number(a.revision));
      const row = await db.selectFrom('flag_environments').select(['config', 'updated_revision']).where('flag_key', '=', key).where('environment', '=', ENV).executeTakeFirstOrThrow();
      const latest = updates[0];
      if (latest === undefined) continue;
      const config = (typeof row.config === 'string' ? JSON.parse(row.config) : row.config) as { targets: { values: string[] }[] };
      expect(config.targets[0]?.values, key).toEqual([latest.request_id]);
      expect(Number(row.updated_revision), key).toBe(Number(latest.revision));
    }

    // 4. The revision counter is not behind the audit log, and revisions were handed out once each.
    const { rows } = await sql<{ counter: string; max: string; rows: string; distinct: string }>`
      SELECT (SELECT revision FROM revision_counter WHERE id = 1) AS counter, max(revision) AS max, count(*) AS rows, count(DISTINCT revision) AS distinct FROM audit_log`.execute(db);
    const totals = rows[0];
    expect(Number(totals?.counter)).toBe(Number(totals?.max));
    expect(Number(totals?.distinct)).toBe(Number(totals?.rows));

    // The restarted server serves the surviving state.
    const lastAcked = [...acked].filter((w) => w.kind === 'create').pop();
    if (lastAcked !== undefined) expect((await http(`${second.url}/api/v1/flags/${lastAcked.flag}`, { token: adminToken })).status).toBe(200);
    const appliedInFlight = inFlight.filter((w) => auditById.has(w.id)).length;
    console.log(
      `kill -9 after ${loadMs} ms of load from ${WORKERS} writers: ${writes.length} writes sent, ${acked.length} acknowledged (2xx), ${acked.length - missing.length} of them present with their audit row; ` +
        `${inFlight.length} in flight at the kill: ${appliedInFlight} committed whole, ${inFlight.length - appliedInFlight} not at all; half-applied: 0`,
    );
  });
});
