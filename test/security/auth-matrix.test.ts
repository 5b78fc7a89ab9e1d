import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createFlag } from '../helpers/flags.js';
import { createTestServer, type TestServer } from '../helpers/server.js';

// Every registered route (read from the app's route table, so a new route is covered the day it is
// added) × missing, wrong and revoked keys and each key kind. The expectation comes from DESIGN.md's
// key kinds, written out here rather than imported, so the table under test is not its own oracle.
const ENV = 'production';
const KINDS = ['admin', 'writer', 'responder', 'reader', 'sdk-server', 'sdk-client'] as const;
type Kind = (typeof KINDS)[number];
const GRANTS: Record<Kind, readonly string[]> = {
  admin: ['read', 'write', 'kill', 'admin'],
  writer: ['read', 'write', 'kill'],
  responder: ['read', 'kill'],
  reader: ['read'],
  'sdk-server': ['sdk'],
  'sdk-client': ['sdk'],
};
const PARAMS: Record<string, string> = { key: 'matrix-flag', env: ENV, id: 'key_00000000deadbeef' };

let server: TestServer;
let base: string;
const keys = {} as Record<Kind, string>;
let revoked: string;
const wrong = `sya_${randomBytes(24).toString('base64url')}`;

beforeAll(async () => {
  // Hundreds of refused requests from one address: the failure limit is not what is tested here.
  server = await createTestServer({ maxAuthFailuresPerMinute: 1_000_000 });
  base = await server.listen();
  await createFlag(server, 'matrix-flag');
  for (const kind of KINDS) keys[kind] = await server.createKey(kind, kind.startsWith('sdk-') ? ENV : undefined);
  // A revoked admin key: the strongest key there is, refused at once once revoked.
  revoked = await server.createKey('admin');
  const list = (await server.api('GET', '/api/v1/keys')).json() as { keys: { id: string; prefix: string }[] };
  const id = list.keys.find((k) => revoked.startsWith(k.prefix))?.id;
  expect((await server.api('DELETE', `/api/v1/keys/${id}`)).statusCode).toBe(200);
});

afterAll(async () => server.close());

function concrete(url: string): string {
  return url.replace(/:(\w+)/g, (_, name: string) => PARAMS[name] ?? 'x').replace(/\*/g, 'anything');
}

/** Status of one request over real HTTP; the body is not awaited (event streams never end). */
async function statusOf(method: string, url: string, token: string | undefined): Promise<number> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const hasBody = !['GET', 'HEAD', 'OPTIONS'].includes(method);
  if (hasBody) headers['content-type'] = 'application/json';
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 5000);
  try {
    const res = await fetch(`${base}${url}`, { method, headers, ...(hasBody ? { body: '{}' } : {}), signal: controller.signal });
    return res.status;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

describe('authorization of every route', () => {
  it('covers the whole API', () => {
    const table = server.app.routeTable();
    const urls = new Set(table.map((r) => r.url));
    for (const url of ['/api/v1/flags', '/api/v1/flags/:key/environments/:env/kill', '/api/v1/keys', '/api/v1/audit', '/api/v1/sdk/config', '/api/v1/sdk/stream', '/health/ready', '/metrics']) {
      expect(urls, url).toContain(url);
    }
    expect(table.length).toBeGreaterThan(30);
  });

  it('refuses missing, wrong and revoked keys and under-privileged kinds on every non-public route', async () => {
    const failures: string[] = [];
    let checked = 0;
    for (const route of server.app.routeTable()) {
      if (route.websocket) continue;
      const url = concrete(route.url);
      const label = `${route.method} ${route.url} (${route.permission})`;
      if (route.permission === 'public') {
        const status = await statusOf(route.method, url, undefined);
        checked++;
        if (status === 401 || status === 403) failures.push(`${label} without a key: ${status}, but the route is public`);
        continue;
      }
      for (const [what, token] of [
        ['no key', undefined],
        ['a wrong key', wrong],
        ['a revoked admin key', revoked],
      ] as const) {
        const status = await statusOf(route.method, url, token);
        checked++;
        if (status !== 401) failures.push(`${label} with ${what}: ${status}, expected 401`);
      }
      for (const kind of KINDS) {
        const status = await statusOf(route.method, url, keys[kind]);
        checked++;
        const allowed = GRANTS[kind].includes(route.permission);
        if (allowed && (status === 401 || status === 403)) failures.push(`${label} with a ${kind} key: ${status}, but ${kind} may`);
        if (!allowed && status !== 403) failures.push(`${label} with a ${kind} key: ${status}, expected 403`);
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(200);
  });

  it('lets only SDK keys open the stream, and refuses revoked and wrong ones', async () => {
    const stream = `${base.replace('http', 'ws')}/api/v1/sdk/stream`;
    // A key in the header is checked before the upgrade: a plain HTTP status.
    const upgrade = (token: string) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(stream, { headers: { authorization: `Bearer ${token}` } });
        ws.once('unexpected-response', (_req, res) => {
          resolve(res.statusCode ?? 0);
          ws.terminate();
        });
        ws.once('message', () => {
          resolve(101);
          ws.close();
        });
        ws.once('open', () => ws.send(JSON.stringify({ type: 'hello', protocol: 1, sdk: { name: 'matrix', version: '0' }, revision: null })));
        ws.once('error', () => resolve(-1));
      });
    // A key in hello (browsers): a close code.
    const hello = (key: string | undefined) =>
      new Promise<number | 'snapshot'>((resolve) => {
        const ws = new WebSocket(stream);
        ws.once('open', () => ws.send(JSON.stringify({ type: 'hello', protocol: 1, sdk: { name: 'matrix', version: '0' }, revision: null, ...(key === undefined ? {} : { key }) })));
        ws.once('message', (data) => {
          if ((JSON.parse(data.toString()) as { type: string }).type === 'snapshot') resolve('snapshot');
          ws.close();
        });
        ws.once('close', (code) => resolve(code));
      });
    expect(await upgrade(wrong)).toBe(401);
    expect(await upgrade(revoked)).toBe(401);
    for (const kind of KINDS) expect(await upgrade(keys[kind]), kind).toBe(kind.startsWith('sdk-') ? 101 : 403);
    expect(await hello(undefined)).toBe(4401);
    expect(await hello(wrong)).toBe(4401);
    expect(await hello(revoked)).toBe(4401);
    for (const kind of KINDS) expect(await hello(keys[kind]), kind).toBe(kind.startsWith('sdk-') ? 'snapshot' : 4403);
  });
});
