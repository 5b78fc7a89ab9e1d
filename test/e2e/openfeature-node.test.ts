import { ErrorCode, OpenFeature, ProviderEvents } from '@openfeature/server-sdk';
import { createClient, silentLogger } from '@switchyard/sdk-node';
import { SwitchyardProvider } from '@switchyard/sdk-node/openfeature';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
let provider: SwitchyardProvider;

beforeAll(async () => {
  server = await createTestServer();
  const url = await server.listen();
  const sdkKey = await server.createKey('sdk-server', 'production');
  expect((await server.api('POST', '/api/v1/flags', { key: 'of-bool', kind: 'operational', owner: 'sre' })).statusCode).toBe(201);
  expect((await server.api('PUT', '/api/v1/flags/of-bool/environments/production', { enabled: true, offVariant: 'false', fallthrough: { variant: 'true' }, rules: [{ id: 'nl', clauses: [{ attribute: 'country', op: 'eq', values: ['NL'] }], serve: { variant: 'false' } }] })).statusCode).toBe(200);
  expect((await server.api('POST', '/api/v1/flags', { key: 'of-layout', kind: 'experiment', owner: 'growth', expiresAt: '2030-01-01T00:00:00Z', type: 'string', variants: [{ key: 'grid', value: 'grid' }, { key: 'list', value: 'list' }] })).statusCode).toBe(201);
  expect((await server.api('PUT', '/api/v1/flags/of-layout/environments/production', { enabled: true, offVariant: 'list', fallthrough: { variant: 'grid' } })).statusCode).toBe(200);
  provider = new SwitchyardProvider(createClient({ url, sdkKey, logger: silentLogger, metricsIntervalMs: 0 }));
  await OpenFeature.setProviderAndWait(provider);
});

afterAll(async () => {
  await OpenFeature.close();
  await server.close();
});

describe('@switchyard/sdk-node/openfeature', () => {
  it('resolves values with mapped reasons, variants and error codes', async () => {
    const client = OpenFeature.getClient();
    expect(await client.getBooleanValue('of-bool', false, { targetingKey: 'u1' })).toBe(true);
    const nl = await client.getBooleanDetails('of-bool', true, { targetingKey: 'u1', country: 'NL' });
    expect(nl).toMatchObject({ value: false, variant: 'false', reason: 'TARGETING_MATCH', flagMetadata: { switchyardReason: 'RULE_MATCH', ruleId: 'nl' } });
    expect(await client.getStringValue('of-layout', 'list', { targetingKey: 'u1' })).toBe('grid');
    const missing = await client.getBooleanDetails('nope', true, { targetingKey: 'u1' });
    expect(missing).toMatchObject({ value: true, errorCode: ErrorCode.FLAG_NOT_FOUND, reason: 'ERROR' });
    const wrongType = await client.getNumberDetails('of-layout', 7, { targetingKey: 'u1' });
    expect(wrongType).toMatchObject({ value: 7, errorCode: ErrorCode.TYPE_MISMATCH });
  });

  it('emits ConfigurationChanged with the changed flag keys', async () => {
    const changed = new Promise<string[] | undefined>((resolve) => {
      OpenFeature.addHandler(ProviderEvents.ConfigurationChanged, (details) => resolve((details as { flagsChanged?: string[] } | undefined)?.flagsChanged));
    });
    expect((await server.api('POST', '/api/v1/flags/of-bool/environments/production/kill', { reason: 'test' })).statusCode).toBe(200);
    expect(await changed).toEqual(['of-bool']);
    const details = await OpenFeature.getClient().getBooleanDetails('of-bool', true, { targetingKey: 'u1' });
    expect(details).toMatchObject({ value: false, reason: 'DISABLED', flagMetadata: { switchyardReason: 'KILLED' } });
  });
});
