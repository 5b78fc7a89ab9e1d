import type { EnvironmentConfig, FlagConfig, FlagType, Segment, SegmentRule, Variant } from '@switchyard/core';
import type { Kysely } from 'kysely';
import { currentRevision } from '../../db/revision.js';
import type { Database } from '../../db/schema.js';
import { fromJson } from '../../db/values.js';

/** The columns a flag's SDK view is read from. */
export interface FlagConfigRow {
  readonly key: string;
  readonly type: string;
  readonly variants: unknown;
  readonly client_side: boolean;
  readonly config: unknown;
  readonly killed: unknown;
  readonly version: number;
}

/** A flag and its environment row as the FlagConfig SDKs evaluate. */
export function toFlagConfig(row: FlagConfigRow): FlagConfig {
  const config = fromJson<EnvironmentConfig>(row.config);
  return {
    key: row.key,
    version: row.version,
    type: row.type as FlagType,
    variants: fromJson<Variant[]>(row.variants).map((v) => ({ key: v.key, value: v.value })),
    clientSide: row.client_side,
    killed: row.killed !== null,
    enabled: config.enabled,
    offVariant: config.offVariant,
    targets: config.targets,
    rules: config.rules,
    fallthrough: config.fallthrough,
    prerequisites: config.prerequisites,
  };
}

/** A segments row as the Segment SDKs evaluate. */
export function toSegment(row: { key: string; name: string; description: string; included: unknown; excluded: unknown; rules: unknown }): Segment {
  return {
    key: row.key,
    name: row.name,
    description: row.description,
    included: fromJson<string[]>(row.included),
    excluded: fromJson<string[]>(row.excluded),
    rules: fromJson<SegmentRule[]>(row.rules),
  };
}

/** An environment's live flags and all segments, read from one database snapshot. */
export interface EnvironmentState {
  readonly revision: number;
  readonly flags: FlagConfig[];
  readonly segments: Segment[];
}

/**
 * Reads the state of one environment and the revision it is at, in one repeatable-read transaction,
 * so the revision in the payload names exactly the data in it.
 */
export async function readEnvironmentState(db: Kysely<Database>, environment: string, options: { clientSideOnly: boolean }): Promise<EnvironmentState> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      const revision = await currentRevision(trx);
      let query = trx
        .selectFrom('flag_environments as fe')
        .innerJoin('flags as f', 'f.key', 'fe.flag_key')
        .select(['f.key', 'f.type', 'f.variants', 'f.client_side', 'fe.config', 'fe.killed', 'fe.version'])
        .where('fe.environment', '=', environment)
        .where('f.archived_at', 'is', null);
      if (options.clientSideOnly) query = query.where('f.client_side', '=', true);
      const flagRows = await query.orderBy('f.key').execute();
      const segmentRows = await trx.selectFrom('segments').select(['key', 'name', 'description', 'included', 'excluded', 'rules']).orderBy('key').execute();
      const flags = flagRows.map(toFlagConfig);
      const segments = segmentRows.map(toSegment);
      return { revision, flags, segments };
    });
}
