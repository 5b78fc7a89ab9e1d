import { defineConfig } from 'vitest/config';

// Tests resolve workspace packages to their TypeScript sources (the "switchyard-src" export
// condition), so `npm test` exercises the code as written; the smoke tests import the built output.
const conditions = ['switchyard-src'];
const ignored = ['**/node_modules/**', '**/dist/**'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        // Files that replace modules with vi.mock need a fresh module graph each.
        test: { name: 'isolated', include: ['sdk-browser/**/*.test.ts'], exclude: ignored, isolate: true },
      },
      {
        extends: true,
        // Everything else shares one module graph per worker, so the worker's embedded Postgres
        // (PGlite: seconds and hundreds of MB to start) is started once, not once per file.
        test: { name: 'shared', include: ['**/*.test.ts'], exclude: [...ignored, 'sdk-browser/**'], isolate: false },
      },
    ],
  },
});
