import { defaultEnvironmentConfig, type Variant } from '@switchyard/core';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { nextRevision } from '../../db/revision.js';
import { fromJson, json, toIso } from '../../db/values.js';
import { ApiError } from '../../errors.js';
import { writeAudit, type Actor } from '../audit/audit.store.js';
import type { CreateEnvironment } from './environments.schemas.js';

/** The environments every installation starts with. */
export const DEFAULT_ENVIRONMENTS = [
  { key: 'development', name: 'Development', sort_order: 1 },
  { key: 'staging', name: 'Staging', sort_order: 2 },
  { key: 'production', name: 'Production', sort_order: 3 },
] as const;

export interface EnvironmentView {
  readonly key: string;
  readonly name: string;
  readonly createdAt: string;
}

export interface EnvironmentService {
  list(): Promise<EnvironmentView[]>;
  exists(key: string): Promise<boolean>;
  create(input: CreateEnvironment, actor: Actor): Promise<EnvironmentView>;
  ensureDefaults(): Promise<void>;
}

export function createEnvironmentService(deps: { db: Kysely<Database> }): EnvironmentService {
  const { db } = deps;
  const view = (row: { key: string; name: string; created_at: Date }): EnvironmentView => ({ key: row.key, name: row.name, createdAt: toIso(row.created_at) });

  return {
    async list() {
      const rows = await db.selectFrom('environments').select(['key', 'name', 'created_at']).orderBy('sort_order').orderBy('key').execute();
      return rows.map(view);
    },

    async exists(key) {
      const row = await db.selectFrom('environments').select('key').where('key', '=', key).executeTakeFirst();
      return row !== undefined;
    },

    async create(input, actor) {
      return db.transaction().execute(async (trx) => {
        const existing = await trx.selectFrom('environments').select('key').where('key', '=', input.key).executeTakeFirst();
        if (existing !== undefined) throw new ApiError('ALREADY_EXISTS', `environment "${input.key}" already exists`, [{ path: 'key', message: 'already exists' }]);
        const order = await trx.selectFrom('environments').select((eb) => eb.fn.max('sort_order').as('max')).executeTakeFirst();
        const row = await trx
          .insertInto('environments')
          .values({ key: input.key, name: input.name ?? input.key, sort_order: Number(order?.max ?? 0) + 1 })
          .returning(['key', 'name', 'created_at'])
          .executeTakeFirstOrThrow();
        const revision = await nextRevision(trx);
        // Every flag gets its (off) config in the new environment, so the SDK snapshot is complete.
        const flags = await trx.selectFrom('flags').select(['key', 'variants']).execute();
        if (flags.length > 0) {
          await trx
            .insertInto('flag_environments')
            .values(
              flags.map((flag) => ({
                flag_key: flag.key,
                environment: input.key,
                config: json(defaultEnvironmentConfig({ variants: fromJson<Variant[]>(flag.variants) })),
                updated_revision: revision,
              })),
            )
            .execute();
        }
        await writeAudit(trx, { revision, actor, action: 'environment.create', resourceType: 'environment', resourceKey: input.key, environment: input.key, after: view(row) });
        return view(row);
      });
    },

    async ensureDefaults() {
      await db.transaction().execute(async (trx) => {
        await sql`SELECT pg_advisory_xact_lock(7240147811)`.execute(trx);
        const any = await trx.selectFrom('environments').select('key').limit(1).executeTakeFirst();
        if (any !== undefined) return;
        await trx.insertInto('environments').values([...DEFAULT_ENVIRONMENTS]).onConflict((oc) => oc.column('key').doNothing()).execute();
      });
    },
  };
}
