import { defineConfig } from 'vitest/config';

// Tests resolve workspace packages to their TypeScript sources (the "switchyard-src" export
// condition), so `npm test` exercises the code as written; the smoke tests import the built output.
const conditions = ['switchyard-src'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
