import { hashTargetKey, latencyHistogram, MAX_RAW_LATENCIES, MetricsBatchSchema, type ConfigSnapshot, type FlagConfig } from '@switchyard/core';
import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import { fakePlatform, settle } from '../../test/helpers/browser-fakes.js';
import { booleanFlag } from '../../test/helpers/flags.js';
import { createClient, type ClientOptions, type Detail, type FlagDetails, type ReadyResult, type SwitchyardClient, type SwitchyardError } from './index.js';

const URL = 'https://flags.example.test';
const KEY = 'syc_test_key';
const SALT = 'salt-production';

const layout: FlagConfig = {
  ...booleanFlag('layout'),
  type: 'string',
  variants: [
    { key: 'grid', value: 'grid' },
    { key: 'list', value: 'list' },
  ],
  offVariant: 'list',
  fallthrough: { variant: 'grid' },
};

function snapshot(revision: number, flags: FlagConfig[] = [booleanFlag('new-checkout'), layout], extra: Partial<ConfigSnapshot> = {}): ConfigSnapshot {
  return { environment: 'production', revision, flags, segments: [], ...extra };
}

function setup(options: Partial<ClientOptions> = {}) {
  const fakes = fakePlatform();
  const warnings: string[] = [];
  const make = (more: Partial<ClientOptions> = {}): SwitchyardClient =>
    createClient({ url: URL, clientKey: KEY, logger: { warn: (m) => warnings.push(m) }, metricsIntervalMs: 0, platform: fakes.platform, ...options, ...more });
  return { ...fakes, warnings, make };
}

describe('sdk-browser: stream', () => {
  it('says hello with its key, applies the snapshot, acknowledges it and is ready', async () => {
    const { make, socket, storage } = setup();
    const flags = make({ context: { key: 'user-1' } });
    const ready = flags.ready({ timeoutMs: 1000 });
    expect(socket().url).toBe('wss://flags.example.test/api/v1/sdk/stream');
    socket().open();
    expect(socket().sent[0]).toEqual({ type: 'hello', protocol: 1, sdk: { name: 'sdk-browser', version: '0.1.0' }, revision: null, key: KEY });
    socket().receive({ type: 'snapshot', ...snapshot(7) });
    expect(await ready).toEqual({ ok: true, source: 'network' });
    expect(socket().sent[1]).toEqual({ type: 'ack', revision: 7 });
    expect(flags.enabled('new-checkout')).toBe(true);
    expect(flags.variant('layout', 'list')).toBe('grid');
    // all(): the same read-only map as the Node SDK's, a plain object in JSON.
    const all = flags.all();
    expect(all.get('new-checkout')).toMatchObject({ value: true });
    expect(all.get('missing')).toBeUndefined();
    expect(all.size).toBe([...all.keys()].length);
    expect(JSON.parse(JSON.stringify(all))).toMatchObject({ 'new-checkout': { value: true }, layout: { value: 'grid' } });
    expect(flags.revision).toBe(7);
    expect(flags.source).toBe('network');
    expect([...storage.data.keys()]).toHaveLength(1);
    await flags.close();
  });

  it('applies patches newer than its revision, emits change with the keys, and acknowledges every patch', async () => {
    const { make, socket } = setup();
    const flags = make({ context: { key: 'user-1' } });
    socket().open().receive({ type: 'snapshot', ...snapshot(7) });
    const changes: string[][] = [];
    flags.on('change', (keys) => changes.push(keys));
    socket().receive({ type: 'patch', revision: 8, flags: [booleanFlag('new-checkout', { version: 2, enabled: false })], removed: ['layout'], segments: [], removedSegments: [] });
    expect(flags.detail('new-checkout')).toMatchObject({ value: false, reason: 'OFF' });
    expect(flags.detail('layout', 'x')).toMatchObject({ value: 'x', reason: 'FLAG_NOT_FOUND' });
    expect(changes).toEqual([['new-checkout', 'layout']]);
    // A duplicate (older) patch changes nothing but is acknowledged with the revision held.
    socket().receive({ type: 'patch', revision: 8, flags: [booleanFlag('new-checkout')], removed: [], segments: [], removedSegments: [] });
    expect(flags.enabled('new-checkout')).toBe(false);
    // A patch that changes rules but no value for this context emits nothing.
    socket().receive({ type: 'patch', revision: 9, flags: [booleanFlag('new-checkout', { version: 3, enabled: false, offVariant: 'false' })], removed: [], segments: [], removedSegments: [] });
    socket().receive({ type: 'ping', revision: 9 });
    expect(changes).toHaveLength(1);
    expect(socket().sent.slice(1)).toEqual([
      { type: 'ack', revision: 7 },
      { type: 'ack', revision: 8 },
      { type: 'ack', revision: 8 },
      { type: 'ack', revision: 9 },
    ]);
    await flags.close();
  });

  it('polls conditionally while the stream is down and resumes the stream from its revision', async () => {
    const { make, socket, sockets, server, clock } = setup({ backoff: { initialMs: 1000, maxMs: 1000 } });
    // Full jitter picks a delay in [0, 1000): pin it near the top to observe the window.
    vi.spyOn(Math, 'random').mockReturnValue(0.95);
    const flags = make();
    socket().open().receive({ type: 'snapshot', ...snapshot(7) });
    server.snapshot = snapshot(7);
    socket().end(1006);
    await settle();
    // Down: one poll at once (unconditional: the stream gave no ETag), then one every 15 s with If-None-Match.
    expect(server.calls('config')).toHaveLength(1);
    expect(server.calls('config')[0]?.init.headers).toEqual({ authorization: `Bearer ${KEY}` });
    await clock.advance(900);
    expect(sockets).toHaveLength(1);
    // The server does not accept the reconnect this time.
    await clock.advance(100);
    expect(sockets).toHaveLength(2);
    socket().end(1006);
    await clock.advance(15_000);
    expect(server.calls('config')).toHaveLength(2);
    expect(server.calls('config')[1]?.init.headers['if-none-match']).toBe('"r7"');
    const latest = sockets.length;
    socket().open();
    expect(sockets).toHaveLength(latest);
    expect(socket().sent[0]).toMatchObject({ type: 'hello', revision: 7 });
    socket().receive({ type: 'patch', revision: 8, flags: [booleanFlag('new-checkout', { enabled: false })], removed: [], segments: [], removedSegments: [] });
    expect(flags.enabled('new-checkout')).toBe(false);
    // Up again: polling has stopped.
    await clock.advance(60_000 - 1);
    expect(server.calls('config')).toHaveLength(2);
    await flags.close();
    vi.restoreAllMocks();
  });

  it('picks up changes by polling when the stream never connects (or is disabled)', async () => {
    const { make, server, clock } = setup({ stream: false, pollIntervalMs: 1000 });
    server.snapshot = snapshot(3);
    const flags = make();
    expect(await flags.ready({ timeoutMs: 100 })).toEqual({ ok: true, source: 'network' });
    const changes: string[][] = [];
    flags.on('change', (keys) => changes.push(keys));
    server.snapshot = snapshot(4, [booleanFlag('new-checkout', { version: 2, enabled: false }), layout]);
    await clock.advance(1000);
    expect(flags.enabled('new-checkout')).toBe(false);
    expect(changes).toEqual([['new-checkout']]);
    await clock.advance(1000);
    expect(server.calls('config').at(-1)?.init.headers['if-none-match']).toBe('"r4"');
    await flags.close();
  });

  it('reconnects within a second when the server restarts (1012), and after 60 s of silence', async () => {
    const { make, socket, sockets, clock } = setup({ backoff: { initialMs: 30_000, maxMs: 30_000 } });
    const flags = make();
    socket().open().receive({ type: 'snapshot', ...snapshot(7) });
    socket().end(1012);
    await clock.advance(1000);
    expect(sockets).toHaveLength(2);
    socket().open().receive({ type: 'patch', revision: 7, flags: [], removed: [], segments: [], removedSegments: [] });
    await clock.advance(59_999);
    expect(sockets[1]?.closed).toBe(false);
    await clock.advance(1);
    expect(sockets[1]?.closed).toBe(true);
    // A connection that worked resets the backoff: the next attempt comes within initialMs.
    await clock.advance(30_000);
    expect(sockets.length).toBeGreaterThanOrEqual(3);
    await flags.close();
  });

  it('stops for good when the key is refused (4401), reporting once', async () => {
    const { make, socket, sockets, server, clock } = setup();
    const flags = make();
    const errors: SwitchyardError[] = [];
    flags.on('error', (e) => errors.push(e));
    socket().open().end(4401);
    expect(errors.map((e) => e.code)).toEqual(['UNAUTHORIZED']);
    expect(await flags.ready({ timeoutMs: 10 })).toMatchObject({ ok: false, source: 'none' });
    await clock.advance(600_000);
    expect(sockets).toHaveLength(1);
    expect(server.requests).toHaveLength(0);
    await flags.close();
  });

  it('stops when polling meets 401/403', async () => {
    const { make, server, clock } = setup({ stream: false });
    server.configStatus = 403;
    const flags = make();
    const result = await flags.ready({ timeoutMs: 10_000 });
    expect(result).toMatchObject({ ok: false, source: 'none' });
    expect((result.error as SwitchyardError).code).toBe('UNAUTHORIZED');
    await clock.advance(600_000);
    expect(server.calls('config')).toHaveLength(1);
    await flags.close();
  });
});

describe('sdk-browser: cache, bootstrap and ready()', () => {
  it('renders from the cache at once when the server is down, and ready() says so without waiting', async () => {
    const first = setup();
    const online = first.make({ context: { key: 'u' } });
    first.socket().open().receive({ type: 'snapshot', ...snapshot(7, [booleanFlag('new-checkout', { fallthrough: { variant: 'false' } })]) });
    await online.close();

    // A new page load with the same storage, the server down.
    const second = setup();
    for (const [k, v] of first.storage.data) second.storage.data.set(k, v);
    second.server.down = true;
    const flags = second.make({ context: { key: 'u' } });
    expect(flags.source).toBe('cache');
    expect(flags.revision).toBe(7);
    expect(flags.enabled('new-checkout', true)).toBe(false);
    second.socket().end(1006);
    const result = await flags.ready({ timeoutMs: 60_000 });
    expect(result).toMatchObject({ ok: true, source: 'cache' });
    expect((result.error as SwitchyardError).code).toBe('NETWORK');
    // The cache does not resume the stream: it may be stale or from another database.
    await second.clock.advance(1000);
    second.socket().open();
    expect(second.socket().sent[0]).toMatchObject({ revision: null });
    await flags.close();
  });

  it('keeps one cache per url and key', async () => {
    const a = setup();
    const flags = a.make();
    a.socket().open().receive({ type: 'snapshot', ...snapshot(7) });
    await flags.close();
    const other = createClient({ url: URL, clientKey: 'another-key', platform: { ...a.platform, socket: () => a.platform.socket!('x') }, metricsIntervalMs: 0 });
    expect(other.source).toBe('none');
    await other.close();
    expect([...a.storage.data.keys()][0]).toBe(`switchyard:${hashTargetKey(URL, KEY)}`);
  });

  it('starts from a bootstrap, and prefers a cache that is at least as new', async () => {
    const { make, storage } = setup({ offline: true });
    const boot = make({ bootstrap: snapshot(5) });
    expect(await boot.ready()).toEqual({ ok: true, source: 'bootstrap' });
    expect(boot.enabled('new-checkout')).toBe(true);
    await boot.close();
    storage.data.set(`switchyard:${hashTargetKey(URL, KEY)}`, JSON.stringify(snapshot(6, [booleanFlag('new-checkout', { enabled: false })])));
    const cached = make({ bootstrap: snapshot(5) });
    expect(cached.source).toBe('cache');
    expect(cached.enabled('new-checkout')).toBe(false);
    const older = make({ bootstrap: snapshot(9) });
    expect(older.source).toBe('bootstrap');
    // Rules without a revision (flags only) are fine as a bootstrap.
    const bare = createClient({ url: '', clientKey: '', offline: true, cache: false, bootstrap: { flags: [layout] } });
    expect(bare.variant('layout', 'x')).toBe('grid');
  });

  it('ready() resolves at the timeout with no rules, never rejects', async () => {
    const { make, server, clock } = setup();
    server.down = true;
    const flags = make();
    const pending = flags.ready({ timeoutMs: 2000 });
    await clock.advance(2000);
    const result: ReadyResult = await pending;
    expect(result.ok).toBe(false);
    expect(result.source).toBe('timeout');
    expect(result.error).toBeInstanceOf(Error);
    expect(flags.enabled('new-checkout')).toBe(false);
    expect(flags.enabled('new-checkout', true)).toBe(true);
    await flags.close();
    // After close, ready() answers at once.
    expect((await flags.ready()).source).toBe('none');
  });
});

describe('sdk-browser: hashed key lists', () => {
  const hashed = (keys: string[]) => keys.map((k) => hashTargetKey(SALT, k));
  const rules = snapshot(
    3,
    [
      booleanFlag('beta', { targets: [{ variant: 'true', values: hashed(['qa-1']) }], fallthrough: { variant: 'false' } }),
      booleanFlag('internal', { rules: [{ id: 'staff', clauses: [{ attribute: 'key', op: 'inSegment', values: ['staff'] }], serve: { variant: 'true' } }], fallthrough: { variant: 'false' } }),
      // A list with a raw key: the SDK must not match it, since it compares hashes.
      booleanFlag('raw', { targets: [{ variant: 'true', values: ['qa-1'] }], fallthrough: { variant: 'false' } }),
    ],
    { keyHashSalt: SALT, segments: [{ key: 'staff', name: 'Staff', description: '', included: hashed(['emp-7']), excluded: hashed(['emp-8']), rules: [{ clauses: [{ attribute: 'email', op: 'endsWith', values: ['@acme.io'] }] }] }] },
  );

  it('matches targets and segment lists through the hashed context key', async () => {
    const { make } = setup({ offline: true, cache: false });
    const flags = make({ bootstrap: rules, context: { key: 'qa-1' } });
    expect(flags.detail('beta')).toMatchObject({ value: true, reason: 'TARGET_MATCH' });
    expect(flags.detail('raw')).toMatchObject({ value: false, reason: 'FALLTHROUGH' });
    const changes: string[][] = [];
    flags.on('change', (keys) => changes.push(keys));
    flags.setContext({ key: 'emp-7' });
    expect(flags.detail('beta')).toMatchObject({ value: false, reason: 'FALLTHROUGH' });
    expect(flags.detail('internal')).toMatchObject({ value: true, reason: 'RULE_MATCH', ruleId: 'staff' });
    expect(changes).toEqual([['beta', 'internal']]);
    flags.setContext({ key: 'emp-8', email: 'e8@acme.io' });
    expect(flags.enabled('internal')).toBe(false);
    flags.setContext({ key: 'someone', email: 'x@acme.io' });
    expect(flags.enabled('internal')).toBe(true);
    expect(flags.context).toEqual({ key: 'someone', email: 'x@acme.io' });
    await flags.close();
  });

  it('drops the previous hashed key when a context key cannot be read', async () => {
    const { make } = setup({ offline: true, cache: false });
    const flags = make({ bootstrap: rules, context: { key: 'qa-1' } });
    expect(flags.detail('beta').reason).toBe('TARGET_MATCH');
    // A key getter that fails when the SDK hashes it, and answers later: qa-1's hash must not linger.
    let reads = 0;
    flags.setContext({
      get key(): string {
        if (reads++ === 0) throw new Error('boom');
        return 'someone-else';
      },
    });
    expect(flags.detail('beta')).toMatchObject({ value: false, reason: 'FALLTHROUGH' });
    await flags.close();
  });

  it('keeps the hashing salt across patches and the cache', async () => {
    const { make, socket, storage } = setup();
    const flags = make({ context: { key: 'qa-1' } });
    socket().open().receive({ type: 'snapshot', ...rules });
    socket().receive({ type: 'patch', revision: 4, flags: [booleanFlag('beta', { version: 2, targets: [{ variant: 'true', values: hashed(['qa-1', 'qa-2']) }], fallthrough: { variant: 'false' } })], removed: [], segments: [], removedSegments: [] });
    expect(flags.detail('beta').reason).toBe('TARGET_MATCH');
    await flags.close();
    const cached = JSON.parse([...storage.data.values()][0] ?? '{}') as ConfigSnapshot;
    expect(cached).toMatchObject({ revision: 4, keyHashSalt: SALT });
    expect(JSON.stringify(cached)).not.toContain('qa-2');
  });
});

describe('sdk-browser: metrics', () => {
  it('posts evaluation counts and track() outcomes per variant, with keepalive', async () => {
    const { make, server, clock } = setup({ metricsIntervalMs: 10_000, offline: false, stream: false });
    server.snapshot = snapshot(3);
    const flags = make({ context: { key: 'u1' } });
    await flags.ready();
    for (let i = 0; i < 5; i++) flags.enabled('new-checkout');
    flags.enabled('missing');
    flags.track('new-checkout', { latencyMs: 12 });
    flags.track('new-checkout', { error: true, latencyMs: 20_000 });
    flags.track('new-checkout');
    await clock.advance(10_000);
    const [post] = server.calls('metrics');
    expect(post?.init).toMatchObject({ method: 'POST', keepalive: true, headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' } });
    const batch = server.metrics[0] as { sdk: unknown; metrics: Record<string, unknown>[] };
    // No window bounds: the server files a batch under the minute it arrives.
    expect(Object.keys(batch)).toEqual(['sdk', 'metrics']);
    expect(batch.sdk).toEqual({ name: 'sdk-browser', version: '0.1.0' });
    // Latencies raw, in order (the server buckets them: docs/protocol.md).
    expect(batch.metrics).toEqual([{ flag: 'new-checkout', variant: 'true', evaluations: 5, outcomes: 3, errors: 1, latencies: [12, 20_000] }]);
    expect(MetricsBatchSchema.parse(batch).metrics).toEqual([{ flag: 'new-checkout', variant: 'true', evaluations: 5, outcomes: 3, errors: 1, ...latencyHistogram([12, 20_000]) }]);
    // Nothing counted, nothing sent.
    await clock.advance(10_000);
    expect(server.metrics).toHaveLength(1);
    await flags.close();
  });

  it('keeps windows the server could not take (5xx, network) and drops the ones it refused (4xx)', async () => {
    const { make, server, clock } = setup({ metricsIntervalMs: 1000, stream: false, pollIntervalMs: 1e9 });
    server.snapshot = snapshot(3);
    const flags = make();
    await flags.ready();
    const errors: string[] = [];
    flags.on('error', (e) => errors.push(e.code));
    server.metricsStatus = 503;
    flags.enabled('new-checkout');
    await clock.advance(1000);
    flags.enabled('new-checkout');
    await clock.advance(1000);
    expect(server.metrics).toHaveLength(2);
    expect(errors).toEqual(['METRICS', 'METRICS']);
    server.metricsStatus = 202;
    await clock.advance(1000);
    // Both kept windows, oldest first.
    expect(server.metrics.slice(2).map((b) => (b.metrics as { evaluations: number }[])[0]?.evaluations)).toEqual([1, 1]);
    server.metricsStatus = 400;
    flags.enabled('new-checkout');
    await clock.advance(1000);
    server.metricsStatus = 202;
    await clock.advance(1000);
    expect(server.metrics).toHaveLength(5);
    await flags.close();
  });

  it('closes a window early when a variant has as many latencies as an entry may carry', async () => {
    const { make, server, clock } = setup({ metricsIntervalMs: 10_000, stream: false, pollIntervalMs: 1e9 });
    server.snapshot = snapshot(3);
    const flags = make();
    await flags.ready();
    for (let i = 0; i < MAX_RAW_LATENCIES + 1; i++) flags.track('new-checkout', { latencyMs: i });
    await clock.advance(0);
    expect(server.metrics).toHaveLength(1);
    const first = (server.metrics[0]?.metrics as { outcomes: number; latencies: number[] }[])[0];
    expect(first?.outcomes).toBe(MAX_RAW_LATENCIES);
    expect(first?.latencies).toEqual(Array.from({ length: MAX_RAW_LATENCIES }, (_, i) => i));
    expect(MetricsBatchSchema.safeParse(server.metrics[0]).success).toBe(true);
    await clock.advance(10_000);
    expect(server.metrics).toHaveLength(2);
    expect(server.metrics[1]?.metrics).toMatchObject([{ outcomes: 1, latencies: [MAX_RAW_LATENCIES] }]);
    await flags.close();
  });

  it('keeps at most 30 windows while the server is unreachable, and sends pending ones on close', async () => {
    const { make, server, clock } = setup({ metricsIntervalMs: 1000, stream: false, pollIntervalMs: 1e9 });
    server.snapshot = snapshot(3);
    const flags = make();
    await flags.ready();
    server.down = true;
    for (let i = 0; i < 40; i++) {
      flags.enabled('new-checkout');
      await clock.advance(1000);
    }
    server.down = false;
    flags.enabled('new-checkout');
    server.metrics.length = 0;
    await flags.close();
    expect(server.metrics).toHaveLength(30);
  });
});

describe('sdk-browser: never throws into the page', () => {
  it('survives odd contexts, keys, listeners and platforms', async () => {
    const { make, socket } = setup({ offline: true, cache: false });
    const flags = make({ bootstrap: snapshot(1, [booleanFlag('half', { fallthrough: { rollout: { variants: [{ variant: 'true', weight: 50_000 }, { variant: 'false', weight: 50_000 }] } } })]) });
    const weird: unknown[] = [null, undefined, 42, 'str', [], { key: 5 }, { get key(): string { throw new Error('boom'); } }, new Proxy({}, { get() { throw new Error('trap'); } })];
    for (const context of weird) {
      expect(() => flags.setContext(context as never)).not.toThrow();
      expect(typeof flags.enabled('half')).toBe('boolean');
      expect(() => flags.detail('half')).not.toThrow();
      expect(() => flags.all()).not.toThrow();
      expect(() => flags.track('half', { error: true, latencyMs: Number.NaN })).not.toThrow();
    }
    expect(() => flags.enabled(Symbol('x') as never)).not.toThrow();
    expect(() => flags.on('nope' as never, () => undefined)()).not.toThrow();
    flags.on('change', () => {
      throw new Error('listener bug');
    });
    flags.setContext({ key: 'a' });
    expect(() => socket()).toThrow(); // offline: no socket was ever opened
    await flags.close();
  });

  it('survives a storage that throws, a missing fetch, a socket that cannot be built and garbage frames', async () => {
    const fakes = fakePlatform();
    fakes.storage.failing = true;
    const warn = vi.fn();
    // A browser without fetch: requests fail instead of createClient.
    vi.stubGlobal('fetch', undefined);
    const flags = createClient({
      url: URL,
      clientKey: KEY,
      logger: { warn },
      platform: {
        ...fakes.platform,
        fetch: undefined,
        socket: () => {
          throw new Error('blocked by CSP');
        },
      },
      metricsIntervalMs: 5,
    });
    flags.enabled('x');
    await fakes.clock.advance(100);
    expect(flags.enabled('x')).toBe(false);
    expect(warn).toHaveBeenCalled();
    await flags.close();
    vi.unstubAllGlobals();

    const again = fakePlatform();
    const client = createClient({ url: URL, clientKey: KEY, logger: { warn: () => undefined }, platform: again.platform, metricsIntervalMs: 0 });
    again.socket().open();
    for (const frame of ['{not json', '"str"', 'null', JSON.stringify({ type: 'snapshot' }), JSON.stringify({ type: 'patch', revision: 5 })]) {
      expect(() => again.socket().receive(frame)).not.toThrow();
    }
    expect(client.enabled('x', true)).toBe(true);
    await client.close();
    // No options at all.
    expect(() => createClient(undefined as never)).not.toThrow();
  });

  it('logs each distinct problem once when nobody listens to error, and not at all when someone does', async () => {
    const { make, server, clock, warnings } = setup({ stream: false, pollIntervalMs: 1000 });
    server.down = true;
    const flags = make();
    await clock.advance(5000);
    expect(server.calls('config').length).toBeGreaterThan(3);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^\[switchyard\] https:\/\/flags\.example\.test: TypeError: Failed to fetch/);
    const seen: string[] = [];
    flags.on('error', (e) => seen.push(e.code));
    await clock.advance(1000);
    expect(seen).toEqual(['NETWORK']);
    expect(warnings).toHaveLength(1);
    await flags.close();
  });

  it('reports a client without url or key instead of throwing', async () => {
    const warnings: string[] = [];
    const flags = createClient({ url: '', clientKey: '', cache: false, logger: { warn: (m) => warnings.push(m) } });
    expect((await flags.ready({ timeoutMs: 10 })).ok).toBe(false);
    expect(warnings).toEqual(['[switchyard] no url or clientKey']);
    await flags.close();
  });
});

describe('sdk-browser: public types', () => {
  it('has the documented signatures', () => {
    const flags = createClient({ url: '', clientKey: '', offline: true, cache: false });
    expectTypeOf(flags.enabled).parameters.toEqualTypeOf<[key: string, defaultValue?: boolean]>();
    expectTypeOf(flags.enabled('a')).toEqualTypeOf<boolean>();
    expectTypeOf(flags.variant('a', 'control')).toEqualTypeOf<string>();
    expectTypeOf(flags.variant('a', 3)).toEqualTypeOf<number>();
    expectTypeOf(flags.variant('a', { layout: 'grid' })).toEqualTypeOf<{ layout: string }>();
    expectTypeOf(flags.detail('a')).toEqualTypeOf<Detail>();
    expectTypeOf(flags.all()).toEqualTypeOf<FlagDetails>();
    expectTypeOf(flags.all().get('a')).toEqualTypeOf<Detail | undefined>();
    expectTypeOf(flags.ready).returns.toEqualTypeOf<Promise<ReadyResult>>();
    expectTypeOf(flags.setContext).parameter(0).toMatchTypeOf<{ key?: string }>();
    expectTypeOf(flags.track).parameters.toEqualTypeOf<[key: string, outcome?: { error?: boolean; latencyMs?: number }]>();
    expectTypeOf(flags.on('change', (keys) => expectTypeOf(keys).toEqualTypeOf<string[]>())).toEqualTypeOf<() => void>();
    flags.on('error', (e) => expectTypeOf(e).toEqualTypeOf<SwitchyardError>());
    flags.on('ready', (...args) => expectTypeOf(args).toEqualTypeOf<[]>());
    expectTypeOf(flags.close).returns.toEqualTypeOf<Promise<void>>();
    expectTypeOf<ReadyResult['source']>().toEqualTypeOf<'network' | 'cache' | 'bootstrap' | 'timeout' | 'none'>();
    expectTypeOf<ClientOptions>().toHaveProperty('clientKey').toEqualTypeOf<string>();
    void flags.close();
  });
});
