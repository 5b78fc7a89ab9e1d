import { CLOSE_CODES, PROTOCOL_VERSION, type ServerMessage } from '@switchyard/core';
import WebSocket from 'ws';
import { acks, type AckSender } from './acks.js';
import { createBackoff, type BackoffOptions } from './backoff.js';

/** What the stream tells the client. */
export interface StreamHandlers {
  /**
   * A message from the server; returns the revision now applied, to acknowledge, or 'resync' when it
   * could not be applied to what the client holds (the stream then reconnects and resumes).
   */
  onMessage(message: ServerMessage): number | 'resync' | undefined;
  onConnected(): void;
  onDisconnected(reason: string): void;
  /** The key was refused: the stream stops for good. */
  onUnauthorized(message: string): void;
}

export interface StreamOptions {
  readonly url: string;
  readonly sdkKey: string;
  readonly sdk: { readonly name: string; readonly version: string };
  readonly instance: string;
  readonly backoff?: BackoffOptions;
  /** The revision to resume from, read at each (re)connect. */
  readonly revision: () => number | null;
  /** No message (pings included) for this long means the connection is dead. Default 60 s. */
  readonly idleTimeoutMs?: number;
}

/**
 * The WebSocket connection to `/api/v1/sdk/stream`: says hello with the revision it has, hands
 * messages to the client, acknowledges revisions, and reconnects with full-jitter backoff until
 * stopped or refused.
 *
 * A message is applied at once; its acknowledgement is low-priority work (see ./acks.ts): the
 * revision applied last is acknowledged once the stream has been quiet for a few milliseconds, so a
 * burst of patches costs one ack and applying a message never waits for an ack's socket write.
 */
export class StreamConnection implements AckSender {
  private socket: WebSocket | undefined;
  /** The revision to acknowledge on `ackSocket`, once the ack scheduler gets to it. */
  private pendingAck: number | undefined;
  private ackSocket: WebSocket | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private lastMessageAt = 0;
  private stopped = false;
  private readonly backoff;
  connected = false;

  constructor(
    private readonly options: StreamOptions,
    private readonly handlers: StreamHandlers,
  ) {
    this.backoff = createBackoff(options.backoff);
  }

  /** Sends the ack the scheduler holds for this connection (AckSender). */
  sendAck(): void {
    const socket = this.ackSocket;
    const revision = this.pendingAck;
    this.ackSocket = undefined;
    this.pendingAck = undefined;
    // A socket replaced or closed in the meantime is not acknowledged on: the next connection
    // acknowledges what its own first message brings.
    if (revision === undefined || socket === undefined || socket !== this.socket || socket.readyState !== WebSocket.OPEN) return;
    socket.send(JSON.stringify({ type: 'ack', revision }));
  }

  start(): void {
    this.stopped = false;
    this.connect();
    const idle = this.options.idleTimeoutMs ?? 60_000;
    this.idleTimer = setInterval(() => {
      if (this.connected && Date.now() - this.lastMessageAt > idle) this.socket?.terminate();
    }, Math.min(10_000, idle));
    this.idleTimer.unref();
  }

  stop(): void {
    this.stopped = true;
    acks.cancel(this);
    this.ackSocket = undefined;
    this.pendingAck = undefined;
    clearTimeout(this.retryTimer);
    clearInterval(this.idleTimer);
    const socket = this.socket;
    this.socket = undefined;
    if (socket !== undefined) {
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      if (socket.readyState === WebSocket.OPEN) socket.close(1000, 'client closed');
      else socket.terminate();
    }
    this.connected = false;
  }

  private connect(): void {
    if (this.stopped) return;
    const url = `${this.options.url.replace(/^http/, 'ws')}/api/v1/sdk/stream`;
    let socket: WebSocket;
    try {
      socket = new WebSocket(url, {
        headers: { authorization: `Bearer ${this.options.sdkKey}` },
        perMessageDeflate: false,
        handshakeTimeout: 10_000,
        maxPayload: 256 * 1024 * 1024,
      });
    } catch (error) {
      this.scheduleReconnect(error instanceof Error ? error.message : String(error), undefined);
      return;
    }
    this.socket = socket;
    let refused = false;
    socket.on('unexpected-response', (_request, response) => {
      const status = response.statusCode ?? 0;
      response.resume();
      if (status === 401 || status === 403) {
        refused = true;
        this.stop();
        this.handlers.onUnauthorized(`stream refused the key (HTTP ${status})`);
      } else {
        socket.terminate();
      }
    });
    socket.on('open', () => {
      this.lastMessageAt = Date.now();
      const hello = { type: 'hello', protocol: PROTOCOL_VERSION, sdk: this.options.sdk, revision: this.options.revision(), instance: this.options.instance };
      socket.send(JSON.stringify(hello));
    });
    // Set when a message could not be applied: frames already read from this socket are dropped too.
    let resyncing = false;
    socket.on('message', (data, isBinary) => {
      if (isBinary || resyncing) return;
      this.lastMessageAt = Date.now();
      let message: ServerMessage;
      try {
        message = JSON.parse(data.toString()) as ServerMessage;
      } catch {
        return;
      }
      if (!this.connected && (message.type === 'snapshot' || message.type === 'patch' || message.type === 'ping')) {
        this.connected = true;
        this.backoff.reset();
        this.handlers.onConnected();
      }
      const applied = this.handlers.onMessage(message);
      if (applied === 'resync') {
        resyncing = true;
        socket.terminate();
      } else if (applied !== undefined) this.acknowledge(socket, applied);
    });
    socket.on('error', () => undefined);
    socket.on('close', (code, reason) => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      const wasConnected = this.connected;
      this.connected = false;
      if (refused || this.stopped) return;
      if (code === CLOSE_CODES.UNAUTHORIZED || code === CLOSE_CODES.FORBIDDEN) {
        this.stop();
        this.handlers.onUnauthorized(`stream closed: ${reason.toString() || 'key refused'} (${code})`);
        return;
      }
      if (wasConnected) this.handlers.onDisconnected(`closed with ${code}`);
      this.scheduleReconnect(`closed with ${code}`, code);
    });
  }

  /** Acknowledges `revision` (the latest applied) on `socket`, soon (see ./acks.ts). */
  private acknowledge(socket: WebSocket, revision: number): void {
    this.ackSocket = socket;
    this.pendingAck = revision;
    acks.schedule(this);
  }

  private scheduleReconnect(reason: string, code: number | undefined): void {
    if (this.stopped) return;
    // A restarting server (1012) asks clients to come back at once: a short jittered delay lets a
    // thousand of them reach the other replicas without arriving in the same millisecond.
    const delay = code === CLOSE_CODES.SERVICE_RESTART ? Math.floor(Math.random() * 1000) : this.backoff.next();
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delay);
    this.retryTimer.unref();
    void reason;
  }
}
