import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { booleanFlag } from '../../../test/helpers/flags.js';
import { createClient, silentLogger } from '../index.js';

describe('sdk-node polling', () => {
  it('closes the connection of a poll once answered (no idle socket beside the stream)', async () => {
    let open = 0;
    let polls = 0;
    const server = createServer((_request, response) => {
      polls++;
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ environment: 'production', revision: 3, flags: [booleanFlag('a')], segments: [] }));
    });
    server.on('connection', (socket) => {
      open++;
      socket.on('close', () => open--);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    const flags = createClient({ url: `http://127.0.0.1:${address.port}`, sdkKey: 'k', stream: false, logger: silentLogger, metricsIntervalMs: 0 });
    try {
      expect(await flags.ready({ timeoutMs: 2000 })).toEqual({ ok: true, source: 'network' });
      expect(flags.enabled('a', { key: 'u' })).toBe(true);
      const deadline = Date.now() + 2000;
      while (open > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(polls).toBe(1);
      expect(open).toBe(0);
    } finally {
      await flags.close();
      server.close();
    }
  });
});
