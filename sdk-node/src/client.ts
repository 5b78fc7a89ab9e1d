import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  applyFlagUpdate,
  createFlagSet,
  hashTargetKey,
  type ConfigSnapshot,
  type Context,
  type Detail,
  type FlagConfig,
  type FlagDetails,
  type JsonValue,
  type MetricsBatch,
  type Segment,
  type ServerMessage,
} from '@switchyard/core';
import { consoleLogger, type Logger } from './logger.js';
import { MetricsAggregator } from './metrics.js';
import { isSnapshot, readSnapshot, writeSnapshot } from './persist.js';
import type { BackoffOptions } from './sync/backoff.js';
import { fetchConfig } from './sync/poll.js';
import { StreamConnection } from './sync/stream.js';

/** This SDK's name and version, announced to the server. */
export const SDK_INFO = Object.freeze({ name: 'sdk-node', version: '0.1.0' });

/** Rules to start from before (or without) the network. */
export type Bootstrap = ConfigSnapshot | { readonly flags: readonly FlagConfig[]; readonly segments?: readonly Segment[] };

/** Options of {@link createClient}. */
export interface ClientOptions {
  /** The server's base URL, e.g. `http://127.0.0.1:4242`. */
  readonly url: string;
  /** An `sdk-server` key (one environment, read-only). */
  readonly sdkKey: string;
  /** Rules to evaluate until the server answers (e.g. baked into the deploy). */
  readonly bootstrap?: Bootstrap;
  /** Keep the last good rules in this file and start from it when the server is unreachable. */
  readonly persistPath?: string;
  /** No network at all: evaluate `bootstrap` / `persistPath` rules only. */
  readonly offline?: boolean;
  /** Default: warnings and errors to the console. */
  readonly logger?: Logger;
  /** Live updates over WebSocket (default true); false = polling only. */
  readonly stream?: boolean;
  /** Poll interval while the stream is down (or disabled). Default 15 s. */
  readonly pollIntervalMs?: number;
  /** How often evaluation metrics are sent; 0 disables them. Default 10 s. */
  readonly metricsIntervalMs?: number;
  /** Timeout of each HTTP request. Default 10 s. */
  readonly requestTimeoutMs?: number;
  /** Reconnect backoff (full jitter). Default 500 ms doubling to 30 s. */
  readonly backoff?: BackoffOptions;
}

/** Where the rules being evaluated came from. */
export type Source = 'network' | 'cache' | 'bootstrap' | 'timeout' | 'none';

/** What `ready()` resolves to; it never rejects. `ok` means there are rules to evaluate. */
export interface ReadyResult {
  readonly ok: boolean;
  readonly source: Source;
  readonly error?: Error;
}

/** An error the SDK reports through the `error` event (and its default listener, which logs once). */
export class SwitchyardError extends Error {
  constructor(
    readonly code: 'UNAUTHORIZED' | 'NETWORK' | 'PERSIST' | 'METRICS' | 'PROTOCOL',
    message: string,
  ) {
    super(message);
    this.name = 'SwitchyardError';
  }
}

/** The events a client emits. */
export interface ClientEvents {
  /** Flags whose rules changed (keys), after the new rules are in place. */
  change: [keys: string[]];
  /** Something went wrong; evaluation goes on with the last good rules. */
  error: [error: SwitchyardError];
  /** The first rules from the network arrived. */
  ready: [];
}

/**
 * A Switchyard client: evaluates flags locally from an in-memory copy of the environment's rules,
 * kept current over a WebSocket stream (polling while it is down). No method throws.
 */
export interface SwitchyardClient {
  /** Resolves once rules from the network are in, or at the timeout with what there is. Never rejects. */
  ready(options?: { timeoutMs?: number }): Promise<ReadyResult>;
  /** A boolean flag's value for `context`; `defaultValue` (false) when unknown or not boolean. */
  enabled(key: string, context?: Context, defaultValue?: boolean): boolean;
  /** A flag's value, of the default's type; the default when unknown or of another type. */
  variant(key: string, context: Context, defaultValue: string): string;
  variant(key: string, context: Context, defaultValue: number): number;
  variant(key: string, context: Context, defaultValue: boolean): boolean;
  variant<T extends JsonValue>(key: string, context: Context, defaultValue: T): T;
  /** Value, variant, reason (and rule id) of one evaluation. */
  detail(key: string, context?: Context, defaultValue?: JsonValue): Detail;
  /**
   * Every flag evaluated for one context: a read-only map from flag key to {@link Detail}
   * (`get`, `has`, iteration); `JSON.stringify` writes it as `{ [key]: Detail }`.
   */
  all(context?: Context): FlagDetails;
  /** Reports an outcome (error, latency) of the variant `context` gets; feeds rollout guards. */
  track(key: string, context: Context, outcome?: { error?: boolean; latencyMs?: number }): void;
  on<E extends keyof ClientEvents>(event: E, listener: (...args: ClientEvents[E]) => void): () => void;
  /** The revision of the rules in memory (0 = none). */
  readonly revision: number;
  /** Where the rules in memory came from. */
  readonly source: Source;
  /** Stops the stream, polling and timers, sends pending metrics and saves the rules. */
  close(): Promise<void>;
}

const EMPTY_CONTEXT: Context = Object.freeze({});
const NO_FLAGS: FlagDetails = createFlagSet().evaluateAll(EMPTY_CONTEXT);

function snapshotOf(bootstrap: Bootstrap): ConfigSnapshot {
  if (isSnapshot(bootstrap)) return bootstrap;
  return { environment: '', revision: 0, flags: bootstrap.flags, segments: bootstrap.segments ?? [] };
}

/**
 * Creates a client and starts syncing (unless `offline`).
 * @example
 * const flags = createClient({ url: 'http://127.0.0.1:4242', sdkKey: process.env.SWITCHYARD_SDK_KEY! });
 * await flags.ready({ timeoutMs: 2000 });
 * if (flags.enabled('new-checkout', { key: 'user-42' })) { ... }
 */
export function createClient(options: ClientOptions): SwitchyardClient {
  return new Client(options);
}

class Client implements SwitchyardClient {
  private readonly set = createFlagSet();
  private readonly emitter = new EventEmitter();
  private readonly logger: Logger;
  private readonly metrics = new MetricsAggregator(SDK_INFO);
  private readonly baseUrl: string;
  private stream: StreamConnection | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private metricsTimer: NodeJS.Timeout | undefined;
  private persistTimer: NodeJS.Timeout | undefined;
  private etag: string | undefined;
  private environment = '';
  private keyHashSalt: string | undefined;
  private closed = false;
  private unauthorized: SwitchyardError | undefined;
  private lastNetworkError: Error | undefined;
  private networkReady = false;
  private readonly readyWaiters = new Set<() => void>();
  private readonly reported = new Set<string>();
  revision = 0;
  source: Source = 'none';

  constructor(private readonly options: ClientOptions) {
    this.logger = options.logger ?? consoleLogger;
    this.baseUrl = String(options.url ?? '').replace(/\/+$/, '');
    this.emitter.setMaxListeners(0);
    // Emitting 'error' with no listener would throw into the host application; this one logs
    // each distinct problem once instead.
    this.emitter.on('error', (error: SwitchyardError) => {
      if (this.emitter.listenerCount('error') > 1) return;
      const key = `${error.code}:${error.message}`;
      if (this.reported.has(key)) return;
      this.reported.add(key);
      this.logger.error(error.message);
    });
    try {
      if (options.bootstrap !== undefined) this.load(snapshotOf(options.bootstrap), 'bootstrap');
    } catch (error) {
      this.report('PROTOCOL', `bootstrap rules are unusable: ${String(error)}`);
    }
    if (options.persistPath !== undefined) {
      try {
        const cached = readSnapshot(options.persistPath);
        if (cached !== undefined && cached.revision >= this.revision) this.load(cached, 'cache');
      } catch (error) {
        this.report('PERSIST', `cannot read ${options.persistPath}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    if (options.offline === true) return;
    if (typeof options.sdkKey !== 'string' || options.sdkKey === '' || this.baseUrl === '') {
      this.unauthorized = new SwitchyardError('UNAUTHORIZED', 'createClient needs a url and an sdkKey');
      this.report('UNAUTHORIZED', this.unauthorized.message);
      return;
    }
    const interval = options.metricsIntervalMs ?? 10_000;
    if (interval > 0) {
      this.metricsTimer = setInterval(() => void this.flushMetrics(), interval);
      this.metricsTimer.unref();
    }
    void this.start();
  }

  private async start(): Promise<void> {
    await this.poll();
    if (this.closed || this.unauthorized !== undefined) return;
    if (this.options.stream !== false) {
      this.stream = new StreamConnection(
        {
          url: this.baseUrl,
          sdkKey: this.options.sdkKey,
          sdk: SDK_INFO,
          instance: randomUUID(),
          revision: () => (this.source === 'network' && this.revision > 0 ? this.revision : null),
          ...(this.options.backoff === undefined ? {} : { backoff: this.options.backoff }),
        },
        {
          onMessage: (message) => this.onStreamMessage(message),
          onConnected: () => this.stopPolling(),
          onDisconnected: () => this.startPolling(),
          onUnauthorized: (message) => this.refuse(message),
        },
      );
      this.stream.start();
    }
    if (this.stream === undefined || !this.stream.connected) this.startPolling();
  }

  private startPolling(): void {
    if (this.closed || this.pollTimer !== undefined || this.unauthorized !== undefined) return;
    this.pollTimer = setInterval(() => void this.poll(), this.options.pollIntervalMs ?? 15_000);
    this.pollTimer.unref();
  }

  private stopPolling(): void {
    clearInterval(this.pollTimer);
    this.pollTimer = undefined;
  }

  private async poll(): Promise<void> {
    if (this.closed || this.unauthorized !== undefined) return;
    const result = await fetchConfig(this.baseUrl, this.options.sdkKey, this.etag, this.options.requestTimeoutMs ?? 10_000);
    if (this.closed) return;
    switch (result.kind) {
      case 'snapshot':
        this.etag = result.etag;
        this.lastNetworkError = undefined;
        if (result.snapshot.revision >= this.revision || this.source !== 'network') this.apply(result.snapshot);
        break;
      case 'not-modified':
        this.lastNetworkError = undefined;
        break;
      case 'unauthorized':
        this.refuse(`the server refused the SDK key (HTTP ${result.status}); check SWITCHYARD_SDK_KEY`);
        break;
      case 'failed':
        this.lastNetworkError = result.error;
        this.report('NETWORK', `cannot reach ${this.baseUrl}: ${result.error.message}; serving ${this.source === 'none' ? 'defaults' : `the last known rules (${this.source})`}`);
        break;
    }
  }

  private refuse(message: string): void {
    if (this.unauthorized !== undefined) return;
    this.unauthorized = new SwitchyardError('UNAUTHORIZED', message);
    this.stopPolling();
    this.stream?.stop();
    this.report('UNAUTHORIZED', message);
    this.wakeReadyWaiters();
  }

  private onStreamMessage(message: ServerMessage): number | 'resync' | undefined {
    try {
      switch (message.type) {
        case 'snapshot':
          this.apply(message);
          return this.revision;
        case 'patch':
          if (typeof message.revision !== 'number') return undefined;
          if (message.revision > this.revision && !this.patch(message)) {
            // Changed fields for a flag held at another version: whole flags come on reconnecting.
            this.report('PROTOCOL', `could not apply the stream's revision ${message.revision} to revision ${this.revision}; resuming`);
            return 'resync';
          }
          return this.revision;
        case 'ping':
          return undefined;
        case 'error':
          this.report('PROTOCOL', `server: ${message.message}`);
          return undefined;
        default:
          return undefined;
      }
    } catch (error) {
      this.report('PROTOCOL', `could not apply a stream message: ${String(error)}`);
      return undefined;
    }
  }

  private load(snapshot: ConfigSnapshot, source: Source): void {
    this.set.replace({ flags: snapshot.flags, segments: snapshot.segments });
    this.revision = snapshot.revision;
    this.environment = snapshot.environment;
    this.keyHashSalt = snapshot.keyHashSalt;
    this.source = source;
  }

  private apply(snapshot: ConfigSnapshot): void {
    if (!isSnapshot(snapshot)) throw new Error('malformed snapshot');
    // The config version moves with environment changes only; a metadata change (variants,
    // clientSide) changes the payload under the same version, so compare content.
    const before = new Map(this.set.flags().map((f) => [f.key, JSON.stringify(f)]));
    const segmentsBefore = new Map(this.set.segments().map((s) => [s.key, JSON.stringify(s)]));
    this.load(snapshot, 'network');
    const changed = new Set<string>();
    for (const flag of snapshot.flags) {
      if (before.get(flag.key) !== JSON.stringify(flag)) changed.add(flag.key);
      before.delete(flag.key);
    }
    for (const key of before.keys()) changed.add(key);
    const changedSegments = new Set<string>();
    for (const segment of snapshot.segments) if (segmentsBefore.get(segment.key) !== JSON.stringify(segment)) changedSegments.add(segment.key);
    this.addSegmentDependents(changedSegments, changed);
    this.afterUpdate(changed);
  }

  /** Applies a patch; false (nothing applied) when one of its updates does not fit the flag held. */
  private patch(message: Extract<ServerMessage, { type: 'patch' }>): boolean {
    let updated: FlagConfig[] | undefined;
    if (message.updates !== undefined && message.updates.length > 0) {
      updated = [];
      for (const update of message.updates) {
        const flag = applyFlagUpdate(this.set.get(update.key), update);
        if (flag === undefined) return false;
        updated.push(flag);
      }
    }
    const changed = new Set<string>();
    for (const flag of message.flags ?? []) {
      this.set.upsertFlag(flag);
      changed.add(flag.key);
    }
    for (const flag of updated ?? []) {
      this.set.upsertFlag(flag);
      changed.add(flag.key);
    }
    for (const key of message.removed ?? []) {
      this.set.removeFlag(key);
      changed.add(key);
    }
    const changedSegments = new Set<string>();
    for (const segment of message.segments ?? []) {
      this.set.upsertSegment(segment);
      changedSegments.add(segment.key);
    }
    for (const key of message.removedSegments ?? []) {
      this.set.removeSegment(key);
      changedSegments.add(key);
    }
    this.addSegmentDependents(changedSegments, changed);
    this.revision = message.revision;
    this.source = 'network';
    // A patch moves the rules past what an ETag-conditional poll would return, so the next poll must re-fetch.
    this.etag = undefined;
    this.afterUpdate(changed);
    return true;
  }

  private addSegmentDependents(segments: ReadonlySet<string>, changed: Set<string>): void {
    if (segments.size === 0) return;
    for (const flag of this.set.flags()) {
      const uses = flag.rules.some((rule) => rule.clauses.some((c) => c.op === 'inSegment' && c.values.some((v) => typeof v === 'string' && segments.has(v))));
      if (uses) changed.add(flag.key);
    }
  }

  private afterUpdate(changed: ReadonlySet<string>): void {
    this.schedulePersist();
    if (!this.networkReady) {
      this.networkReady = true;
      this.wakeReadyWaiters();
      this.emitSafely('ready');
    }
    if (changed.size > 0) this.emitSafely('change', [...changed]);
  }

  private emitSafely<E extends keyof ClientEvents>(event: E, ...args: ClientEvents[E]): void {
    for (const listener of this.emitter.listeners(event)) {
      try {
        (listener as (...a: ClientEvents[E]) => void)(...args);
      } catch (error) {
        this.logger.error(`a '${event}' listener threw: ${String(error)}`);
      }
    }
  }

  private schedulePersist(): void {
    const path = this.options.persistPath;
    if (path === undefined || this.persistTimer !== undefined) return;
    this.persistTimer = setTimeout(() => {
      this.persistTimer = undefined;
      this.persistNow();
    }, 200);
    this.persistTimer.unref();
  }

  private persistNow(): void {
    const path = this.options.persistPath;
    if (path === undefined || this.source !== 'network') return;
    try {
      const snapshot: ConfigSnapshot = {
        environment: this.environment,
        revision: this.revision,
        flags: this.set.flags(),
        segments: this.set.segments(),
        ...(this.keyHashSalt === undefined ? {} : { keyHashSalt: this.keyHashSalt }),
      };
      writeSnapshot(path, snapshot);
    } catch (error) {
      this.report('PERSIST', `cannot write ${path}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private report(code: SwitchyardError['code'], message: string): void {
    try {
      this.emitter.emit('error', new SwitchyardError(code, message));
    } catch {
      // A throwing 'error' listener must not reach the caller.
    }
  }

  private wakeReadyWaiters(): void {
    for (const wake of this.readyWaiters) wake();
    this.readyWaiters.clear();
  }

  private readyResult(timedOut: boolean): ReadyResult {
    const error = this.unauthorized ?? this.lastNetworkError;
    if (this.networkReady) return { ok: true, source: 'network' };
    if (this.source === 'cache' || this.source === 'bootstrap') return { ok: true, source: this.source, ...(error === undefined ? {} : { error }) };
    if (this.unauthorized !== undefined) return { ok: false, source: 'none', error: this.unauthorized };
    return { ok: false, source: timedOut ? 'timeout' : 'none', error: error ?? new Error('no rules yet') };
  }

  ready(options: { timeoutMs?: number } = {}): Promise<ReadyResult> {
    if (this.networkReady || this.unauthorized !== undefined || this.options.offline === true || this.closed) return Promise.resolve(this.readyResult(false));
    const timeoutMs = Math.max(0, options.timeoutMs ?? 5_000);
    return new Promise<ReadyResult>((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        resolve(this.readyResult(false));
      };
      const timer = setTimeout(() => {
        this.readyWaiters.delete(wake);
        resolve(this.readyResult(true));
      }, timeoutMs);
      timer.unref();
      this.readyWaiters.add(wake);
    });
  }

  detail(key: string, context: Context = EMPTY_CONTEXT, defaultValue: JsonValue = null): Detail {
    const detail = this.set.evaluate(key, context, defaultValue, this.targetKeyOf(context));
    this.metrics.evaluated(key, detail);
    return detail;
  }

  enabled(key: string, context: Context = EMPTY_CONTEXT, defaultValue = false): boolean {
    const value = this.detail(key, context, defaultValue).value;
    return typeof value === 'boolean' ? value : defaultValue;
  }

  variant<T extends JsonValue>(key: string, context: Context, defaultValue: T): T {
    const value = this.detail(key, context, defaultValue).value;
    if (defaultValue === null || typeof defaultValue === 'object') return (value === undefined ? defaultValue : value) as T;
    return (typeof value === typeof defaultValue ? value : defaultValue) as T;
  }

  all(context: Context = EMPTY_CONTEXT): FlagDetails {
    try {
      return this.set.evaluateAll(context, this.targetKeyOf(context));
    } catch {
      return NO_FLAGS;
    }
  }

  track(key: string, context: Context, outcome: { error?: boolean; latencyMs?: number } = {}): void {
    try {
      const detail = this.set.evaluate(key, context, null, this.targetKeyOf(context));
      if (detail.variant === undefined) return;
      this.metrics.outcome(key, detail.variant, outcome.error === true, outcome.latencyMs);
    } catch {
      // track() never throws into application code.
    }
  }

  // sdk-server keys receive raw target lists; a hashed (sdk-client key) payload needs the hashed key.
  private targetKeyOf(context: Context): string | undefined {
    const salt = this.keyHashSalt;
    if (salt === undefined) return undefined;
    try {
      const key = context?.key;
      return typeof key === 'string' ? hashTargetKey(salt, key) : undefined;
    } catch {
      // A context whose key cannot be read is evaluated without one (the evaluator reports it).
      return undefined;
    }
  }

  on<E extends keyof ClientEvents>(event: E, listener: (...args: ClientEvents[E]) => void): () => void {
    const wrapped = listener as (...args: unknown[]) => void;
    this.emitter.on(event, wrapped);
    return () => this.emitter.off(event, wrapped);
  }

  private async flushMetrics(): Promise<void> {
    const dropped = this.metrics.cut();
    if (dropped > 0) this.logger.warn(`dropped ${dropped} metrics window(s) (${this.metrics.dropped} in total): the server has been unreachable too long`);
    if (this.unauthorized !== undefined || this.metrics.pendingBatches === 0) return;
    try {
      await this.metrics.drain((batch) => this.sendMetrics(batch));
    } catch (error) {
      this.report('METRICS', `metrics not sent, will retry: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private async sendMetrics(batch: MetricsBatch): Promise<void> {
    const response = await fetch(`${this.baseUrl}/api/v1/sdk/metrics`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.options.sdkKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(batch),
      signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 10_000),
    });
    await response.body?.cancel().catch(() => undefined);
    if (!response.ok) throw new Error(`POST /api/v1/sdk/metrics answered ${response.status}`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stream?.stop();
    this.stopPolling();
    clearInterval(this.metricsTimer);
    clearTimeout(this.persistTimer);
    this.persistTimer = undefined;
    this.persistNow();
    this.wakeReadyWaiters();
    if (this.metricsTimer !== undefined && this.unauthorized === undefined) {
      this.metrics.cut();
      try {
        await this.metrics.drain((batch) => this.sendMetrics(batch));
      } catch {
        // Best effort on the way out.
      }
    }
  }
}
