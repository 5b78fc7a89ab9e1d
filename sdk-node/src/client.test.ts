import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rolloutFromPercentage, type ConfigSnapshot } from '@switchyard/core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { booleanFlag } from '../../test/helpers/flags.js';
import { freePort } from '../../test/helpers/net.js';
import { createBackoff } from './sync/backoff.js';
import { createClient, silentLogger, type Detail, type FlagDetails, type ReadyResult, type SwitchyardClient } from './index.js';
import { MAX_PENDING_BATCHES, MetricsAggregator } from './metrics.js';
import { createTestClient } from './testing.js';
import { WebSocketServer } from 'ws';

const snapshot: ConfigSnapshot = {
  environment: 'production',
  revision: 7,
  flags: [
    booleanFlag('new-checkout'),
    booleanFlag('half', { fallthrough: { rollout: rolloutFromPercentage(50, 'true', 'false') } }),
    {
      ...booleanFlag('layout'),
      type: 'string',
      variants: [
        { key: 'grid', value: 'grid' },
        { key: 'list', value: 'list' },
      ],
      offVariant: 'list',
      fallthrough: { variant: 'grid' },
    },
  ],
  segments: [],
};

/** A loopback port with nothing listening: connections are refused at once. */
async function deadUrl(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`;
}

describe('sdk-node offline and resilience', () => {
  it('evaluates bootstrap rules with no network', async () => {
    const flags = createClient({ url: 'http://127.0.0.1:1', sdkKey: 'k', offline: true, bootstrap: snapshot, logger: silentLogger });
    expect(await flags.ready()).toEqual({ ok: true, source: 'bootstrap' });
    expect(flags.enabled('new-checkout', { key: 'u1' })).toBe(true);
    expect(flags.variant('layout', { key: 'u1' }, 'list')).toBe('grid');
    expect(flags.variant('layout', { key: 'u1' }, 42)).toBe(42);
    expect(flags.detail('missing', { key: 'u1' }, 'd')).toMatchObject({ value: 'd', reason: 'FLAG_NOT_FOUND' });
    expect(flags.enabled('layout', { key: 'u1' })).toBe(false);
    const all = flags.all({ key: 'u1' });
    expect([...all.keys()].sort()).toEqual(['half', 'layout', 'new-checkout']);
    expect(all.size).toBe(3);
    expect(all.get('new-checkout')).toMatchObject({ value: true });
    expect(all.get('missing')).toBeUndefined();
    expect(Object.keys(JSON.parse(JSON.stringify(all)) as object).sort()).toEqual(['half', 'layout', 'new-checkout']);
    const inHalf = Array.from({ length: 2000 }, (_, i) => flags.enabled('half', { key: `user-${i}` })).filter(Boolean).length;
    expect(inHalf).toBeGreaterThan(900);
    expect(inHalf).toBeLessThan(1100);
    await flags.close();
  });

  it('ready() resolves with the timeout, never rejects, when the server is unreachable', async () => {
    const errors: string[] = [];
    const flags = createClient({ url: await deadUrl(), sdkKey: 'k', logger: { warn: () => undefined, error: (m) => errors.push(m) }, backoff: { initialMs: 50, maxMs: 200 } });
    const started = Date.now();
    const result: ReadyResult = await flags.ready({ timeoutMs: 300 });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(result.ok).toBe(false);
    expect(result.source).toBe('timeout');
    expect(flags.enabled('new-checkout', { key: 'u1' })).toBe(false);
    expect(flags.enabled('new-checkout', { key: 'u1' }, true)).toBe(true);
    await flags.close();
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(new Set(errors).size).toBe(errors.length);
  });

  it('starts from the persisted rules when the server is down', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-persist-'));
    const path = join(dir, 'flags.json');
    writeFileSync(path, JSON.stringify(snapshot));
    const flags = createClient({ url: await deadUrl(), sdkKey: 'k', persistPath: path, logger: silentLogger });
    expect(flags.source).toBe('cache');
    expect(flags.revision).toBe(7);
    expect(flags.enabled('new-checkout', { key: 'u1' })).toBe(true);
    const result = await flags.ready({ timeoutMs: 200 });
    expect(result.ok).toBe(true);
    expect(result.source).toBe('cache');
    expect(result.error).toBeInstanceOf(Error);
    await flags.close();
    expect(JSON.parse(readFileSync(path, 'utf8')).revision).toBe(7);
  });

  it('never throws into application code, whatever it is given', async () => {
    const flags = createClient({ url: 'http://127.0.0.1:1', sdkKey: 'k', offline: true, bootstrap: snapshot, logger: silentLogger });
    const weird: unknown[] = [null, undefined, 42, 'str', [], { key: 5 }, { get key(): string { throw new Error('boom'); } }, new Proxy({}, { get() { throw new Error('trap'); } })];
    for (const context of weird) {
      expect(() => flags.enabled('half', context as never)).not.toThrow();
      expect(typeof flags.enabled('half', context as never)).toBe('boolean');
      expect(() => flags.detail('half', context as never)).not.toThrow();
      expect(() => flags.all(context as never)).not.toThrow();
      expect(() => flags.track('half', context as never, { error: true, latencyMs: Number.NaN })).not.toThrow();
    }
    const throwing = flags.on('change', () => {
      throw new Error('listener bug');
    });
    throwing();
    await flags.close();
    // A client with no url/key reports through 'error' (default listener logs) instead of throwing.
    const broken = createClient({ url: '', sdkKey: '', logger: silentLogger });
    expect((await broken.ready({ timeoutMs: 10 })).ok).toBe(false);
    await broken.close();
  });

  it('has the documented public types', () => {
    const flags: SwitchyardClient = createTestClient({});
    expectTypeOf(flags.enabled).returns.toEqualTypeOf<boolean>();
    expectTypeOf(flags.variant('a', {}, 'control')).toEqualTypeOf<string>();
    expectTypeOf(flags.variant('a', {}, 3)).toEqualTypeOf<number>();
    expectTypeOf(flags.detail('a')).toEqualTypeOf<Detail>();
    expectTypeOf(flags.all({})).toEqualTypeOf<FlagDetails>();
    expectTypeOf(flags.all({}).get('a')).toEqualTypeOf<Detail | undefined>();
    expectTypeOf(flags.ready).returns.toEqualTypeOf<Promise<ReadyResult>>();
  });
});

describe('sdk-node stream updates (protocol 2)', () => {
  it('applies changed fields over the version they were made for, and resumes instead of guessing when they do not fit', async () => {
    // A scripted server: the config poll, then one patch per connection.
    const patches = [
      { type: 'patch', revision: 8, flags: [], removed: [], segments: [], removedSegments: [], updates: [{ key: 'new-checkout', from: 41, version: 42, enabled: false, killed: true }] },
      { type: 'patch', revision: 8, flags: [], removed: [], segments: [], removedSegments: [], updates: [{ key: 'new-checkout', from: 1, version: 2, enabled: false, killed: true }] },
    ];
    const hellos: { protocol: number; revision: number | null }[] = [];
    const acks: number[] = [];
    const http = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json', etag: '"r7"' }).end(JSON.stringify(snapshot)));
    const wss = new WebSocketServer({ server: http, path: '/api/v1/sdk/stream' });
    wss.on('connection', (ws) => {
      const patch = patches[hellos.length];
      ws.on('message', (data) => {
        const message = JSON.parse(String(data)) as { type: string; protocol: number; revision: number | null };
        if (message.type === 'ack') return void acks.push(message.revision ?? -1);
        hellos.push({ protocol: message.protocol, revision: message.revision });
        ws.send(JSON.stringify(patch));
      });
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const address = http.address() as { port: number };
    const seen: boolean[] = [];
    const flags = createClient({ url: `http://127.0.0.1:${address.port}`, sdkKey: 'k', logger: silentLogger, metricsIntervalMs: 0, backoff: { initialMs: 20, maxMs: 50 } });
    try {
      expect(await flags.ready({ timeoutMs: 2000 })).toMatchObject({ ok: true });
      flags.on('change', () => seen.push(flags.enabled('new-checkout', { key: 'u' })));
      const deadline = Date.now() + 3000;
      while (flags.revision !== 8 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(flags.revision).toBe(8);
      expect(flags.enabled('new-checkout', { key: 'u' })).toBe(false);
      expect(flags.detail('new-checkout', { key: 'u' })).toMatchObject({ value: false, reason: 'KILLED' });
      // The first patch did not fit (version 41): nothing applied, a reconnect from revision 7.
      expect(hellos).toEqual([
        { protocol: 2, revision: 7 },
        { protocol: 2, revision: 7 },
      ]);
      expect(seen).toEqual([false]);
      while (acks.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(acks).toEqual([8]);
    } finally {
      await flags.close();
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      http.close();
    }
  });
});

describe('createTestClient', () => {
  it('serves fixed values through the real evaluator and can change them', async () => {
    const flags = createTestClient({ 'new-checkout': true, layout: 'grid', limit: 5 });
    expect(flags.enabled('new-checkout', { key: 'u' })).toBe(true);
    expect(flags.variant('layout', { key: 'u' }, 'list')).toBe('grid');
    expect(flags.variant('limit', {}, 1)).toBe(5);
    const seen: string[][] = [];
    flags.on('change', (keys) => seen.push(keys));
    flags.set('new-checkout', false);
    expect(flags.enabled('new-checkout', { key: 'u' }, true)).toBe(false);
    expect(seen).toEqual([['new-checkout']]);
    await flags.close();
  });
});

describe('backoff', () => {
  it('widens exponentially with full jitter up to the cap, and resets', () => {
    const top = createBackoff({ initialMs: 100, maxMs: 1000 }, () => 0.999999);
    expect([top.next(), top.next(), top.next(), top.next(), top.next(), top.next()]).toEqual([99, 199, 399, 799, 999, 999]);
    top.reset();
    expect(top.next()).toBe(99);
    const bottom = createBackoff({ initialMs: 100, maxMs: 1000 }, () => 0);
    expect(bottom.next()).toBe(0);
    const spread = new Set(Array.from({ length: 200 }, () => createBackoff({ initialMs: 1000, maxMs: 30_000 }).next()));
    expect(spread.size).toBeGreaterThan(150);
  });
});

describe('metrics aggregation', () => {
  it('counts evaluations and outcomes per flag and variant, bounded while the server is away', async () => {
    const m = new MetricsAggregator({ name: 'sdk-node', version: 't' });
    const detail: Detail = Object.freeze({ value: true, variant: 'true', reason: 'FALLTHROUGH' as const });
    for (let i = 0; i < 5; i++) m.evaluated('f', detail);
    m.outcome('f', 'true', true, 12);
    m.outcome('f', 'true', false, 600);
    m.cut();
    const sent: unknown[] = [];
    await m.drain(async (batch) => {
      sent.push(batch);
    });
    expect(sent).toHaveLength(1);
    const batch = sent[0] as { metrics: { flag: string; variant: string; evaluations: number; outcomes: number; errors: number; latency: number[]; latencySumMs: number }[] };
    expect(batch.metrics).toEqual([{ flag: 'f', variant: 'true', evaluations: 5, outcomes: 2, errors: 1, latency: expect.any(Array), latencySumMs: 612 }]);
    expect(batch.metrics[0]?.latency.reduce((a, b) => a + b, 0)).toBe(2);
    for (let i = 0; i < MAX_PENDING_BATCHES + 5; i++) {
      m.evaluated('f', detail);
      m.cut();
    }
    expect(m.pendingBatches).toBe(MAX_PENDING_BATCHES);
    expect(m.dropped).toBe(5);
    await expect(m.drain(async () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(m.pendingBatches).toBe(MAX_PENDING_BATCHES);
  });
});
