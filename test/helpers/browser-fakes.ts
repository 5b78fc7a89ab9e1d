// Fakes of the browser APIs behind @switchyard/sdk-browser's Platform seam, so the SDK's behaviour
// (stream, polling, cache, metrics, timers) is tested in Node, deterministically.
import type { ConfigSnapshot } from '@switchyard/core';
import type { Platform, RequestLike, ResponseLike, SocketLike, StorageLike } from '@switchyard/sdk-browser';

/** A WebSocket the test drives: `open()`, `receive()`, `end()`; `sent` holds the parsed frames the SDK sent. */
export class FakeSocket implements SocketLike {
  onopen: SocketLike['onopen'] = null;
  onmessage: SocketLike['onmessage'] = null;
  onclose: SocketLike['onclose'] = null;
  readonly sent: Record<string, unknown>[] = [];
  closed = false;

  constructor(readonly url: string) {}

  send(data: string): void {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }

  close(): void {
    this.closed = true;
  }

  open(): this {
    this.onopen?.({});
    return this;
  }

  receive(message: unknown): void {
    this.onmessage?.({ data: typeof message === 'string' ? message : JSON.stringify(message) });
  }

  end(code: number): void {
    this.onclose?.({ code });
  }
}

/** A clock whose timers run only when the test advances it. */
export class FakeClock {
  now = 0;
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; callback: () => void }>();

  readonly setTimeout = (callback: () => void, ms: number): unknown => {
    const id = this.nextId++;
    this.timers.set(id, { at: this.now + Math.max(0, Number(ms) || 0), callback });
    return id;
  };

  readonly clearTimeout = (id: unknown): void => {
    this.timers.delete(id as number);
  };

  /** Pending timers. */
  get size(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, running due timers in order (and the promise jobs they start). */
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      let due: [number, { at: number; callback: () => void }] | undefined;
      for (const entry of this.timers) if (entry[1].at <= end && (due === undefined || entry[1].at < due[1].at)) due = entry;
      if (due === undefined) break;
      this.timers.delete(due[0]);
      this.now = due[1].at;
      due[1].callback();
      await settle();
    }
    this.now = end;
    await settle();
  }
}

/** Lets pending promise jobs (fetch answers, awaits) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** localStorage in memory; `failing` makes every call throw, as a disabled or full storage does. */
export class MemoryStorage implements StorageLike {
  readonly data = new Map<string, string>();
  failing = false;

  getItem(key: string): string | null {
    if (this.failing) throw new Error('SecurityError: storage disabled');
    return this.data.get(key) ?? null;
  }

  setItem(key: string, value: string): void {
    if (this.failing) throw new Error('QuotaExceededError');
    this.data.set(key, value);
  }
}

function response(status: number, body?: unknown, headers: Record<string, string> = {}): ResponseLike {
  return {
    status,
    ok: status >= 200 && status < 300,
    headers: { get: (name) => headers[name.toLowerCase()] ?? null },
    json: async () => body,
  };
}

/**
 * The SDK API of a server, in memory: `GET /api/v1/sdk/config` answers `snapshot` with an ETag (304
 * when it matches), `POST /api/v1/sdk/metrics` records batches. `down` makes every request fail as a
 * refused connection does; `configStatus` / `metricsStatus` force an answer.
 */
export class FakeServer {
  snapshot: ConfigSnapshot | undefined;
  down = false;
  configStatus: number | undefined;
  metricsStatus = 202;
  readonly requests: { url: string; init: RequestLike }[] = [];
  readonly metrics: Record<string, unknown>[] = [];

  readonly fetch = async (url: string, init: RequestLike): Promise<ResponseLike> => {
    this.requests.push({ url, init });
    if (this.down) throw new TypeError('Failed to fetch');
    if (url.endsWith('/api/v1/sdk/config')) {
      if (this.configStatus !== undefined) return response(this.configStatus, { error: { code: 'X', message: 'forced' } });
      if (this.snapshot === undefined) return response(503);
      const etag = `"r${this.snapshot.revision}"`;
      if (init.headers['if-none-match'] === etag) return response(304, undefined, { etag });
      return response(200, JSON.parse(JSON.stringify(this.snapshot)), { etag });
    }
    if (url.endsWith('/api/v1/sdk/metrics')) {
      this.metrics.push(JSON.parse(init.body ?? 'null') as Record<string, unknown>);
      return response(this.metricsStatus);
    }
    return response(404);
  };

  /** Requests to one path, e.g. `config`. */
  calls(path: string): { url: string; init: RequestLike }[] {
    return this.requests.filter((r) => r.url.endsWith(`/api/v1/sdk/${path}`));
  }
}

/** Every fake at once, wired as a Platform. */
export function fakePlatform(): { platform: Platform; clock: FakeClock; server: FakeServer; storage: MemoryStorage; sockets: FakeSocket[]; socket(): FakeSocket } {
  const clock = new FakeClock();
  const server = new FakeServer();
  const storage = new MemoryStorage();
  const sockets: FakeSocket[] = [];
  const platform: Platform = {
    socket: (url) => {
      const socket = new FakeSocket(url);
      sockets.push(socket);
      return socket;
    },
    fetch: server.fetch,
    storage,
    setTimeout: clock.setTimeout,
    clearTimeout: clock.clearTimeout,
  };
  const socket = (): FakeSocket => {
    const last = sockets[sockets.length - 1];
    if (last === undefined) throw new Error('no socket opened');
    return last;
  };
  return { platform, clock, server, storage, sockets, socket };
}
