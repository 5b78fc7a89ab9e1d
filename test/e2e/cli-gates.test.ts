import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { createTestServer, type TestServer } from '../helpers/server.js';

// `switchyard gate check|wait`: exit 0 open, 1 closed (or still closed at the timeout), 2 on error.
const ENV = 'production';
let server: TestServer;
let env: Record<string, string>;

function cli(...args: string[]) {
  return runCli(args, { env });
}

async function ok(method: 'POST' | 'PUT', path: string, body: unknown): Promise<void> {
  const res = await server.api(method, path, body);
  expect(res.statusCode, res.body).toBeLessThan(300);
}

beforeAll(async () => {
  server = await createTestServer();
  env = { SWITCHYARD_URL: await server.listen(), SWITCHYARD_TOKEN: await server.createKey('reader') };
  await ok('POST', '/api/v1/flags', { key: 'deploy-freeze', kind: 'gate', owner: 'release-eng' });
  await ok('PUT', `/api/v1/flags/deploy-freeze/environments/${ENV}`, { enabled: true, offVariant: 'false', fallthrough: { variant: 'true' } });
  await ok('POST', '/api/v1/flags', { key: 'new-checkout', kind: 'release', owner: 'team-checkout', expiresAt: '2030-01-01T00:00:00Z' });
});

afterAll(async () => {
  await server?.close();
});

describe('switchyard gate check', () => {
  it('exits 0 while the gate is open, and 1 with the reason while it is killed', async () => {
    const open = await cli('gate', 'check', 'deploy-freeze', '--env', ENV);
    expect(open.code).toBe(0);
    expect(open.stdout).toBe('open: deploy-freeze in production\n');
    const json = await cli('gate', 'check', 'deploy-freeze', '--env', ENV, '--json');
    expect(json.json()).toEqual({ gate: 'deploy-freeze', environment: ENV, open: true, reason: 'open', source: 'open', until: null });

    await ok('POST', `/api/v1/flags/deploy-freeze/environments/${ENV}/kill`, { reason: 'INC-7: freeze during the incident' });
    const [closed, closedJson] = await Promise.all([cli('gate', 'check', 'deploy-freeze', '--env', ENV), cli('gate', 'check', 'deploy-freeze', '--env', ENV, '--json')]);
    expect(closed.code).toBe(1);
    expect(closed.stdout).toMatch(/^closed: deploy-freeze in production — killed by bootstrap-admin at \S+: INC-7: freeze during the incident\n$/);
    expect(closedJson.code).toBe(1);
    expect(closedJson.json()).toMatchObject({ open: false, source: 'kill', until: null });
    await ok('POST', `/api/v1/flags/deploy-freeze/environments/${ENV}/restore`, { reason: 'INC-7 over' });
  });

  it('exits 1 while a schedule window or the manual switch closes it', async () => {
    const now = Date.now();
    await ok('PUT', `/api/v1/gates/deploy-freeze/environments/${ENV}/schedule`, {
      timezone: 'UTC',
      weekly: [],
      dates: [{ start: new Date(now - 60_000).toISOString(), end: new Date(now + 3_600_000).toISOString(), reason: 'release freeze' }],
    });
    const scheduled = await cli('gate', 'check', 'deploy-freeze', '--env', ENV, '--json');
    expect(scheduled.code).toBe(1);
    const status = scheduled.json<{ source: string; reason: string; until: string }>();
    expect(status).toMatchObject({ open: false, source: 'schedule' });
    expect(status.reason).toContain('closed by schedule: release freeze (until');
    expect(Date.parse(status.until)).toBeGreaterThan(now);
    await ok('PUT', `/api/v1/gates/deploy-freeze/environments/${ENV}/schedule`, { timezone: 'UTC', weekly: [], dates: [] });

    await ok('PUT', `/api/v1/flags/deploy-freeze/environments/${ENV}`, { enabled: false, offVariant: 'false', fallthrough: { variant: 'true' } });
    const manual = await cli('gate', 'check', 'deploy-freeze', '--env', ENV);
    expect(manual.code).toBe(1);
    expect(manual.stdout).toBe('closed: deploy-freeze in production — closed manually: the gate is off in production\n');
    await ok('PUT', `/api/v1/flags/deploy-freeze/environments/${ENV}`, { enabled: true, offVariant: 'false', fallthrough: { variant: 'true' } });
  });

  it('with --no-active-kills, is closed while any flag in the environment is killed', async () => {
    await ok('POST', `/api/v1/flags/new-checkout/environments/${ENV}/kill`, { reason: 'INC-8' });
    const [withGate, alone, aloneJson, otherEnv] = await Promise.all([
      cli('gate', 'check', 'deploy-freeze', '--no-active-kills', '--env', ENV, '--json'),
      cli('gate', 'check', '--no-active-kills', '--env', ENV),
      cli('gate', 'check', '--no-active-kills', '--env', ENV, '--json'),
      cli('gate', 'check', '--no-active-kills', '--env', 'staging'),
    ]);
    expect(withGate.code).toBe(1);
    expect(withGate.json()).toMatchObject({ open: false, source: 'active-kills', activeKills: [{ flag: 'new-checkout', reason: 'INC-8' }] });
    expect(alone.code).toBe(1);
    expect(alone.stdout).toBe('closed: active kills in production — 1 flag is killed in production: new-checkout (INC-8)\n');
    expect(aloneJson.json()).toMatchObject({ gate: null, environment: ENV, open: false, source: 'active-kills', activeKills: [{ flag: 'new-checkout', reason: 'INC-8' }] });
    expect(otherEnv.code).toBe(0);
    expect(otherEnv.stdout).toBe('open: active kills in staging — no flag is killed in staging\n');

    await ok('POST', `/api/v1/flags/new-checkout/environments/${ENV}/restore`, { reason: 'INC-8 over' });
    const [reopened, reopenedAlone] = await Promise.all([cli('gate', 'check', 'deploy-freeze', '--no-active-kills', '--env', ENV), cli('gate', 'check', '--no-active-kills', '--env', ENV)]);
    expect(reopened.code).toBe(0);
    expect(reopenedAlone.code).toBe(0);
  });

  it('exits 2 for a flag that is not a gate, an unknown gate or environment, and a missing gate', async () => {
    const [notGate, unknown, badEnv, noGate, badEnvKills] = await Promise.all([
      cli('gate', 'check', 'new-checkout', '--env', ENV),
      cli('gate', 'check', 'no-such-gate', '--env', ENV),
      cli('gate', 'check', 'deploy-freeze', '--env', 'moon'),
      cli('gate', 'check', '--env', ENV),
      cli('gate', 'check', '--no-active-kills', '--env', 'moon', '--json'),
    ]);
    expect(notGate.code).toBe(2);
    expect(notGate.stderr).toContain('is a release flag, not a gate');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('FLAG_NOT_FOUND');
    expect(badEnv.code).toBe(2);
    expect(badEnv.stderr).toContain('ENVIRONMENT_NOT_FOUND');
    expect(noGate.code).toBe(2);
    expect(noGate.stderr).toContain('name a gate (e.g. deploy-freeze), or pass --no-active-kills');
    expect(badEnvKills.code).toBe(2);
    expect(badEnvKills.json()).toMatchObject({ error: { code: 'ENVIRONMENT_NOT_FOUND' } });
  });
});

describe('switchyard gate wait', () => {
  it('blocks until the gate opens, then exits 0', async () => {
    await ok('POST', `/api/v1/flags/deploy-freeze/environments/${ENV}/kill`, { reason: 'INC-9' });
    const started = Date.now();
    const waiting = cli('gate', 'wait', 'deploy-freeze', '--env', ENV, '--interval', '200ms', '--timeout', '20s');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await ok('POST', `/api/v1/flags/deploy-freeze/environments/${ENV}/restore`, { reason: 'INC-9 over' });
    const result = await waiting;
    expect(result.code, result.stderr).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    expect(result.stdout).toBe('open: deploy-freeze in production\n');
    // Not a terminal: one progress line per change, not one per poll.
    const progress = result.stderr.trimEnd().split('\n');
    expect(progress).toHaveLength(1);
    expect(progress[0]).toMatch(/^closed: deploy-freeze in production — killed by .*INC-9 \(waited \d+ms\)$/);
  });

  it('exits 1 when the gate is still closed at the timeout', async () => {
    await ok('POST', `/api/v1/flags/deploy-freeze/environments/${ENV}/kill`, { reason: 'INC-10' });
    const [human, json] = await Promise.all([
      cli('gate', 'wait', 'deploy-freeze', '--env', ENV, '--interval', '200ms', '--timeout', '1s'),
      cli('gate', 'wait', 'deploy-freeze', '--env', ENV, '--interval', '200ms', '--timeout', '1s', '--json'),
    ]);
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/^still closed: deploy-freeze in production — killed by .*INC-10 after 1s\n$/);
    expect(json.code).toBe(1);
    expect(json.json()).toMatchObject({ gate: 'deploy-freeze', open: false, source: 'kill', timedOut: true });
    await ok('POST', `/api/v1/flags/deploy-freeze/environments/${ENV}/restore`, { reason: 'INC-10 over' });
    const open = await cli('gate', 'wait', 'deploy-freeze', '--env', ENV, '--timeout', '1s', '--json');
    expect(open.code).toBe(0);
    expect(open.json()).toMatchObject({ open: true, timedOut: false });
  });
});
