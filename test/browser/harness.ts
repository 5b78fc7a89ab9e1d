// Shared by the browser tests: Debian's Chromium driven by playwright-core, pages built with esbuild
// from the *built* SDK (what ships), served by a tiny static server on its own loopback port (so the
// page and the Switchyard server are different origins, as in production).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type BrowserContext } from 'playwright-core';

/** Debian's Chromium (`apt-get install -y chromium`). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Launch flags for headless Chromium in containers and CI (see DEVELOPERS.md). */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Browser tests skip only outside CI when Chromium is missing; in CI its absence fails them. */
export const skipBrowser = !existsSync(CHROMIUM) && process.env.CI === undefined;

/** Bundles a page script from test/browser/app with esbuild, resolving workspace packages to their built dist. */
export async function bundle(name: string): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL(`./app/${name}`, import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]?.text ?? '';
}

/** An HTML page that reads its options from a JSON script element and runs `/<script>`. */
export function page(script: string, config: unknown): string {
  const json = JSON.stringify(config).replace(/</g, '\\u003c');
  return `<!doctype html><meta charset="utf-8"><title>switchyard test page</title><script type="application/json" id="config">${json}</script><pre id="out"></pre><script type="module" src="/${script}"></script>`;
}

export interface StaticServer {
  readonly url: string;
  /** path → [content type, body]; change it between page loads. */
  readonly files: Map<string, [string, string]>;
  close(): Promise<void>;
}

/** Serves `files` on a random loopback port. */
export async function serveStatic(files: Record<string, [string, string]>): Promise<StaticServer> {
  const map = new Map(Object.entries(files));
  const server: Server = createServer((request, response) => {
    const file = map.get(new URL(request.url ?? '/', 'http://x').pathname);
    if (file === undefined) return void response.writeHead(404).end();
    response.writeHead(200, { 'content-type': file[0], 'cache-control': 'no-store' }).end(file[1]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    files: map,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A headless Chromium with a fresh profile (its own localStorage), closed and removed by `close`. */
export async function launch(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'sy-chromium-'));
  const context = await chromium.launchPersistentContext(dir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 20_000 });
  return {
    context,
    async close() {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
