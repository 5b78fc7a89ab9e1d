import { OpenFeature, ProviderEvents, type EventDetails } from '@openfeature/web-sdk';
import { hashTargetKey, type ConfigSnapshot } from '@switchyard/core';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { fakePlatform } from '../../test/helpers/browser-fakes.js';
import { booleanFlag } from '../../test/helpers/flags.js';
import { createClient } from './index.js';
import { SwitchyardProvider, toContext } from './openfeature.js';

const SALT = 'of-salt';
const rules: ConfigSnapshot = {
  environment: 'production',
  revision: 3,
  keyHashSalt: SALT,
  flags: [
    booleanFlag('new-checkout', { targets: [{ variant: 'true', values: [hashTargetKey(SALT, 'qa-1')] }], fallthrough: { variant: 'false' } }),
    {
      ...booleanFlag('layout'),
      type: 'string',
      variants: [
        { key: 'grid', value: 'grid' },
        { key: 'list', value: 'list' },
      ],
      offVariant: 'list',
      rules: [{ id: 'nl', clauses: [{ attribute: 'country', op: 'eq', values: ['NL'] }], serve: { variant: 'grid' } }],
      fallthrough: { variant: 'list' },
    },
  ],
  segments: [],
};

afterEach(async () => {
  await OpenFeature.close();
  await OpenFeature.clearContexts();
});

describe('@switchyard/sdk-browser/openfeature', () => {
  it('resolves synchronously with the OpenFeature context, re-hashed on every context change', async () => {
    const fakes = fakePlatform();
    const provider = new SwitchyardProvider({ url: 'https://flags.example.test', clientKey: 'k', metricsIntervalMs: 0, platform: fakes.platform });
    await OpenFeature.setContext({ targetingKey: 'qa-1', country: 'DE' });
    const setting = OpenFeature.setProviderAndWait(provider);
    fakes.socket().open().receive({ type: 'snapshot', ...rules });
    await setting;
    const client = OpenFeature.getClient();
    expect(client.getBooleanValue('new-checkout', false)).toBe(true);
    expect(client.getBooleanDetails('new-checkout', false)).toMatchObject({ value: true, reason: 'TARGETING_MATCH', variant: 'true', flagMetadata: { switchyardReason: 'TARGET_MATCH' } });
    expect(client.getStringValue('layout', 'x')).toBe('list');

    const configChanges: EventDetails[] = [];
    client.addHandler(ProviderEvents.ConfigurationChanged, (details) => void configChanges.push(details as EventDetails));
    await OpenFeature.setContext({ targetingKey: 'user-9', country: 'NL' });
    expect(client.getBooleanValue('new-checkout', true)).toBe(false);
    expect(client.getStringDetails('layout', 'x')).toMatchObject({ value: 'grid', reason: 'TARGETING_MATCH', flagMetadata: { ruleId: 'nl' } });
    // OpenFeature announces context changes itself: no configuration-changed event for them.
    expect(configChanges).toEqual([]);

    fakes.socket().receive({ type: 'patch', revision: 4, flags: [{ ...booleanFlag('new-checkout'), version: 2, enabled: false }], removed: ['layout'], segments: [], removedSegments: [] });
    // new-checkout still serves false to this context, but now because it is off: its evaluation changed.
    expect(configChanges.map((c) => c.flagsChanged)).toEqual([['new-checkout', 'layout']]);
    expect(client.getStringDetails('layout', 'x')).toMatchObject({ value: 'x', reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' });
    expect(client.getNumberDetails('new-checkout', 1)).toMatchObject({ value: 1, errorCode: 'TYPE_MISMATCH' });
    expect(client.getObjectValue('new-checkout', { a: 1 })).toEqual({ a: 1 });
  });

  it('becomes ready from the cache when the server is down, and errors only with no rules at all', async () => {
    const offline = new SwitchyardProvider(createClient({ url: '', clientKey: '', offline: true, cache: false, bootstrap: rules }));
    await OpenFeature.setProviderAndWait('boot', offline);
    expect(OpenFeature.getClient('boot').getStringValue('layout', 'x')).toBe('list');

    const fakes = fakePlatform();
    fakes.server.down = true;
    const none = new SwitchyardProvider({ url: 'https://flags.example.test', clientKey: 'k', metricsIntervalMs: 0, logger: { warn: () => undefined }, platform: fakes.platform }, 10_000);
    const failed = expect(OpenFeature.setProviderAndWait('none', none)).rejects.toThrow(/Failed to fetch/);
    await fakes.clock.advance(10_000);
    await failed;
    expect(OpenFeature.getClient('none').getBooleanDetails('new-checkout', true)).toMatchObject({ value: true, reason: 'ERROR' });
  });

  it('maps OpenFeature contexts', () => {
    const when = new Date('2026-01-01T00:00:00Z');
    expect(toContext({ targetingKey: 'u1', plan: 'pro', seats: 3, beta: true, since: when, tags: ['a', 1, { x: 1 }], nested: { a: 1 } })).toEqual({
      key: 'u1',
      plan: 'pro',
      seats: 3,
      beta: true,
      since: '2026-01-01T00:00:00.000Z',
      tags: ['a', 1],
    });
    expectTypeOf(new SwitchyardProvider({ url: '', clientKey: '' }).runsOn).toEqualTypeOf<'client'>();
  });
});
