import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../../../../test/helpers/server.js';

const ORIGIN = 'https://shop.example.com';
const preflight = (url: string, method = 'GET', headers = 'authorization, if-none-match') =>
  server.app.inject({ method: 'OPTIONS', url, headers: { origin: ORIGIN, 'access-control-request-method': method, 'access-control-request-headers': headers } });

let server: TestServer;
let clientKey: string;
beforeAll(async () => {
  // A low failure limit: preflights must never count as failed authentications.
  server = await createTestServer({ maxAuthFailuresPerMinute: 3 });
  clientKey = await server.createKey('sdk-client', 'production');
});
afterAll(async () => server.close());

// Browser SDKs on other origins: GET /api/v1/sdk/config and POST /api/v1/sdk/metrics take CORS, nothing else does.
describe('CORS for the browser SDK routes', () => {
  it('answers preflights of config and metrics without a key', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await preflight('/api/v1/sdk/config');
      expect(res.statusCode).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expect(String(res.headers['access-control-allow-methods'])).toContain('GET');
      expect(String(res.headers['access-control-allow-headers'])).toBe('authorization, content-type, if-none-match');
      expect(res.headers['access-control-max-age']).toBe('600');
    }
    const post = await preflight('/api/v1/sdk/metrics', 'POST', 'authorization, content-type');
    expect(post.statusCode).toBe(204);
    // Five keyless preflights did not lock this address out.
    expect((await server.api('GET', '/api/v1/sdk/config', undefined, { token: clientKey })).statusCode).toBe(200);
  });

  it('exposes the ETag to the page and keeps conditional requests working', async () => {
    const first = await server.api('GET', '/api/v1/sdk/config', undefined, { token: clientKey, headers: { origin: ORIGIN } });
    expect(first.statusCode).toBe(200);
    expect(first.headers['access-control-allow-origin']).toBe('*');
    expect(first.headers['access-control-expose-headers']).toBe('etag');
    const etag = String(first.headers.etag);
    const again = await server.api('GET', '/api/v1/sdk/config', undefined, { token: clientKey, headers: { origin: ORIGIN, 'if-none-match': etag } });
    expect(again.statusCode).toBe(304);
    expect(again.headers['access-control-allow-origin']).toBe('*');
    const bad = await server.api('GET', '/api/v1/sdk/config', undefined, { token: 'nope', headers: { origin: ORIGIN } });
    expect(bad.statusCode).toBe(401);
  });

  it('leaves the admin API and the other SDK routes without CORS', async () => {
    const admin = await server.api('GET', '/api/v1/flags', undefined, { headers: { origin: ORIGIN } });
    expect(admin.statusCode).toBe(200);
    expect(admin.headers['access-control-allow-origin']).toBeUndefined();
    const flagsPreflight = await preflight('/api/v1/flags');
    expect(flagsPreflight.statusCode).toBe(404);
    expect(flagsPreflight.headers['access-control-allow-origin']).toBeUndefined();
    const connections = await server.api('GET', '/api/v1/sdk/connections', undefined, { headers: { origin: ORIGIN } });
    expect(connections.headers['access-control-allow-origin']).toBeUndefined();
  });
});
