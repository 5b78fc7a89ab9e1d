import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { ApiError } from '../errors.js';
import type { HealthState } from '../features/health/health.routes.js';
import type { Permission } from './auth.js';

/** A registered route and the permission it declares (admin when it declares none: deny by default). */
export interface RouteEntry {
  readonly method: string;
  readonly url: string;
  readonly permission: Permission;
  readonly websocket: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered after this plugin, with its permission: what the authorization tests walk. */
    routeTable(): RouteEntry[];
  }
}

export interface ProtectionOptions {
  readonly health: HealthState;
  /** Writes per API key per window on this replica; undefined (or max 0) means no limit. */
  readonly writeLimit?: { readonly max: number; readonly windowMs: number } | undefined;
}

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const WRITE_PERMISSIONS = new Set(['write', 'kill', 'admin']);

/** A write of the admin API: what the write limit counts. SDK routes (config, metrics) are not writes. */
export function isWriteRequest(request: FastifyRequest): boolean {
  if (READ_METHODS.has(request.method) || request.routeOptions.url === undefined) return false;
  return WRITE_PERMISSIONS.has(request.routeOptions.config.permission ?? 'admin');
}

/**
 * Response hardening for every route: security headers unless a route sets its own (the admin UI sets
 * its own CSP with helmet), the request id echoed for support, `Connection: close` while draining so
 * keep-alive connections end with their in-flight request, and the per-key write limit. Also keeps
 * the table of routes and their permissions.
 */
export const protectionPlugin = fp<ProtectionOptions>(
  async (app: FastifyInstance, options) => {
    // Kept as registered and read late: a scope's own onRoute hook may still set the permission.
    const routes: RouteOptions[] = [];
    app.addHook('onRoute', (route) => {
      routes.push(route);
    });
    app.decorate('routeTable', () =>
      routes.flatMap((route) =>
        (Array.isArray(route.method) ? route.method : [route.method]).map((method) => ({
          method,
          url: route.url,
          permission: route.config?.permission ?? 'admin',
          websocket: (route as { websocket?: boolean }).websocket === true,
        })),
      ),
    );

    // Set when the request starts, so a route or plugin that sets its own (helmet's CSP for the admin
    // UI, the SDK config's cache-control) simply overrides them, and no check is needed on the way out.
    // A callback hook with the headers prepared once: this runs on every request.
    const securityHeaders = { 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer' } as const;
    // Admin API answers carry flags, audit trails and key names: no shared cache may keep them.
    const apiHeaders = { ...securityHeaders, 'cache-control': 'no-store' } as const;
    app.addHook('onRequest', (request, reply, done) => {
      void reply.headers(request.url.startsWith('/api/') ? apiHeaders : securityHeaders).header('x-request-id', request.id);
      done();
    });
    app.addHook('onSend', (request, reply, payload, done) => {
      // Answers sent without running the request hooks (a malformed URL) get the same headers here.
      if (!reply.hasHeader('x-request-id')) {
        for (const [name, value] of Object.entries(request.url.startsWith('/api/') ? apiHeaders : securityHeaders)) {
          if (!reply.hasHeader(name)) void reply.header(name, value);
        }
        void reply.header('x-request-id', request.id);
      }
      // Read as late as possible: a request that started before SIGTERM still ends its connection.
      if (options.health.draining) void reply.header('connection', 'close');
      done(null, payload);
    });

    const limit = options.writeLimit;
    if (limit === undefined || limit.max <= 0) return;
    const perWindow = limit.windowMs === 60_000 ? 'minute' : `${limit.windowMs} ms`;
    await app.register(rateLimit, {
      global: true,
      max: limit.max,
      timeWindow: limit.windowMs,
      // After authentication (onRequest), before the body is read: the key is known, and a limited
      // client's body is never parsed.
      hook: 'preParsing',
      keyGenerator: (request) => (request.principal === null ? `ip:${request.ip}` : `key:${request.principal.keyId}`),
      allowList: (request) => !isWriteRequest(request),
      errorResponseBuilder: (_request, context) =>
        new ApiError('RATE_LIMITED', `too many writes with this API key (at most ${context.max} per ${perWindow} on each server); retry in ${context.after}`),
    });
  },
  { name: 'switchyard-protection' },
);
