// The admin UI's weight budget: what the server adds to its static files, gzipped at level 9.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

const DIST = fileURLToPath(new URL('./dist/', import.meta.url));
const BUDGET_BYTES = 60 * 1024;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? files(join(dir, entry.name)) : [join(dir, entry.name)]));
}

describe('admin UI build size', () => {
  it('adds no more than 60 kB gzip (js, css, html) to the server', () => {
    if (!existsSync(join(DIST, 'index.html'))) throw new Error(`The admin UI is not built (${DIST} is missing): run \`npm run build\` first (npm test does).`);
    const sizes = files(DIST)
      .filter((f) => /\.(js|css|html)$/.test(f))
      .map((f) => ({ file: f.slice(DIST.length), gzip: gzipSync(readFileSync(f), { level: 9 }).length }));
    const total = sizes.reduce((n, s) => n + s.gzip, 0);
    console.log(`admin UI: ${(total / 1024).toFixed(1)} kB gzip (${sizes.map((s) => `${s.file} ${(s.gzip / 1024).toFixed(1)} kB`).join(', ')})`);
    expect(sizes.some((s) => s.file.endsWith('.js'))).toBe(true);
    expect(total).toBeLessThanOrEqual(BUDGET_BYTES);
  });
});
