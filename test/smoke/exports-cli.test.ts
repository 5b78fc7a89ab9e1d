import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'cli');

function runModule(code: string): string {
  return execFileSync(process.execPath, ['--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 }).trim();
}

function jsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? jsFiles(join(dir, e.name)) : e.name.endsWith('.js') ? [join(dir, e.name)] : []));
}

describe('@switchyard/cli as installed', () => {
  it('imports by name from its built exports', () => {
    const out = runModule(`
      import { findFlagKeys, generateFlagsModule, parseDuration, ExitCode } from '@switchyard/cli';
      console.log(JSON.stringify([findFlagKeys("flags.enabled('new-checkout', ctx)").map((u) => u.key), parseDuration('10m', '--hold'), ExitCode, generateFlagsModule([]).includes('export const flags')]));
    `);
    expect(JSON.parse(out)).toEqual([['new-checkout'], 600_000, { ok: 0, failed: 1, error: 2 }, true]);
  });

  it('installs light: depends on @switchyard/core only, and its code imports nothing else', () => {
    const pkg = JSON.parse(readFileSync(join(CLI, 'package.json'), 'utf8')) as { bin: Record<string, string>; dependencies: Record<string, string>; devDependencies?: unknown };
    expect(pkg.bin).toEqual({ switchyard: './dist/bin.js' });
    expect(Object.keys(pkg.dependencies)).toEqual(['@switchyard/core']);
    expect(pkg.devDependencies).toBeUndefined();
    expect(readFileSync(join(CLI, 'dist/bin.js'), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    const specifiers = new Set<string>();
    for (const file of jsFiles(join(CLI, 'dist'))) {
      for (const match of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) specifiers.add(match[1] ?? '');
    }
    // (Comments that quote `from '…'` match too; package names start with a letter or @.)
    const external = [...specifiers].filter((s) => /^[@a-z]/.test(s) && !s.startsWith('node:'));
    expect(external).toEqual(['@switchyard/core']);
  });
});
