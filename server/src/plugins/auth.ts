import crypto, { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
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

// The one-shot crypto.hash (Node 20.12+; engines allow older 20.x) is about three times cheaper than
// a Hash object, and a request with a key not in the cache by secret hashes it.
const oneShotHash: typeof crypto.hash | undefined = typeof crypto.hash === 'function' ? crypto.hash : undefined;

/** SHA-256 of a key: keys are 192-bit random secrets, so a fast hash is as safe as a slow one. */
export function hashKey(secret: string): string {
  return oneShotHash === undefined ? createHash('sha256').update(secret, 'utf8').digest('hex') : oneShotHash('sha256', secret, 'hex');
}

/** The permission check, exported for the connection guard of long-lived streams. */
export function grants(kind: KeyKind, permission: Permission): boolean {
  return permission === 'public' || GRANTS[kind].has(permission);
}

/** Resolves and caches keys. Revocation on this replica evicts at once. */
export interface KeyResolver {
  resolve(secret: string): Promise<Principal | null>;
  /** The cached answer for a key, without waiting: undefined when resolve() must ask the database. */
  cached?(secret: string): Principal | null | undefined;
  evict(keyId: string): void;
}

const CACHE_TTL_MS = 5_000;
const CACHE_MAX = 10_000;
/** Valid keys remembered by their secret (see createKeyResolver); more than this and the oldest go. */
const RECENT_MAX = 1_000;
const SWEEP_MS = 1_000;

/**
 * Two caches in front of the api_keys table, both for CACHE_TTL_MS after the database said so:
 *
 * - by the key's SHA-256 (valid and invalid keys alike), as before;
 * - by the presented secret itself, for valid keys only: the hit every SDK poll takes, without hashing
 *   its key again (hashing was the largest cost of a 304 after the socket writes). It holds at most
 *   RECENT_MAX secrets, each until its entry expires (swept every second) or its key is revoked, so a
 *   secret stays in memory at most a few seconds longer than the request that carried it did. Invalid
 *   keys never enter it: guessed keys cannot fill it or push valid ones out.
 *
 * evict() removes a key from both at once, and a database read that raced with it is not cached.
 */
export function createKeyResolver(db: Kysely<Database>): KeyResolver {
  const byHash = new Map<string, { principal: Principal | null; expires: number }>();
  const bySecret = new Map<string, { principal: Principal; expires: number }>();
  let evictions = 0;
  let sweeper: NodeJS.Timeout | undefined;

  const sweep = (): void => {
    const now = Date.now();
    for (const [secret, entry] of bySecret) if (entry.expires <= now) bySecret.delete(secret);
    if (bySecret.size === 0 && sweeper !== undefined) {
      clearInterval(sweeper);
      sweeper = undefined;
    }
  };
  const remember = (secret: string, principal: Principal, expires: number): void => {
    if (bySecret.size >= RECENT_MAX) {
      const oldest = bySecret.keys().next();
      if (oldest.done !== true) bySecret.delete(oldest.value);
    }
    bySecret.set(secret, { principal, expires });
    if (sweeper === undefined) {
      sweeper = setInterval(sweep, SWEEP_MS);
      sweeper.unref();
    }
  };
  const fresh = (hash: string, now: number): { principal: Principal | null; expires: number } | undefined => {
    const hit = byHash.get(hash);
    return hit !== undefined && hit.expires > now ? hit : undefined;
  };

  return {
    cached(secret) {
      const now = Date.now();
      const recent = bySecret.get(secret);
      if (recent !== undefined && recent.expires > now) return recent.principal;
      const hit = fresh(hashKey(secret), now);
      if (hit !== undefined && hit.principal !== null) remember(secret, hit.principal, hit.expires);
      return hit?.principal;
    },
    async resolve(secret) {
      const hash = hashKey(secret);
      const now = Date.now();
      const hit = fresh(hash, now);
      if (hit !== undefined) return hit.principal;
      const evictionsBefore = evictions;
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
      // A revocation committed while we read may not be in what we read: answer, but do not cache.
      if (evictions !== evictionsBefore) return principal;
      if (byHash.size >= CACHE_MAX) byHash.clear();
      byHash.set(hash, { principal, expires: now + CACHE_TTL_MS });
      if (principal !== null) remember(secret, principal, now + CACHE_TTL_MS);
      return principal;
    },
    evict(keyId) {
      evictions++;
      for (const [hash, entry] of byHash) if (entry.principal?.keyId === keyId) byHash.delete(hash);
      for (const [secret, entry] of bySecret) if (entry.principal.keyId === keyId) bySecret.delete(secret);
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
    const fail = (request: FastifyRequest, now: number, error: ApiError, done: HookHandlerDoneFunction): void => {
      limiter.fail(request.ip, now);
      done(error);
    };
    const admit = (request: FastifyRequest, principal: Principal | null, permission: Permission, now: number, done: HookHandlerDoneFunction): void => {
      if (principal === null) return fail(request, now, new ApiError('UNAUTHORIZED', 'invalid or revoked API key'), done);
      if (!grants(principal.kind, permission)) return done(new ApiError('FORBIDDEN', `a ${principal.kind} key cannot do this (needs ${permission} permission)`));
      request.principal = principal;
      done();
    };
    // A callback hook, not an async one: a key found in the cache (nearly every request) is admitted
    // without a promise or a trip through the microtask queue.
    app.addHook('onRequest', (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) => {
      const route = request.routeOptions;
      // Unmatched routes fall through to the 404 handler unauthenticated: it reveals nothing.
      if (route.url === undefined) return done();
      const permission = route.config.permission ?? 'admin';
      if (permission === 'public') return done();
      const now = Date.now();
      if (limiter.blocked(request.ip, now)) return done(new ApiError('RATE_LIMITED', 'too many failed authentication attempts; retry in a minute'));
      const secret = bearerOf(request);
      if (secret === undefined) return fail(request, now, new ApiError('UNAUTHORIZED', 'missing API key: send Authorization: Bearer <key>'), done);
      const cached = options.keys.cached?.(secret);
      if (cached !== undefined) return admit(request, cached, permission, now, done);
      options.keys.resolve(secret).then(
        (principal) => admit(request, principal, permission, now, done),
        (error: unknown) => done(error instanceof Error ? error : new Error(String(error))),
      );
    });
  },
  { name: 'switchyard-auth' },
);
