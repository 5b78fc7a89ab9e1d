import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

function configError(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('defaults to 127.0.0.1:4242 with embedded Postgres, frozen', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ PORT: 4242, HOST: '127.0.0.1', LOG_LEVEL: 'info', DATABASE_SCHEMA: 'public' });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(Object.isFrozen(config)).toBe(true);
    expect(loadConfig({ PORT: '', DATABASE_URL: '' }).PORT).toBe(4242);
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '80.5'],
    ['DATABASE_URL', 'mysql://localhost/db'],
    ['DATABASE_URL', 'localhost:5432'],
    ['LOG_LEVEL', 'loud'],
    ['LOG_LEVEL', 'INFO'],
  ])('rejects %s=%s, naming the variable', (name, value) => {
    expect(configError({ [name]: value })).toMatch(new RegExp(`^\\s+${name}: `, 'm'));
  });

  it('names every bad variable at once', () => {
    const message = configError({ PORT: 'abc', DATABASE_URL: 'nope', LOG_LEVEL: 'loud' });
    for (const name of ['PORT', 'DATABASE_URL', 'LOG_LEVEL']) expect(message).toContain(`${name}:`);
  });

  it('accepts good values', () => {
    expect(loadConfig({ PORT: '0', DATABASE_URL: 'postgresql://u:p@db:5432/flags', LOG_LEVEL: 'warn' })).toMatchObject({ PORT: 0, LOG_LEVEL: 'warn' });
  });
});

describe('server start-up with a bad configuration', () => {
  it('exits with code 2, naming the variable, before touching a database', async () => {
    const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
    expect(existsSync(main), `${main} is missing: build with \`npx tsc -b\` first (npm test does)`).toBe(true);
    const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-config-'));
    try {
      const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = execFile(process.execPath, [main], { env: { ...process.env, PORT: 'abc', SWITCHYARD_DATA_DIR: dataDir }, timeout: 10_000 }, (_error, _stdout, stderr) =>
          resolve({ code: child.exitCode, stderr }),
        );
      });
      expect(code).toBe(2);
      expect(stderr).toMatch(/^switchyard: invalid configuration:/);
      expect(stderr).toMatch(/^\s+PORT: /m);
      expect(existsSync(join(dataDir, 'pgdata'))).toBe(false);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('operations settings', () => {
  it('has production defaults: write limit on, metrics open, no shutdown delay', () => {
    expect(loadConfig({})).toMatchObject({ RATE_LIMIT_WRITES_PER_MINUTE: 600, RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: 30, SHUTDOWN_DELAY_MS: 0, SHUTDOWN_GRACE_MS: 10_000, DATABASE_POOL_SIZE: 10 });
    expect(loadConfig({}).METRICS_TOKEN).toBeUndefined();
    expect(loadConfig({}).TRUST_PROXY).toBeUndefined();
  });

  it.each([
    ['true', true],
    ['false', false],
    ['2', 2],
    ['10.0.0.0/8', ['10.0.0.0/8']],
    ['127.0.0.1, ::1, 10.1.0.0/16', ['127.0.0.1', '::1', '10.1.0.0/16']],
  ])('reads TRUST_PROXY=%s', (value, expected) => {
    expect(loadConfig({ TRUST_PROXY: value }).TRUST_PROXY).toEqual(expected);
  });

  it.each([
    ['TRUST_PROXY', 'everyone'],
    ['METRICS_TOKEN', 'short'],
    ['RATE_LIMIT_WRITES_PER_MINUTE', '-1'],
    ['DATABASE_POOL_SIZE', '1'],
  ])('rejects %s=%s', (name, value) => {
    expect(configError({ [name]: value })).toMatch(new RegExp(`^\\s+${name}: `, 'm'));
  });

  it('wants the shutdown delay shorter than the grace period it is part of', () => {
    expect(configError({ SHUTDOWN_DELAY_MS: '10000' })).toMatch(/SHUTDOWN_DELAY_MS: must be shorter than SHUTDOWN_GRACE_MS/);
    expect(loadConfig({ SHUTDOWN_DELAY_MS: '5000', SHUTDOWN_GRACE_MS: '25000' })).toMatchObject({ SHUTDOWN_DELAY_MS: 5000 });
  });
});
