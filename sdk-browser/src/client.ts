import { createFlagSet, hashTargetKey, type ConfigSnapshot, type Context, type Detail, type FlagConfig, type JsonValue, type Segment, type ServerMessage } from '@switchyard/core/evaluate';
import { createMetrics, type Metrics } from './metrics.js';
import type { Platform, StorageLike } from './platform.js';
import { readCache, writeCache } from './storage.js';
import type { BackoffOptions } from './sync/backoff.js';
import { fetchConfig, type SdkRequest } from './sync/poll.js';
import { openStream } from './sync/stream.js';

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
  /** Every flag evaluated for the current context. */
  all(): Record<string, Detail>;
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

const EMPTY: Context = {};

/**
 * Creates a client: it starts from `bootstrap` and the localStorage cache at once, then connects.
 * @example
 * const flags = createClient({ url: 'https://flags.example.com', clientKey: 'syc_…', context: { key: 'user-42' } });
 * await flags.ready({ timeoutMs: 1000 });
 * if (flags.enabled('new-checkout')) renderNewCheckout();
 */
export function createClient(options: ClientOptions): SwitchyardClient {
  const o = options || ({} as ClientOptions);
  const platform = o.platform || {};
  // Called as plain functions: the browser's own need the global object as `this`, which that gives them.
  const later = platform.setTimeout || setTimeout;
  const cancel = (platform.clearTimeout || clearTimeout) as (id: unknown) => void;
  const url = `${o.url}`.replace(/\/+$/, '');
  const clientKey = o.clientKey;
  // fetch is looked up per call, so a page without it fails a request instead of createClient.
  const request: SdkRequest = (path, init) =>
    (platform.fetch || fetch)(`${url}/api/v1/sdk/${path}`, { ...init, headers: { authorization: `Bearer ${clientKey}`, ...init?.headers } });
  const logger = o.logger || console;
  const set = createFlagSet();
  const listeners: { [E in keyof ClientEvents]: Set<(arg?: unknown) => void> } = { change: new Set(), error: new Set(), ready: new Set() };
  const logged = new Set<string>();
  const waiters = new Set<() => void>();
  const cacheKey = `switchyard:${hashTargetKey(url, clientKey)}`;
  let context = EMPTY;
  let targetKey: string | undefined;
  let salt: string | undefined;
  let revision = 0;
  let source: Source = 'none';
  let etag: string | null | undefined;
  let pollTimer: unknown;
  let metricsTimer: unknown;
  let refused: SwitchyardError | undefined;
  let lastError: SwitchyardError | undefined;
  let closed = false;
  let storage: StorageLike | null | undefined;
  let metrics: Metrics | undefined;
  let stopStream: (() => void) | undefined;

  const log = (message: unknown): void => {
    try {
      logger.warn(`[switchyard] ${message}`);
    } catch {
      // Nowhere left to report to.
    }
  };

  const emit = (event: keyof ClientEvents, arg?: unknown): void =>
    listeners[event].forEach((listener) => {
      try {
        listener(arg);
      } catch (error) {
        log(error);
      }
    });

  const report = (code: SwitchyardError['code'], message: string): SwitchyardError => {
    const error = Object.assign(Error(message), { code });
    if (listeners.error.size) emit('error', error);
    else if (!logged.has(message)) {
      logged.add(message);
      log(message);
    }
    return error;
  };

  const wake = (): void => {
    for (const waiter of waiters) waiter();
  };

  // The one place the context key is hashed: on setContext, and when a snapshot brings another salt.
  const rehash = (): void => {
    const key = context.key;
    targetKey = salt !== undefined && typeof key == 'string' ? hashTargetKey(salt, key) : undefined;
  };

  const evaluateAll = (): Record<string, Detail> => set.evaluateAll(context, targetKey);

  // Runs `change`, then emits `change` with the keys whose evaluation for the current context differs.
  const diff = (change: () => void): void => {
    const before = evaluateAll();
    change();
    const after = evaluateAll();
    const keys = Object.keys({ ...before, ...after }).filter((key) => JSON.stringify(before[key]) != JSON.stringify(after[key]));
    if (keys.length) emit('change', keys);
  };

  const load = (snapshot: Bootstrap, from: Source): void => {
    set.replace(snapshot);
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
      if (storage) writeCache(storage, cacheKey, { revision, flags: set.flags(), segments: set.segments(), keyHashSalt: salt });
    } catch (error) {
      report('STORAGE', `cache: ${error}`);
    }
    if (first) {
      wake();
      emit('ready');
    }
  };

  const message = (m: ServerMessage): number | undefined => {
    try {
      if (m.type == 'snapshot') network(() => load(m, 'network'));
      else if (m.type == 'patch') {
        if (m.revision > revision)
          network(() => {
            for (const flag of m.flags) set.upsertFlag(flag);
            for (const key of m.removed) set.removeFlag(key);
            for (const segment of m.segments) set.upsertSegment(segment);
            for (const key of m.removedSegments) set.removeSegment(key);
            revision = m.revision;
            // The rules moved past what a conditional poll would compare against.
            etag = undefined;
          });
      } else {
        if (m.type == 'error') report('PROTOCOL', `server: ${m.message}`);
        return;
      }
      return revision;
    } catch (error) {
      report('PROTOCOL', `${error}`);
    }
  };

  const refuse = (why: string): void => {
    if (refused) return;
    refused = report('UNAUTHORIZED', `key refused: ${why}`);
    stopPolling();
    stopStream?.();
    wake();
  };

  const poll = async (): Promise<void> => {
    try {
      const result = await fetchConfig(request, etag);
      if (closed || refused) return;
      if (result.status > 400) return refuse(`HTTP ${result.status}`);
      const snapshot = result.snapshot;
      if (snapshot) {
        etag = result.etag;
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

  // Only the stream calls this, and only while it runs (never after close or a refused key).
  const startPolling = (): void => {
    if (pollTimer === undefined) poller();
  };

  function stopPolling(): void {
    cancel(pollTimer);
    pollTimer = undefined;
  }

  const flush = (): Promise<void> =>
    metrics && !refused ? metrics.flush().catch((error) => void report('METRICS', `metrics: ${error}`)) : Promise.resolve();

  const onHidden = (): void => {
    if (document.visibilityState == 'hidden') void flush();
  };

  // The evaluator never throws, whatever the key, context or rules.
  const detail = (key: string, defaultValue: JsonValue = null): Detail => {
    const result = set.evaluate(key, context, defaultValue, targetKey);
    metrics?.evaluated(key, result);
    return result;
  };

  try {
    context = o.context || EMPTY;
    if (o.bootstrap) load(o.bootstrap, 'bootstrap');
    storage = platform.storage !== undefined ? platform.storage : o.cache === false ? null : localStorage;
    const cached = storage && readCache(storage, cacheKey);
    if (cached && cached.revision >= revision) load(cached, 'cache');
  } catch (error) {
    report('STORAGE', `start: ${error}`);
  }

  if (!o.offline) {
    if (!url || !clientKey) refused = report('UNAUTHORIZED', 'no url or clientKey');
    else {
      try {
        const interval = o.metricsIntervalMs ?? 1e4;
        if (interval > 0) {
          // keepalive: a batch sent as the page goes away still arrives.
          metrics = createMetrics((batch) => request('metrics', { method: 'POST', keepalive: true, headers: { 'content-type': 'application/json' }, body: JSON.stringify(batch) }));
          const tick = (): void => {
            metricsTimer = later(tick, interval);
            void flush();
          };
          metricsTimer = later(tick, interval);
          // A page that is hidden may never be shown again: send what it counted while it can.
          globalThis.document?.addEventListener('visibilitychange', onHidden);
        }
        if (o.stream === false) poller();
        else
          stopStream = openStream(
            { url, clientKey, open: platform.socket || ((u) => new WebSocket(u)), later, cancel, backoff: o.backoff },
            {
              message,
              // Resume only from rules this page got from the network, as the Node SDK does.
              revision: () => (source == 'network' && revision > 0 ? revision : null),
              up: stopPolling,
              down: startPolling,
              refused: (code) => refuse(`${code}`),
            },
          );
      } catch (error) {
        report('NETWORK', `start: ${error}`);
      }
    }
  }

  return {
    ready(options) {
      return new Promise((resolve) => {
        let timer: unknown;
        const done = (timedOut?: boolean): void => {
          cancel(timer);
          waiters.delete(done);
          const ok = source != 'none';
          const error = source != 'network' && (refused || lastError || (!ok && Error('no rules yet')));
          resolve(error ? { ok, source: ok ? source : timedOut ? 'timeout' : source, error } : { ok, source });
        };
        if (source == 'network' || refused || closed || o.offline || (lastError && source != 'none')) return done();
        waiters.add(done);
        timer = later(() => done(true), options?.timeoutMs ?? 5e3);
      });
    },
    enabled(key, defaultValue = false) {
      const value = detail(key, defaultValue).value;
      return typeof value == 'boolean' ? value : defaultValue;
    },
    variant: ((key: string, defaultValue: JsonValue) => {
      const value = detail(key, defaultValue).value;
      return defaultValue === null || typeof defaultValue == 'object' || typeof value == typeof defaultValue ? value : defaultValue;
    }) as SwitchyardClient['variant'],
    detail,
    all: evaluateAll,
    setContext(next) {
      try {
        diff(() => {
          context = next && typeof next == 'object' ? next : EMPTY;
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
        const variant = set.evaluate(key, context, null, targetKey).variant;
        if (variant !== undefined) metrics?.outcome(key, variant, outcome?.error === true, outcome?.latencyMs);
      } catch {
        // track() never throws into the page.
      }
    },
    on(event, listener) {
      const group = listeners[event] as Set<unknown> | undefined;
      group?.add(listener);
      return () => void group?.delete(listener);
    },
    get revision() {
      return revision;
    },
    get source() {
      return source;
    },
    close() {
      if (!closed) {
        closed = true;
        stopStream?.();
        stopPolling();
        cancel(metricsTimer);
        globalThis.document?.removeEventListener('visibilitychange', onHidden);
        wake();
      }
      return flush();
    },
  };
}
