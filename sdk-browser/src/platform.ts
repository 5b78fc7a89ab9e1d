// Declared as a method so its parameter is checked bivariantly: the DOM's handlers take the wider
// MessageEvent / CloseEvent, and a WebSocket must still fit SocketLike.
type Handler<E> = { handle(event: E): void }['handle'];

/**
 * The WebSocket the SDK needs: the browser's own, or anything of the same shape (tests pass fakes).
 * @example const socket: SocketLike = new WebSocket('ws://127.0.0.1:4242/api/v1/sdk/stream')
 */
export interface SocketLike {
  onopen: Handler<unknown> | null;
  onmessage: Handler<{ readonly data: unknown }> | null;
  onclose: Handler<{ readonly code: number }> | null;
  send(data: string): void;
  close(): void;
}

/** The part of a fetch `Response` the SDK reads. */
export interface ResponseLike {
  readonly status: number;
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };
  json(): Promise<unknown>;
}

/** The part of `RequestInit` the SDK sets. */
export interface RequestLike {
  readonly method?: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
  readonly keepalive?: boolean;
}

/** Where the last good rules are kept between page loads: `localStorage` or the same shape. */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/**
 * The browser APIs the SDK uses, each replaceable (tests run the SDK in Node with fakes). Missing
 * entries default to the page's `WebSocket`, `fetch`, `localStorage`, `setTimeout`, `clearTimeout`.
 * @example createClient({ url, clientKey, platform: { storage: sessionStorage } })
 */
export interface Platform {
  /** Opens the stream socket. */
  readonly socket?: (url: string) => SocketLike;
  readonly fetch?: (url: string, init: RequestLike) => Promise<ResponseLike>;
  /** `null` keeps nothing between page loads. */
  readonly storage?: StorageLike | null;
  readonly setTimeout?: (callback: () => void, ms: number) => unknown;
  readonly clearTimeout?: (id: unknown) => void;
}
