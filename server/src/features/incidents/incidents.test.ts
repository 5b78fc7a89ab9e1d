import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Change } from '../../plugins/changes.js';
import { auditCount, createFlag, errorOf, putConfig, revisionOf } from '../../../../test/helpers/flags.js';
import { createTestServer, type TestServer } from '../../../../test/helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await createTestServer({ schedulerIntervalMs: 0 });
  for (const key of ['cart', 'checkout-api', 'checkout-ui', 'search']) {
    await createFlag(server, key, { tags: key.startsWith('checkout') || key === 'cart' ? ['checkout'] : ['search'] });
    await putConfig(server, key, 'production', { enabled: true, offVariant: 'false', fallthrough: { variant: 'true' } });
  }
});
afterAll(async () => server.close());

const state = async (key: string): Promise<{ enabled: boolean; killed: { reason: string; revision: number; incidentId?: string } | null; version: number }> =>
  (await server.api('GET', `/api/v1/flags/${key}/environments/production`)).json() as never;

describe('bulk kill', () => {
  it('lists what a dry run would switch off, and changes nothing', async () => {
    await server.api('POST', '/api/v1/flags/cart/environments/production/kill', { reason: 'INC-0' });
    const revision = await revisionOf(server);
    const res = await server.api('POST', '/api/v1/kill', { environment: 'production', tag: 'checkout', reason: 'INC-1', dryRun: true });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ revision: null, dryRun: true, environment: 'production', reason: 'INC-1', killed: ['checkout-api', 'checkout-ui'], alreadyKilled: ['cart'] });
    expect(await revisionOf(server)).toBe(revision);
    expect((await state('checkout-api')).enabled).toBe(true);
  });

  it('kills every flag with the tag in one transaction: one revision, one audit row and one change', async () => {
    const changes: Change[] = [];
    const unsubscribe = server.app.services.notifier.subscribe((c) => changes.push(c));
    const audits = await auditCount(server);
    const res = await server.api('POST', '/api/v1/kill', { environment: 'production', tag: 'checkout', reason: 'INC-1' }, { headers: { 'x-switchyard-incident': 'INC-1' } });
    unsubscribe();
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { revision: number; killed: string[]; alreadyKilled: string[] };
    expect(body).toMatchObject({ dryRun: false, killed: ['checkout-api', 'checkout-ui'], alreadyKilled: ['cart'] });
    expect(await revisionOf(server)).toBe(body.revision);
    expect(await auditCount(server)).toBe(audits + 2);
    expect(changes).toEqual([{ revision: body.revision, environments: ['production'], kind: 'flag', keys: ['checkout-api', 'checkout-ui'] }]);
    for (const key of ['checkout-api', 'checkout-ui']) {
      expect(await state(key)).toMatchObject({ enabled: false, version: 3, killed: { reason: 'INC-1', revision: body.revision, incidentId: 'INC-1', previousEnabled: true } });
    }
    expect((await state('cart')).killed?.reason).toBe('INC-0');
    expect((await state('search')).enabled).toBe(true);
    const audit = (await server.api('GET', '/api/v1/audit?action=flag-environment.kill&limit=10')).json() as { entries: { resourceKey: string; revision: number; reason: string; incidentId: string | null }[] };
    expect(audit.entries.filter((e) => e.revision === body.revision).map((e) => e.resourceKey).sort()).toEqual(['checkout-api', 'checkout-ui']);
    // Each one restores on its own, back to its state before the kill.
    expect((await server.api('POST', '/api/v1/flags/checkout-ui/environments/production/restore', { reason: 'INC-1 resolved' })).statusCode).toBe(200);
    expect((await state('checkout-ui')).enabled).toBe(true);
  });

  it('takes a list of flags, refuses unknown ones, and is open to responders but not readers', async () => {
    const responder = await server.createKey('responder');
    const res = await server.api('POST', '/api/v1/kill', { environment: 'production', flags: ['search', 'checkout-api'], reason: 'INC-2' }, { token: responder });
    expect(res.json()).toMatchObject({ killed: ['search'], alreadyKilled: ['checkout-api'] });
    const unknown = await server.api('POST', '/api/v1/kill', { environment: 'production', flags: ['search', 'nope'], reason: 'INC-3' });
    expect(unknown.statusCode).toBe(404);
    expect(errorOf(unknown)).toMatchObject({ code: 'FLAG_NOT_FOUND', details: [{ path: 'flags[1]', flag: 'nope' }] });
    expect(errorOf(await server.api('POST', '/api/v1/kill', { environment: 'moon', tag: 'checkout', reason: 'x' })).code).toBe('ENVIRONMENT_NOT_FOUND');
    const both = await server.api('POST', '/api/v1/kill', { environment: 'production', tag: 'checkout', flags: ['cart'], reason: 'x' });
    expect(errorOf(both).details[0]?.path).toBe('tag');
    expect(errorOf(await server.api('POST', '/api/v1/kill', { environment: 'production', tag: 'checkout' })).details[0]?.path).toBe('reason');
    const reader = await server.createKey('reader');
    expect((await server.api('POST', '/api/v1/kill', { environment: 'production', tag: 'checkout', reason: 'x' }, { token: reader })).statusCode).toBe(403);
    expect((await server.api('POST', '/api/v1/kill', { environment: 'production', tag: 'no-such-tag', reason: 'x' })).json()).toMatchObject({ revision: null, killed: [], alreadyKilled: [] });
  });
});
