import type { ServerMessage } from '@switchyard/core/evaluate';
import type { SocketLike } from '../platform.js';
import { PROTOCOL_VERSION, SDK_INFO } from '../protocol.js';
import { backoffDelay, type BackoffOptions } from './backoff.js';

/** What the stream tells the client. */
export interface StreamHost {
  /** Applies a server message; returns the revision to acknowledge, if any. */
  message(message: ServerMessage): number | undefined;
  /** The revision to resume from, read at each (re)connect; null asks for a snapshot. */
  revision(): number | null;
  /** A connection delivered its first message. */
  up(): void;
  /** The connection ended or never came up; the stream retries by itself. */
  down(): void;
  /** The server refused the key (close code 4401 or 4403); the stream has stopped for good. */
  refused(code: number): void;
}

export interface StreamOptions {
  readonly url: string;
  readonly clientKey: string;
  readonly open: (url: string) => SocketLike;
  readonly later: (callback: () => void, ms: number) => unknown;
  readonly cancel: (id: unknown) => void;
  readonly backoff?: BackoffOptions | undefined;
}

/**
 * The WebSocket to `/api/v1/sdk/stream`: says hello with the key (browsers cannot set headers on a
 * WebSocket) and the revision to resume from, hands messages to the host, acknowledges revisions,
 * and reconnects with full-jitter backoff until stopped or refused. Returns `stop`.
 * @example const stop = openStream({ url, clientKey, open: (u) => new WebSocket(u), later: setTimeout, cancel: clearTimeout }, host)
 */
export function openStream(options: StreamOptions, host: StreamHost): () => void {
  const { later, cancel } = options;
  let socket: SocketLike | undefined;
  let retry: unknown;
  let idle: unknown;
  let attempt = 0;
  let up = false;
  let stopped = false;

  // Ends the current socket once, whatever ended it (close event, silence, stop), and plans what next.
  const end = (code: number): void => {
    const ws = socket;
    socket = undefined;
    cancel(idle);
    try {
      ws?.close();
    } catch {
      // Already closed.
    }
    if (stopped) return;
    if (code == 4401 || code == 4403) {
      stopped = true;
      return host.refused(code);
    }
    up = false;
    host.down();
    // 1012: the server is restarting; come back at once, spread over a second, to any replica.
    retry = later(connect, code == 1012 ? Math.random() * 1e3 : backoffDelay(attempt++, options.backoff));
  };

  // The server answers hello at once, so the first deadline is short; later ones cover the 25 s pings.
  const watch = (ws: SocketLike, ms: number): void => {
    cancel(idle);
    idle = later(() => socket == ws && end(1006), ms);
  };

  const connect = (): void => {
    try {
      const ws = (socket = options.open(`${options.url.replace(/^http/, 'ws')}/api/v1/sdk/stream`));
      ws.onopen = () => ws.send(JSON.stringify({ type: 'hello', protocol: PROTOCOL_VERSION, sdk: SDK_INFO, revision: host.revision(), key: options.clientKey }));
      ws.onclose = (event) => socket == ws && end(event.code);
      ws.onmessage = (event) => {
        if (socket != ws) return;
        // No message for 60 s (pings come every 25 s) means the connection is dead.
        watch(ws, 6e4);
        try {
          const message = JSON.parse(event.data as string) as ServerMessage;
          if (!up && message.type != 'error') {
            up = true;
            attempt = 0;
            host.up();
          }
          const revision = host.message(message);
          if (revision != null) ws.send(JSON.stringify({ type: 'ack', revision }));
        } catch {
          // A frame that is not JSON is ignored, as the Node SDK does.
        }
      };
      watch(ws, 1e4);
    } catch {
      end(1006);
    }
  };

  connect();
  return () => {
    stopped = true;
    cancel(retry);
    end(1000);
  };
}
