import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

// Plain node, no source condition: each package's `exports` resolves to its built dist, as installed.
function runModule(code: string): string {
  return execFileSync(process.execPath, ['--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 }).trim();
}

describe('built browser packages import by name', () => {
  it('@switchyard/core/evaluate, @switchyard/sdk-browser and ./openfeature', () => {
    const out = runModule(`
      import { createFlagSet, hashTargetKey } from '@switchyard/core/evaluate';
      import { createClient } from '@switchyard/sdk-browser';
      import { SwitchyardProvider } from '@switchyard/sdk-browser/openfeature';
      const flag = { key: 'f', version: 1, type: 'boolean', variants: [{ key: 'true', value: true }, { key: 'false', value: false }],
        enabled: true, offVariant: 'false', targets: [{ variant: 'true', values: [hashTargetKey('s', 'qa')] }], rules: [], prerequisites: [], fallthrough: { variant: 'false' } };
      const c = createClient({ url: '', clientKey: '', offline: true, cache: false, context: { key: 'qa' }, bootstrap: { flags: [flag], segments: [], keyHashSalt: 's' } });
      console.log(JSON.stringify([createFlagSet({ flags: [flag] }).evaluate('f', {}, null).reason, c.detail('f').reason, typeof SwitchyardProvider]));
      await c.close();
    `);
    expect(JSON.parse(out)).toEqual(['FALLTHROUGH', 'TARGET_MATCH', 'function']);
  });

  it('only the documented entry points are exported', () => {
    const out = runModule(`
      try { await import('@switchyard/sdk-browser/dist/client.js'); console.log('reachable'); } catch (e) { console.log(e.code); }
    `);
    expect(out).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });
});
