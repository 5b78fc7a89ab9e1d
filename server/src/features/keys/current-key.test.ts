import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../../../../test/helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await createTestServer();
});
afterAll(async () => server.close());

describe('GET /api/v1/keys/current', () => {
  it('tells an admin-API key its own kind and permissions, so the admin UI offers only what it may do', async () => {
    const expected: Record<string, string[]> = {
      admin: ['read', 'write', 'kill', 'admin'],
      writer: ['read', 'write', 'kill'],
      responder: ['read', 'kill'],
      reader: ['read'],
    };
    for (const [kind, permissions] of Object.entries(expected)) {
      const token = kind === 'admin' ? server.adminToken : await server.createKey(kind);
      const res = await server.api('GET', '/api/v1/keys/current', undefined, { token });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ key: { kind, environment: null, id: expect.any(String), name: expect.any(String) }, permissions });
      expect(res.body).not.toContain(token);
    }
  });

  it('refuses SDK keys and missing keys', async () => {
    const sdk = await server.createKey('sdk-client', 'production');
    const res = await server.api('GET', '/api/v1/keys/current', undefined, { token: sdk });
    expect(res.statusCode).toBe(403);
    expect((await server.api('GET', '/api/v1/keys/current', undefined, { token: null })).statusCode).toBe(401);
  });
});
