import { defaultClientConditions, defineConfig } from 'vite';

// Preact through Vite's own TSX transform (no Babel); workspace packages from their TypeScript
// sources (the "switchyard-src" export condition), so the UI builds without building core first.
export default defineConfig({
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  resolve: { conditions: ['switchyard-src', ...defaultClientConditions] },
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    // Everything as files: the server's CSP allows scripts and styles from this origin only.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
});
