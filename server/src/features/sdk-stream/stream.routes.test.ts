import type { IncomingMessage } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { PROTOCOL_VERSION } from '@switchyard/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createTestServer, type TestServer } from '../../../../test/helpers/server.js';

// What a connection costs the server is what it must remember about the SDK: the HTTP request and
// response objects of the upgrade (headers, Fastify's request and reply) must not live as long as
// the socket does.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const ENV = 'production';
let server: TestServer;
let url: string;
let sdkKey: string;

beforeAll(async () => {
  server = await createTestServer();
  url = await server.listen();
  sdkKey = await server.createKey('sdk-server', ENV);
});

afterAll(async () => server.close());

describe('GET /api/v1/sdk/stream', () => {
  it('keeps no upgrade request alive while the socket stays open', async () => {
    const collected = new Set<string>();
    const registry = new FinalizationRegistry<string>((id) => collected.add(id));
    let upgrades = 0;
    const onUpgrade = (request: IncomingMessage): void => registry.register(request, `upgrade-${++upgrades}`);
    server.app.server.prependListener('upgrade', onUpgrade);
    const sockets: WebSocket[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const ws = new WebSocket(`${url.replace('http', 'ws')}/api/v1/sdk/stream`, { headers: { authorization: `Bearer ${sdkKey}` } });
        const first = new Promise<{ type: string }>((resolve) => ws.once('message', (data) => resolve(JSON.parse(String(data)) as { type: string })));
        await new Promise((resolve, reject) => {
          ws.once('open', resolve);
          ws.once('error', reject);
        });
        ws.send(JSON.stringify({ type: 'hello', protocol: PROTOCOL_VERSION, sdk: { name: 'test', version: '0' }, revision: null }));
        expect((await first).type).toBe('snapshot');
        sockets.push(ws);
      }
      expect(upgrades).toBe(3);
      const deadline = Date.now() + 3000;
      while (collected.size < 3 && Date.now() < deadline) {
        gc();
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(collected.size).toBe(3);
      // Still connected and served.
      const connections = (await server.api('GET', `/api/v1/sdk/connections?env=${ENV}`)).json() as { total: number };
      expect(connections.total).toBe(3);
      expect(sockets.every((ws) => ws.readyState === WebSocket.OPEN)).toBe(true);
    } finally {
      server.app.server.removeListener('upgrade', onUpgrade);
      for (const ws of sockets) ws.terminate();
    }
  });
});
