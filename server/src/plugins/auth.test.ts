import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestServer, type TestServer } from '../../../test/helpers/server.js';
import { createLocalNotifier } from './changes.js';
import { createKeyResolver } from './auth.js';

let server: TestServer;
// A second replica on the same database and the same (in-process) change bus.
let replica: TestServer;
beforeAll(async () => {
  const notifier = createLocalNotifier();
  server = await createTestServer({ notifier, adminUiDir: null });
  replica = await createTestServer({ database: server.database, notifier, adminUiDir: null });
});
afterAll(async () => {
  await replica.app.close();
  await server.close();
});
afterEach(() => {
  vi.useRealTimers();
});

async function keyId(secret: string): Promise<string> {
  const { keys } = (await server.api('GET', '/api/v1/keys')).json() as { keys: { id: string; prefix: string }[] };
  const id = keys.find((k) => secret.startsWith(k.prefix))?.id;
  if (id === undefined) throw new Error('key not listed');
  return id;
}

describe('the key cache', () => {
  it('refuses a revoked SDK key on the very next poll, 304s included', async () => {
    const sdk = await server.createKey('sdk-server', 'production');
    const first = await server.api('GET', '/api/v1/sdk/config', undefined, { token: sdk });
    expect(first.statusCode).toBe(200);
    const etag = String(first.headers.etag);
    // Polls answered from the cache (no database read, no hash) until the revocation.
    for (let i = 0; i < 5; i++) expect((await server.api('GET', '/api/v1/sdk/config', undefined, { token: sdk, headers: { 'if-none-match': etag } })).statusCode).toBe(304);
    expect((await server.api('DELETE', `/api/v1/keys/${await keyId(sdk)}`)).statusCode).toBe(200);
    const conditional = await server.api('GET', '/api/v1/sdk/config', undefined, { token: sdk, headers: { 'if-none-match': etag } });
    expect(conditional.statusCode).toBe(401);
    expect((await server.api('GET', '/api/v1/sdk/config', undefined, { token: sdk })).statusCode).toBe(401);
  });

  it('refuses a key revoked through another replica once the change bus delivers the revocation', async () => {
    const reader = await server.createKey('reader');
    // Both replicas have it cached.
    expect((await server.api('GET', '/api/v1/environments', undefined, { token: reader })).statusCode).toBe(200);
    expect((await replica.api('GET', '/api/v1/environments', undefined, { token: reader })).statusCode).toBe(200);
    expect((await server.api('DELETE', `/api/v1/keys/${await keyId(reader)}`)).statusCode).toBe(200);
    expect((await replica.api('GET', '/api/v1/environments', undefined, { token: reader })).statusCode).toBe(401);
  });

  it('does not cache a key read from the database while that key was being revoked', async () => {
    const reader = await server.createKey('reader');
    const id = await keyId(reader);
    const resolver = createKeyResolver(server.database.db);
    // The read starts before the revocation is announced and ends after it.
    const reading = resolver.resolve(reader);
    resolver.evict(id);
    expect((await reading)?.keyId).toBe(id);
    expect(resolver.cached?.(reader)).toBeUndefined();
    // Without a race, a valid key is cached, by its secret too, until it is evicted.
    await resolver.resolve(reader);
    expect(resolver.cached?.(reader)?.keyId).toBe(id);
    resolver.evict(id);
    expect(resolver.cached?.(reader)).toBeUndefined();
  });

  it('forgets a key a few seconds after the database said it was valid', async () => {
    const reader = await server.createKey('reader');
    const resolver = createKeyResolver(server.database.db);
    vi.useFakeTimers({ toFake: ['Date'] });
    await resolver.resolve(reader);
    expect(resolver.cached?.(reader)).not.toBeUndefined();
    vi.setSystemTime(Date.now() + 5_001);
    expect(resolver.cached?.(reader)).toBeUndefined();
  });
});
