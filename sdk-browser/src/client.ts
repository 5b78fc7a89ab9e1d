import { evaluateCompact, hashTargetKey, type ConfigSnapshot, type Context, type Detail, type FlagConfig, type FlagDetails, type JsonValue, type Segment, type ServerMessage } from '@switchyard/core/evaluate';
import type { Platform, RequestLike, SocketLike, StorageLike } from './platform.js';
import { MAX_RAW_LATENCIES, PROTOCOL_VERSION, SDK_INFO } from './protocol.js';

/**
 * Rules to start from before the network answers: typically the snapshot a server-side render got
 * from `GET /api/v1/sdk/config` with the same client key, inlined into the page.
 * @example createClient({ url, clientKey, bootstrap: window.__SWITCHYARD__ })
 */
export type Bootstrap = ConfigSnapshot | { readonly flags: readonly FlagConfig[]; readonly segments?: readonly Segment[]; readonly keyHashSalt?: string };

/** Where the SDK reports problems when nobody listens to `error`. Default: `console`. */
export interface Logger {
  warn(message: string): void;
}

/** Stream reconnect delays: exponential, capped, with full jitter. */
export interface BackoffOptions {
  /** First retry's upper bound. Default 500 ms. */
  readonly initialMs?: number;
  /** Cap on the upper bound. Default 30 s. */
  readonly maxMs?: number;
}

/** Options of {@link createClient}. */
export interface ClientOptions {
  /** The server's base URL, e.g. `https://flags.example.com`. */
  readonly url: string;
  /** An `sdk-client` key: one environment, client-side flags only, safe to ship in a page. */
  readonly clientKey: string;
  /** Who flags are evaluated for until {@link SwitchyardClient.setContext} says otherwise. */
  readonly context?: Context;
  /** Rules to evaluate until the network answers (server-side rendering). */
  readonly bootstrap?: Bootstrap;
  /** Keep the last good rules in `localStorage` and start from them (default true). */
  readonly cache?: boolean;
  /** Live updates over WebSocket (default true); false = polling only. */
  readonly stream?: boolean;
  /** No network: evaluate the bootstrap or cached rules only. */
  readonly offline?: boolean;
  /** Poll interval while the stream is down (or disabled). Default 15 s. */
  readonly pollIntervalMs?: number;
  /** How often evaluation counts and outcomes are sent; 0 disables them. Default 10 s. */
  readonly metricsIntervalMs?: number;
  /** Stream reconnect backoff (full jitter). Default 500 ms doubling to 30 s. */
  readonly backoff?: BackoffOptions;
  /** Default: `console`. */
  readonly logger?: Logger;
  /** Replacements for the browser APIs used (tests, other runtimes). */
  readonly platform?: Platform;
}

/** Where the rules being evaluated came from (`timeout`: `ready()` gave up waiting with none). */
export type Source = 'network' | 'cache' | 'bootstrap' | 'timeout' | 'none';

/** What `ready()` resolves to; it never rejects. `ok` means there are rules to evaluate. */
export interface ReadyResult {
  readonly ok: boolean;
  readonly source: Source;
  readonly error?: Error;
}

/** An error reported through the `error` event; evaluation goes on with the last good rules. */
export interface SwitchyardError extends Error {
  readonly code: 'UNAUTHORIZED' | 'NETWORK' | 'STORAGE' | 'METRICS' | 'PROTOCOL';
}

/** The events a client emits. */
export interface ClientEvents {
  /** Keys of the flags whose evaluation for the current context changed (new rules, or `setContext`). */
  change: [keys: string[]];
  /** Something went wrong. With no listener, each distinct problem is logged once. */
  error: [error: SwitchyardError];
  /** The first rules from the network are in. */
  ready: [];
}

/**
 * A browser client: evaluates the environment's client-side flags locally for one context at a time,
 * kept current over a WebSocket (polling while it is down). No method throws.
 */
export interface SwitchyardClient {
  /** Resolves once network rules are in, or cached/bootstrap rules are all there is, or at the timeout (default 5 s). Never rejects. */
  ready(options?: { timeoutMs?: number }): Promise<ReadyResult>;
  /** A boolean flag's value for the current context; `defaultValue` (false) when unknown or not boolean. */
  enabled(key: string, defaultValue?: boolean): boolean;
  /** A flag's value, of the default's type; the default when unknown or of another type. */
  variant(key: string, defaultValue: string): string;
  variant(key: string, defaultValue: number): number;
  variant(key: string, defaultValue: boolean): boolean;
  variant<T extends JsonValue>(key: string, defaultValue: T): T;
  /** Value, variant, reason (and rule id) of one evaluation. */
  detail(key: string, defaultValue?: JsonValue): Detail;
  /**
   * Every flag evaluated for the current context: a read-only map from flag key to {@link Detail}, as
   * the Node SDK's `all(ctx)`; `JSON.stringify` writes it as `{ [key]: Detail }`.
   */
  all(): FlagDetails;
  /** Switches the context; its key is hashed here, once, for hashed target lists. */
  setContext(context: Context): void;
  /** The current context. */
  readonly context: Context;
  /** Reports an outcome (error, latency) of the variant the current context gets; feeds rollout guards. */
  track(key: string, outcome?: { error?: boolean; latencyMs?: number }): void;
  /** Subscribes; returns the unsubscribe function. */
  on<E extends keyof ClientEvents>(event: E, listener: (...args: ClientEvents[E]) => void): () => void;
  /** The revision of the rules in memory (0 = none). */
  readonly revision: number;
  /** Where the rules in memory came from. */
  readonly source: Source;
  /** Stops the stream, polling and timers, and sends pending metrics. */
  close(): Promise<void>;
}

/**
 * One flag variant's counts over a window: core's `VariantMetrics` in its raw form, as posted. The
 * server buckets the latencies, so the page carries no bucket table.
 */
interface VariantCounts {
  readonly flag: string;
  readonly variant: string;
  evaluations: number;
  outcomes: number;
  errors: number;
  readonly latencies: number[];
}

/**
 * The body of `POST /api/v1/sdk/metrics` (core's `MetricsBatch`), without the optional window bounds:
 * the server files a batch under the minute it arrives, by its own clock.
 */
interface MetricsBatch {
  readonly sdk: typeof SDK_INFO;
  readonly metrics: VariantCounts[];
}

/** A structural check of rules from storage or the network. */
const isSnapshot = (v: Partial<ConfigSnapshot> | null): v is ConfigSnapshot => typeof v?.revision == 'number' && [v.flags, v.segments].every(Array.isArray);

const stringify = JSON.stringify;

/** A snapshot's list as a Map by key (a bootstrap may leave segments out). */
const byKey = <T extends { readonly key: string }>(list: readonly T[] = []): Map<string, T> => new Map(list.map((item) => [item.key, item]));

/** Applies one half of a patch: `items` replace or join those of the same key, `removed` keys go. */
const upsert = <T extends { readonly key: string }>(map: Map<string, T>, items: readonly T[], removed: readonly string[]): void => {
  for (const item of items) map.set(item.key, item);
  for (const key of removed) map.delete(key);
};

/**
 * Creates a client: it starts from `bootstrap` and the localStorage cache at once, then connects.
 * @example
 * const flags = createClient({ url: 'https://flags.example.com', clientKey: 'syc_…', context: { key: 'user-42' } });
 * await flags.ready({ timeoutMs: 1000 });
 * if (flags.enabled('new-checkout')) renderNewCheckout();
 */
// The stream, polling, the cache, metrics and ready() live in this one closure with the state they
// share (revision, source, ETag, timers): as separate modules, the interfaces between them cost more
// bytes of the page's bundle than their code (issue #5's size target).
export function createClient(options: ClientOptions): SwitchyardClient {
  const o = options || ({} as ClientOptions);
  const platform = o.platform || {};
  const backoff = o.backoff || {};
  // Called as plain functions: the browser's own need the global object as `this`, which that gives them.
  const later = platform.setTimeout || setTimeout;
  const cancel = (platform.clearTimeout || clearTimeout) as (id: unknown) => void;
  const doc = globalThis.document;
  const url = `${o.url}`.replace(/\/+$/, '');
  const api = `${url}/api/v1/sdk/`;
  const clientKey = o.clientKey;
  // `path` under /api/v1/sdk/, with the key. fetch is looked up per call, so a page without it fails a
  // request instead of createClient.
  const request = (path: string, init: Partial<RequestLike>) =>
    (platform.fetch || fetch)(api + path, { ...init, headers: { authorization: `Bearer ${clientKey}`, ...init.headers } });
  const metricsInterval = o.metricsIntervalMs ?? 1e4;
  const logged = new Set<string>();
  const cacheKey = `switchyard:${hashTargetKey(url, clientKey)}`;
  let listeners: [event: keyof ClientEvents, listener: (arg?: unknown) => void][] = [];
  let flags = new Map<string, FlagConfig>();
  let segments = new Map<string, Segment>();
  let context: Context = {};
  let targetKey: string | undefined;
  let keyed: Context | undefined;
  let salt: string | undefined;
  let revision = 0;
  let source: Source = 'none';
  let etag: string | null | undefined;
  let refused: SwitchyardError | undefined;
  let lastError: SwitchyardError | undefined;
  // Set by close() and by a refused key: no more network activity.
  let stopped: boolean | undefined;
  let storage: StorageLike | null | undefined;
  // Set while metrics are on (cleared by a refused key). Keyed by flag and variant: "\n" can be in
  // neither, so no key is an Object.prototype name. At most 30 windows wait while the server is away
  // (docs/protocol.md), each with at most MAX_RAW_LATENCIES latencies per variant.
  let metrics: boolean | undefined;
  let counters: Record<string, VariantCounts> = {};
  const pending: MetricsBatch[] = [];
  let sending: boolean | undefined;
  // Timer ids are truthy in browsers and Node; 0 means none.
  let pollTimer: unknown = 0;
  let metricsTimer: unknown;
  let socket: SocketLike | undefined;
  // The socket's silence deadline while it is open, the reconnect while it is not.
  let streamTimer: unknown;
  let attempt = 0;
  // Resolved once ready() has no reason to wait: network rules, a refused key, close, offline, or a
  // failed connection with cached or bootstrap rules to go on with. None of these is ever undone.
  let wake!: () => void;
  const settled = new Promise<void>((resolve) => (wake = resolve));

  const log = (message: unknown): void => {
    try {
      (o.logger || console).warn(`[switchyard] ${message}`);
    } catch {
      // Nowhere left to report to.
    }
  };

  const emit = (event: keyof ClientEvents, arg?: unknown): void =>
    listeners.forEach(([name, listener]) => {
      if (name == event)
        try {
          listener(arg);
        } catch (error) {
          log(error);
        }
    });

  const report = (code: SwitchyardError['code'], message: string): SwitchyardError => {
    const error = Object.assign(Error(message), { code });
    if (listeners.some(([name]) => name == 'error')) emit('error', error);
    else if (!logged.has(message)) {
      logged.add(message);
      log(message);
    }
    return error;
  };

  // The one place the context key is hashed: on setContext, and when a snapshot brings another salt.
  // The hash also goes into the context evaluated, as '#key': clauses that list keys arrive compared
  // with it (core's clientView).
  const rehash = (): void => {
    // Cleared first: a context whose key getter throws must not keep the previous context's hash.
    targetKey = keyed = undefined;
    const key = context.key;
    if (salt != null) keyed = { ...context, '#key': typeof key == 'string' ? (targetKey = hashTargetKey(salt, key)) : key };
  };

  // The evaluator never throws, whatever the key, context or rules; it caches compiled forms per flag object.
  const evaluateOne = (key: string, defaultValue: JsonValue): Detail => evaluateCompact(flags.get(key), keyed || context, { flags, segments, defaultValue, targetKey });

  const evaluateAll = (): [string, Detail][] => [...flags.keys()].map((key) => [key, evaluateOne(key, null)]);

  // Runs `change`, then emits `change` with the keys whose evaluation for the current context differs.
  const diff = (change: () => void): void => {
    const before = Object.fromEntries(evaluateAll());
    change();
    const after = Object.fromEntries(evaluateAll());
    const keys = Object.keys({ ...before, ...after }).filter((key) => stringify(before[key]) != stringify(after[key]));
    if (keys.length) emit('change', keys);
  };

  const load = (snapshot: Bootstrap, from: Source): void => {
    flags = byKey(snapshot.flags);
    segments = byKey(snapshot.segments);
    revision = (snapshot as ConfigSnapshot).revision || 0;
    source = from;
    if (salt !== snapshot.keyHashSalt) {
      salt = snapshot.keyHashSalt;
      rehash();
    }
  };

  // Rules from the network (a snapshot or a patch): applied, cached, announced.
  const network = (change: () => void): void => {
    const first = source != 'network';
    diff(() => {
      change();
      source = 'network';
    });
    try {
      storage?.setItem(cacheKey, stringify({ revision, flags: [...flags.values()], segments: [...segments.values()], keyHashSalt: salt }));
    } catch (error) {
      report('STORAGE', `cache: ${error}`);
    }
    if (first) {
      wake();
      emit('ready');
    }
  };

  // Polling: GET config, conditional on the ETag, at once and every pollIntervalMs while the stream is
  // down (or disabled).
  const poll = async (): Promise<void> => {
    try {
      const response = await request('config', { headers: etag ? { 'if-none-match': etag } : {} });
      const status = response.status;
      const snapshot = (response.ok && (await response.json())) as Partial<ConfigSnapshot> | null;
      if (stopped) return;
      if (status == 401 || status == 403) return refuse(`HTTP ${status}`);
      if (status != 304) {
        if (!isSnapshot(snapshot)) throw Error(`HTTP ${status}`);
        etag = response.headers.get('etag');
        if (snapshot.revision >= revision || source != 'network') network(() => load(snapshot, 'network'));
      }
      lastError = undefined;
    } catch (error) {
      lastError = report('NETWORK', `${url}: ${error}`);
      // Cached or bootstrap rules are all there will be for now: ready() need not wait any longer.
      if (source != 'none') wake();
    }
  };

  const poller = (): void => {
    pollTimer = later(poller, o.pollIntervalMs || 15e3);
    void poll();
  };

  const stopPolling = (): void => {
    cancel(pollTimer);
    pollTimer = 0;
  };

  // The stream: a WebSocket to /api/v1/sdk/stream that says hello with the key (browsers cannot set
  // headers on a WebSocket) and the revision to resume from, applies what the server sends,
  // acknowledges revisions, and reconnects with full-jitter backoff until closed or refused.

  // Ends the current socket once, whatever ended it (close event, silence, stop), and plans what next.
  const end = (code: number): void => {
    const ws = socket;
    socket = undefined;
    cancel(streamTimer);
    try {
      ws?.close();
    } catch {
      // Already closed.
    }
    if (stopped) return;
    if (code == 4401 || code == 4403) return refuse(code);
    // Down: poll at once (unless already polling), and meanwhile reconnect.
    if (!pollTimer) poller();
    // 1012: the server is restarting; come back at once, spread over a second, to any replica. Otherwise
    // attempt n waits a random time in [0, min(maxMs, initialMs * 2^n)] (docs/protocol.md "Reconnecting";
    // 2^n overflows to Infinity, which the cap absorbs).
    streamTimer = later(connect, Math.random() * (code == 1012 ? 1e3 : Math.min(backoff.maxMs ?? 3e4, (backoff.initialMs ?? 500) * 2 ** attempt++)));
  };

  // The server answers hello at once, so the first deadline is short; later ones cover the 25 s pings.
  const watch = (ms: number): void => {
    cancel(streamTimer);
    streamTimer = later(() => end(1006), ms);
  };

  const connect = (): void => {
    try {
      const ws: SocketLike = (socket = (platform.socket || ((u) => new WebSocket(u)))(`${api.replace(/^http/, 'ws')}stream`));
      // Resume only from rules this page got from the network, as the Node SDK does.
      ws.onopen = () => ws.send(stringify({ type: 'hello', protocol: PROTOCOL_VERSION, sdk: SDK_INFO, revision: (source == 'network' && revision) || null, key: clientKey }));
      ws.onclose = (event) => socket == ws && end(event.code);
      ws.onmessage = (event) => {
        if (socket != ws) return;
        // No message for 60 s (pings come every 25 s) means the connection is dead.
        watch(6e4);
        let m: ServerMessage;
        try {
          m = JSON.parse(event.data as string) as ServerMessage;
        } catch {
          // A frame that is not JSON is ignored, as the Node SDK does.
          return;
        }
        try {
          if (m.type == 'error') return report('PROTOCOL', `server: ${m.message}`);
          // Up: the backoff starts over, polling stops.
          attempt = 0;
          stopPolling();
          if (m.type == 'snapshot') network(() => load(m, 'network'));
          else if (m.type == 'patch') {
            if (m.revision > revision)
              network(() => {
                upsert(flags, m.flags, m.removed);
                upsert(segments, m.segments, m.removedSegments);
                revision = m.revision;
                // The rules moved past what a conditional poll would compare against.
                etag = '';
              });
          } else return;
          // Every snapshot and patch is acknowledged, a duplicate with the revision held.
          ws.send(stringify({ type: 'ack', revision }));
        } catch (error) {
          report('PROTOCOL', `${error}`);
        }
      };
      watch(1e4);
    } catch {
      end(1006);
    }
  };

  // Stops the stream and polling for good (close, or a refused key). Idempotent.
  const stop = (): void => {
    stopped = true;
    end(1e3);
    stopPolling();
    wake();
  };

  const refuse = (why: unknown): void => {
    if (!refused) {
      refused = report('UNAUTHORIZED', `key refused: ${why}`);
      // Nothing more is counted, nor sent.
      metrics = undefined;
      stop();
    }
  };

  // Counts one evaluation of `variant` of `flag`, or with `outcome` one outcome of it (track()).
  // Nothing is counted without a variant (unknown flags).
  const count = (flag: string, variant: string | undefined, outcome?: { error?: boolean; latencyMs?: number }): void => {
    if (!metrics || variant === undefined) return;
    const id = `${flag}\n${variant}`;
    const c = counters[id] || (counters[id] = { flag, variant, evaluations: 0, outcomes: 0, errors: 0, latencies: [] });
    if (!outcome) return void c.evaluations++;
    c.outcomes++;
    if (outcome.error === true) c.errors++;
    const ms = outcome.latencyMs!;
    // A variant with as many latencies as an entry may carry closes the window early: windows stay
    // bounded, and the server stores the same aggregates as from one longer window.
    if (ms >= 0 && ms < 1e15 && c.latencies.push(ms) >= MAX_RAW_LATENCIES) void flush();
  };

  // Closes the current window and sends every pending one, oldest first. A window the server answers
  // 4xx (except 429) is dropped: sending it again cannot help.
  const flush = async (): Promise<void> => {
    if (!metrics) return;
    const batch = Object.values(counters);
    if (batch.length && pending.push({ sdk: SDK_INFO, metrics: batch }) > 30) pending.shift();
    counters = {};
    if (sending) return;
    sending = true;
    try {
      while (pending[0]) {
        // keepalive: a batch sent as the page goes away still arrives.
        const response = await request('metrics', { method: 'POST', keepalive: true, headers: { 'content-type': 'application/json' }, body: stringify(pending[0]) });
        if (response.ok || (response.status < 500 && response.status != 429)) pending.shift();
        if (!response.ok) throw Error(`HTTP ${response.status}`);
      }
    } catch (error) {
      report('METRICS', `metrics: ${error}`);
    } finally {
      sending = false;
    }
  };

  const metricsTick = (): void => {
    metricsTimer = later(metricsTick, metricsInterval);
    void flush();
  };

  const onHidden = (): void => {
    if (doc.visibilityState == 'hidden') void flush();
  };

  const detail = (key: string, defaultValue: JsonValue = null): Detail => {
    const result = evaluateOne(key, defaultValue);
    count(key, result.variant);
    return result;
  };

  const variant = ((key: string, defaultValue: JsonValue) => {
    const value = detail(key, defaultValue).value;
    return defaultValue === null || typeof defaultValue == 'object' || typeof value == typeof defaultValue ? value : defaultValue;
  }) as SwitchyardClient['variant'];

  try {
    context = o.context || context;
    if (o.bootstrap) load(o.bootstrap, 'bootstrap');
    storage = platform.storage !== undefined ? platform.storage : o.cache === false ? null : localStorage;
    // Storage that is disabled or holds another page's value is reported once, and treated as no cache.
    const cached = (storage && JSON.parse(storage.getItem(cacheKey)!)) as Partial<ConfigSnapshot> | null;
    if (isSnapshot(cached) && cached.revision >= revision) load(cached, 'cache');
  } catch (error) {
    report('STORAGE', `start: ${error}`);
  }

  if (o.offline) wake();
  else if (!url || !clientKey) {
    refused = report('UNAUTHORIZED', 'no url or clientKey');
    wake();
  } else
    try {
      if ((metrics = metricsInterval > 0)) {
        metricsTimer = later(metricsTick, metricsInterval);
        // A page that is hidden may never be shown again: send what it counted while it can.
        doc?.addEventListener('visibilitychange', onHidden);
      }
      if (o.stream === false) poller();
      else connect();
    } catch (error) {
      report('NETWORK', `start: ${error}`);
    }

  return {
    ready(options) {
      return new Promise((resolve) => {
        const done = (timedOut?: boolean): void => {
          cancel(timer);
          const ok = source != 'none';
          const error = source != 'network' && (refused || lastError || (!ok && Error('no rules yet')));
          resolve({ ok, source: !ok && timedOut ? 'timeout' : source, ...(error && { error }) });
        };
        const timer = later(() => done(true), options?.timeoutMs ?? 5e3);
        void settled.then(() => done());
      });
    },
    // variant() with a boolean default: the flag's value when it is a boolean, else the default.
    enabled: (key, defaultValue = false) => variant(key, defaultValue),
    variant,
    detail,
    all() {
      const all = new Map(evaluateAll());
      return Object.assign(all, { toJSON: () => Object.fromEntries(all) });
    },
    setContext(next) {
      try {
        diff(() => {
          context = (typeof next == 'object' && next) || {};
          rehash();
        });
      } catch {
        // A context whose key getter throws leaves no hashed key; evaluation goes on.
      }
    },
    get context() {
      return context;
    },
    track(key, outcome) {
      try {
        count(key, evaluateOne(key, null).variant, outcome || {});
      } catch {
        // track() never throws into the page.
      }
    },
    on(event, listener) {
      const entry: (typeof listeners)[number] = [event, listener as (arg?: unknown) => void];
      listeners.push(entry);
      return () => void (listeners = listeners.filter((other) => other != entry));
    },
    get revision() {
      return revision;
    },
    get source() {
      return source;
    },
    close() {
      stop();
      cancel(metricsTimer);
      doc?.removeEventListener('visibilitychange', onHidden);
      return flush();
    },
  };
}
