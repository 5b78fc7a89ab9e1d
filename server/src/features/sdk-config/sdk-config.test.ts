import { evaluate, FlagConfigSchema, hashTargetKey, SegmentSchema, type ConfigSnapshot, type FlagConfig, type Segment } from '@switchyard/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createFlag, errorOf, putConfig, revisionOf } from '../../../../test/helpers/flags.js';
import { createTestServer, type TestServer } from '../../../../test/helpers/server.js';
import { ifNoneMatches } from './sdk-config.routes.js';

let server: TestServer;
let serverKey: string;
let clientKey: string;
beforeAll(async () => {
  server = await createTestServer();
  serverKey = await server.createKey('sdk-server', 'production');
  clientKey = await server.createKey('sdk-client', 'production');

  const segment = await server.api('POST', '/api/v1/segments', { key: 'vip', name: 'VIPs', included: ['vip-account-7'], excluded: ['banned-account-9'] });
  expect(segment.statusCode, segment.body).toBe(201);
  const unused = await server.api('POST', '/api/v1/segments', { key: 'server-only-segment', name: 'Internal', included: ['internal-1'] });
  expect(unused.statusCode, unused.body).toBe(201);

  await createFlag(server, 'browser-banner', { clientSide: true });
  await putConfig(server, 'browser-banner', 'production', {
    enabled: true,
    offVariant: 'false',
    fallthrough: { variant: 'false' },
    targets: [{ variant: 'true', values: ['secret-user-42'] }],
    rules: [{ id: 'vip', clauses: [{ attribute: 'key', op: 'inSegment', values: ['vip'] }], serve: { variant: 'true' } }],
  });
  await createFlag(server, 'server-batch-job');
  await putConfig(server, 'server-batch-job', 'production', {
    enabled: true,
    offVariant: 'false',
    fallthrough: { variant: 'true' },
    rules: [{ id: 'internal', clauses: [{ attribute: 'key', op: 'inSegment', values: ['server-only-segment'] }], serve: { variant: 'false' } }],
  });
  await createFlag(server, 'archived-one', { clientSide: true });
  expect((await server.api('DELETE', '/api/v1/flags/archived-one')).statusCode).toBe(200);
});
afterAll(async () => server.close());

const getConfig = (token: string, headers: Record<string, string> = {}) => server.api('GET', '/api/v1/sdk/config', undefined, { token, headers });

function lookups(snapshot: ConfigSnapshot): { flags: Map<string, FlagConfig>; segments: Map<string, Segment> } {
  return { flags: new Map(snapshot.flags.map((f) => [f.key, f])), segments: new Map(snapshot.segments.map((s) => [s.key, s])) };
}

describe('GET /api/v1/sdk/config', () => {
  it('serves a server key every live flag of its environment at the current revision', async () => {
    const res = await getConfig(serverKey);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    const snapshot = res.json() as ConfigSnapshot;
    const revision = await revisionOf(server);
    expect(snapshot.environment).toBe('production');
    expect(snapshot.revision).toBe(revision);
    expect(res.headers.etag).toBe(`"r${revision}-production-server"`);
    expect(snapshot.keyHashSalt).toBeUndefined();
    expect(snapshot.flags.map((f) => f.key)).toEqual(['browser-banner', 'server-batch-job']);
    for (const flag of snapshot.flags) FlagConfigSchema.parse(flag);
    for (const segment of snapshot.segments) SegmentSchema.parse(segment);
    expect(snapshot.flags[0]).toMatchObject({ key: 'browser-banner', version: 2, type: 'boolean', clientSide: true, killed: false, enabled: true, offVariant: 'false' });
    expect(snapshot.segments.map((s) => s.key)).toEqual(['server-only-segment', 'vip']);
    const { flags, segments } = lookups(snapshot);
    expect(evaluate(flags.get('browser-banner'), { key: 'secret-user-42' }, { flags, segments })).toMatchObject({ value: true, reason: 'TARGET_MATCH' });
  });

  it('serves a client key only client-side flags, with target and segment keys hashed', async () => {
    const res = await getConfig(clientKey);
    expect(res.statusCode).toBe(200);
    const revision = await revisionOf(server);
    expect(res.headers.etag).toBe(`"r${revision}-production-client"`);
    expect(res.body).not.toContain('secret-user-42');
    expect(res.body).not.toContain('vip-account-7');
    expect(res.body).not.toContain('banned-account-9');
    expect(res.body).not.toContain('server-batch-job');
    expect(res.body).not.toContain('internal-1');
    const snapshot = res.json() as ConfigSnapshot;
    expect(snapshot.keyHashSalt).toBe('switchyard:production');
    expect(snapshot.flags.map((f) => f.key)).toEqual(['browser-banner']);
    expect(snapshot.segments.map((s) => s.key)).toEqual(['vip']);
    const salt = snapshot.keyHashSalt ?? '';
    expect(snapshot.flags[0]?.targets).toEqual([{ variant: 'true', values: [hashTargetKey(salt, 'secret-user-42')] }]);

    const { flags, segments } = lookups(snapshot);
    const evalFor = (key: string) => evaluate(flags.get('browser-banner'), { key }, { flags, segments, targetKey: hashTargetKey(salt, key) });
    expect(evalFor('secret-user-42')).toMatchObject({ value: true, reason: 'TARGET_MATCH' });
    expect(evalFor('vip-account-7')).toMatchObject({ value: true, reason: 'RULE_MATCH', ruleId: 'vip' });
    expect(evalFor('someone-else')).toMatchObject({ value: false, reason: 'FALLTHROUGH' });
  });

  it('answers 304 to a matching If-None-Match without touching the database', async () => {
    const first = await getConfig(serverKey);
    const etag = first.headers.etag as string;
    const db = server.database.db;
    const spies = [vi.spyOn(db, 'transaction'), vi.spyOn(db, 'selectFrom'), vi.spyOn(db, 'executeQuery')];
    try {
      for (const header of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
        const res = await getConfig(serverKey, { 'if-none-match': header });
        expect(res.statusCode, header).toBe(304);
        expect(res.body).toBe('');
        expect(res.headers.etag).toBe(etag);
        expect(res.headers['cache-control']).toBe('no-cache');
      }
      for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    // A server key's ETag does not match the client snapshot.
    const client = await getConfig(clientKey, { 'if-none-match': etag, origin: 'https://shop.example' });
    expect(client.statusCode).toBe(200);
    // A browser's conditional request gets its CORS headers on the 304 too.
    const browser = await getConfig(clientKey, { 'if-none-match': client.headers.etag as string, origin: 'https://shop.example' });
    expect(browser.statusCode).toBe(304);
    expect(browser.headers['access-control-allow-origin']).toBe('*');
    expect(browser.headers['access-control-expose-headers']).toMatch(/etag/i);
  });

  it('turns a 304 into a 200 with a new ETag after a change, and drops archived flags', async () => {
    const before = await getConfig(serverKey);
    const etag = before.headers.etag as string;
    const killed = await server.api('POST', '/api/v1/flags/server-batch-job/environments/production/kill', { reason: 'INC-1' });
    expect(killed.statusCode).toBe(200);
    const revision = (killed.json() as { revision: number }).revision;
    const after = await getConfig(serverKey, { 'if-none-match': etag });
    expect(after.statusCode).toBe(200);
    expect(after.headers.etag).toBe(`"r${revision}-production-server"`);
    const snapshot = after.json() as ConfigSnapshot;
    expect(snapshot.revision).toBe(revision);
    expect(snapshot.flags.find((f) => f.key === 'server-batch-job')).toMatchObject({ killed: true, enabled: false });
    expect((await getConfig(serverKey, { 'if-none-match': after.headers.etag as string })).statusCode).toBe(304);

    expect((await server.api('DELETE', '/api/v1/flags/browser-banner')).statusCode).toBe(200);
    const client = (await getConfig(clientKey)).json() as ConfigSnapshot;
    expect(client.flags).toEqual([]);
    expect(client.segments).toEqual([]);
  });

  it('catches up with a revision committed elsewhere (the tracker lags, the database does not)', async () => {
    const before = await getConfig(serverKey);
    // A change that bypasses this replica's notifier, as one made through another replica would.
    await server.database.db.updateTable('revision_counter').set((eb) => ({ revision: eb('revision', '+', 1) })).execute();
    const revision = await revisionOf(server);
    expect(server.app.services.revisions.latest()).toBe(revision - 1);
    // Until the poll sees it, the old ETag still answers 304 (at most about a second of staleness).
    expect((await getConfig(serverKey, { 'if-none-match': before.headers.etag as string })).statusCode).toBe(304);
    // A client that already saw the newer revision elsewhere gets its 304 after one database read.
    expect((await getConfig(serverKey, { 'if-none-match': `"r${revision}-production-server"` })).statusCode).toBe(304);
    expect(server.app.services.revisions.latest()).toBe(revision);
  });

  it('is for SDK keys only', async () => {
    const admin = await getConfig(server.adminToken);
    expect(admin.statusCode).toBe(403);
    expect(errorOf(admin).code).toBe('FORBIDDEN');
    expect((await server.api('GET', '/api/v1/sdk/config', undefined, { token: null })).statusCode).toBe(401);
  });

  it('works over real HTTP with conditional requests', async () => {
    const base = await server.listen();
    const headers = { authorization: `Bearer ${serverKey}` };
    const first = await fetch(`${base}/api/v1/sdk/config`, { headers });
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag') ?? '';
    expect(etag).toMatch(/^"r\d+-production-server"$/);
    expect(((await first.json()) as ConfigSnapshot).environment).toBe('production');
    const second = await fetch(`${base}/api/v1/sdk/config`, { headers: { ...headers, 'if-none-match': etag } });
    expect(second.status).toBe(304);
  });
});

describe('ifNoneMatches', () => {
  it('matches exact, weak, listed and wildcard tags only', () => {
    expect(ifNoneMatches('"r1-p-server"', '"r1-p-server"')).toBe(true);
    expect(ifNoneMatches('W/"r1-p-server"', '"r1-p-server"')).toBe(true);
    expect(ifNoneMatches(' "a" ,  "r1-p-server" ', '"r1-p-server"')).toBe(true);
    expect(ifNoneMatches('*', '"r1-p-server"')).toBe(true);
    expect(ifNoneMatches('"r1-p-client"', '"r1-p-server"')).toBe(false);
    expect(ifNoneMatches(undefined, '"r1-p-server"')).toBe(false);
    expect(ifNoneMatches('r1-p-server', '"r1-p-server"')).toBe(false);
  });
});
