import type {} from '@fastify/websocket';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ClientMessageSchema, CLOSE_CODES, MAX_CLIENT_MESSAGE_BYTES } from '@switchyard/core';
import type { FastifyBaseLogger, FastifyPluginAsync } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import { z } from 'zod';
import { ApiError } from '../../errors.js';
import { parse } from '../../http.js';
import { bearerOf, type KeyResolver, type Principal } from '../../plugins/auth.js';
import type { SdkFleet } from './fleet.js';
import type { Connection, StreamHub } from './stream.hub.js';

/** How long a new socket may take to say hello. */
const HELLO_TIMEOUT_MS = 10_000;

function isSdkKey(principal: Principal): principal is Principal & { environment: string } {
  return (principal.kind === 'sdk-server' || principal.kind === 'sdk-client') && principal.environment !== null;
}

export interface StreamRoutesOptions {
  readonly hub: StreamHub;
  readonly keys: KeyResolver;
}

/**
 * What one socket needs between its messages. The socket's listeners are shared functions that find
 * their session through `sessions`: no closures per connection, and nothing keeps the upgrade's
 * request and response objects alive (a connection costs the server only what it must remember).
 */
interface Session {
  readonly hub: StreamHub;
  readonly keys: KeyResolver;
  readonly log: FastifyBaseLogger;
  readonly address: string;
  /** The key checked before the upgrade, if the Authorization header had one. */
  readonly principal: Principal | null;
  helloTimer: NodeJS.Timeout | undefined;
  helloSeen: boolean;
  connection: Connection | undefined;
}

const sessions = new WeakMap<WebSocket, Session>();

/** The HTTP response of each pending upgrade, from preValidation to the handler. */
const upgrades = new WeakMap<IncomingMessage, ServerResponse>();

/** One object per distinct SDK name and version, shared by its connections (bounded). */
const sdkInfos = new Map<string, { readonly name: string; readonly version: string }>();
function sdkInfo(sdk: { name: string; version: string }): { readonly name: string; readonly version: string } {
  const id = `${sdk.name}\u0000${sdk.version}`;
  let info = sdkInfos.get(id);
  if (info === undefined) {
    if (sdkInfos.size >= 1000) sdkInfos.clear();
    info = Object.freeze({ name: sdk.name, version: sdk.version });
    sdkInfos.set(id, info);
  }
  return info;
}

function fail(socket: WebSocket, session: Session, code: number, reason: string): void {
  clearTimeout(session.helloTimer);
  session.helloTimer = undefined;
  socket.close(code, reason);
}

function onHelloTimeout(socket: WebSocket): void {
  socket.close(CLOSE_CODES.HELLO_TIMEOUT, 'no hello');
}

function onSocketMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  const socket = this;
  const session = sessions.get(socket);
  if (session === undefined) return;
  handleMessage(socket, session, data, isBinary).catch((error: unknown) => {
    session.log.warn({ err: error }, 'stream message failed');
    fail(socket, session, CLOSE_CODES.PROTOCOL_ERROR, 'internal error');
  });
}

function onSocketClose(this: WebSocket): void {
  const session = sessions.get(this);
  if (session === undefined) return;
  clearTimeout(session.helloTimer);
  session.helloTimer = undefined;
  if (session.connection !== undefined) session.hub.unregister(session.connection);
}

function onSocketError(): void {
  // ws closes the socket itself after a protocol error; the close handler cleans up.
}

async function handleMessage(socket: WebSocket, session: Session, data: RawData, isBinary: boolean): Promise<void> {
  const size = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.byteLength;
  if (isBinary) return fail(socket, session, CLOSE_CODES.PROTOCOL_ERROR, 'text frames only');
  if (size > MAX_CLIENT_MESSAGE_BYTES) return fail(socket, session, CLOSE_CODES.MESSAGE_TOO_BIG, 'message too big');
  let raw: unknown;
  try {
    raw = JSON.parse(data.toString());
  } catch {
    return fail(socket, session, CLOSE_CODES.PROTOCOL_ERROR, 'malformed JSON');
  }
  const parsed = ClientMessageSchema.safeParse(raw);
  if (!parsed.success) return fail(socket, session, CLOSE_CODES.PROTOCOL_ERROR, 'malformed message');
  const message = parsed.data;
  if (message.type === 'ack') {
    if (session.connection === undefined) return fail(socket, session, CLOSE_CODES.PROTOCOL_ERROR, 'ack before hello');
    session.hub.acknowledge(session.connection, message.revision);
    return;
  }
  if (session.helloSeen) return fail(socket, session, CLOSE_CODES.PROTOCOL_ERROR, 'hello twice');
  session.helloSeen = true;
  clearTimeout(session.helloTimer);
  session.helloTimer = undefined;
  let principal = session.principal;
  if (principal === null && message.key !== undefined) principal = await session.keys.resolve(message.key);
  if (principal === null) return fail(socket, session, CLOSE_CODES.UNAUTHORIZED, 'missing or invalid key');
  if (!isSdkKey(principal)) return fail(socket, session, CLOSE_CODES.FORBIDDEN, 'not an SDK key');
  if (socket.readyState !== socket.OPEN) return;
  const connection: Connection = {
    id: randomUUID(),
    socket,
    principal,
    audience: principal.kind === 'sdk-client' ? 'client' : 'server',
    sdk: sdkInfo(message.sdk),
    protocol: message.protocol,
    instance: message.instance ?? null,
    address: session.address,
    connectedAt: Date.now(),
    sentRevision: 0,
    appliedRevision: message.revision,
  };
  session.connection = connection;
  await session.hub.register(connection, message.revision);
}

/** `GET /api/v1/sdk/stream` (WebSocket). */
export const streamRoutes: FastifyPluginAsync<StreamRoutesOptions> = async (app, { hub, keys }) => {
  app.get(
    '/stream',
    {
      websocket: true,
      config: { permission: 'public' },
      // A key in the Authorization header is checked before the upgrade, so a bad key gets a plain
      // 401/403 and the SDK can stop retrying. Browsers, which cannot set the header, send it in hello.
      preValidation: async (request, reply) => {
        upgrades.set(request.raw, reply.raw);
        const secret = bearerOf(request);
        if (secret === undefined) return;
        const principal = await keys.resolve(secret);
        if (principal === null) throw new ApiError('UNAUTHORIZED', 'invalid or revoked API key');
        if (!isSdkKey(principal)) throw new ApiError('FORBIDDEN', 'the stream takes sdk-server or sdk-client keys');
        request.principal = principal;
      },
    },
    (socket, request) => {
      // The upgrade's HTTP response object stays attached to the TCP socket (and @fastify/websocket's
      // error listener holds the request and reply) for the socket's life: let both go.
      const response = upgrades.get(request.raw);
      upgrades.delete(request.raw);
      if (response !== undefined && response.socket !== null) response.detachSocket(response.socket);
      socket.removeAllListeners('error');
      socket.on('error', onSocketError);
      if (hub.isClosing) {
        socket.close(CLOSE_CODES.SERVICE_RESTART, 'server restarting');
        return;
      }
      const session: Session = {
        hub,
        keys,
        log: app.log,
        address: request.ip,
        principal: request.principal,
        helloTimer: setTimeout(onHelloTimeout, HELLO_TIMEOUT_MS, socket),
        helloSeen: false,
        connection: undefined,
      };
      session.helloTimer?.unref();
      sessions.set(socket, session);
      socket.on('message', onSocketMessage);
      socket.on('close', onSocketClose);
    },
  );
};

const ConnectionsQuerySchema = z.object({ env: z.string().min(1).max(64).optional() }).strict();

/** `GET /api/v1/sdk/connections`: who is connected to any replica, at which revision, how far behind. */
export const connectionsRoutes: FastifyPluginAsync<{ fleet: SdkFleet }> = async (app, { fleet }) => {
  app.get('/connections', { config: { permission: 'read' } }, async (request) => {
    const query = parse(ConnectionsQuerySchema, request.query, 'query');
    const { connections, replicas } = await fleet.connections(query.env);
    return { connections, total: connections.length, replica: fleet.replica, replicas };
  });
};
