import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { createTestServer, type TestServer } from '../helpers/server.js';

// `switchyard audit|stale|scan|codegen`: the built bin in a subprocess, against a real server.
const ENV = 'production';
let server: TestServer;
let env: Record<string, string>;
let tmp: string;

function cli(...args: string[]) {
  return runCli(args, { env });
}

async function createFlag(body: Record<string, unknown>): Promise<void> {
  const created = await server.api('POST', '/api/v1/flags', { owner: 'team-checkout', kind: 'release', expiresAt: '2030-01-01T00:00:00Z', ...body });
  expect(created.statusCode, created.body).toBe(201);
}

beforeAll(async () => {
  server = await createTestServer();
  env = { SWITCHYARD_URL: await server.listen(), SWITCHYARD_TOKEN: server.adminToken };
  tmp = await mkdtemp(join(tmpdir(), 'switchyard-cli-'));
  await createFlag({ key: 'new-checkout', tags: ['checkout'] });
  await createFlag({ key: 'checkout-layout', kind: 'experiment', tags: ['checkout'], type: 'string', variants: [{ key: 'control', value: 'control' }, { key: 'grid', value: 'grid' }] });
  await createFlag({ key: 'payment-retry', kind: 'kill-switch', expiresAt: null, tags: ['checkout', 'payments'] });
  await createFlag({ key: 'search-v2', tags: ['search'] });
  await createFlag({ key: 'old-promo', expiresAt: '2021-01-01T00:00:00Z', tags: ['promo'] });
  await createFlag({ key: 'deploy-freeze', kind: 'gate', expiresAt: null });
  await createFlag({ key: 'retired', tags: ['promo'] });
  expect((await server.api('DELETE', '/api/v1/flags/retired')).statusCode).toBe(200);
  for (const reason of ['INC-1', 'INC-2']) {
    expect((await server.api('POST', `/api/v1/flags/new-checkout/environments/${ENV}/kill`, { reason })).statusCode).toBe(200);
    expect((await server.api('POST', `/api/v1/flags/new-checkout/environments/${ENV}/restore`, { reason: `${reason} over` })).statusCode).toBe(200);
  }
});

afterAll(async () => {
  await server?.close();
  if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
});

describe('switchyard CLI: audit, stale, scan, codegen', () => {
  it('shows the audit log as a table and as JSON', async () => {
    const [human, json, all] = await Promise.all([
      cli('audit', '--flag', 'new-checkout', '--env', ENV, '--limit', '3'),
      cli('audit', '--flag', 'new-checkout', '--action', 'flag-environment.kill', '--json'),
      cli('audit', '--flag', 'new-checkout', '--limit', '1', '--all', '--json'),
    ]);
    expect(human.code).toBe(0);
    const lines = human.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^AT\s+REV\s+ACTOR\s+ACTION\s+RESOURCE\s+ENV\s+REASON$/);
    expect(lines[1]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d\s+\d+\s+bootstrap-admin\s+flag-environment\.restore\s+new-checkout\s+production\s+INC-2 over$/);
    expect(lines).toHaveLength(5);
    expect(lines[4]).toMatch(/^\(more: --before \d+, or --all\)$/);
    const page = json.json<{ entries: { action: string; reason: string }[]; nextBefore: number | null }>();
    expect(page.entries.map((e) => [e.action, e.reason])).toEqual([['flag-environment.kill', 'INC-2'], ['flag-environment.kill', 'INC-1']]);
    expect(page.nextBefore).toBeNull();
    const everything = all.json<{ entries: { action: string }[]; nextBefore: number | null }>();
    expect(everything.nextBefore).toBeNull();
    expect(everything.entries.map((e) => e.action)).toEqual(['flag-environment.restore', 'flag-environment.kill', 'flag-environment.restore', 'flag-environment.kill', 'flag.create']);
  });

  it('lists stale flags and fails on expired ones with --fail-on-expired', async () => {
    const [plain, failing, json, owner] = await Promise.all([cli('stale'), cli('stale', '--fail-on-expired'), cli('stale', '--json'), cli('stale', '--owner', 'someone-else', '--fail-on-expired', '--json')]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/^KEY\s+OWNER\s+KIND\s+REASONS\s+EXPIRES\s+LAST EVALUATED\s+FULLY ROLLED OUT IN\nold-promo\s+team-checkout\s+release\s+expired\s+2021-01-01 00:00\s+never\s+-\n$/);
    expect(failing.code).toBe(1);
    expect(failing.stderr).toContain('1 flag is past expiry: old-promo');
    expect(json.code).toBe(0);
    expect(json.json()).toMatchObject({ expired: ['old-promo'], flags: [{ key: 'old-promo', staleReasons: ['expired'] }] });
    expect(owner.code).toBe(0);
    expect(owner.json()).toEqual({ flags: [], expired: [] });
  });

  it('passes --days to the server', async () => {
    const result = await cli('stale', '--days', '7', '--json');
    expect(result.code, result.stderr).toBe(0);
    expect(result.json<{ expired: string[] }>().expired).toEqual(['old-promo']);
    const bad = await cli('stale', '--days', 'lots');
    expect(bad.code).toBe(2);
  });

  it('scans code for keys used but not defined, and flags defined but unused', async () => {
    const src = join(tmp, 'app');
    await mkdir(join(src, 'src'), { recursive: true });
    await writeFile(join(src, 'src', 'checkout.ts'), "export const on = (flags, ctx) => flags.enabled('new-checkout', ctx) && flags.enabled('new-chekout', ctx);\n");
    await writeFile(join(src, 'src', 'layout.ts'), "const { variant: pick } = flags;\nexport const layout = pick('checkout-layout', ctx, 'control');\nexport const promo = flags.enabled('retired');\n");
    const [result, human] = await Promise.all([cli('scan', src, '--json'), cli('scan', src)]);
    expect(result.code).toBe(1);
    type Report = { files: number; undefined: { key: string; archived: boolean; locations: { file: string; line: number }[] }[]; unused: { key: string }[]; used: { key: string; defined: boolean }[] };
    const report = result.json<Report>();
    expect(report.files).toBe(2);
    expect(report.undefined).toEqual([
      { key: 'new-chekout', archived: false, locations: [{ file: 'src/checkout.ts', line: 1, column: 88 }] },
      { key: 'retired', archived: true, locations: [{ file: 'src/layout.ts', line: 3, column: 37 }] },
    ]);
    // Gates are used by pipelines, not code: never reported unused.
    expect(report.unused.map((u) => u.key)).toEqual(['old-promo', 'payment-retry', 'search-v2']);
    expect(report.used).toEqual([
      { key: 'checkout-layout', defined: true, locations: [{ file: 'src/layout.ts', line: 2, column: 29 }] },
      expect.objectContaining({ key: 'new-checkout', defined: true }),
      expect.objectContaining({ key: 'new-chekout', defined: false }),
      expect.objectContaining({ key: 'retired', defined: false }),
    ]);
    expect(result.stderr).toMatch(/scanned 2 files in \d+ ms: 4 flag keys used/);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain('used in code but not defined (2):');
    expect(human.stdout).toMatch(/new-chekout\s+src\/checkout\.ts:1:88\n/);
    expect(human.stdout).toMatch(/retired\s+src\/layout\.ts:3:37\s+\(archived flag: SDKs serve the default\)/);
    expect(human.stdout).toContain('defined but not used in code (3):');

    await writeFile(join(src, 'src', 'checkout.ts'), "export const on = (flags, ctx) => flags.enabled('new-checkout', ctx);\n");
    await writeFile(join(src, 'src', 'layout.ts'), "const { variant: pick } = flags;\nexport const layout = pick('checkout-layout', ctx, 'control');\n");
    const [clean, strict, offline, missing] = await Promise.all([
      cli('scan', src),
      cli('scan', src, '--fail-on-unused'),
      runCli(['scan', src, '--offline', '--json']),
      cli('scan', join(tmp, 'nope')),
    ]);
    expect(clean.code).toBe(0);
    expect(strict.code).toBe(1);
    expect(offline.code).toBe(0);
    expect(offline.json<{ used: { key: string }[] }>().used.map((u) => u.key)).toEqual(['checkout-layout', 'new-checkout']);
    expect(missing.code).toBe(2);
  });

  it('generates a typed registry of the flags', async () => {
    const out = join(tmp, 'gen', 'flags.ts');
    const result = await cli('codegen', '--out', out, '--json');
    expect(result.code).toBe(0);
    expect(result.json()).toEqual({ out, flags: ['checkout-layout', 'deploy-freeze', 'new-checkout', 'old-promo', 'payment-retry', 'search-v2'] });
    expect(existsSync(out)).toBe(true);
    const code = readFileSync(out, 'utf8');
    expect(code).toContain("'checkout-layout': { type: 'string', variants: ['control', 'grid'] },");
    expect(code).toContain("'checkout-layout': 'control' | 'grid';");
    const stdout = await cli('codegen', '--tag', 'payments');
    expect(stdout.code).toBe(0);
    expect(stdout.stdout).toContain("'payment-retry': { type: 'boolean', variants: ['true', 'false'] },");
    expect(stdout.stdout).not.toContain('new-checkout');
  });
});
