import { buildApp } from '@switchyard/server';
import { createClient, silentLogger, type SwitchyardClient } from '@switchyard/sdk-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../helpers/server.js';

const CLIENTS = 1000;
let server: TestServer;
let url: string;
let sdkKey: string;

beforeAll(async () => {
  server = await createTestServer();
  url = await server.listen();
  sdkKey = await server.createKey('sdk-server', 'production');
  expect((await server.api('POST', '/api/v1/flags', { key: 'storm', kind: 'operational', owner: 'sre' })).statusCode).toBe(201);
});

afterAll(async () => server.close());

describe('reconnect storm', () => {
  it(`spreads ${CLIENTS} reconnecting SDKs over the backoff window after a restart`, async () => {
    const backoff = { initialMs: 1000, maxMs: 4000 };
    const clients: SwitchyardClient[] = Array.from({ length: CLIENTS }, () => createClient({ url, sdkKey, logger: silentLogger, metricsIntervalMs: 0, pollIntervalMs: 600_000, backoff }));
    try {
      await Promise.all(clients.map((c) => c.ready({ timeoutMs: 20_000 })));
      const deadline = Date.now() + 20_000;
      while (server.app.services.stream.connections().length < CLIENTS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(server.app.services.stream.connections()).toHaveLength(CLIENTS);

      // Restart: the old process closes every socket with 1012 and is gone for 1.5 s.
      const port = Number(new URL(url).port);
      const downAt = Date.now();
      await server.app.close();
      await new Promise((r) => setTimeout(r, 1500));
      const replacement = await buildApp({ database: server.database });
      const arrivals: number[] = [];
      replacement.addHook('onRequest', async (request) => {
        if (request.url.startsWith('/api/v1/sdk/stream')) arrivals.push(Date.now() - downAt);
      });
      await replacement.listen({ port, host: '127.0.0.1' });
      try {
        const until = Date.now() + 20_000;
        while (replacement.services.stream.connections().length < CLIENTS && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
        expect(replacement.services.stream.connections()).toHaveLength(CLIENTS);
        arrivals.sort((a, b) => a - b);
        const first = arrivals[0] ?? 0;
        const last = arrivals[arrivals.length - 1] ?? 0;
        // Busiest 100 ms window, as a share of all reconnections.
        let busiest = 0;
        for (let i = 0, j = 0; i < arrivals.length; i++) {
          while ((arrivals[i] as number) - (arrivals[j] as number) > 100) j++;
          busiest = Math.max(busiest, i - j + 1);
        }
        console.log(`reconnects: ${arrivals.length} upgrade requests from ${first} to ${last} ms after the restart began; busiest 100 ms held ${busiest}`);
        expect(last - first).toBeGreaterThan(1000);
        expect(busiest).toBeLessThan(CLIENTS * 0.25);
      } finally {
        await Promise.all(clients.map((c) => c.close()));
        await replacement.close();
      }
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  }, 90_000);
});
