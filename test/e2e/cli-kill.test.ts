import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { environmentState, runCli, startCliServer } from '../helpers/cli.js';
import type { TestServer } from '../helpers/server.js';

// `switchyard kill|restore`, single and bulk: the built bin in a subprocess, against a real server.
const ENV = 'production';
let server: TestServer;
let url: string;
let env: Record<string, string>;

const cli = (...args: string[]) => runCli(args, { env });
const envState = (key: string) => environmentState(server, ENV, key);

beforeAll(async () => {
  ({ server, url, env } = await startCliServer(ENV));
});

afterAll(async () => {
  await server?.close();
});

describe('switchyard CLI: kill and restore', () => {
  it('kills one flag with a reason and restores it; both are idempotent', async () => {
    const kill = await cli('kill', 'new-checkout', '--env', ENV, '--reason', 'INC-4711: checkout 500s', '--incident', 'INC-4711', '--json');
    expect(kill.code).toBe(0);
    const report = kill.json<{ killed: string[]; alreadyKilled: string[]; revision: number }>();
    expect(report).toMatchObject({ environment: ENV, reason: 'INC-4711: checkout 500s', dryRun: false, killed: ['new-checkout'], alreadyKilled: [] });
    expect(report.revision).toBeGreaterThan(0);
    expect((await envState('new-checkout')).killed).toMatchObject({ reason: 'INC-4711: checkout 500s' });

    const again = await cli('kill', 'new-checkout', '--env', ENV, '--reason', 'INC-4711');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already killed: new-checkout');
    expect(again.stderr).toContain('was already killed in production: "INC-4711: checkout 500s"');

    const audit = (await server.api('GET', `/api/v1/audit?flag=new-checkout&env=${ENV}&action=flag-environment.kill`)).json() as { entries: { reason: string; incidentId: string; revision: number }[] };
    expect(audit.entries).toHaveLength(1);
    expect(audit.entries[0]).toMatchObject({ reason: 'INC-4711: checkout 500s', incidentId: 'INC-4711', revision: report.revision });

    const restore = await cli('restore', 'new-checkout', '--env', ENV, '--reason', 'INC-4711 mitigated');
    expect(restore.code).toBe(0);
    expect(restore.stdout).toMatch(/restored new-checkout in production \(revision \d+\): now on/);
    expect(await envState('new-checkout')).toMatchObject({ killed: null, enabled: true });
    const notKilled = await cli('restore', 'new-checkout', '--env', ENV, '--reason', 'again', '--json');
    expect(notKilled.code).toBe(0);
    expect(notKilled.json()).toEqual({ environment: ENV, reason: 'again', restored: [], notKilled: ['new-checkout'] });
  });

  it('lets a responder key kill but not change rollouts', async () => {
    const responder = await server.createKey('responder');
    const asResponder = { SWITCHYARD_URL: url, SWITCHYARD_TOKEN: responder };
    const kill = await runCli(['kill', 'search-v2', '--env', ENV, '--reason', 'INC-5'], { env: asResponder });
    expect(kill.code).toBe(0);
    const restore = await runCli(['restore', 'search-v2', '--env', ENV, '--reason', 'INC-5 over'], { env: asResponder });
    expect(restore.code).toBe(0);
    const slider = await runCli(['rollout', 'set', 'search-v2', '10', '--env', ENV], { env: asResponder });
    expect(slider.code).toBe(2);
    expect(slider.stderr).toContain('FORBIDDEN');
  });

  it('kills every flag with a tag in one transaction: --dry-run first, then for real', async () => {
    const dry = await cli('kill', '--tag', 'checkout', '--env', ENV, '--reason', 'INC-1', '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('dry run: would kill 3 flags in production (tag checkout):');
    for (const key of ['new-checkout', 'checkout-layout', 'payment-retry']) {
      expect(dry.stdout).toContain(`  ${key}`);
      expect((await envState(key)).killed).toBeNull();
    }
    const dryJson = await cli('kill', '--tag', 'checkout', '--env', ENV, '--reason', 'INC-1', '--dry-run', '--json');
    expect(dryJson.json()).toMatchObject({ dryRun: true, revision: null, alreadyKilled: [], selector: { tag: 'checkout' } });
    expect(dryJson.json<{ killed: string[] }>().killed.sort()).toEqual(['checkout-layout', 'new-checkout', 'payment-retry']);

    const before = (await server.api('GET', '/api/v1/audit?limit=1')).json() as { entries: { revision: number }[] };
    const real = await cli('kill', '--tag', 'checkout', '--env', ENV, '--reason', 'INC-1', '--json');
    expect(real.code, real.stderr).toBe(0);
    const report = real.json<{ revision: number; killed: string[] }>();
    expect(report.revision).toBe((before.entries[0]?.revision ?? 0) + 1);
    expect(report.killed.sort()).toEqual(['checkout-layout', 'new-checkout', 'payment-retry']);
    const audit = (await server.api('GET', `/api/v1/audit?env=${ENV}&action=flag-environment.kill&limit=10`)).json() as { entries: { revision: number; resourceKey: string; reason: string }[] };
    const rows = audit.entries.filter((e) => e.revision === report.revision);
    expect(rows.map((r) => r.resourceKey).sort()).toEqual(['checkout-layout', 'new-checkout', 'payment-retry']);
    expect(rows.every((r) => r.reason === 'INC-1')).toBe(true);
    for (const key of report.killed) expect((await envState(key)).killed).toMatchObject({ reason: 'INC-1' });

    const repeat = await cli('kill', '--tag', 'checkout', '--env', ENV, '--reason', 'INC-1');
    expect(repeat.code).toBe(0);
    expect(repeat.stdout).toContain('already killed: ');
    const nothing = await cli('kill', '--tag', 'no-such-tag', '--env', ENV, '--reason', 'INC-1');
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toMatch(/no flag tagged "no-such-tag"|VALIDATION_FAILED|NOT_FOUND/);

    const restore = await cli('restore', '--tag', 'checkout', '--env', ENV, '--reason', 'INC-1 over', '--json');
    expect(restore.code).toBe(0);
    expect(restore.json<{ restored: { flag: string }[] }>().restored.map((r) => r.flag).sort()).toEqual(['checkout-layout', 'new-checkout', 'payment-retry']);
  });

  it('kills several named flags in one revision', async () => {
    const result = await cli('kill', 'search-v2', 'old-promo', '--env', ENV, '--reason', 'INC-2', '--json');
    expect(result.code, result.stderr).toBe(0);
    const report = result.json<{ revision: number; killed: string[] }>();
    expect(report.killed.sort()).toEqual(['old-promo', 'search-v2']);
    expect((await envState('search-v2')).killed).toMatchObject({ reason: 'INC-2' });
    await cli('restore', 'search-v2', 'old-promo', '--env', ENV, '--reason', 'INC-2 over');
    expect((await envState('old-promo')).killed).toBeNull();
  });
});
