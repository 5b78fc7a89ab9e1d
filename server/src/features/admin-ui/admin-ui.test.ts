import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../../../../test/helpers/server.js';

const dir = mkdtempSync(join(tmpdir(), 'switchyard-ui-'));
mkdirSync(join(dir, 'assets'));
const INDEX = '<!doctype html><html><head><script type="module" src="/assets/app-1a2b.js"></script></head><body><div id="app"></div></body></html>';
writeFileSync(join(dir, 'index.html'), INDEX);
writeFileSync(join(dir, 'assets', 'app-1a2b.js'), 'console.log("ui")');
writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');

let server: TestServer;
beforeAll(async () => {
  server = await createTestServer({ adminUiDir: dir });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const html = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
const get = (url: string, headers: Record<string, string> = html) => server.api('GET', url, undefined, { token: null, headers });

describe('the admin UI at /', () => {
  it('serves index.html without a key, with a CSP that allows only this origin', async () => {
    const res = await get('/');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toBe(INDEX);
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['cache-control']).toBe('no-cache');
  });

  it('answers page navigations anywhere in the app with index.html (History API routing)', async () => {
    for (const path of ['/flags', '/flags/new-checkout?env=production', '/flags/checkout.v2', '/audit/', '/keys']) {
      const res = await get(path);
      expect(res.statusCode, path).toBe(200);
      expect(res.body, path).toBe(INDEX);
    }
  });

  it('serves hashed assets as immutable and other files as they are', async () => {
    const js = await get('/assets/app-1a2b.js', { accept: '*/*' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
    expect(js.headers['cache-control']).toContain('immutable');
    const icon = await get('/favicon.svg', { accept: 'image/*' });
    expect(icon.statusCode).toBe(200);
    expect(icon.headers['cache-control']).not.toContain('immutable');
    const head = await server.app.inject({ method: 'HEAD', url: '/', headers: html });
    expect(head.statusCode).toBe(200);
    expect(head.body).toBe('');
  });

  it('keeps 404s of API, health and missing files JSON, never the app', async () => {
    for (const path of ['/api/v1/nope', '/api/v1/flags/x/nope', '/api', '/health/nope']) {
      const res = await get(path);
      expect(res.statusCode, path).toBe(404);
      expect(res.json(), path).toMatchObject({ error: { code: 'ROUTE_NOT_FOUND' } });
    }
    for (const [path, accept] of [
      ['/assets/missing-9z.js', '*/*'],
      ['/nope.png', 'image/avif,image/webp,image/*,*/*;q=0.8'],
      ['/assets/missing.css', 'text/css,*/*;q=0.1'],
    ] as const) {
      const res = await get(path, { accept });
      expect(res.statusCode, path).toBe(404);
      expect(res.json(), path).toMatchObject({ error: { code: 'ROUTE_NOT_FOUND' } });
    }
    const api = await get('/api/v1/nope', { accept: 'application/json' });
    expect(api.headers['content-security-policy']).toBeUndefined();
  });

  it('does not serve files outside the build folder, and does not fall back for non-HTML requests', async () => {
    for (const path of ['/..%2f..%2fpackage.json', '/%2e%2e/%2e%2e/package.json', '/assets/..%2f..%2f..%2fetc%2fpasswd', '/%E0%A4%A']) {
      const res = await get(path, { accept: '*/*' });
      expect([400, 404], path).toContain(res.statusCode);
      expect(res.body).not.toContain('"name"');
      const page = await get(path);
      expect([200, 400, 404], path).toContain(page.statusCode);
      if (page.statusCode === 200) expect(page.body, path).toBe(INDEX);
    }
    expect((await get('/flags', { accept: 'application/json' })).statusCode).toBe(404);
    expect((await get('/flags', { accept: '*/*' })).statusCode).toBe(404);
  });

  it('leaves the API and its headers alone', async () => {
    const res = await server.api('GET', '/api/v1/flags');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-security-policy']).toBeUndefined();
    expect((await server.api('GET', '/api/v1/flags', undefined, { token: null })).statusCode).toBe(401);
  });

  it('explains how to build the UI when the build is missing, without crashing', async () => {
    rmSync(join(dir, 'index.html'));
    const res = await get('/flags');
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain('npm run build');
    writeFileSync(join(dir, 'index.html'), INDEX);
    expect((await get('/flags')).body).toBe(INDEX);
  });
});
