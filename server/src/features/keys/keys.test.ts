import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../../../../test/helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await createTestServer();
});
afterAll(async () => server.close());

describe('API keys and authentication', () => {
  it('refuses a request without a key with 401 and the error shape', async () => {
    const res = await server.api('GET', '/api/v1/keys', undefined, { token: null });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.stringContaining('Bearer'), details: [] } });
  });

  it('creates a key whose secret is shown once and stored hashed', async () => {
    const res = await server.api('POST', '/api/v1/keys', { name: 'ci-pipeline', kind: 'writer' });
    expect(res.statusCode).toBe(201);
    const body = res.json() as { key: { id: string; kind: string; prefix: string }; secret: string };
    expect(body.secret).toMatch(/^syw_[A-Za-z0-9_-]{32}$/);
    expect(body.key.prefix).toBe(body.secret.slice(0, 12));
    const rows = await server.database.db.selectFrom('api_keys').select(['hash']).where('id', '=', body.key.id).execute();
    expect(rows[0]?.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(rows[0]?.hash).not.toContain(body.secret);
    const list = await server.api('GET', '/api/v1/keys');
    expect(list.body).not.toContain(body.secret);
  });

  it('enforces key kinds: a reader cannot create keys, an sdk key cannot read the admin API', async () => {
    const reader = await server.createKey('reader');
    expect((await server.api('GET', '/api/v1/environments', undefined, { token: reader })).statusCode).toBe(200);
    const denied = await server.api('POST', '/api/v1/keys', { name: 'x', kind: 'admin' }, { token: reader });
    expect(denied.statusCode).toBe(403);
    expect((denied.json() as { error: { code: string } }).error.code).toBe('FORBIDDEN');
    const sdk = await server.createKey('sdk-server', 'production');
    expect((await server.api('GET', '/api/v1/environments', undefined, { token: sdk })).statusCode).toBe(403);
  });

  it('requires an environment for sdk keys and names the field', async () => {
    const res = await server.api('POST', '/api/v1/keys', { name: 'web', kind: 'sdk-client' });
    expect(res.statusCode).toBe(400);
    expect((res.json() as { error: { details: { path: string }[] } }).error.details[0]?.path).toBe('environment');
    const unknown = await server.api('POST', '/api/v1/keys', { name: 'web', kind: 'sdk-client', environment: 'nope' });
    expect(unknown.statusCode).toBe(400);
  });

  it('refuses a revoked key at once and audits create and revoke', async () => {
    const created = (await server.api('POST', '/api/v1/keys', { name: 'temp', kind: 'reader' })).json() as { key: { id: string }; secret: string };
    expect((await server.api('GET', '/api/v1/environments', undefined, { token: created.secret })).statusCode).toBe(200);
    const revoked = await server.api('DELETE', `/api/v1/keys/${created.key.id}`);
    expect(revoked.statusCode).toBe(200);
    expect((await server.api('GET', '/api/v1/environments', undefined, { token: created.secret })).statusCode).toBe(401);
    const audit = await server.database.db.selectFrom('audit_log').select(['action', 'actor']).where('resource_key', '=', created.key.id).orderBy('id').execute();
    expect(audit.map((a) => a.action)).toEqual(['key.create', 'key.revoke']);
    expect(audit[0]?.actor).toBe('bootstrap-admin');
  });

  it('rejects unknown fields, bad JSON and oversized bodies without a 500', async () => {
    const unknownField = await server.api('POST', '/api/v1/keys', { name: 'a', kind: 'reader', extra: 1 });
    expect(unknownField.statusCode).toBe(400);
    const badJson = await server.api('POST', '/api/v1/keys', '{"name":', {});
    expect(badJson.statusCode).toBe(400);
    expect((badJson.json() as { error: { code: string } }).error.code).toBe('INVALID_JSON');
    const big = await server.api('POST', '/api/v1/keys', { name: 'x'.repeat(1_100_000), kind: 'reader' });
    expect(big.statusCode).toBe(413);
    expect((await server.api('GET', '/api/v1/nope')).statusCode).toBe(404);
  });

  it('rate-limits repeated authentication failures per address', async () => {
    const limited = await createTestServer({ maxAuthFailuresPerMinute: 5, database: server.database });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 7; i++) codes.push((await limited.api('GET', '/api/v1/keys', undefined, { token: `wrong-${i}` })).statusCode);
      expect(codes.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
      expect(codes.slice(5)).toEqual([429, 429]);
    } finally {
      await limited.close();
    }
  });
});

describe('environments and health', () => {
  it('starts with development, staging and production', async () => {
    const res = await server.api('GET', '/api/v1/environments');
    expect((res.json() as { environments: { key: string }[] }).environments.map((e) => e.key)).toEqual(['development', 'staging', 'production']);
  });

  it('creates an environment once; a duplicate is 409', async () => {
    expect((await server.api('POST', '/api/v1/environments', { key: 'qa', name: 'QA' })).statusCode).toBe(201);
    expect((await server.api('POST', '/api/v1/environments', { key: 'qa' })).statusCode).toBe(409);
  });

  it('answers liveness and readiness without a key', async () => {
    expect((await server.api('GET', '/health/live', undefined, { token: null })).json()).toEqual({ status: 'ok' });
    const ready = await server.api('GET', '/health/ready', undefined, { token: null });
    expect(ready.statusCode).toBe(200);
    expect((ready.json() as { checks: { database: { ok: boolean } } }).checks.database.ok).toBe(true);
  });
});
