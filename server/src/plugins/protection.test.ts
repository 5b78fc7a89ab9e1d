import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlag, errorOf } from '../../../test/helpers/flags.js';
import { createTestServer, type TestServer } from '../../../test/helpers/server.js';

const LIMIT = 3;
let server: TestServer;
// Keys and flags are made through an unlimited server on the same database: the admin key's own
// writes would otherwise count against the limit under test.
let setup: TestServer;

beforeAll(async () => {
  server = await createTestServer({ writeRateLimit: { max: LIMIT, windowMs: 60_000 }, adminUiDir: null });
  setup = await createTestServer({ database: server.database, adminUiDir: null });
});
afterAll(async () => {
  await setup.app.close();
  await server.close();
});

describe('the write rate limit', () => {
  it('answers 429 in the API error shape once a key made too many writes, per key', async () => {
    const writer = await setup.createKey('writer');
    const other = await setup.createKey('writer');
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 2; i++) {
      const res = await server.api('POST', '/api/v1/flags', { key: `limited-${i}`, kind: 'operational', owner: 'sre' }, { token: writer });
      statuses.push(res.statusCode);
      if (res.statusCode === 429) {
        expect(errorOf(res)).toMatchObject({ code: 'RATE_LIMITED', message: expect.stringContaining(`at most ${LIMIT} per minute`) });
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      }
    }
    expect(statuses).toEqual([201, 201, 201, 429, 429]);
    // The refused writes were not applied.
    expect((await server.api('GET', `/api/v1/flags/limited-${LIMIT}`)).statusCode).toBe(404);
    // Another key is not affected, and reads never count.
    expect((await server.api('POST', '/api/v1/flags', { key: 'other-key', kind: 'operational', owner: 'sre' }, { token: other })).statusCode).toBe(201);
    for (let i = 0; i < LIMIT * 3; i++) expect((await server.api('GET', '/api/v1/flags', undefined, { token: writer })).statusCode).toBe(200);
  });

  it('does not count SDK traffic', async () => {
    const sdkKey = await setup.createKey('sdk-server', 'production');
    const batch = { sdk: { name: 'sdk-node', version: '0.1.0' }, windowStart: new Date(Date.now() - 10_000).toISOString(), windowEnd: new Date().toISOString(), metrics: [] };
    for (let i = 0; i < LIMIT * 2; i++) {
      expect((await server.api('GET', '/api/v1/sdk/config', undefined, { token: sdkKey })).statusCode).toBe(200);
      expect((await server.api('POST', '/api/v1/sdk/metrics', batch, { token: sdkKey })).statusCode).toBe(202);
    }
  });
});

describe('security headers', () => {
  it('marks API answers nosniff, unframeable and uncacheable, and echoes the request id', async () => {
    await createFlag(setup, 'headers-flag');
    const res = await server.api('GET', '/api/v1/flags/headers-flag', undefined, { headers: { 'x-request-id': 'req-abc-123' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers).toMatchObject({ 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer', 'cache-control': 'no-store', 'x-request-id': 'req-abc-123' });
    // Errors too.
    const missing = await server.api('GET', '/api/v1/flags/headers-flag', undefined, { token: null });
    expect(missing.statusCode).toBe(401);
    expect(missing.headers['x-content-type-options']).toBe('nosniff');
  });

  it('leaves the SDK config its own caching headers', async () => {
    const sdkKey = await setup.createKey('sdk-server', 'production');
    const res = await server.api('GET', '/api/v1/sdk/config', undefined, { token: sdkKey });
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers.etag).toBeDefined();
  });

  it('refuses bodies over 1 MiB with 413 before reading them', async () => {
    const writer = await setup.createKey('writer');
    const res = await server.api('POST', '/api/v1/flags', { key: 'big', kind: 'operational', owner: 'sre', description: 'x'.repeat(1024 * 1024 + 10) }, { token: writer });
    expect(res.statusCode).toBe(413);
    expect(errorOf(res).code).toBe('PAYLOAD_TOO_LARGE');
  });
});
