import { hashTargetKey } from '@switchyard/core';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlag, putConfig, revisionOf } from '../helpers/flags.js';
import { createTestServer, type TestServer } from '../helpers/server.js';
import { bundle, launch, page, serveStatic, skipBrowser, type StaticServer } from './harness.js';

const ENV = 'production';
const RAW_KEYS = ['secret-user-42', 'secret-user-43', 'vip-account-7', 'banned-account-9', 'staff-member-3'];

let server: TestServer;
let apiUrl: string;
let clientKey: string;
let site: StaticServer;
let browser: Awaited<ReturnType<typeof launch>>;
let tab: Page;
/** Every WebSocket frame and SDK API response body any page received. */
const received: { kind: 'frame' | 'http'; url: string; body: string }[] = [];

async function until(condition: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - started;
}

async function openTab(path: string): Promise<Page> {
  const p = await browser.context.newPage();
  p.on('websocket', (ws) => ws.on('framereceived', (frame) => received.push({ kind: 'frame', url: ws.url(), body: String(frame.payload) })));
  p.on('response', async (response) => {
    if (!response.url().startsWith(apiUrl)) return;
    received.push({ kind: 'http', url: response.url(), body: await response.text().catch(() => '') });
  });
  await p.goto(`${site.url}${path}`);
  await p.waitForFunction(() => window.readyResult !== undefined, undefined, { timeout: 5000 });
  return p;
}

const lastRender = (p: Page) => p.evaluate(() => window.renders[window.renders.length - 1]);

beforeAll(async () => {
  if (skipBrowser) return;
  server = await createTestServer();
  apiUrl = await server.listen();
  clientKey = await server.createKey('sdk-client', ENV);
  expect((await server.api('POST', '/api/v1/segments', { key: 'vip', name: 'VIPs', included: ['vip-account-7'], excluded: ['banned-account-9'] })).statusCode).toBe(201);
  await createFlag(server, 'new-checkout', { clientSide: true });
  await putConfig(server, 'new-checkout', ENV, { enabled: true, offVariant: 'false', fallthrough: { variant: 'true' } });
  await createFlag(server, 'browser-banner', { clientSide: true });
  await putConfig(server, 'browser-banner', ENV, {
    enabled: true,
    offVariant: 'false',
    targets: [{ variant: 'true', values: ['secret-user-42', 'secret-user-43'] }],
    rules: [{ id: 'vips', clauses: [{ attribute: 'key', op: 'inSegment', values: ['vip'] }], serve: { variant: 'true' } }],
    fallthrough: { variant: 'false' },
  });
  // A user list written as a rule on the key: it reaches browsers hashed too.
  await createFlag(server, 'staff-preview', { clientSide: true });
  await putConfig(server, 'staff-preview', ENV, {
    enabled: true,
    offVariant: 'false',
    rules: [{ id: 'staff', clauses: [{ attribute: 'key', op: 'in', values: ['staff-member-3', 'secret-user-42'] }], serve: { variant: 'true' } }],
    fallthrough: { variant: 'false' },
  });
  await createFlag(server, 'server-only-batch-job');
  await putConfig(server, 'server-only-batch-job', ENV, { enabled: true, offVariant: 'false', fallthrough: { variant: 'true' } });

  const app = await bundle('flags-page.ts');
  const options = { url: apiUrl, clientKey, metricsIntervalMs: 500 };
  site = await serveStatic({
    '/': ['text/html', page('app.js', { options: { ...options, context: { key: 'secret-user-42' } }, track: 'new-checkout' })],
    '/poll.html': ['text/html', page('app.js', { options: { ...options, stream: false, context: { key: 'vip-account-7' } } })],
    '/app.js': ['text/javascript', app],
  });
  browser = await launch();
  tab = await openTab('/');
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await site?.close();
  await server?.close();
});

describe.skipIf(skipBrowser)('sdk-browser in Chromium against a real server', () => {
  it('renders from the stream, and a kill through the REST API reaches the page within a second', async () => {
    expect(await tab.evaluate(() => window.readyResult)).toEqual({ ok: true, source: 'network' });
    const first = await lastRender(tab);
    expect(first?.values).toEqual({ 'new-checkout': true, 'browser-banner': true, 'staff-preview': true });
    // The page's context key is on the target list and in the rule's key list, which arrived hashed:
    // matched through its hash.
    expect(first?.details['browser-banner']).toMatchObject({ reason: 'TARGET_MATCH' });
    expect(first?.details['staff-preview']).toMatchObject({ reason: 'RULE_MATCH', ruleId: 'staff' });

    const started = Date.now();
    // waitForSdks: the write returns once every connected SDK (this page) acknowledged the revision.
    const kill = await server.api('POST', `/api/v1/flags/new-checkout/environments/${ENV}/kill?waitForSdks=1000`, { reason: 'INC-4711' });
    expect(kill.statusCode).toBe(200);
    expect((kill.json() as { propagation: unknown }).propagation).toMatchObject({ applied: 1, total: 1 });
    await tab.waitForFunction(() => window.renders[window.renders.length - 1]?.values['new-checkout'] === false, undefined, { timeout: 1000, polling: 10 });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await lastRender(tab)).toMatchObject({ why: 'change', source: 'network', details: { 'new-checkout': { reason: 'KILLED' } } });
  });

  it('appears in the connections view, acknowledged up to the latest revision', async () => {
    const res = await server.api('GET', `/api/v1/sdk/connections?env=${ENV}`);
    const list = (res.json() as { connections: { sdk: { name: string }; appliedRevision: number; lag: number }[] }).connections;
    expect(list.filter((c) => c.sdk.name === 'sdk-browser')).toEqual([expect.objectContaining({ appliedRevision: await revisionOf(server), lag: 0 })]);
  });

  it('polls /api/v1/sdk/config across origins (CORS) when the stream is off', async () => {
    const polling = await openTab('/poll.html');
    expect(await polling.evaluate(() => window.readyResult)).toEqual({ ok: true, source: 'network' });
    // vip-account-7 is on the segment's (hashed) include list.
    expect((await lastRender(polling))?.details['browser-banner']).toMatchObject({ value: true, reason: 'RULE_MATCH', ruleId: 'vips' });
    expect(received.some((r) => r.kind === 'http' && r.url.endsWith('/api/v1/sdk/config') && r.body.includes('"revision"'))).toBe(true);
    await polling.close();
  });

  it('posts evaluation counts and track() outcomes across origins', async () => {
    const rows = () => server.database.db.selectFrom('evaluation_metrics').selectAll().where('flag_key', '=', 'new-checkout').execute();
    await until(async () => (await rows()).some((r) => Number(r.outcomes) > 0), 5000);
    expect((await rows())[0]).toMatchObject({ environment: ENV });
    // The page posts its latencies raw (12 ms each); the server bucketed them (≤ 20 ms) and summed them.
    for (const row of await rows()) {
      const outcomes = Number(row.outcomes);
      expect(row.latency.map(Number)).toEqual(Array.from({ length: 18 }, (_, i) => (i === 4 ? outcomes : 0)));
      expect(Number(row.latency_sum_ms)).toBe(12 * outcomes);
    }
  });

  it('never receives a non-clientSide flag or a raw target or segment key, in any frame or response', async () => {
    const frames = received.filter((r) => r.kind === 'frame');
    expect(frames.length).toBeGreaterThan(0);
    const snapshot = frames.map((f) => JSON.parse(f.body) as { type: string; keyHashSalt?: string }).find((m) => m.type === 'snapshot');
    expect(snapshot?.keyHashSalt).toEqual(expect.any(String));
    const everything = received.map((r) => r.body).join('\n') + (await tab.evaluate(() => JSON.stringify({ ...localStorage })));
    expect(everything).not.toContain('server-only-batch-job');
    for (const key of RAW_KEYS) {
      expect(everything).not.toContain(key);
      // The lists did arrive, hashed.
      expect(everything).toContain(hashTargetKey(snapshot?.keyHashSalt ?? '', key));
    }
  });

  // Last: it stops the file's server.
  it('with the server stopped, a reload renders from the cache at once', async () => {
    await server.app.close();
    await tab.reload();
    await tab.waitForFunction(() => window.readyResult !== undefined, undefined, { timeout: 5000 });
    const renders = await tab.evaluate(() => window.renders);
    // The very first render, before any network answer, already has the last known values.
    expect(renders[0]).toMatchObject({ why: 'start', source: 'cache', values: { 'new-checkout': false, 'browser-banner': true } });
    const ready = await tab.evaluate(() => ({ ...window.readyResult, error: String(window.readyResult?.error) }));
    expect(ready).toMatchObject({ ok: true, source: 'cache', error: expect.stringContaining('Failed to fetch') });
    // ready() did not wait for its 3 s timeout: the failed connection was enough to settle on the cache.
    const readyRender = renders.find((r) => r.why === 'ready');
    expect((readyRender?.at ?? Infinity) - (renders[0]?.at ?? 0)).toBeLessThan(2000);
  });
});
