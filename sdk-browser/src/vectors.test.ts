import { hashTargetKey, type FlagConfig, type Segment } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import { loadVectorFiles } from '../../test/helpers/vectors.js';
import { createClient } from './index.js';

const SALT = 'vectors-salt';

/** The environment as an sdk-client key receives it: every target and segment key list hashed. */
function hashed(flags: readonly FlagConfig[], segments: readonly Segment[]): { flags: FlagConfig[]; segments: Segment[]; keyHashSalt: string } {
  // Deliberately malformed vectors may hold a non-list here: pass it through untouched.
  const hash = (keys: readonly string[]): string[] => (Array.isArray(keys) ? keys.map((k) => hashTargetKey(SALT, k)) : (keys as string[]));
  return {
    flags: flags.map((f) => (Array.isArray(f.targets) ? { ...f, targets: f.targets.map((t) => ({ ...t, values: hash(t.values) })) } : f)),
    segments: segments.map((s) => ({ ...s, included: hash(s.included), excluded: hash(s.excluded) })),
    keyHashSalt: SALT,
  };
}

// The published contract (test/vectors) through the public client, as a page would use it: once with
// the key lists in clear (bootstrap from an sdk-server snapshot), once hashed as client keys get them.
describe('sdk-browser runs the published test vectors', () => {
  const files = loadVectorFiles().filter((f) => f.kind === 'evaluation');

  it('has evaluation vectors to run', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  for (const file of files) {
    if (file.kind !== 'evaluation') continue;
    for (const mode of ['clear', 'hashed'] as const) {
      it(`${file.file} (${mode} key lists): ${file.cases.length} cases through setContext() + detail()`, async () => {
        const bootstrap = mode === 'clear' ? { flags: file.flags, segments: file.segments } : hashed(file.flags, file.segments);
        const flags = createClient({ url: '', clientKey: '', offline: true, cache: false, metricsIntervalMs: 0, bootstrap });
        const mismatches: string[] = [];
        for (const [name, key, context, defaultValue, expected] of file.cases) {
          flags.setContext(context);
          const actual = flags.detail(key, defaultValue);
          try {
            expect(actual).toEqual(expected);
          } catch {
            mismatches.push(`${name}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
          }
        }
        await flags.close();
        expect(mismatches).toEqual([]);
      });
    }
  }
});
