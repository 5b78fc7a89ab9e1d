import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditCount, createFlag, DAY_MS, errorOf, manualClock, putConfig, revisionOf } from '../../../../test/helpers/flags.js';
import { createTestServer, type TestServer } from '../../../../test/helpers/server.js';

const clock = manualClock('2026-03-01T12:00:00Z');
let server: TestServer;
beforeAll(async () => {
  server = await createTestServer({ clock });
});
afterAll(async () => server.close());

interface FlagBody {
  key: string;
  name: string;
  kind: string;
  owner: string;
  expiresAt: string | null;
  tags: string[];
  clientSide: boolean;
  variants: { key: string; value: unknown }[];
  version: number;
  archivedAt: string | null;
  environments: Record<string, { enabled: boolean; state: string; version: number; rolloutPercentage?: number; fallthroughVariant?: string; updatedRevision: number; config?: Record<string, unknown> }>;
  staleReasons?: string[];
  fullyRolledOutIn?: string[];
}

const flagOf = (body: string): FlagBody => (JSON.parse(body) as { flag: FlagBody }).flag;
const listOf = async (query = ''): Promise<FlagBody[]> => {
  const res = await server.api('GET', `/api/v1/flags${query}`);
  expect(res.statusCode, res.body).toBe(200);
  return (res.json() as { flags: FlagBody[] }).flags;
};

describe('creating flags', () => {
  it('creates a flag with an off default config in every environment, audited, at a new revision', async () => {
    const before = await revisionOf(server);
    const res = await server.api('POST', '/api/v1/flags', { key: 'new-checkout', kind: 'release', owner: 'team-checkout', expiresAt: '2026-06-30T00:00:00Z', tags: ['checkout', 'q2'] });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.headers.location).toBe('/api/v1/flags/new-checkout');
    expect(res.headers.etag).toBe('"1"');
    const body = res.json() as { flag: FlagBody; revision: number };
    expect(body.revision).toBe(before + 1);
    expect(body.flag).toMatchObject({
      key: 'new-checkout',
      name: 'new-checkout',
      kind: 'release',
      owner: 'team-checkout',
      expiresAt: '2026-06-30T00:00:00.000Z',
      tags: ['checkout', 'q2'],
      clientSide: false,
      variants: [
        { key: 'true', value: true },
        { key: 'false', value: false },
      ],
      version: 1,
      archivedAt: null,
    });
    expect(Object.keys(body.flag.environments)).toEqual(['development', 'staging', 'production']);
    expect(body.flag.environments.production).toMatchObject({ enabled: false, state: 'off', version: 1, fallthroughVariant: 'true', updatedRevision: body.revision });
    expect(body.flag.environments.production?.config).toEqual({ enabled: false, offVariant: 'false', targets: [], rules: [], fallthrough: { variant: 'true' }, prerequisites: [] });

    const audit = await server.database.db.selectFrom('audit_log').selectAll().where('resource_key', '=', 'new-checkout').execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: 'flag.create', actor: 'bootstrap-admin', resource_type: 'flag' });
    expect(Number(audit[0]?.revision)).toBe(body.revision);
    expect((audit[0]?.after as { owner: string }).owner).toBe('team-checkout');
  });

  it('answers 400 naming the field: owner, expiry of temporary kinds, variant types, key format', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ key: 'a1', kind: 'operational' }, 'owner'],
      [{ key: 'a2', kind: 'operational', owner: '   ' }, 'owner'],
      [{ key: 'a3', kind: 'release', owner: 'x' }, 'expiresAt'],
      [{ key: 'a4', kind: 'experiment', owner: 'x', expiresAt: null }, 'expiresAt'],
      [{ key: 'a5', kind: 'operational', owner: 'x', type: 'string', variants: [{ key: 'a', value: 'a' }, { key: 'b', value: 2 }] }, 'variants[1].value'],
      [{ key: 'Bad Key', kind: 'operational', owner: 'x' }, 'key'],
      [{ key: 'a6', kind: 'operational', owner: 'x', tags: ['ok', 'NOT OK'] }, 'tags[1]'],
    ];
    for (const [body, path] of cases) {
      const res = await server.api('POST', '/api/v1/flags', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      const error = errorOf(res);
      expect(error.code).toBe('VALIDATION_FAILED');
      expect(error.details.map((d) => d.path)).toContain(path);
    }
  });

  it('rejects unknown fields, bad JSON, a missing body and oversized bodies', async () => {
    const unknown = await server.api('POST', '/api/v1/flags', { key: 'u1', kind: 'operational', owner: 'x', colour: 'red' });
    expect(unknown.statusCode).toBe(400);
    expect(errorOf(unknown).message).toMatch(/colour/);
    expect(errorOf(await server.api('POST', '/api/v1/flags', '{"key":')).code).toBe('INVALID_JSON');
    const missing = await server.api('POST', '/api/v1/flags');
    expect(missing.statusCode).toBe(400);
    const big = await server.api('POST', '/api/v1/flags', { key: 'big', kind: 'operational', owner: 'x', description: 'x'.repeat(1_100_000) });
    expect(big.statusCode).toBe(413);
    expect(errorOf(big).code).toBe('PAYLOAD_TOO_LARGE');
    const nul = await server.api('POST', '/api/v1/flags', { key: 'nul', kind: 'operational', owner: 'x', description: 'a\u0000b' });
    expect(nul.statusCode).toBe(400);
    expect(errorOf(nul).details[0]?.path).toBe('description');
    expect((await server.api('GET', '/api/v1/flagz')).statusCode).toBe(404);
  });

  it('answers 409 for a duplicate key, also when the existing flag is archived', async () => {
    await createFlag(server, 'dup');
    const dup = await server.api('POST', '/api/v1/flags', { key: 'dup', kind: 'operational', owner: 'x' });
    expect(dup.statusCode).toBe(409);
    expect(errorOf(dup).code).toBe('ALREADY_EXISTS');
    expect((await server.api('DELETE', '/api/v1/flags/dup')).statusCode).toBe(200);
    const again = await server.api('POST', '/api/v1/flags', { key: 'dup', kind: 'operational', owner: 'x' });
    expect(again.statusCode).toBe(409);
    expect(errorOf(again).message).toMatch(/archived/);
  });

  it('creates a default config in an environment created later', async () => {
    await createFlag(server, 'before-env');
    expect((await server.api('POST', '/api/v1/environments', { key: 'qa' })).statusCode).toBe(201);
    const flag = flagOf((await server.api('GET', '/api/v1/flags/before-env')).body);
    expect(Object.keys(flag.environments)).toContain('qa');
    const later = await createFlag(server, 'after-env');
    expect(Object.keys(later.environments as object)).toContain('qa');
  });

  it('gives every flag a config in an environment created while the flags are being created', async () => {
    // Both writes take the revision counter's row lock before reading the other table, so whichever
    // commits second sees the first (READ COMMITTED takes a new snapshot per statement).
    const keys = Array.from({ length: 12 }, (_, i) => `race-${i}`);
    const writes = keys.map((key) => server.api('POST', '/api/v1/flags', { key, kind: 'operational', owner: 'team-a' }));
    writes.splice(6, 0, server.api('POST', '/api/v1/environments', { key: 'race-env' }));
    expect((await Promise.all(writes)).map((res) => res.statusCode)).toEqual([...keys.slice(0, 6).map(() => 201), 201, ...keys.slice(6).map(() => 201)]);
    for (const key of keys) {
      const flag = flagOf((await server.api('GET', `/api/v1/flags/${key}`)).body);
      expect(Object.keys(flag.environments), key).toContain('race-env');
    }
  });
});

describe('reading flags', () => {
  it('answers 404 FLAG_NOT_FOUND for unknown and impossible keys', async () => {
    for (const key of ['nope', 'UPPER', 'x'.repeat(200)]) {
      const res = await server.api('GET', `/api/v1/flags/${key}`);
      expect(res.statusCode).toBe(404);
      expect(errorOf(res).code).toBe('FLAG_NOT_FOUND');
    }
  });

  it('filters the list by tag, kind, owner and text, and rejects unknown filters', async () => {
    await createFlag(server, 'f-billing-a', { tags: ['billing', 'eu'], owner: 'team-billing', name: 'Billing A' });
    await createFlag(server, 'f-billing-b', { tags: ['billing'], owner: 'team-billing', kind: 'kill-switch', description: 'stops 100%_of invoices' });
    await createFlag(server, 'f-search', { tags: ['search'], owner: 'team-search' });
    expect((await listOf('?tag=billing')).map((f) => f.key)).toEqual(['f-billing-a', 'f-billing-b']);
    expect((await listOf('?tag=billing&tag=eu')).map((f) => f.key)).toEqual(['f-billing-a']);
    expect((await listOf('?kind=kill-switch')).map((f) => f.key)).toEqual(['f-billing-b']);
    expect((await listOf('?owner=team-search')).map((f) => f.key)).toEqual(['f-search']);
    expect((await listOf('?q=BILLING%20a')).map((f) => f.key)).toEqual(['f-billing-a']);
    expect((await listOf('?q=100%25_')).map((f) => f.key)).toEqual(['f-billing-b']);
    expect((await listOf('?q=%25')).map((f) => f.key)).toEqual(['f-billing-b']);
    const item = (await listOf('?owner=team-search'))[0];
    expect(item?.environments.production).toMatchObject({ state: 'off', version: 1 });
    expect(item?.environments.production?.config).toBeUndefined();
    const bad = await server.api('GET', '/api/v1/flags?kind=banana&colour=red');
    expect(bad.statusCode).toBe(400);
    expect(errorOf(bad).details.map((d) => d.path)).toEqual(expect.arrayContaining(['query.kind']));
  });
});

describe('updating flags', () => {
  it('patches metadata, bumps the version and every environment row, and audits before → after', async () => {
    const created = await createFlag(server, 'patch-me');
    const res = await server.api('PATCH', '/api/v1/flags/patch-me', { owner: 'team-new', tags: ['moved'], clientSide: true }, { headers: { 'if-match': '"1"' } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers.etag).toBe('"2"');
    const body = res.json() as { flag: FlagBody; revision: number };
    expect(body.flag).toMatchObject({ owner: 'team-new', tags: ['moved'], clientSide: true, version: 2 });
    for (const env of Object.values(body.flag.environments)) {
      expect(env.updatedRevision).toBe(body.revision);
      expect(env.version).toBe(1);
    }
    expect(created.version).toBe(1);
    const audit = await server.database.db.selectFrom('audit_log').selectAll().where('resource_key', '=', 'patch-me').where('action', '=', 'flag.update').executeTakeFirstOrThrow();
    expect((audit.before as { owner: string }).owner).toBe('team-test');
    expect((audit.after as { owner: string }).owner).toBe('team-new');
  });

  it('leaves fields a patch does not name as they were (no defaults filled in)', async () => {
    await createFlag(server, 'keep-fields', { description: 'kept', tags: ['kept'], clientSide: true, name: 'Keep' });
    const res = await server.api('PATCH', '/api/v1/flags/keep-fields', { owner: 'someone-else' });
    expect(res.statusCode, res.body).toBe(200);
    expect(flagOf(res.body)).toMatchObject({ owner: 'someone-else', description: 'kept', tags: ['kept'], clientSide: true, name: 'Keep' });
  });

  it('answers 409 VERSION_CONFLICT on a stale If-Match, naming the current version and who changed it', async () => {
    await createFlag(server, 'contested');
    const writer = await server.createKey('writer');
    expect((await server.api('PATCH', '/api/v1/flags/contested', { owner: 'alice' }, { token: writer })).statusCode).toBe(200);
    const stale = await server.api('PATCH', '/api/v1/flags/contested', { owner: 'bob' }, { headers: { 'if-match': '1' } });
    expect(stale.statusCode).toBe(409);
    const error = errorOf(stale);
    expect(error.code).toBe('VERSION_CONFLICT');
    expect(error.details[0]).toMatchObject({ path: 'If-Match', expectedVersion: 1, currentVersion: 2, changedBy: expect.stringMatching(/^writer-/), changedAction: 'flag.update' });
    expect(error.message).toMatch(/changed by writer-/);
    expect((await server.api('PATCH', '/api/v1/flags/contested', { owner: 'bob' }, { headers: { 'if-match': 'W/"2"' } })).statusCode).toBe(200);
    const bad = await server.api('PATCH', '/api/v1/flags/contested', { owner: 'bob' }, { headers: { 'if-match': 'yesterday' } });
    expect(bad.statusCode).toBe(400);
  });

  it('re-checks the expiry rule after the merge and refuses key, type, unknown fields and empty patches', async () => {
    await createFlag(server, 'perm');
    const toRelease = await server.api('PATCH', '/api/v1/flags/perm', { kind: 'release' });
    expect(toRelease.statusCode).toBe(400);
    expect(errorOf(toRelease).details[0]?.path).toBe('expiresAt');
    expect((await server.api('PATCH', '/api/v1/flags/perm', { kind: 'release', expiresAt: '2026-09-01T00:00:00Z' })).statusCode).toBe(200);
    const clear = await server.api('PATCH', '/api/v1/flags/perm', { expiresAt: null });
    expect(clear.statusCode).toBe(400);
    expect(errorOf(clear).details[0]?.path).toBe('expiresAt');
    for (const body of [{ key: 'other' }, { type: 'string' }, { colour: 'red' }, {}]) {
      const res = await server.api('PATCH', '/api/v1/flags/perm', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
    }
    expect((await server.api('PATCH', '/api/v1/flags/nope', { owner: 'x' })).statusCode).toBe(404);
  });

  it('changes variants only when no environment config or prerequisite still uses a removed one', async () => {
    await createFlag(server, 'layout', { type: 'string', variants: [{ key: 'list', value: 'list' }, { key: 'grid', value: 'grid' }, { key: 'cards', value: 'cards' }] });
    await putConfig(server, 'layout', 'staging', { enabled: true, offVariant: 'list', fallthrough: { variant: 'list' }, rules: [{ id: 'beta', clauses: [{ attribute: 'plan', op: 'eq', values: ['beta'] }], serve: { variant: 'grid' } }] });
    await createFlag(server, 'needs-cards');
    await putConfig(server, 'needs-cards', 'production', { enabled: true, offVariant: 'false', fallthrough: { variant: 'true' }, prerequisites: [{ flag: 'layout', variant: 'cards' }] });

    const removeGrid = await server.api('PATCH', '/api/v1/flags/layout', { variants: [{ key: 'list', value: 'list' }, { key: 'cards', value: 'cards' }] });
    expect(removeGrid.statusCode).toBe(400);
    expect(errorOf(removeGrid).details).toEqual([{ path: 'variants', message: 'variant "grid" is still used in staging at rules[0].serve.variant' }]);

    const removeCards = await server.api('PATCH', '/api/v1/flags/layout', { variants: [{ key: 'list', value: 'list' }, { key: 'grid', value: 'grid' }] });
    expect(removeCards.statusCode).toBe(400);
    // "cards" is also the default off variant (the last variant) of the untouched environments.
    expect(errorOf(removeCards).details.map((d) => d.message)).toEqual(
      expect.arrayContaining(['variant "cards" is still used in development at offVariant', 'variant "cards" is a prerequisite of flag "needs-cards" in production (prerequisites[0])']),
    );

    const typeMismatch = await server.api('PATCH', '/api/v1/flags/layout', { variants: [{ key: 'list', value: 1 }, { key: 'grid', value: 'grid' }, { key: 'cards', value: 'cards' }] });
    expect(errorOf(typeMismatch).details[0]?.path).toBe('variants[0].value');

    const add = await server.api('PATCH', '/api/v1/flags/layout', { variants: [{ key: 'list', value: 'list' }, { key: 'grid', value: 'grid', name: 'Grid' }, { key: 'cards', value: 'cards' }, { key: 'tiles', value: 'tiles' }] });
    expect(add.statusCode, add.body).toBe(200);
    const removeTiles = await server.api('PATCH', '/api/v1/flags/layout', { variants: [{ key: 'list', value: 'list' }, { key: 'grid', value: 'grid' }, { key: 'cards', value: 'cards' }] });
    expect(removeTiles.statusCode).toBe(200);
  });
});

describe('archiving flags', () => {
  it('archives on DELETE: gone from the list, listed with archived=true, unchangeable, idempotent', async () => {
    await createFlag(server, 'old-banner');
    const res = await server.api('DELETE', '/api/v1/flags/old-banner', undefined, { headers: { 'if-match': '1' } });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { flag: FlagBody; revision: number; alreadyArchived: boolean };
    expect(body.flag.archivedAt).toBe(clock.now().toISOString());
    expect(body.flag.version).toBe(2);
    expect(body.alreadyArchived).toBe(false);
    expect((await listOf()).map((f) => f.key)).not.toContain('old-banner');
    expect((await listOf('?archived=true')).map((f) => f.key)).toContain('old-banner');
    expect(flagOf((await server.api('GET', '/api/v1/flags/old-banner')).body).archivedAt).not.toBeNull();

    const patch = await server.api('PATCH', '/api/v1/flags/old-banner', { owner: 'x' });
    expect(patch.statusCode).toBe(409);
    expect(errorOf(patch).code).toBe('FLAG_ARCHIVED');
    const put = await server.api('PUT', '/api/v1/flags/old-banner/environments/production', { enabled: true, offVariant: 'false', fallthrough: { variant: 'true' } });
    expect(errorOf(put).code).toBe('FLAG_ARCHIVED');

    const revision = await revisionOf(server);
    const again = await server.api('DELETE', '/api/v1/flags/old-banner');
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ alreadyArchived: true, revision: body.revision });
    expect(await revisionOf(server)).toBe(revision);
  });

  it('treats an empty JSON body as no body: DELETE works, a write that needs a body says so', async () => {
    await createFlag(server, 'empty-body');
    const json = { 'content-type': 'application/json' };
    expect((await server.api('DELETE', '/api/v1/flags/empty-body', '', { headers: json })).statusCode).toBe(200);
    const kill = await server.api('POST', '/api/v1/flags/empty-body/environments/production/kill', '', { headers: json });
    expect(kill.statusCode).toBe(400);
    expect(errorOf(kill)).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/body is required/) });
    expect(errorOf(await server.api('POST', '/api/v1/flags', '{"__proto__":{"x":1}}')).code).toBe('INVALID_JSON');
  });

  it('refuses to archive a flag that another flag requires (409 FLAG_IN_USE)', async () => {
    await createFlag(server, 'base-api');
    await createFlag(server, 'uses-base');
    await putConfig(server, 'uses-base', 'development', { enabled: true, offVariant: 'false', fallthrough: { variant: 'true' }, prerequisites: [{ flag: 'base-api', variant: 'true' }] });
    const res = await server.api('DELETE', '/api/v1/flags/base-api');
    expect(res.statusCode).toBe(409);
    expect(errorOf(res)).toMatchObject({ code: 'FLAG_IN_USE', details: [{ flag: 'uses-base', environment: 'development' }] });
  });
});

describe('stale flags', () => {
  it('lists expired flags and temporary flags fully rolled out and unchanged for 30 days', async () => {
    await createFlag(server, 'st-expiring', { kind: 'release', expiresAt: '2026-03-10T00:00:00Z', owner: 'team-a' });
    await createFlag(server, 'st-rolled', { kind: 'experiment', expiresAt: '2027-01-01T00:00:00Z', owner: 'team-b' });
    await putConfig(server, 'st-rolled', 'production', { enabled: true, offVariant: 'false', fallthrough: { rollout: { variants: [{ variant: 'true', weight: 100000 }, { variant: 'false', weight: 0 }] } } });
    await createFlag(server, 'st-partial', { kind: 'release', expiresAt: '2027-01-01T00:00:00Z' });
    await putConfig(server, 'st-partial', 'production', { enabled: true, offVariant: 'false', fallthrough: { rollout: { variants: [{ variant: 'true', weight: 50000 }, { variant: 'false', weight: 50000 }] } } });
    await createFlag(server, 'st-targeted', { kind: 'release', expiresAt: '2027-01-01T00:00:00Z' });
    await putConfig(server, 'st-targeted', 'production', { enabled: true, offVariant: 'false', fallthrough: { variant: 'true' }, targets: [{ variant: 'false', values: ['qa-1'] }] });
    await createFlag(server, 'st-permanent', { kind: 'kill-switch' });
    await putConfig(server, 'st-permanent', 'production', { enabled: true, offVariant: 'false', fallthrough: { variant: 'true' } });

    const stale = async (): Promise<Map<string, FlagBody>> => new Map((await listOf('?stale=true')).filter((f) => f.key.startsWith('st-')).map((f) => [f.key, f]));
    expect([...(await stale()).keys()]).toEqual([]);

    clock.advance(10 * DAY_MS);
    expect([...(await stale()).keys()]).toEqual(['st-expiring']);
    expect((await stale()).get('st-expiring')).toMatchObject({ staleReasons: ['expired'], owner: 'team-a' });

    clock.advance(21 * DAY_MS);
    const later = await stale();
    expect([...later.keys()]).toEqual(['st-expiring', 'st-rolled']);
    expect(later.get('st-rolled')).toMatchObject({ staleReasons: ['fully-rolled-out'], fullyRolledOutIn: ['production'], owner: 'team-b' });

    // A change restarts the 30 days.
    await putConfig(server, 'st-rolled', 'production', { enabled: true, offVariant: 'false', fallthrough: { variant: 'true' } });
    expect([...(await stale()).keys()]).toEqual(['st-expiring']);
    expect((await server.api('GET', '/api/v1/flags?stale=true&archived=true')).statusCode).toBe(400);
  });
});

describe('permissions', () => {
  it('lets readers read and responders not write metadata', async () => {
    await createFlag(server, 'perm-check');
    const reader = await server.createKey('reader');
    const responder = await server.createKey('responder');
    const sdk = await server.createKey('sdk-server', 'production');
    expect((await server.api('GET', '/api/v1/flags', undefined, { token: reader })).statusCode).toBe(200);
    expect((await server.api('GET', '/api/v1/flags/perm-check/environments/production', undefined, { token: responder })).statusCode).toBe(200);
    for (const token of [reader, responder, sdk]) {
      expect((await server.api('POST', '/api/v1/flags', { key: 'x-denied', kind: 'operational', owner: 'x' }, { token })).statusCode).toBe(403);
      expect((await server.api('PATCH', '/api/v1/flags/perm-check', { owner: 'x' }, { token })).statusCode).toBe(403);
      expect((await server.api('DELETE', '/api/v1/flags/perm-check', undefined, { token })).statusCode).toBe(403);
    }
    expect((await server.api('GET', '/api/v1/flags', undefined, { token: sdk })).statusCode).toBe(403);
    expect((await server.api('GET', '/api/v1/flags', undefined, { token: null })).statusCode).toBe(401);
  });
});

describe('over real HTTP', () => {
  it('creates, reads and updates a flag with If-Match from the ETag', async () => {
    const base = await server.listen();
    const headers = { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' };
    const created = await fetch(`${base}/api/v1/flags`, { method: 'POST', headers, body: JSON.stringify({ key: 'over-http', kind: 'gate', owner: 'release-eng' }) });
    expect(created.status).toBe(201);
    const got = await fetch(`${base}/api/v1/flags/over-http`, { headers });
    expect(got.status).toBe(200);
    const etag = got.headers.get('etag');
    expect(etag).toBe('"1"');
    const patched = await fetch(`${base}/api/v1/flags/over-http`, { method: 'PATCH', headers: { ...headers, 'if-match': etag ?? '' }, body: JSON.stringify({ description: 'deploy freeze' }) });
    expect(patched.status).toBe(200);
    const stale = await fetch(`${base}/api/v1/flags/over-http`, { method: 'PATCH', headers: { ...headers, 'if-match': etag ?? '' }, body: JSON.stringify({ description: 'again' }) });
    expect(stale.status).toBe(409);
    expect(((await stale.json()) as { error: { code: string } }).error.code).toBe('VERSION_CONFLICT');
    const audits = await auditCount(server);
    expect(audits).toBeGreaterThan(0);
  });
});
