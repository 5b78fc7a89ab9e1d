import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { environmentState, runCli, startCliServer } from '../helpers/cli.js';
import type { TestServer } from '../helpers/server.js';

// The `switchyard` CLI as a user runs it: the built bin in a subprocess, against a real server.
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

describe('switchyard CLI: usage and errors', () => {
  it('prints help with exit 0, and usage with exit 2 for no or an unknown command', async () => {
    const [help, commandHelp, none, unknown, sub, option] = await Promise.all([
      cli('--help'),
      cli('rollout', 'start', '--help'),
      runCli([], { env }),
      cli('deploy', 'now'),
      cli('gate', 'open', 'x'),
      cli('flags', 'list', '--colour'),
    ]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('gate check');
    expect(help.stdout).toContain('Exit codes');
    expect(commandHelp.code).toBe(0);
    expect(commandHelp.stdout).toContain('--max-error-rate');
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage: switchyard <command>');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "deploy"');
    expect(unknown.stderr).toContain('Usage:');
    expect(unknown.stderr).not.toMatch(/\n\s+at /);
    expect(sub.code).toBe(2);
    expect(sub.stderr).toContain('unknown command "gate open"');
    expect(option.code).toBe(2);
    expect(option.stderr).toContain("Unknown option '--colour'");
    expect(option.stderr).toContain('Usage: switchyard flags list');
  });

  it('refuses kill and restore without --reason, with the usage, before calling the server', async () => {
    const [kill, restore, noEnv] = await Promise.all([
      cli('kill', 'new-checkout', '--env', ENV),
      cli('restore', 'new-checkout', '--env', ENV),
      cli('kill', 'new-checkout', '--reason', 'x'),
    ]);
    for (const [command, result] of [['kill', kill], ['restore', restore]] as const) {
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('--reason is required');
      expect(result.stderr).toContain(`Usage: switchyard ${command} <flag>...`);
      expect(result.stdout).toBe('');
    }
    expect((await envState('new-checkout')).killed).toBeNull();
    expect(noEnv.code).toBe(2);
    expect(noEnv.stderr).toContain('--env is required');
  });

  it('prints one JSON error document with --json', async () => {
    const [result, notFound] = await Promise.all([cli('kill', 'new-checkout', '--env', ENV, '--json'), cli('flags', 'get', 'no-such-flag', '--json')]);
    expect(result.code).toBe(2);
    expect(result.json()).toEqual({ error: { code: 'USAGE', message: expect.stringContaining('--reason is required'), details: [] } });
    expect(notFound.code).toBe(2);
    expect(notFound.json()).toMatchObject({ error: { code: 'FLAG_NOT_FOUND', status: 404 } });
  });

  it('exits 2 with a clear message for a missing or wrong key and an unreachable server', async () => {
    const [noToken, wrong, down, flagsWin, badUrl] = await Promise.all([
      runCli(['flags', 'list'], { env: { SWITCHYARD_URL: url } }),
      runCli(['flags', 'list'], { env: { SWITCHYARD_URL: url, SWITCHYARD_TOKEN: 'sya_wrong' } }),
      // A loopback port nothing listens on.
      runCli(['gate', 'check', 'deploy-freeze', '--env', ENV], { env: { SWITCHYARD_URL: 'http://127.0.0.1:47999', SWITCHYARD_TOKEN: 'x' } }),
      runCli(['flags', 'list', '--url', url, '--token', server.adminToken], { env: { SWITCHYARD_URL: 'http://127.0.0.1:47999' } }),
      runCli(['flags', 'list'], { env: { SWITCHYARD_URL: 'not a url', SWITCHYARD_TOKEN: 'x' } }),
    ]);
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain('no API key: set SWITCHYARD_TOKEN or pass --token');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/^error: UNAUTHORIZED: .*check SWITCHYARD_TOKEN/m);
    expect(down.code).toBe(2);
    expect(down.stderr).toContain('cannot reach Switchyard at http://127.0.0.1:47999');
    expect(down.stderr).not.toMatch(/\n\s+at /);
    expect(flagsWin.code).toBe(0);
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toContain('"not a url" is not a URL');
  });

  it('exits 2 for a server error such as an unknown flag or environment', async () => {
    const [flag, environment, badKey] = await Promise.all([
      cli('kill', 'no-such-flag', '--env', ENV, '--reason', 'x'),
      cli('rollout', 'set', 'search-v2', '10', '--env', 'moon'),
      cli('kill', 'New_Checkout', '--env', ENV, '--reason', 'x'),
    ]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('FLAG_NOT_FOUND');
    expect(environment.code).toBe(2);
    expect(environment.stderr).toContain('ENVIRONMENT_NOT_FOUND');
    // The key format is the server's to judge: a key that cannot exist is unknown like any other.
    expect(badKey.code).toBe(2);
    expect(badKey.stderr).toContain('FLAG_NOT_FOUND');
  });
});

describe('switchyard CLI: flags, rollout set', () => {
  it('lists flags as a table and as JSON, filtered by tag', async () => {
    const human = await cli('flags', 'list', '--env', ENV);
    expect(human.code).toBe(0);
    expect(human.stdout.split('\n')[0]).toMatch(/^KEY\s+KIND\s+OWNER\s+PRODUCTION\s+EXPIRES\s+TAGS$/);
    expect(human.stdout).toMatch(/new-checkout\s+release\s+team-checkout\s+on \(true\)/);
    const json = await cli('flags', 'list', '--tag', 'checkout', '--json');
    expect(json.code).toBe(0);
    const { flags } = json.json<{ flags: { key: string; environments: Record<string, { state: string }> }[] }>();
    expect(flags.map((f) => f.key)).toEqual(['checkout-layout', 'new-checkout', 'payment-retry']);
    expect(flags[1]?.environments[ENV]?.state).toBe('on');
    const both = await cli('flags', 'list', '--tag', 'checkout', '--tag', 'payments', '--json');
    expect(both.json<{ flags: { key: string }[] }>().flags.map((f) => f.key)).toEqual(['payment-retry']);
  });

  it('gets one flag, and its config in one environment', async () => {
    const human = await cli('flags', 'get', 'checkout-layout');
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('kind      experiment (string)');
    expect(human.stdout).toContain('variants  control, grid');
    const json = await cli('flags', 'get', 'new-checkout', '--env', ENV, '--json');
    expect(json.json()).toMatchObject({ flag: 'new-checkout', environment: ENV, enabled: true, config: { fallthrough: { variant: 'true' } } });
  });

  it('sets the rollout percentage, warning when the flag is off', async () => {
    const result = await cli('rollout', 'set', 'search-v2', '25%', '--env', ENV);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/search-v2 in production: rollout 25% \(now off\), revision \d+/);
    expect(result.stderr).toContain('warning: flag is off in production');
    expect((await envState('search-v2')).rolloutPercentage).toBe(25);
    const json = await cli('rollout', 'set', 'search-v2', '30', '--env', ENV, '--json');
    expect(json.json()).toMatchObject({ flag: 'search-v2', environment: ENV, rolloutPercentage: 30 });
    const bad = await cli('rollout', 'set', 'search-v2', '130', '--env', ENV);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('not a percentage between 0 and 100');
  });
});
