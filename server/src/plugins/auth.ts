import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../db/schema.js';
import { ApiError } from '../errors.js';
import type { Actor } from '../features/audit/audit.store.js';

/** API key kinds (DESIGN.md "API key kinds"). */
export const KeyKindSchema = z.enum(['admin', 'writer', 'responder', 'reader', 'sdk-server', 'sdk-client']);
export type KeyKind = z.infer<typeof KeyKindSchema>;

/** What a route needs. `public` routes take no key (health, metrics, the admin UI's files). */
export type Permission = 'read' | 'write' | 'kill' | 'admin' | 'sdk' | 'public';

const GRANTS: Record<KeyKind, ReadonlySet<Permission>> = {
  admin: new Set(['read', 'write', 'kill', 'admin']),
  writer: new Set(['read', 'write', 'kill']),
  responder: new Set(['read', 'kill']),
  reader: new Set(['read']),
  'sdk-server': new Set(['sdk']),
  'sdk-client': new Set(['sdk']),
};

/** The authenticated key behind a request. */
export interface Principal {
  readonly keyId: string;
  readonly name: string;
  readonly kind: KeyKind;
  /** The one environment of an SDK key; null for admin-API keys. */
  readonly environment: string | null;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The permission a route requires; routes that declare none are admin-only (deny by default). */
    permission?: Permission;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** SHA-256 of a key: keys are 192-bit random secrets, so a fast hash is as safe as a slow one. */
export function hashKey(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** The permission check, exported for the connection guard of long-lived streams. */
export function grants(kind: KeyKind, permission: Permission): boolean {
  return permission === 'public' || GRANTS[kind].has(permission);
}

/** Resolves and caches keys. Revocation on this replica evicts at once. */
export interface KeyResolver {
  resolve(secret: string): Promise<Principal | null>;
  evict(keyId: string): void;
}

const CACHE_TTL_MS = 5_000;
const CACHE_MAX = 10_000;

export function createKeyResolver(db: Kysely<Database>): KeyResolver {
  const cache = new Map<string, { principal: Principal | null; expires: number }>();
  return {
    async resolve(secret) {
      const hash = hashKey(secret);
      const hit = cache.get(hash);
      const now = Date.now();
      if (hit !== undefined && hit.expires > now) return hit.principal;
      const row = await db
        .selectFrom('api_keys')
        .select(['id', 'name', 'kind', 'environment', 'hash', 'revoked_at'])
        .where('hash', '=', hash)
        .executeTakeFirst();
      // The row was found by its hash; comparing in constant time anyway keeps timing flat if the
      // lookup ever changes (e.g. to a prefix index).
      const valid =
        row !== undefined &&
        row.revoked_at === null &&
        timingSafeEqual(Buffer.from(row.hash, 'hex'), Buffer.from(hash, 'hex')) &&
        KeyKindSchema.safeParse(row.kind).success;
      const principal: Principal | null = valid ? { keyId: row.id, name: row.name, kind: row.kind as KeyKind, environment: row.environment } : null;
      if (cache.size >= CACHE_MAX) cache.clear();
      cache.set(hash, { principal, expires: now + CACHE_TTL_MS });
      return principal;
    },
    evict(keyId) {
      for (const [hash, entry] of cache) if (entry.principal?.keyId === keyId) cache.delete(hash);
    },
  };
}

/** Counts failed authentications per client address in a fixed window; too many → 429. */
function createFailureLimiter(maxFailures: number, windowMs: number) {
  const windows = new Map<string, { count: number; resetAt: number }>();
  return {
    blocked(ip: string, now: number): boolean {
      const w = windows.get(ip);
      return w !== undefined && w.resetAt > now && w.count >= maxFailures;
    },
    fail(ip: string, now: number): void {
      let w = windows.get(ip);
      if (w === undefined || w.resetAt <= now) {
        if (windows.size > 50_000) windows.clear();
        w = { count: 0, resetAt: now + windowMs };
        windows.set(ip, w);
      }
      w.count++;
    },
  };
}

export interface AuthOptions {
  readonly keys: KeyResolver;
  readonly maxAuthFailuresPerMinute?: number;
}

/** Reads the bearer key from the Authorization header (or `?key=` for WebSocket clients that cannot set headers). */
export function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match?.[1];
  }
  return undefined;
}

/** The actor recorded in audit rows for a request. */
export function actorOf(request: FastifyRequest): Actor {
  const header = (name: string): string | undefined => {
    const value = request.headers[name];
    return typeof value === 'string' && value.length > 0 ? value.slice(0, 200) : undefined;
  };
  return {
    name: request.principal?.name ?? 'anonymous',
    keyId: request.principal?.keyId ?? null,
    requestId: request.id,
    incidentId: header('x-switchyard-incident'),
    deployId: header('x-switchyard-deploy'),
  };
}

/** Authenticates every routed request against its route's `permission` (default: admin). */
export const authPlugin = fp<AuthOptions>(
  async (app: FastifyInstance, options) => {
    const limiter = createFailureLimiter(options.maxAuthFailuresPerMinute ?? 30, 60_000);
    app.decorateRequest('principal', null);
    app.addHook('onRequest', async (request) => {
      // Unmatched routes fall through to the 404 handler unauthenticated: it reveals nothing.
      if (request.routeOptions.url === undefined) return;
      const permission = request.routeOptions.config.permission ?? 'admin';
      if (permission === 'public') return;
      const now = Date.now();
      if (limiter.blocked(request.ip, now)) throw new ApiError('RATE_LIMITED', 'too many failed authentication attempts; retry in a minute');
      const secret = bearerOf(request);
      if (secret === undefined) {
        limiter.fail(request.ip, now);
        throw new ApiError('UNAUTHORIZED', 'missing API key: send Authorization: Bearer <key>');
      }
      const principal = await options.keys.resolve(secret);
      if (principal === null) {
        limiter.fail(request.ip, now);
        throw new ApiError('UNAUTHORIZED', 'invalid or revoked API key');
      }
      if (!grants(principal.kind, permission)) {
        throw new ApiError('FORBIDDEN', `a ${principal.kind} key cannot do this (needs ${permission} permission)`);
      }
      request.principal = principal;
    });
  },
  { name: 'switchyard-auth' },
);
