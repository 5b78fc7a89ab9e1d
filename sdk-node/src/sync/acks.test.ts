import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, silentLogger, type SwitchyardClient } from '../index.js';
import { booleanFlag } from '../../../test/helpers/flags.js';
import { ACK_MAX_DELAY_MS, ACK_QUIET_MS } from './acks.js';

// Acknowledgements are low-priority work: every message is applied (and 'change' emitted) first; the
// revision applied last is acknowledged once the streams have been quiet. Tested against a minimal
// WebSocket server on a real socket, which can write several frames in one TCP write (a burst the
// client reads in one go) and records when each ack arrives.

/** A server-to-client text frame (unmasked). */
function textFrame(message: unknown): Buffer {
  const data = Buffer.from(JSON.stringify(message));
  const header = data.length < 126 ? Buffer.from([0x81, data.length]) : Buffer.from([0x81, 126, data.length >> 8, data.length & 0xff]);
  return Buffer.concat([header, data]);
}

/** Decodes the client's (masked) text frames in `buffer`; returns them and the bytes left over. */
function readClientFrames(buffer: Buffer): { messages: string[]; rest: Buffer } {
  const messages: string[] = [];
  let offset = 0;
  while (buffer.length - offset >= 6) {
    const first = buffer[offset + 1] as number;
    let length = first & 0x7f;
    let at = offset + 2;
    if (length === 126) {
      if (buffer.length - offset < 8) break;
      length = buffer.readUInt16BE(at);
      at += 2;
    }
    if (buffer.length < at + 4 + length) break;
    const mask = buffer.subarray(at, at + 4);
    const payload = Buffer.from(buffer.subarray(at + 4, at + 4 + length));
    for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] as number) ^ (mask[i % 4] as number);
    if (((buffer[offset] as number) & 0x0f) === 1) messages.push(payload.toString());
    offset = at + 4 + length;
  }
  return { messages, rest: buffer.subarray(offset) };
}

interface Peer {
  readonly socket: Duplex;
  readonly acks: { revision: number; at: number }[];
  hello: boolean;
}

/** Answers GET /api/v1/sdk/config with 503 (the SDK then goes to the stream) and upgrades the stream. */
async function rawStreamServer(): Promise<{ url: string; peers: Peer[]; server: Server }> {
  const peers: Peer[] = [];
  const server = createServer((_request, response) => {
    response.statusCode = 503;
    response.end();
  });
  server.on('upgrade', (request: IncomingMessage, socket: Duplex) => {
    const accept = createHash('sha1')
      .update(`${String(request.headers['sec-websocket-key'])}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
      .digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    const peer: Peer = { socket, acks: [], hello: false };
    peers.push(peer);
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      const { messages, rest } = readClientFrames(Buffer.concat([pending, chunk]));
      pending = Buffer.from(rest);
      for (const text of messages) {
        const message = JSON.parse(text) as { type: string; revision?: number };
        if (message.type === 'hello') {
          peer.hello = true;
          socket.write(textFrame({ type: 'snapshot', environment: 'production', revision: 1, flags: [booleanFlag('a'), booleanFlag('b')], segments: [] }));
        } else if (message.type === 'ack') {
          peer.acks.push({ revision: message.revision as number, at: performance.now() });
        }
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return { url: `http://127.0.0.1:${address.port}`, peers, server };
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

const patch = (revision: number, key: string, enabled: boolean) =>
  textFrame({ type: 'patch', revision, flags: [{ ...booleanFlag(key), enabled }], removed: [], segments: [], removedSegments: [] });

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

describe('sdk-node stream acknowledgements', () => {
  it('applies a burst of patches at once and acknowledges only the last revision, once', async () => {
    const { url, peers, server } = await rawStreamServer();
    const flags = createClient({ url, sdkKey: 'k', logger: silentLogger, metricsIntervalMs: 0 });
    cleanup = async () => {
      await flags.close();
      server.close();
    };
    await until(() => peers[0]?.acks.some((a) => a.revision === 1) === true);
    const peer = peers[0] as Peer;
    const changes: { keys: string[]; revision: number; at: number }[] = [];
    flags.on('change', (keys) => changes.push({ keys, revision: flags.revision, at: performance.now() }));

    // Three patches in one TCP write: the client reads them in one go.
    peer.socket.write(Buffer.concat([patch(2, 'a', false), patch(3, 'b', false), patch(4, 'a', true)]));
    await until(() => peer.acks.some((a) => a.revision === 4));
    await new Promise((r) => setTimeout(r, ACK_QUIET_MS * 4));

    expect(changes.map((c) => [c.revision, c.keys])).toEqual([
      [2, ['a']],
      [3, ['b']],
      [4, ['a']],
    ]);
    expect(peer.acks.map((a) => a.revision)).toEqual([1, 4]);
    expect((peer.acks[1] as { at: number }).at).toBeGreaterThanOrEqual((changes[2] as { at: number }).at);
    expect((peer.acks[1] as { at: number }).at - (changes[2] as { at: number }).at).toBeLessThan(ACK_MAX_DELAY_MS + 100);
    expect(flags.enabled('a', { key: 'u' })).toBe(true);
    expect(flags.enabled('b', { key: 'u' })).toBe(false);
  });

  it('acknowledges within the max delay while messages keep coming', async () => {
    const { url, peers, server } = await rawStreamServer();
    const flags = createClient({ url, sdkKey: 'k', logger: silentLogger, metricsIntervalMs: 0 });
    let timer: NodeJS.Timeout | undefined;
    cleanup = async () => {
      clearInterval(timer);
      await flags.close();
      server.close();
    };
    await until(() => peers[0]?.acks.some((a) => a.revision === 1) === true);
    const peer = peers[0] as Peer;
    // A patch every millisecond: the stream is never quiet for ACK_QUIET_MS.
    let revision = 1;
    const started = performance.now();
    timer = setInterval(() => peer.socket.write(patch(++revision, 'a', revision % 2 === 0)), 1);
    await until(() => peer.acks.length > 1, ACK_MAX_DELAY_MS * 4);
    const ack = peer.acks[1] as { revision: number; at: number };
    clearInterval(timer);
    expect(ack.at - started).toBeLessThan(ACK_MAX_DELAY_MS + 150);
    expect(ack.revision).toBeGreaterThan(2);
    expect(ack.revision).toBeLessThanOrEqual(revision);
  });

  it('lets every client of a process apply a change before any of them acknowledges it', async () => {
    const { url, peers, server } = await rawStreamServer();
    const clients: SwitchyardClient[] = Array.from({ length: 20 }, () => createClient({ url, sdkKey: 'k', logger: silentLogger, metricsIntervalMs: 0 }));
    cleanup = async () => {
      await Promise.all(clients.map((c) => c.close()));
      server.close();
    };
    await until(() => peers.length === 20 && peers.every((p) => p.acks.some((a) => a.revision === 1)));
    let lastApplied = 0;
    let applied = 0;
    for (const c of clients) {
      c.on('change', () => {
        applied++;
        lastApplied = performance.now();
      });
    }
    for (const p of peers) p.socket.write(patch(2, 'a', false));
    await until(() => peers.every((p) => p.acks.some((a) => a.revision === 2)));
    expect(applied).toBe(20);
    for (const p of peers) expect((p.acks.find((a) => a.revision === 2) as { at: number }).at).toBeGreaterThanOrEqual(lastApplied);
    expect(peers.map((p) => p.acks.length)).toEqual(peers.map(() => 2));
  });

  it('sends no ack on a socket that closed before the ack was due, and acknowledges on the next one', async () => {
    const { url, peers, server } = await rawStreamServer();
    const flags = createClient({ url, sdkKey: 'k', logger: silentLogger, metricsIntervalMs: 0, backoff: { initialMs: 10, maxMs: 20 } });
    cleanup = async () => {
      await flags.close();
      server.close();
    };
    await until(() => peers[0]?.acks.some((a) => a.revision === 1) === true);
    const first = peers[0] as Peer;
    const revisions: number[] = [];
    flags.on('change', () => revisions.push(flags.revision));
    // A patch and, in the same write, the close frame: the ack for 2 would be due after the close.
    first.socket.write(Buffer.concat([patch(2, 'a', false), Buffer.from([0x88, 0x02, 0x03, 0xe8])]));
    first.socket.end();
    await until(() => peers.length === 2 && (peers[1] as Peer).acks.length > 0);
    expect(first.acks.map((a) => a.revision)).toEqual([1]);
    expect(revisions[0]).toBe(2);
    // The new connection's first message is the snapshot at 1 (the fake server does not resume).
    expect((peers[1] as Peer).acks.map((a) => a.revision)).toEqual([1]);
  });
});
