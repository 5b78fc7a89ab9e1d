import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentRevision } from '../../db/revision.js';
import type { Change } from '../../plugins/changes.js';
import { createTestServer, type TestServer } from '../../../../test/helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await createTestServer();
});
afterAll(async () => server.close());

interface SegmentBody {
  segment: { key: string; name: string; description: string; included: string[]; excluded: string[]; rules: unknown[]; version: number; createdAt: string; updatedAt: string };
}
interface ErrorBody {
  error: { code: string; message: string; details: { path: string; message: string }[] };
}

const internal = { key: 'internal-users', name: 'Internal users', rules: [{ clauses: [{ attribute: 'email', op: 'endsWith', values: ['@acme.io'] }] }] };
const inSegment = (...keys: string[]) => [{ clauses: [{ attribute: 'key', op: 'inSegment', values: keys }] }];

async function create(body: Record<string, unknown>): Promise<SegmentBody['segment']> {
  const res = await server.api('POST', '/api/v1/segments', body);
  if (res.statusCode !== 201) throw new Error(`create failed: ${res.statusCode} ${res.body}`);
  return (res.json() as SegmentBody).segment;
}

async function auditOf(key: string) {
  return server.database.db.selectFrom('audit_log').selectAll().where('resource_type', '=', 'segment').where('resource_key', '=', key).orderBy('id').execute();
}

describe('POST /api/v1/segments', () => {
  it('creates a segment with defaults, answers 201 with its version, and audits it in the same revision', async () => {
    const revisionBefore = await currentRevision(server.database.db);
    const res = await server.api('POST', '/api/v1/segments', internal, { headers: { 'x-switchyard-incident': 'INC-1' } });
    expect(res.statusCode).toBe(201);
    expect(res.headers.etag).toBe('"1"');
    const { segment } = res.json() as SegmentBody;
    expect(segment).toMatchObject({ key: 'internal-users', name: 'Internal users', description: '', included: [], excluded: [], rules: internal.rules, version: 1 });
    expect(new Date(segment.createdAt).toISOString()).toBe(segment.createdAt);

    const revision = await currentRevision(server.database.db);
    expect(revision).toBe(revisionBefore + 1);
    const audit = await auditOf('internal-users');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: 'segment.create', actor: 'bootstrap-admin', environment: null, before: null, incident_id: 'INC-1', request_id: expect.any(String) });
    expect(Number(audit[0]?.revision)).toBe(revision);
    expect(audit[0]?.after).toMatchObject({ key: 'internal-users', version: 1 });
  });

  it('answers 409 ALREADY_EXISTS for a taken key, without using a revision', async () => {
    await create({ key: 'dup', name: 'Dup' });
    const revision = await currentRevision(server.database.db);
    const res = await server.api('POST', '/api/v1/segments', { key: 'dup', name: 'Again' });
    expect(res.statusCode).toBe(409);
    expect((res.json() as ErrorBody).error).toMatchObject({ code: 'ALREADY_EXISTS', details: [{ path: 'key' }] });
    expect(await currentRevision(server.database.db)).toBe(revision);
    expect(await auditOf('dup')).toHaveLength(1);
  });

  it('validates the body and clause values, naming the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ key: 'Bad Key', name: 'x' }, 'key'],
      [{ key: 'ok', name: '' }, 'name'],
      [{ key: 'ok', name: 'x', colour: 'red' }, ''],
      [{ key: 'ok', name: 'x', rules: inSegment('no-such-segment') }, 'rules[0].clauses[0].values[0]'],
      [{ key: 'ok', name: 'x', rules: [{ clauses: [{ attribute: 'v', op: 'semverGt', values: ['1.x'] }] }] }, 'rules[0].clauses[0].values[0]'],
      [{ key: 'ok', name: 'x', rules: [{ clauses: [] }] }, 'rules[0].clauses'],
    ];
    for (const [body, path] of cases) {
      const res = await server.api('POST', '/api/v1/segments', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      const error = (res.json() as ErrorBody).error;
      expect(error.code).toBe('VALIDATION_FAILED');
      expect(error.details[0]?.path).toBe(path);
    }
    expect((await server.api('GET', '/api/v1/segments/ok')).statusCode).toBe(404);
  });

  it('accepts references to existing segments and rejects a segment that includes itself', async () => {
    await create({ key: 'beta', name: 'Beta', included: ['user-1'] });
    const ok = await server.api('POST', '/api/v1/segments', { key: 'beta-plus', name: 'Beta+', rules: inSegment('beta') });
    expect(ok.statusCode).toBe(201);
    const self = await server.api('POST', '/api/v1/segments', { key: 'selfish', name: 'Self', rules: inSegment('selfish') });
    expect(self.statusCode).toBe(400);
    expect((self.json() as ErrorBody).error.details).toEqual([{ path: 'rules', message: 'segment cycle: selfish → selfish' }]);
  });
});

describe('GET /api/v1/segments', () => {
  it('lists segments by key and reads one with its version as ETag', async () => {
    await create({ key: 'zz-last', name: 'Last' });
    const list = await server.api('GET', '/api/v1/segments');
    expect(list.statusCode).toBe(200);
    const keys = (list.json() as { segments: { key: string }[] }).segments.map((s) => s.key);
    expect(keys).toContain('zz-last');
    expect(keys).toEqual([...keys].sort());
    const one = await server.api('GET', '/api/v1/segments/zz-last');
    expect(one.headers.etag).toBe('"1"');
    expect((one.json() as SegmentBody).segment.name).toBe('Last');
  });

  it('answers 404 SEGMENT_NOT_FOUND for an unknown key and 400 for a malformed one', async () => {
    const res = await server.api('GET', '/api/v1/segments/nope');
    expect(res.statusCode).toBe(404);
    expect((res.json() as ErrorBody).error.code).toBe('SEGMENT_NOT_FOUND');
    const bad = await server.api('GET', '/api/v1/segments/NOPE');
    expect(bad.statusCode).toBe(400);
    expect((bad.json() as ErrorBody).error.details[0]?.path).toBe('params.key');
  });
});

describe('PUT /api/v1/segments/:key', () => {
  it('replaces the whole segment (omitted fields reset to defaults), bumps the version and audits before → after', async () => {
    await create({ key: 'replace-me', name: 'Old', description: 'old text', included: ['a', 'b'], rules: internal.rules });
    const res = await server.api('PUT', '/api/v1/segments/replace-me', { name: 'New', excluded: ['c'] });
    expect(res.statusCode).toBe(200);
    expect(res.headers.etag).toBe('"2"');
    const { segment } = res.json() as SegmentBody;
    expect(segment).toMatchObject({ key: 'replace-me', name: 'New', description: '', included: [], excluded: ['c'], rules: [], version: 2 });
    const audit = await auditOf('replace-me');
    expect(audit.map((a) => a.action)).toEqual(['segment.create', 'segment.update']);
    expect(audit[1]?.before).toMatchObject({ name: 'Old', included: ['a', 'b'], version: 1 });
    expect(audit[1]?.after).toMatchObject({ name: 'New', excluded: ['c'], version: 2 });
    expect(Number(audit[1]?.revision)).toBe(await currentRevision(server.database.db));
  });

  it('honours If-Match: the current version succeeds, a stale one is 409 VERSION_CONFLICT, none is unconditional', async () => {
    await create({ key: 'versioned', name: 'v1' });
    const current = await server.api('PUT', '/api/v1/segments/versioned', { name: 'v2' }, { headers: { 'if-match': '"1"' } });
    expect(current.statusCode).toBe(200);
    const stale = await server.api('PUT', '/api/v1/segments/versioned', { name: 'lost update' }, { headers: { 'if-match': '1' } });
    expect(stale.statusCode).toBe(409);
    expect((stale.json() as ErrorBody).error).toMatchObject({ code: 'VERSION_CONFLICT', details: [{ path: 'If-Match', currentVersion: 2 }] });
    const malformed = await server.api('PUT', '/api/v1/segments/versioned', { name: 'x' }, { headers: { 'if-match': 'yesterday' } });
    expect(malformed.statusCode).toBe(400);
    const unconditional = await server.api('PUT', '/api/v1/segments/versioned', { name: 'v3' });
    expect((unconditional.json() as SegmentBody).segment).toMatchObject({ name: 'v3', version: 3 });
    expect((await auditOf('versioned')).map((a) => a.action)).toEqual(['segment.create', 'segment.update', 'segment.update']);
  });

  it('lets exactly one of two concurrent writers with the same If-Match win', async () => {
    await create({ key: 'contended', name: 'v1' });
    const results = await Promise.all(['left', 'right'].map((name) => server.api('PUT', '/api/v1/segments/contended', { name }, { headers: { 'if-match': '"1"' } })));
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    const winner = results.find((r) => r.statusCode === 200)?.json() as SegmentBody;
    expect((await server.api('GET', '/api/v1/segments/contended')).json()).toMatchObject({ segment: { name: winner.segment.name, version: 2 } });
  });

  it('rejects an inSegment cycle through other segments with 400 naming rules', async () => {
    await create({ key: 'cyc-a', name: 'A' });
    await create({ key: 'cyc-b', name: 'B', rules: inSegment('cyc-a') });
    await create({ key: 'cyc-c', name: 'C', rules: inSegment('cyc-b') });
    const revision = await currentRevision(server.database.db);
    const res = await server.api('PUT', '/api/v1/segments/cyc-a', { name: 'A', rules: inSegment('cyc-c') });
    expect(res.statusCode).toBe(400);
    const error = (res.json() as ErrorBody).error;
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details).toEqual([{ path: 'rules', message: 'segment cycle: cyc-a → cyc-c → cyc-b → cyc-a' }]);
    expect(await currentRevision(server.database.db)).toBe(revision);
    expect((await server.api('GET', '/api/v1/segments/cyc-a')).json()).toMatchObject({ segment: { rules: [], version: 1 } });
  });

  it('lets only one of two concurrent writes that would each close half of a cycle through', async () => {
    await create({ key: 'race-a', name: 'A' });
    await create({ key: 'race-b', name: 'B' });
    const [a, b] = await Promise.all([
      server.api('PUT', '/api/v1/segments/race-a', { name: 'A', rules: inSegment('race-b') }),
      server.api('PUT', '/api/v1/segments/race-b', { name: 'B', rules: inSegment('race-a') }),
    ]);
    expect([a?.statusCode, b?.statusCode].sort()).toEqual([200, 400]);
  });

  it('answers 404 for an unknown segment (PUT does not create) and 400 when the body names another key', async () => {
    const missing = await server.api('PUT', '/api/v1/segments/ghost', { name: 'Ghost' });
    expect(missing.statusCode).toBe(404);
    expect((missing.json() as ErrorBody).error.code).toBe('SEGMENT_NOT_FOUND');
    await create({ key: 'keyed', name: 'Keyed' });
    const renamed = await server.api('PUT', '/api/v1/segments/keyed', { key: 'other', name: 'Keyed' });
    expect(renamed.statusCode).toBe(400);
    expect((renamed.json() as ErrorBody).error.details[0]?.path).toBe('key');
    const same = await server.api('PUT', '/api/v1/segments/keyed', { key: 'keyed', name: 'Keyed again' });
    expect(same.statusCode).toBe(200);
  });

  it('treats re-sending the same content as a no-op: same version, no revision, no audit row', async () => {
    const body = { name: 'Stable', description: 'd', included: ['x'], excluded: [], rules: [{ clauses: [{ attribute: 'plan', op: 'in', values: ['pro', 'team'], negate: false }] }] };
    await create({ key: 'stable', ...body });
    const revision = await currentRevision(server.database.db);
    const res = await server.api('PUT', '/api/v1/segments/stable', body);
    expect(res.statusCode).toBe(200);
    expect((res.json() as SegmentBody).segment.version).toBe(1);
    expect(await currentRevision(server.database.db)).toBe(revision);
    expect(await auditOf('stable')).toHaveLength(1);
  });

  it('has no DELETE: segments may be referenced by flags', async () => {
    await create({ key: 'kept', name: 'Kept' });
    const res = await server.api('DELETE', '/api/v1/segments/kept');
    expect(res.statusCode).toBe(404);
    expect((res.json() as ErrorBody).error.code).toBe('ROUTE_NOT_FOUND');
  });
});

describe('change notifications', () => {
  it('publishes each committed write once, for all environments, with its revision; nothing for refused or no-op writes', async () => {
    const seen: Change[] = [];
    const unsubscribe = server.app.services.notifier.subscribe((change) => seen.push(change));
    try {
      const created = await create({ key: 'notified', name: 'N' });
      await server.api('POST', '/api/v1/segments', { key: 'notified', name: 'again' });
      await server.api('PUT', '/api/v1/segments/notified', { name: 'N' });
      await server.api('PUT', '/api/v1/segments/notified', { name: 'N2' }, { headers: { 'if-match': '"7"' } });
      await server.api('PUT', '/api/v1/segments/notified', { name: 'N2', rules: inSegment('notified') });
      await server.api('PUT', '/api/v1/segments/notified', { name: 'N2' });
      const revisions = (await auditOf('notified')).map((a) => Number(a.revision));
      expect(revisions).toHaveLength(2); // the create and the last PUT
      expect(seen.filter((c) => c.kind === 'segment')).toEqual(revisions.map((revision) => ({ revision, environments: 'all', kind: 'segment', keys: ['notified'] })));
      expect(created.version).toBe(1);
    } finally {
      unsubscribe();
    }
  });
});

describe('segment permissions', () => {
  it('lets readers and responders read but not write; writers write', async () => {
    const reader = await server.createKey('reader');
    const responder = await server.createKey('responder');
    const writer = await server.createKey('writer');
    const sdk = await server.createKey('sdk-server', 'production');
    expect((await server.api('GET', '/api/v1/segments', undefined, { token: reader })).statusCode).toBe(200);
    expect((await server.api('GET', '/api/v1/segments/internal-users', undefined, { token: responder })).statusCode).toBe(200);
    expect((await server.api('GET', '/api/v1/segments', undefined, { token: sdk })).statusCode).toBe(403);
    expect((await server.api('POST', '/api/v1/segments', { key: 'by-reader', name: 'x' }, { token: reader })).statusCode).toBe(403);
    expect((await server.api('PUT', '/api/v1/segments/internal-users', { name: 'x' }, { token: responder })).statusCode).toBe(403);
    expect((await server.api('POST', '/api/v1/segments', { key: 'by-writer', name: 'x' }, { token: writer })).statusCode).toBe(201);
    expect((await server.api('GET', '/api/v1/segments', undefined, { token: null })).statusCode).toBe(401);
    const audit = await auditOf('by-writer');
    expect(audit[0]?.actor).toMatch(/^writer-/);
  });
});
