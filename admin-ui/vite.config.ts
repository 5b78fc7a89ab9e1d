import { defaultClientConditions, defineConfig } from 'vite';

// Preact through Vite's own TSX transform (no Babel); workspace packages from their TypeScript
// sources (the "switchyard-src" export condition), so the UI builds without building core first.
export default defineConfig({
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  resolve: { conditions: ['switchyard-src', ...defaultClientConditions] },
  // `npm run dev -w @switchyard/admin-ui`: the API of a running server (SWITCHYARD_URL, default :4242).
  server: { proxy: { '/api': { target: process.env.SWITCHYARD_URL ?? 'http://127.0.0.1:4242', changeOrigin: true } } },
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
