import type {} from '@fastify/websocket';
import { randomUUID } from 'node:crypto';
import { ClientMessageSchema, CLOSE_CODES, MAX_CLIENT_MESSAGE_BYTES } from '@switchyard/core';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { ApiError } from '../../errors.js';
import { parse } from '../../http.js';
import { bearerOf, type KeyResolver, type Principal } from '../../plugins/auth.js';
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

/** `GET /api/v1/sdk/stream` (WebSocket). */
export const streamRoutes: FastifyPluginAsync<StreamRoutesOptions> = async (app, { hub, keys }) => {
  app.get(
    '/stream',
    {
      websocket: true,
      config: { permission: 'public' },
      // A key in the Authorization header is checked before the upgrade, so a bad key gets a plain
      // 401/403 and the SDK can stop retrying. Browsers, which cannot set the header, send it in hello.
      preValidation: async (request) => {
        const secret = bearerOf(request);
        if (secret === undefined) return;
        const principal = await keys.resolve(secret);
        if (principal === null) throw new ApiError('UNAUTHORIZED', 'invalid or revoked API key');
        if (!isSdkKey(principal)) throw new ApiError('FORBIDDEN', 'the stream takes sdk-server or sdk-client keys');
        request.principal = principal;
      },
    },
    (socket, request) => {
      if (hub.isClosing) {
        socket.close(CLOSE_CODES.SERVICE_RESTART, 'server restarting');
        return;
      }
      let connection: Connection | undefined;
      let helloSeen = false;
      const helloTimer = setTimeout(() => socket.close(CLOSE_CODES.HELLO_TIMEOUT, 'no hello'), HELLO_TIMEOUT_MS);
      helloTimer.unref();
      const fail = (code: number, reason: string): void => {
        clearTimeout(helloTimer);
        socket.close(code, reason);
      };

      socket.on('message', (data, isBinary) => {
        void (async () => {
          const size = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : (data as Buffer | ArrayBuffer).byteLength;
          if (isBinary) return fail(CLOSE_CODES.PROTOCOL_ERROR, 'text frames only');
          if (size > MAX_CLIENT_MESSAGE_BYTES) return fail(CLOSE_CODES.MESSAGE_TOO_BIG, 'message too big');
          let raw: unknown;
          try {
            raw = JSON.parse(data.toString());
          } catch {
            return fail(CLOSE_CODES.PROTOCOL_ERROR, 'malformed JSON');
          }
          const parsed = ClientMessageSchema.safeParse(raw);
          if (!parsed.success) return fail(CLOSE_CODES.PROTOCOL_ERROR, 'malformed message');
          const message = parsed.data;
          if (message.type === 'ack') {
            if (connection === undefined) return fail(CLOSE_CODES.PROTOCOL_ERROR, 'ack before hello');
            hub.acknowledge(connection, message.revision);
            return;
          }
          if (helloSeen) return fail(CLOSE_CODES.PROTOCOL_ERROR, 'hello twice');
          helloSeen = true;
          clearTimeout(helloTimer);
          let principal = request.principal;
          if (principal === null && message.key !== undefined) principal = await keys.resolve(message.key);
          if (principal === null) return fail(CLOSE_CODES.UNAUTHORIZED, 'missing or invalid key');
          if (!isSdkKey(principal)) return fail(CLOSE_CODES.FORBIDDEN, 'not an SDK key');
          if (socket.readyState !== socket.OPEN) return;
          connection = {
            id: randomUUID(),
            socket,
            principal,
            audience: principal.kind === 'sdk-client' ? 'client' : 'server',
            sdk: message.sdk,
            protocol: message.protocol,
            instance: message.instance ?? null,
            address: request.ip,
            connectedAt: new Date(),
            sentRevision: 0,
            appliedRevision: message.revision,
          };
          await hub.register(connection, message.revision);
        })().catch((error: unknown) => {
          request.log.warn({ err: error }, 'stream message failed');
          fail(CLOSE_CODES.PROTOCOL_ERROR, 'internal error');
        });
      });
      socket.on('close', () => {
        clearTimeout(helloTimer);
        if (connection !== undefined) hub.unregister(connection);
      });
      socket.on('error', () => undefined);
    },
  );
};

const ConnectionsQuerySchema = z.object({ env: z.string().min(1).max(64).optional() }).strict();

/** `GET /api/v1/sdk/connections`: who is connected, at which revision, how far behind. */
export const connectionsRoutes: FastifyPluginAsync<{ connections: (environment?: string) => Promise<unknown[]> }> = async (app, { connections }) => {
  app.get('/connections', { config: { permission: 'read' } }, async (request) => {
    const query = parse(ConnectionsQuerySchema, request.query, 'query');
    const list = await connections(query.env);
    return { connections: list, total: list.length };
  });
};
