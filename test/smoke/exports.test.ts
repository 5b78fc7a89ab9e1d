import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

// Plain node, no source condition: resolves each package's `exports` to its built dist, as an
// installed package would (npm test builds with tsc -b first).
function runModule(code: string): string {
  return execFileSync(process.execPath, ['--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 }).trim();
}

describe('built packages import by name', () => {
  it('@switchyard/core evaluates and buckets', () => {
    const out = runModule(`
      import { bucket, evaluate, rolloutFromPercentage } from '@switchyard/core';
      const flag = { key: 'f', version: 1, type: 'boolean', variants: [{ key: 'true', value: true }, { key: 'false', value: false }],
        enabled: true, offVariant: 'false', targets: [], rules: [], prerequisites: [], fallthrough: { rollout: rolloutFromPercentage(100, 'true', 'false') } };
      console.log(JSON.stringify([bucket('f', 'user-1'), evaluate(flag, { key: 'user-1' }).reason]));
    `);
    const [b, reason] = JSON.parse(out) as [number, string];
    expect(b).toBeGreaterThanOrEqual(0);
    expect(b).toBeLessThan(100_000);
    expect(reason).toBe('FALLTHROUGH');
  });

  it('@switchyard/sdk-node, ./testing and ./openfeature', () => {
    const out = runModule(`
      import { createClient } from '@switchyard/sdk-node';
      import { createTestClient } from '@switchyard/sdk-node/testing';
      import { SwitchyardProvider } from '@switchyard/sdk-node/openfeature';
      const t = createTestClient({ 'new-checkout': true });
      const c = createClient({ url: 'http://127.0.0.1:1', sdkKey: 'x', offline: true });
      console.log(JSON.stringify([t.enabled('new-checkout', { key: 'u' }), c.enabled('new-checkout'), typeof SwitchyardProvider]));
      await c.close(); await t.close();
    `);
    expect(JSON.parse(out)).toEqual([true, false, 'function']);
  });

  it('only the documented entry points are exported', () => {
    const out = runModule(`
      try { await import('@switchyard/sdk-node/dist/client.js'); console.log('reachable'); } catch (e) { console.log(e.code); }
    `);
    expect(out).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });
});
