import { describe, expect, it } from 'vitest';
import { loadVectorFiles } from '../../test/helpers/vectors.js';
import { createClient, silentLogger } from './index.js';

// The published contract (test/vectors) run through the SDK's public surface, as an application would.
describe('sdk-node runs the published test vectors', () => {
  const files = loadVectorFiles().filter((f) => f.kind === 'evaluation');

  it('has evaluation vectors to run', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  for (const file of files) {
    if (file.kind !== 'evaluation') continue;
    it(`${file.file}: ${file.cases.length} cases through client.detail()`, async () => {
      const flags = createClient({ url: '', sdkKey: '', offline: true, logger: silentLogger, metricsIntervalMs: 0, bootstrap: { flags: file.flags, segments: file.segments } });
      const mismatches: string[] = [];
      for (const [name, key, context, defaultValue, expected] of file.cases) {
        const actual = flags.detail(key, context, defaultValue);
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
});
