import fc from 'fast-check';
import { createClient, silentLogger, type SwitchyardClient } from '@switchyard/sdk-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createFlag } from '../helpers/flags.js';
import { waitFor } from '../helpers/processes.js';
import { createTestServer, type TestServer } from '../helpers/server.js';

// Raw WebSocket clients send random bytes, random JSON, protocol-shaped nonsense, binary and
// oversized frames: the server closes them as it sees fit and stays healthy, and a normal SDK beside
// them keeps receiving changes.
const ENV = 'production';
const RUNS = 150;
let server: TestServer;
let url: string;
let sdkKey: string;
let sdk: SwitchyardClient;

beforeAll(async () => {
  server = await createTestServer();
  url = await server.listen();
  sdkKey = await server.createKey('sdk-server', ENV);
  await createFlag(server, 'fuzz-flag');
  expect((await server.api('PUT', `/api/v1/flags/fuzz-flag/environments/${ENV}`, { enabled: true, offVariant: 'false', fallthrough: { variant: 'true' } })).statusCode).toBe(200);
  sdk = createClient({ url, sdkKey, logger: silentLogger, metricsIntervalMs: 0 });
  await sdk.ready({ timeoutMs: 5000 });
  await waitFor('SDK stream', () => server.app.services.stream.connections(ENV).length === 1, 5000);
});

afterAll(async () => {
  await sdk?.close();
  await server.close();
});

type Frame = { text: string } | { binary: Uint8Array };

const text = (value: unknown): Frame => ({ text: JSON.stringify(value) ?? 'null' });

function frames(): fc.Arbitrary<Frame[]> {
  const hello = fc
    .record(
      {
        type: fc.constantFrom('hello', 'ack', 'ping', 'snapshot', 'HELLO', ''),
        protocol: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(1)),
        sdk: fc.oneof(fc.record({ name: fc.string({ maxLength: 300 }), version: fc.string() }), fc.anything()),
        revision: fc.oneof(fc.constant(null), fc.integer(), fc.double(), fc.string(), fc.constant(Number.MAX_SAFE_INTEGER)),
        key: fc.oneof(fc.constant(sdkKey), fc.string(), fc.anything()),
        instance: fc.anything(),
      },
      { requiredKeys: [] },
    )
    .map(text);
  const frame: fc.Arbitrary<Frame> = fc.oneof(
    fc.string({ maxLength: 300 }).map((s) => ({ text: s })),
    fc.string({ unit: 'binary', maxLength: 300 }).map((s) => ({ text: s })),
    fc.jsonValue({ maxDepth: 6 }).map(text),
    hello,
    fc.uint8Array({ maxLength: 512 }).map((b) => ({ binary: b })),
    fc.constant({ text: `{"type":"hello","protocol":1,"sdk":{"name":"${'x'.repeat(20_000)}","version":"1"},"revision":null}` }),
    fc.constant(text({ type: 'hello', protocol: 1, sdk: { name: 'fuzz', version: '0' }, revision: null, key: sdkKey })),
    fc.integer({ min: -5, max: 1_000_000 }).map((revision) => text({ type: 'ack', revision })),
    fc.constant({ text: '['.repeat(5000) }),
  );
  return fc.array(frame, { maxLength: 8 });
}

/** Opens a socket, sends the frames while it stays open, waits briefly, then drops it. */
async function play(withHeader: boolean, sequence: Frame[]): Promise<void> {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/api/v1/sdk/stream`, withHeader ? { headers: { authorization: `Bearer ${sdkKey}` } } : {});
  ws.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  const opened = await new Promise<boolean>((resolve) => {
    ws.once('open', () => resolve(true));
    ws.once('close', () => resolve(false));
  });
  if (opened) {
    for (const f of sequence) {
      if (ws.readyState !== ws.OPEN) break;
      if ('text' in f) ws.send(f.text);
      else ws.send(f.binary, { binary: true });
    }
    await Promise.race([closed, new Promise((r) => setTimeout(r, 30))]);
  }
  ws.terminate();
  await closed;
}

describe('stream fuzzing', () => {
  it(`survives ${RUNS} hostile clients and keeps serving a normal SDK`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean(), frames(), async (withHeader, sequence) => {
        await play(withHeader, sequence);
      }),
      { numRuns: RUNS },
    );
    // Healthy: probes answer, every fuzzing socket is gone, the normal SDK is still connected…
    expect((await server.api('GET', '/health/live', undefined, { token: null })).statusCode).toBe(200);
    expect((await server.api('GET', '/health/ready', undefined, { token: null })).statusCode).toBe(200);
    await waitFor('fuzz sockets unregistered', () => server.app.services.stream.connections(ENV).filter((c) => c.sdk.name !== 'sdk-node').length === 0, 5000);
    expect(server.app.services.stream.connections(ENV).filter((c) => c.sdk.name === 'sdk-node')).toHaveLength(1);
    // …and still receives changes at once.
    expect(sdk.enabled('fuzz-flag', { key: 'u' })).toBe(true);
    const kill = await server.api('POST', `/api/v1/flags/fuzz-flag/environments/${ENV}/kill?waitForSdks=3000`, { reason: 'after fuzzing' });
    expect(kill.statusCode).toBe(200);
    expect((kill.json() as { propagation: { applied: number } }).propagation.applied).toBeGreaterThanOrEqual(1);
    expect(sdk.enabled('fuzz-flag', { key: 'u' })).toBe(false);
  }, 60_000);
});
