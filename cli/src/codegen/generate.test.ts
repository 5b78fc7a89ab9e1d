import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFlagsModule, type CodegenFlag } from './generate.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const tsc = join(root, 'node_modules/typescript/bin/tsc');

const FLAGS: CodegenFlag[] = [
  { key: 'new-checkout', type: 'boolean', variants: [{ key: 'true', value: true }, { key: 'false', value: false }], kind: 'release', owner: 'team-checkout', expiresAt: '2030-01-01T00:00:00.000Z', name: 'New checkout */ sneaky' },
  { key: 'checkout-layout', type: 'string', variants: [{ key: 'control', value: 'control' }, { key: 'grid', value: "it's grid" }] },
  { key: 'max-items', type: 'number', variants: [{ key: 'low', value: 10 }, { key: 'high', value: 50 }] },
  { key: 'banner.config', type: 'json', variants: [{ key: 'a', value: { text: 'hi' } }, { key: 'b', value: null }] },
];

let dir: string;

async function compile(files: Record<string, string>): Promise<{ code: number; output: string }> {
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  const config = {
    compilerOptions: { strict: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', noEmit: true, skipLibCheck: true, types: [], lib: ['ES2022'] },
    files: Object.keys(files),
  };
  await writeFile(join(dir, 'tsconfig.json'), JSON.stringify(config));
  try {
    const { stdout } = await run(process.execPath, [tsc, '-p', dir, '--pretty', 'false'], { cwd: dir });
    return { code: 0, output: stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

beforeAll(async () => {
  if (!existsSync(join(root, 'sdk-node/dist/index.d.ts'))) throw new Error('build first (npx tsc -b): the test type-checks against the built @switchyard/sdk-node');
  // Inside the repository (under node_modules, which git ignores) so `@switchyard/sdk-node` resolves.
  await mkdir(join(root, 'node_modules/.cache'), { recursive: true });
  dir = await mkdtemp(join(root, 'node_modules/.cache/switchyard-codegen-'));
  await writeFile(join(dir, 'package.json'), '{ "type": "module" }');
  await writeFile(join(dir, 'flags.ts'), generateFlagsModule(FLAGS));
});

afterAll(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

const PRELUDE = `
import { createClient } from '@switchyard/sdk-node';
import { typedServerFlags, typedBrowserFlags, flags as registry, isFlagKey, type FlagKey, type BooleanFlagKey, type FlagValues } from './flags.js';
const flags = typedServerFlags(createClient({ url: 'http://127.0.0.1:4242', sdkKey: 'k', offline: true }));
const ctx = { key: 'user-42' };
`;

describe('codegen', () => {
  it('emits a registry of keys, types and variant keys, sorted, with comments made safe', () => {
    const code = generateFlagsModule(FLAGS);
    expect(code).toContain("  'new-checkout': { type: 'boolean', variants: ['true', 'false'] },");
    expect(code).toContain("  'checkout-layout': { type: 'string', variants: ['control', 'grid'] },");
    expect(code).toContain("  'checkout-layout': 'control' | 'it\\'s grid';");
    expect(code).toContain("  'max-items': 10 | 50;");
    expect(code).toContain("  'banner.config': JsonValue;");
    expect(code).toContain('New checkout *\\/ sneaky');
    expect(code.indexOf("'banner.config'")).toBeLessThan(code.indexOf("'new-checkout'"));
    expect(generateFlagsModule([...FLAGS].reverse())).toBe(code);
  });

  it('compiles, and typed clients accept the right keys and values', async () => {
    const result = await compile({
      'flags.ts': generateFlagsModule(FLAGS),
      'good.ts': `${PRELUDE}
const on: boolean = flags.enabled('new-checkout', ctx);
const layout: 'control' | "it's grid" = flags.variant('checkout-layout', ctx, 'control');
const items: 10 | 50 = flags.variant('max-items', ctx, 10);
flags.track('new-checkout', ctx, { error: false, latencyMs: 3 });
const d = flags.detail('checkout-layout', ctx);
const key: FlagKey = 'banner.config';
const b: BooleanFlagKey = 'new-checkout';
const all: FlagValues['new-checkout'] = registry['new-checkout'].type === 'boolean';
if (isFlagKey('x')) { const k: FlagKey = 'x' as FlagKey; void k; }
const browser = typedBrowserFlags({ enabled: () => true, track: () => {} });
browser.enabled('new-checkout');
export { on, layout, items, d, key, b, all };
`,
    });
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  }, 30_000);

  it('turns a typo in a key, a non-boolean key in enabled() and a wrong default into compile errors', async () => {
    const result = await compile({
      'flags.ts': generateFlagsModule(FLAGS),
      'bad.ts': `${PRELUDE}
flags.enabled('new-chekout', ctx);
flags.enabled('checkout-layout', ctx);
flags.variant('checkout-layout', ctx, 'list');
const key: FlagKey = 'banner-config';
export { key };
`,
    });
    expect(result.code).not.toBe(0);
    const errors = result.output.split('\n').filter((l) => l.includes('error TS'));
    expect(errors).toHaveLength(4);
    expect(result.output).toMatch(/bad\.ts\(7,15\).*"new-chekout"/);
    expect(result.output).toMatch(/bad\.ts\(8,15\).*"checkout-layout"/);
    expect(result.output).toMatch(/bad\.ts\(9,39\).*"list"/);
    expect(result.output).toMatch(/bad\.ts\(10,7\).*"banner-config"/);
  }, 30_000);
});
