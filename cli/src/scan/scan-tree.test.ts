import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanTree } from './scan-tree.js';
import { findSourceFiles } from './walk.js';

let dir: string;

async function put(path: string, text: string): Promise<void> {
  await mkdir(dirname(join(dir, path)), { recursive: true });
  await writeFile(join(dir, path), text);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchyard-scan-'));
  await mkdir(join(dir, '.git'));
  await put('.gitignore', 'generated/\n*.tmp.ts\n/coverage\n');
  await put('app/src/checkout.ts', "export const on = (c) => flags.enabled('new-checkout', c);\n");
  await put('app/src/layout.tsx', "const v = client.variant('checkout-layout', ctx, 'control');\n");
  await put('app/src/legacy.cjs', "module.exports = () => detail('old-banner');\n");
  await put('app/src/notes.md', "enabled('markdown-is-not-code')\n");
  await put('app/src/types.d.ts', "declare function enabled(k: 'declared-only'): boolean;\n");
  await put('app/src/scratch.tmp.ts', "enabled('ignored-by-glob');\n");
  await put('app/generated/client.ts', "enabled('ignored-by-folder');\n");
  await put('coverage/x.js', "enabled('ignored-anchored');\n");
  await put('app/coverage/y.js', "enabled('not-anchored-here');\n");
  await put('app/.gitignore', 'fixtures/**\n!fixtures/keep.ts\nlocal.ts\n');
  await put('app/fixtures/a.ts', "enabled('fixture-a');\n");
  await put('app/fixtures/keep.ts', "enabled('fixture-kept');\n");
  await put('app/local.ts', "enabled('ignored-nested');\n");
  await put('app/node_modules/lib/index.js', "enabled('in-node-modules');\n");
  await put('app/dist/index.js', "enabled('in-dist');\n");
  await symlink(join(dir, 'app/src'), join(dir, 'app/linked'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('scanTree', () => {
  it('reads source files only, honouring .gitignore files and skipping node_modules, dist and links', async () => {
    const result = await scanTree(dir);
    expect([...result.keys.keys()]).toEqual(['checkout-layout', 'fixture-kept', 'new-checkout', 'not-anchored-here', 'old-banner']);
    expect(result.keys.get('new-checkout')).toEqual([{ file: 'app/src/checkout.ts', line: 1, column: 41 }]);
    expect(result.files).toBe(5);
  });

  it('applies the .gitignore files above the scanned folder, up to the git root', async () => {
    const result = await scanTree(join(dir, 'app'));
    expect([...result.keys.keys()]).toEqual(['checkout-layout', 'fixture-kept', 'new-checkout', 'not-anchored-here', 'old-banner']);
    expect(result.keys.get('old-banner')?.[0]?.file).toBe('src/legacy.cjs');
  });

  it('reads everything but the always-skipped folders without gitignore', async () => {
    const files = await findSourceFiles(dir, { gitignore: false });
    expect(files.map((f) => f.slice(dir.length + 1)).sort()).toEqual([
      'app/coverage/y.js', 'app/fixtures/a.ts', 'app/fixtures/keep.ts', 'app/generated/client.ts', 'app/local.ts',
      'app/src/checkout.ts', 'app/src/layout.tsx', 'app/src/legacy.cjs', 'app/src/scratch.tmp.ts', 'coverage/x.js',
    ]);
  });

  it('scans 10,000 files quickly', async () => {
    const big = await mkdtemp(join(tmpdir(), 'switchyard-scan-10k-'));
    try {
      const writes: Promise<void>[] = [];
      for (let d = 0; d < 100; d++) {
        await mkdir(join(big, `pkg-${d}`, 'src'), { recursive: true });
        for (let f = 0; f < 100; f++) {
          const n = d * 100 + f;
          writes.push(
            writeFile(
              join(big, `pkg-${d}`, 'src', `file-${f}.ts`),
              `import { flags } from '../flags';\nexport function handler${n}(ctx: { key: string }) {\n  const a = ${n};\n  if (flags.enabled('flag-${n % 500}', ctx)) return flags.variant('layout-${n % 7}', ctx, 'control');\n  return String(a);\n}\n`,
            ),
          );
        }
      }
      await Promise.all(writes);
      const started = performance.now();
      const result = await scanTree(big);
      const ms = performance.now() - started;
      console.log(`scan of ${result.files} files: ${Math.round(ms)} ms`);
      expect(result.files).toBe(10_000);
      expect(result.keys.size).toBe(507);
      expect(result.keys.get('flag-0')).toHaveLength(20);
      expect(ms).toBeLessThan(20_000);
    } finally {
      await rm(big, { recursive: true, force: true });
    }
  });
});
