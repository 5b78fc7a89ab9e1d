import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentRevision, nextRevision } from '../../db/revision.js';
import { createTestServer, type TestServer } from '../../../../test/helpers/server.js';
import { writeAudit, type AuditRecord } from './audit.store.js';

let server: TestServer;
beforeAll(async () => {
  server = await createTestServer();
});
afterAll(async () => server.close());

interface Page {
  entries: AuditRecord[];
  nextBefore: number | null;
}
interface ErrorBody {
  error: { code: string; details: { path: string; message: string }[] };
}

async function audit(query: string, token?: string): Promise<Page> {
  const res = await server.api('GET', `/api/v1/audit${query}`, undefined, token === undefined ? {} : { token });
  if (res.statusCode !== 200) throw new Error(`GET /api/v1/audit${query}: ${res.statusCode} ${res.body}`);
  return res.json() as Page;
}

async function badQuery(query: string): Promise<ErrorBody['error']> {
  const res = await server.api('GET', `/api/v1/audit${query}`);
  expect(res.statusCode, query).toBe(400);
  return (res.json() as ErrorBody).error;
}

/** A key whose name is known, so its changes can be found by actor. */
async function namedKey(name: string, kind: string): Promise<string> {
  const res = await server.api('POST', '/api/v1/keys', { name, kind });
  expect(res.statusCode).toBe(201);
  return (res.json() as { secret: string }).secret;
}

describe('GET /api/v1/audit', () => {
  it('lists changes made through the API newest first, with who, when, why and before → after', async () => {
    const writer = await namedKey('release-bot', 'writer');
    expect((await server.api('POST', '/api/v1/environments', { key: 'qa', name: 'QA' })).statusCode).toBe(201);
    const headers = { 'x-switchyard-incident': 'INC-4711', 'x-switchyard-deploy': 'deploy-99', 'x-request-id': 'req-abc' };
    expect((await server.api('POST', '/api/v1/segments', { key: 'beta', name: 'Beta' }, { token: writer })).statusCode).toBe(201);
    expect((await server.api('PUT', '/api/v1/segments/beta', { name: 'Beta testers' }, { token: writer, headers })).statusCode).toBe(200);

    const { entries } = await audit('?limit=3');
    expect(entries.map((e) => e.action)).toEqual(['segment.update', 'segment.create', 'environment.create']);
    expect(entries[0]!.id).toBeGreaterThan(entries[1]!.id);
    const update = entries[0]!;
    expect(Object.keys(update).sort()).toEqual(
      ['id', 'revision', 'at', 'actor', 'action', 'resourceType', 'resourceKey', 'environment', 'reason', 'before', 'after', 'requestId', 'incidentId', 'deployId', 'propagation'].sort(),
    );
    expect(update).toMatchObject({
      revision: await currentRevision(server.database.db),
      actor: 'release-bot',
      resourceType: 'segment',
      resourceKey: 'beta',
      environment: null,
      reason: null,
      before: { name: 'Beta', version: 1 },
      after: { name: 'Beta testers', version: 2 },
      requestId: 'req-abc',
      incidentId: 'INC-4711',
      deployId: 'deploy-99',
      propagation: null,
    });
    expect(new Date(update.at).toISOString()).toBe(update.at);
    expect(Math.abs(Date.parse(update.at) - Date.now())).toBeLessThan(60_000);
    expect(entries[1]).toMatchObject({ before: null, after: { name: 'Beta' }, actor: 'release-bot' });
    expect(entries[2]).toMatchObject({ resourceType: 'environment', resourceKey: 'qa', environment: 'qa', actor: 'bootstrap-admin' });
  });

  it('filters by resource, resource type, environment, actor and action', async () => {
    await server.createKey('sdk-server', 'qa');
    expect((await audit('?resource=beta')).entries.map((e) => e.action)).toEqual(['segment.update', 'segment.create']);
    expect((await audit('?resourceType=environment')).entries.map((e) => e.resourceKey)).toEqual(['qa']);
    expect((await audit('?env=qa')).entries.map((e) => e.action)).toEqual(['key.create', 'environment.create']);
    expect((await audit('?actor=release-bot')).entries.map((e) => e.action)).toEqual(['segment.update', 'segment.create']);
    expect((await audit('?action=segment.create&actor=release-bot')).entries.map((e) => e.resourceKey)).toEqual(['beta']);
    expect((await audit('?actor=nobody')).entries).toEqual([]);
  });

  it('filters by flag: the flag and its environment configs, not a segment of the same name', async () => {
    const actor = { name: 'flag-engineer', keyId: null };
    await server.database.db.transaction().execute(async (trx) => {
      const revision = await nextRevision(trx);
      await writeAudit(trx, [
        { revision, actor, action: 'flag.create', resourceType: 'flag', resourceKey: 'new-checkout', after: { key: 'new-checkout' } },
        { revision, actor, action: 'flag-environment.kill', resourceType: 'flag-environment', resourceKey: 'new-checkout', environment: 'production', reason: 'INC-1' },
        { revision, actor, action: 'flag.create', resourceType: 'flag', resourceKey: 'other-flag' },
      ]);
    });
    expect((await server.api('POST', '/api/v1/segments', { key: 'new-checkout', name: 'same name' })).statusCode).toBe(201);

    const byFlag = await audit('?flag=new-checkout');
    expect(byFlag.entries.map((e) => [e.action, e.resourceType])).toEqual([
      ['flag-environment.kill', 'flag-environment'],
      ['flag.create', 'flag'],
    ]);
    expect(byFlag.entries[0]).toMatchObject({ environment: 'production', reason: 'INC-1', before: null, after: null });
    expect((await audit('?flag=new-checkout&env=production')).entries.map((e) => e.action)).toEqual(['flag-environment.kill']);
    expect((await audit('?resource=new-checkout')).entries.map((e) => e.resourceType)).toEqual(['segment', 'flag-environment', 'flag']);
  });

  it('filters by time: since inclusive, until exclusive, with zone offsets', async () => {
    const at = ['2001-01-01T00:00:00Z', '2001-01-02T00:00:00Z', '2001-01-03T00:00:00Z'];
    await server.database.db
      .insertInto('audit_log')
      .values(at.map((t, i) => ({ revision: 0, at: t, actor: 'time-traveller', action: `old.${i}`, resource_type: 'flag', resource_key: 'old' })))
      .execute();
    const actions = async (query: string) => (await audit(`?actor=time-traveller${query}`)).entries.map((e) => e.action);
    expect(await actions('')).toEqual(['old.2', 'old.1', 'old.0']);
    expect(await actions('&since=2001-01-02T00:00:00Z')).toEqual(['old.2', 'old.1']);
    expect(await actions('&until=2001-01-02T00:00:00Z')).toEqual(['old.0']);
    expect(await actions('&since=2001-01-01&until=2001-01-03')).toEqual(['old.1', 'old.0']);
    // 2001-01-02T01:00+02:00 is 2001-01-01T23:00Z; the "+" must be percent-encoded in a query string.
    expect(await actions('&since=2001-01-02T01:00:00%2B02:00')).toEqual(['old.2', 'old.1']);
    expect((await audit('?since=2001-01-04T00:00:00Z&actor=time-traveller')).entries).toEqual([]);
    const recent = await audit(`?since=${encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString())}`);
    expect(recent.entries.some((e) => e.actor === 'time-traveller')).toBe(false);
    expect(recent.entries.length).toBeGreaterThan(0);
  });

  it('pages newest first by id: before=<id> continues where nextBefore points, until null', async () => {
    const pager = await namedKey('pager', 'writer');
    for (let i = 0; i < 7; i++) {
      expect((await server.api('POST', '/api/v1/segments', { key: `page-${i}`, name: `Page ${i}` }, { token: pager })).statusCode).toBe(201);
    }
    const seen: string[] = [];
    let before: number | null = null;
    const pages: number[] = [];
    do {
      const page: Page = await audit(`?actor=pager&limit=3${before === null ? '' : `&before=${before}`}`);
      pages.push(page.entries.length);
      seen.push(...page.entries.map((e) => e.resourceKey));
      before = page.nextBefore;
    } while (before !== null);
    expect(pages).toEqual([3, 3, 1]);
    expect(seen).toEqual(['page-6', 'page-5', 'page-4', 'page-3', 'page-2', 'page-1', 'page-0']);
    // A last page that is exactly full says so: no empty page to fetch.
    const full = await audit('?actor=pager&limit=7');
    expect(full.entries).toHaveLength(7);
    expect(full.nextBefore).toBeNull();
    const first = await audit('?actor=pager&limit=6');
    expect(first.nextBefore).toBe(first.entries[5]!.id);
  });

  it('returns 50 entries by default and at most 500', async () => {
    await server.database.db
      .insertInto('audit_log')
      .values(Array.from({ length: 60 }, (_, i) => ({ revision: 0, actor: 'bulk', action: 'bulk.write', resource_type: 'flag', resource_key: `bulk-${i}` })))
      .execute();
    const page = await audit('?actor=bulk');
    expect(page.entries).toHaveLength(50);
    expect(page.nextBefore).toBe(page.entries[49]!.id);
    expect((await audit('?actor=bulk&limit=500')).entries).toHaveLength(60);
  });

  it('rejects bad query parameters with 400 naming the parameter', async () => {
    const cases: [string, string][] = [
      ['?since=yesterday', 'query.since'],
      ['?until=2026-13-01T00:00:00Z', 'query.until'],
      ['?since=2026-01-02&until=2026-01-01', 'query.until'],
      ['?limit=0', 'query.limit'],
      ['?limit=501', 'query.limit'],
      ['?limit=ten', 'query.limit'],
      ['?before=-5', 'query.before'],
      ['?before=1.5', 'query.before'],
      ['?env=', 'query.env'],
      ['?resourceType=FLAG', 'query.resourceType'],
      ['?flag=a&flag=b', 'query.flag'],
    ];
    for (const [query, path] of cases) {
      const error = await badQuery(query);
      expect(error.code, query).toBe('VALIDATION_FAILED');
      expect(error.details[0]?.path, query).toBe(path);
    }
    const unknown = await badQuery('?flags=new-checkout');
    expect(unknown.details[0]?.message).toMatch(/flags/);
  });

  it('needs read permission; only admin keys see the audit trail of API keys', async () => {
    const reader = await server.createKey('reader');
    const sdk = await server.createKey('sdk-client', 'production');
    expect((await server.api('GET', '/api/v1/audit', undefined, { token: null })).statusCode).toBe(401);
    expect((await server.api('GET', '/api/v1/audit', undefined, { token: sdk })).statusCode).toBe(403);
    const asReader = await audit('?limit=500', reader);
    expect(asReader.entries.length).toBeGreaterThan(0);
    expect(asReader.entries.some((e) => e.resourceType === 'key')).toBe(false);
    expect((await audit('?resourceType=key', reader)).entries).toEqual([]);
    expect((await audit('?resourceType=key')).entries.length).toBeGreaterThan(0);
  });
});
