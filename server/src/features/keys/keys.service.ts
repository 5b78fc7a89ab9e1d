import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { nextRevision } from '../../db/revision.js';
import { toIso } from '../../db/values.js';
import { ApiError } from '../../errors.js';
import { hashKey, type KeyKind, type KeyResolver } from '../../plugins/auth.js';
import { writeAudit, type Actor } from '../audit/audit.store.js';
import type { CreateKey } from './keys.schemas.js';

const KIND_PREFIX: Record<KeyKind, string> = {
  admin: 'sya',
  writer: 'syw',
  responder: 'syr',
  reader: 'syv',
  'sdk-server': 'sys',
  'sdk-client': 'syc',
};

/** A key as listed: never the secret, which is shown once at creation. */
export interface ApiKeyView {
  readonly id: string;
  readonly name: string;
  readonly kind: KeyKind;
  readonly environment: string | null;
  readonly prefix: string;
  readonly createdAt: string;
  readonly createdBy: string | null;
  readonly revokedAt: string | null;
}

/** Generates a key secret: kind prefix + 192 random bits, base64url. */
export function generateSecret(kind: KeyKind): string {
  return `${KIND_PREFIX[kind]}_${randomBytes(24).toString('base64url')}`;
}

type KeyRow = { id: string; name: string; kind: string; environment: string | null; prefix: string; created_at: Date; created_by: string | null; revoked_at: Date | null };

function view(row: KeyRow): ApiKeyView {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind as KeyKind,
    environment: row.environment,
    prefix: row.prefix,
    createdAt: toIso(row.created_at),
    createdBy: row.created_by,
    revokedAt: toIso(row.revoked_at),
  };
}

export interface KeyService {
  list(): Promise<ApiKeyView[]>;
  create(input: CreateKey, actor: Actor): Promise<{ key: ApiKeyView; secret: string }>;
  revoke(id: string, actor: Actor): Promise<ApiKeyView>;
  /** Start-up: make sure an admin key exists; returns a newly generated secret to print once. */
  ensureAdminKey(token: string | undefined): Promise<{ created: boolean; secret?: string }>;
  /** Called with the id of every revoked key (the stream closes that key's sockets). */
  onRevoke(listener: (keyId: string) => void): void;
}

export function createKeyService(deps: { db: Kysely<Database>; resolver: KeyResolver }): KeyService {
  const { db, resolver } = deps;
  const revokeListeners: ((keyId: string) => void)[] = [];
  const columns = ['id', 'name', 'kind', 'environment', 'prefix', 'created_at', 'created_by', 'revoked_at'] as const;

  return {
    async list() {
      const rows = await db.selectFrom('api_keys').select(columns).orderBy('created_at').orderBy('id').execute();
      return rows.map(view);
    },

    async create(input, actor) {
      const secret = generateSecret(input.kind);
      const id = `key_${randomBytes(8).toString('hex')}`;
      const row = await db.transaction().execute(async (trx) => {
        if (input.environment !== undefined) {
          const env = await trx.selectFrom('environments').select('key').where('key', '=', input.environment).executeTakeFirst();
          if (env === undefined) throw new ApiError('VALIDATION_FAILED', `environment "${input.environment}" does not exist`, [{ path: 'environment', message: 'no such environment' }]);
        }
        const inserted = await trx
          .insertInto('api_keys')
          .values({ id, name: input.name, kind: input.kind, environment: input.environment ?? null, prefix: secret.slice(0, 12), hash: hashKey(secret), created_by: actor.name })
          .returning(columns)
          .executeTakeFirstOrThrow();
        const revision = await nextRevision(trx);
        await writeAudit(trx, { revision, actor, action: 'key.create', resourceType: 'key', resourceKey: id, environment: input.environment ?? null, after: view(inserted) });
        return inserted;
      });
      return { key: view(row), secret };
    },

    async revoke(id, actor) {
      const row = await db.transaction().execute(async (trx) => {
        const before = await trx.selectFrom('api_keys').select(columns).where('id', '=', id).forUpdate().executeTakeFirst();
        if (before === undefined) throw new ApiError('KEY_NOT_FOUND', `no API key "${id}"`);
        if (before.revoked_at !== null) return before;
        const after = await trx.updateTable('api_keys').set({ revoked_at: sql<Date>`now()` }).where('id', '=', id).returning(columns).executeTakeFirstOrThrow();
        const revision = await nextRevision(trx);
        await writeAudit(trx, { revision, actor, action: 'key.revoke', resourceType: 'key', resourceKey: id, environment: before.environment, before: view(before), after: view(after) });
        return after;
      });
      resolver.evict(id);
      for (const listener of revokeListeners) listener(id);
      return view(row);
    },

    async ensureAdminKey(token) {
      return db.transaction().execute(async (trx) => {
        // Replicas starting together must not each mint an admin key.
        await sql`SELECT pg_advisory_xact_lock(7240147812)`.execute(trx);
        if (token !== undefined) {
          const hash = hashKey(token);
          const existing = await trx.selectFrom('api_keys').select('id').where('hash', '=', hash).executeTakeFirst();
          if (existing !== undefined) return { created: false };
          await trx
            .insertInto('api_keys')
            .values({ id: `key_${randomBytes(8).toString('hex')}`, name: 'bootstrap-admin', kind: 'admin', environment: null, prefix: token.slice(0, 12), hash, created_by: 'SWITCHYARD_ADMIN_TOKEN' })
            .execute();
          return { created: true };
        }
        const anyAdmin = await trx.selectFrom('api_keys').select('id').where('kind', '=', 'admin').where('revoked_at', 'is', null).executeTakeFirst();
        if (anyAdmin !== undefined) return { created: false };
        const secret = generateSecret('admin');
        await trx
          .insertInto('api_keys')
          .values({ id: `key_${randomBytes(8).toString('hex')}`, name: 'initial-admin', kind: 'admin', environment: null, prefix: secret.slice(0, 12), hash: hashKey(secret), created_by: 'first start' })
          .execute();
        return { created: true, secret };
      });
    },

    onRevoke(listener) {
      revokeListeners.push(listener);
    },
  };
}
