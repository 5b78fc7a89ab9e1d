import { clientView, type FlagConfig, type Segment } from '@switchyard/core';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadVectorFiles } from '../helpers/vectors.js';
import { bundle, launch, page, serveStatic, skipBrowser, type StaticServer } from './harness.js';
import type { VectorRun } from './app/vectors-page.js';

const SALT = 'chromium-vectors-salt';
let browser: Awaited<ReturnType<typeof launch>> | undefined;
let site: StaticServer | undefined;
let tab: Page;

beforeAll(async () => {
  if (skipBrowser) return;
  site = await serveStatic({ '/': ['text/html', page('vectors.js', {})], '/vectors.js': ['text/javascript', await bundle('vectors-page.ts')] });
  browser = await launch();
  tab = await browser.context.newPage();
  await tab.goto(site.url);
  await tab.waitForFunction(() => typeof window.runVectors === 'function');
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

function hashed(flags: readonly FlagConfig[], segments: readonly Segment[]): Pick<VectorRun, 'flags' | 'segments' | 'keyHashSalt'> {
  // What the server sends browsers: key lists (targets, segments, clauses on the key) as hashes.
  return { ...clientView(flags, segments, SALT), keyHashSalt: SALT };
}

// The same published vectors as core and the Node SDK, evaluated by Chromium's JS engine.
describe.skipIf(skipBrowser)('sdk-browser in Chromium runs the published test vectors', () => {
  for (const file of loadVectorFiles()) {
    const modes = file.kind === 'evaluation' ? (['clear', 'hashed'] as const) : (['bucketing'] as const);
    for (const mode of modes) {
      it(`${file.file} (${mode}): ${file.cases.length} cases`, async () => {
        let run: VectorRun;
        const expected = new Map<string, unknown>();
        if (file.kind === 'bucketing') {
          run = { buckets: file.cases.map(([name, salt, value]) => [name, salt, value] as const) };
          for (const [name, , , bucket] of file.cases) expected.set(name, bucket);
        } else {
          const lists = mode === 'hashed' ? hashed(file.flags, file.segments) : { flags: file.flags, segments: file.segments };
          run = { ...lists, evaluations: file.cases.map(([name, flag, context, defaultValue]) => [name, flag, context, defaultValue] as const) };
          for (const [name, , , , detail] of file.cases) expected.set(name, detail);
        }
        // JSON both ways: the vectors are plain data, and it spares Playwright's deep serialisation types.
        const actual = JSON.parse(await tab.evaluate((json) => JSON.stringify(window.runVectors(JSON.parse(json) as VectorRun)), JSON.stringify(run))) as Record<string, unknown>;
        const mismatches: string[] = [];
        for (const [name, want] of expected) {
          try {
            expect(actual[name]).toEqual(want);
          } catch {
            mismatches.push(`${name}: expected ${JSON.stringify(want)}, got ${JSON.stringify(actual[name])}`);
          }
        }
        expect(mismatches).toEqual([]);
      });
    }
  }
});
