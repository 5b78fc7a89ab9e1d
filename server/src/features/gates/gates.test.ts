import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlag, errorOf, manualClock, putConfig } from '../../../../test/helpers/flags.js';
import { createTestServer, type TestServer } from '../../../../test/helpers/server.js';

// Friday 2026-11-27 12:00 in Amsterdam (CET, UTC+1).
const clock = manualClock('2026-11-27T11:00:00Z');
let server: TestServer;
beforeAll(async () => {
  server = await createTestServer({ clock, schedulerIntervalMs: 0 });
});
afterAll(async () => server.close());

const ON = { enabled: true, offVariant: 'false', fallthrough: { variant: 'true' } };
const FREEZE = {
  timezone: 'Europe/Amsterdam',
  weekly: [{ from: { day: 'fri', time: '16:00' }, to: { day: 'mon', time: '08:00' }, reason: 'weekend freeze' }],
  dates: [{ start: '2026-12-24T00:00:00+01:00', end: '2026-12-27T00:00:00+01:00', reason: 'holidays' }],
};

interface GateBody {
  gate: string;
  environment: string;
  open: boolean;
  reason: string;
  source: string;
  until: string | null;
  activeKills?: { flag: string; reason: string; at: string }[];
}

async function gate(key: string, query = '', env = 'production'): Promise<GateBody> {
  const res = await server.api('GET', `/api/v1/gates/${key}/environments/${env}${query}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as GateBody;
}

async function newGate(key: string): Promise<void> {
  await createFlag(server, key, { kind: 'gate', owner: 'release-eng' });
  await putConfig(server, key, 'production', ON);
}

describe('gate state', () => {
  it('is open when on, closed when off, killed or restored back open', async () => {
    await createFlag(server, 'gate-manual', { kind: 'gate', owner: 'release-eng' });
    expect(await gate('gate-manual')).toMatchObject({ gate: 'gate-manual', environment: 'production', open: false, source: 'manual', until: null });
    await putConfig(server, 'gate-manual', 'production', ON);
    expect(await gate('gate-manual')).toEqual({ gate: 'gate-manual', environment: 'production', open: true, source: 'open', reason: 'open', until: null });
    const kill = await server.api('POST', '/api/v1/flags/gate-manual/environments/production/kill', { reason: 'INC-7: hold all deploys' });
    expect(kill.statusCode).toBe(200);
    expect(await gate('gate-manual')).toMatchObject({ open: false, source: 'kill', reason: expect.stringContaining('INC-7: hold all deploys') });
    await server.api('POST', '/api/v1/flags/gate-manual/environments/production/restore', { reason: 'resolved' });
    expect((await gate('gate-manual')).open).toBe(true);
  });

  it('follows its schedule by the (fake) clock, with until and a local time in the reason', async () => {
    await newGate('deploy-freeze');
    const empty = await server.api('GET', '/api/v1/gates/deploy-freeze/environments/production/schedule');
    expect(empty.json()).toEqual({ gate: 'deploy-freeze', environment: 'production', timezone: 'UTC', weekly: [], dates: [], version: 0, updatedAt: null });

    const put = await server.api('PUT', '/api/v1/gates/deploy-freeze/environments/production/schedule', FREEZE, { headers: { 'if-match': '0' } });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.headers.etag).toBe('"1"');
    expect(put.json()).toMatchObject({ ...FREEZE, version: 1, revision: expect.any(Number) });
    expect((await server.api('GET', '/api/v1/gates/deploy-freeze/environments/production/schedule')).json()).toMatchObject({ ...FREEZE, version: 1 });

    clock.set('2026-11-27T14:59:00Z');
    expect(await gate('deploy-freeze')).toMatchObject({ open: true, source: 'open', until: '2026-11-27T15:00:00.000Z', reason: 'open; closes at 2026-11-27T16:00:00+01:00 (weekend freeze)' });
    clock.set('2026-11-27T15:00:00Z');
    expect(await gate('deploy-freeze')).toEqual({
      gate: 'deploy-freeze',
      environment: 'production',
      open: false,
      source: 'schedule',
      reason: 'closed by schedule: weekend freeze (until 2026-11-30T08:00:00+01:00)',
      until: '2026-11-30T07:00:00.000Z',
    });
    clock.set('2026-11-30T07:00:00Z');
    expect(await gate('deploy-freeze')).toMatchObject({ open: true, until: '2026-12-04T15:00:00.000Z' });
    clock.set('2026-12-24T09:00:00Z');
    expect(await gate('deploy-freeze')).toMatchObject({ open: false, reason: 'closed by schedule: holidays (until 2026-12-28T08:00:00+01:00)', until: '2026-12-28T07:00:00.000Z' });
    // A kill outranks the schedule: its reason is what a pipeline prints.
    clock.set('2026-11-28T12:00:00Z');
    await server.api('POST', '/api/v1/flags/deploy-freeze/environments/production/kill', { reason: 'INC-9' });
    expect(await gate('deploy-freeze')).toMatchObject({ open: false, source: 'kill', until: null });
    await server.api('POST', '/api/v1/flags/deploy-freeze/environments/production/restore', { reason: 'ok' });
  });

  it('refuses a stale If-Match on the schedule and bad schedules with field paths', async () => {
    await newGate('gate-versions');
    expect((await server.api('PUT', '/api/v1/gates/gate-versions/environments/production/schedule', FREEZE)).statusCode).toBe(200);
    const stale = await server.api('PUT', '/api/v1/gates/gate-versions/environments/production/schedule', { timezone: 'UTC' }, { headers: { 'if-match': '"0"' } });
    expect(stale.statusCode).toBe(409);
    expect(errorOf(stale).code).toBe('VERSION_CONFLICT');
    const bad = await server.api('PUT', '/api/v1/gates/gate-versions/environments/production/schedule', { timezone: 'Nowhere/Land', weekly: [{ from: { day: 'fri', time: '25:00' }, to: { day: 'mon', time: '08:00' } }] });
    expect(bad.statusCode).toBe(400);
    expect(errorOf(bad).details.map((d) => d.path)).toEqual(['weekly[0].from.time']);
    const zone = await server.api('PUT', '/api/v1/gates/gate-versions/environments/production/schedule', { timezone: 'Nowhere/Land' });
    expect(errorOf(zone).details.map((d) => d.path)).toEqual(['timezone']);
    expect((await server.api('GET', '/api/v1/gates/gate-versions/environments/production/schedule')).json()).toMatchObject({ version: 1 });
  });

  it('with noActiveKills, stays closed while any other flag in the environment is killed', async () => {
    await newGate('gate-kills');
    await createFlag(server, 'checkout-v2');
    await putConfig(server, 'checkout-v2', 'production', ON);
    expect((await gate('gate-kills', '?noActiveKills=true')).open).toBe(true);
    await server.api('POST', '/api/v1/flags/checkout-v2/environments/production/kill', { reason: 'INC-1' });
    const closed = await gate('gate-kills', '?noActiveKills=true');
    expect(closed).toMatchObject({ open: false, source: 'active-kills', reason: 'closed: 1 flag is killed in production: checkout-v2 (INC-1)' });
    expect(closed.activeKills).toEqual([{ flag: 'checkout-v2', reason: 'INC-1', at: expect.any(String) }]);
    expect((await gate('gate-kills')).open).toBe(true);
    expect((await gate('gate-kills', '?noActiveKills=true', 'staging')).open).toBe(false);
    await server.api('POST', '/api/v1/flags/checkout-v2/environments/production/restore', { reason: 'fixed' });
    expect(await gate('gate-kills', '?noActiveKills=true')).toMatchObject({ open: true, activeKills: [] });
  });

  it('answers 404 for a flag that is not a gate, an unknown flag or environment; readers read, only writers write', async () => {
    await createFlag(server, 'not-a-gate');
    const notGate = await server.api('GET', '/api/v1/gates/not-a-gate/environments/production');
    expect(notGate.statusCode).toBe(404);
    expect(errorOf(notGate)).toMatchObject({ code: 'FLAG_NOT_FOUND', message: expect.stringContaining('not a gate') });
    expect(errorOf(await server.api('GET', '/api/v1/gates/ghost/environments/production')).code).toBe('FLAG_NOT_FOUND');
    expect(errorOf(await server.api('GET', '/api/v1/gates/deploy-freeze/environments/moon')).code).toBe('ENVIRONMENT_NOT_FOUND');
    expect(errorOf(await server.api('GET', '/api/v1/gates/deploy-freeze/environments/production?noActiveKills=maybe')).code).toBe('VALIDATION_FAILED');
    const reader = await server.createKey('reader');
    expect((await server.api('GET', '/api/v1/gates/deploy-freeze/environments/production', undefined, { token: reader })).statusCode).toBe(200);
    expect((await server.api('PUT', '/api/v1/gates/deploy-freeze/environments/production/schedule', FREEZE, { token: reader })).statusCode).toBe(403);
  });
});

describe('gate changes', () => {
  it('are noticed by the scheduler tick and queued as gate.change webhooks, once per flip', async () => {
    clock.set('2026-12-02T12:00:00Z');
    await newGate('gate-watched');
    expect((await server.api('PUT', '/api/v1/gates/gate-watched/environments/production/schedule', FREEZE)).statusCode).toBe(200);
    // An unroutable receiver: this test looks at the queue, not at deliveries.
    const hook = await server.api('POST', '/api/v1/webhooks', { url: 'http://127.0.0.1:9/hook', events: ['gate.change'] });
    expect(hook.statusCode, hook.body).toBe(201);
    const events = async (): Promise<{ open: boolean; text: string }[]> => {
      const rows = await server.database.db.selectFrom('webhook_deliveries').select('event').orderBy('id').execute();
      return rows
        .map((r) => r.event as { event: string; flag: string; detail: { open: boolean }; text: string })
        .filter((e) => e.flag === 'gate-watched')
        .map((e) => ({ open: e.detail.open, text: e.text }));
    };
    await server.app.services.scheduler.tick();
    expect(await events()).toEqual([]);

    clock.set('2026-12-04T15:00:00Z');
    await server.app.services.scheduler.tick();
    await server.app.services.scheduler.tick();
    expect(await events()).toEqual([{ open: false, text: ':no_entry: gate *gate-watched* in *production* closed: closed by schedule: weekend freeze (until 2026-12-07T08:00:00+01:00)' }]);

    // Killed during the freeze: still closed, nothing to announce.
    await server.api('POST', '/api/v1/flags/gate-watched/environments/production/kill', { reason: 'INC-2' });
    clock.set('2026-12-07T07:30:00Z');
    await server.app.services.scheduler.tick();
    expect(await events()).toHaveLength(1);
    await server.api('POST', '/api/v1/flags/gate-watched/environments/production/restore', { reason: 'done' });
    await server.app.services.scheduler.tick();
    expect((await events()).map((e) => e.open)).toEqual([false, true]);
    await server.api('DELETE', `/api/v1/webhooks/${(hook.json() as { webhook: { id: string } }).webhook.id}`);
  });
});
