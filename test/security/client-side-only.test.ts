import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createFlag } from '../helpers/flags.js';
import { waitFor } from '../helpers/processes.js';
import { createTestServer, type TestServer } from '../helpers/server.js';

// An sdk-client key is shipped in a browser: whatever it receives is public. It must never receive a
// flag that is not clientSide: not its rules, and not even its key (flag keys name unreleased work).
const ENV = 'production';
const SECRET = ['srv-acquisition-2027', 'srv-pricing-acme'];
const ON = { enabled: true, offVariant: 'false', fallthrough: { variant: 'true' } };
let server: TestServer;
let url: string;
let clientKey: string;

beforeAll(async () => {
  server = await createTestServer();
  url = await server.listen();
  clientKey = await server.createKey('sdk-client', ENV);
  await createFlag(server, 'public-banner', { clientSide: true });
  await createFlag(server, 'flip-me', { clientSide: true });
  await createFlag(server, SECRET[0] as string);
  for (const key of ['public-banner', 'flip-me', SECRET[0] as string]) expect((await server.api('PUT', `/api/v1/flags/${key}/environments/${ENV}`, ON)).statusCode).toBe(200);
});

afterAll(async () => server.close());

describe('an sdk-client key', () => {
  it('gets only clientSide flags from GET /api/v1/sdk/config', async () => {
    const res = await server.api('GET', '/api/v1/sdk/config', undefined, { token: clientKey });
    expect(res.statusCode).toBe(200);
    const keys = (res.json() as { flags: { key: string }[] }).flags.map((f) => f.key).sort();
    expect(keys).toEqual(['flip-me', 'public-banner']);
    for (const secret of SECRET) expect(res.body).not.toContain(secret);
  });

  it('never receives a non-clientSide flag or its key on the stream, whatever changes', async () => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/api/v1/sdk/stream`);
    const frames: string[] = [];
    ws.on('message', (data) => {
      frames.push(data.toString());
      const message = JSON.parse(data.toString()) as { type: string; revision?: number };
      if (message.type === 'snapshot' || message.type === 'patch') ws.send(JSON.stringify({ type: 'ack', revision: message.revision }));
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    try {
      ws.send(JSON.stringify({ type: 'hello', protocol: 1, sdk: { name: 'client-side-test', version: '0' }, revision: null, key: clientKey }));
      await waitFor('snapshot', () => frames.length > 0, 5000);

      // Every kind of change to server-only flags, and a client-side flag turned server-only.
      const writes = [
        () => server.api('PUT', `/api/v1/flags/${SECRET[0]}/environments/${ENV}`, { ...ON, targets: [{ variant: 'true', values: ['ceo@example.com'] }] }),
        () => server.api('POST', `/api/v1/flags/${SECRET[0]}/environments/${ENV}/kill`, { reason: 'leak test' }),
        () => server.api('PATCH', `/api/v1/flags/${SECRET[0]}`, { description: 'still secret' }),
        () => server.api('POST', '/api/v1/flags', { key: SECRET[1], kind: 'operational', owner: 'sre' }),
        () => server.api('PUT', `/api/v1/flags/${SECRET[1]}/environments/${ENV}`, ON),
        () => server.api('POST', `/api/v1/flags/${SECRET[1]}/environments/${ENV}/rollout`, { percentage: 50 }),
        () => server.api('DELETE', `/api/v1/flags/${SECRET[1]}`),
        () => server.api('PUT', `/api/v1/flags/public-banner/environments/${ENV}`, { ...ON, fallthrough: { variant: 'false' } }),
        () => server.api('PATCH', '/api/v1/flags/flip-me', { clientSide: false }),
        () => server.api('PUT', `/api/v1/flags/flip-me/environments/${ENV}`, { ...ON, fallthrough: { variant: 'false' } }),
      ];
      let last = 0;
      for (const write of writes) {
        const res = await write();
        expect(res.statusCode, res.body).toBeLessThan(300);
        last = Math.max(last, (res.json() as { revision?: number }).revision ?? 0);
        // One change at a time, so each gets its own patch.
        await waitFor('patch', () => frames.some((f) => ((JSON.parse(f) as { revision?: number }).revision ?? 0) >= last), 5000, 5);
      }

      const messages = frames.map((f) => JSON.parse(f) as { type: string; flags?: { key: string; clientSide?: boolean }[]; removed?: string[] });
      const served = messages.flatMap((m) => m.flags ?? []);
      expect(served.length).toBeGreaterThan(0);
      expect(served.filter((f) => f.clientSide !== true).map((f) => f.key)).toEqual([]);
      expect(served.map((f) => f.key).filter((k) => !['public-banner', 'flip-me'].includes(k))).toEqual([]);
      // flip-me was client-side: its removal is news the browser needs; a key it never had is not.
      expect(messages.flatMap((m) => m.removed ?? [])).toEqual(['flip-me']);
      const everything = frames.join('\n');
      for (const secret of [...SECRET, 'ceo@example.com', 'still secret']) expect(everything, secret).not.toContain(secret);
    } finally {
      ws.close();
    }
  });
});
