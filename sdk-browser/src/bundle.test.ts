import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

// The browser bundle must stay free of zod and Node built-ins; bench/bundle-size.js measures its size.
describe('sdk-browser bundle', () => {
  it('pulls in core evaluator modules only: no zod, no Node built-ins', async () => {
    const result = await build({
      stdin: { contents: "import { createClient } from '@switchyard/sdk-browser'; createClient({ url: 'https://x', clientKey: 'k' }).enabled('f');", resolveDir: fileURLToPath(new URL('.', import.meta.url)) },
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2020',
      conditions: ['switchyard-src'],
      metafile: true,
      write: false,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((i) => i.includes('node_modules'))).toEqual([]);
    expect(inputs.filter((i) => i.includes('core/src/')).every((i) => /core\/src\/(evaluate|bucketing|model\/operators)/.test(i))).toBe(true);
    const bytes = result.outputFiles[0]?.contents ?? new Uint8Array();
    // A regression guard, well above the measured size (see bench/bundle-size.js for the real numbers).
    expect(gzipSync(bytes, { level: 9 }).length).toBeLessThan(12_000);
  });
});
