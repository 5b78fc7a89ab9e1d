import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type WithDefault<T> = ColumnType<T, T | undefined, T>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
// jsonb is always written as a JSON string: pg rejects a JS array bound to a jsonb parameter.
type Json<T> = ColumnType<T, string, string>;
type NullableJson<T> = ColumnType<T | null, string | null | undefined, string | null>;
// bigint comes back as a string from pg and a BigInt from PGlite; see toNumber().
type BigIntColumn = ColumnType<string | number | bigint, number | bigint | string, number | bigint | string>;

export interface EnvironmentsTable {
  key: string;
  name: string;
  sort_order: ColumnType<number, number | undefined, number>;
  created_at: Timestamp;
}

export interface ApiKeysTable {
  id: string;
  name: string;
  kind: string;
  environment: string | null;
  prefix: string;
  hash: string;
  created_by: string | null;
  created_at: Timestamp;
  revoked_at: NullableTimestamp;
  last_used_at: NullableTimestamp;
}

export interface FlagsTable {
  key: string;
  name: string;
  description: WithDefault<string>;
  kind: string;
  owner: string;
  expires_at: NullableTimestamp;
  tags: ColumnType<string[], string | undefined, string>;
  client_side: WithDefault<boolean>;
  type: string;
  variants: Json<unknown[]>;
  version: WithDefault<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
  archived_at: NullableTimestamp;
}

export interface FlagEnvironmentsTable {
  flag_key: string;
  environment: string;
  config: Json<unknown>;
  killed: NullableJson<unknown>;
  version: WithDefault<number>;
  updated_at: Timestamp;
  updated_revision: ColumnType<string | number | bigint, number | bigint | string | undefined, number | bigint | string>;
}

export interface SegmentsTable {
  key: string;
  name: string;
  description: WithDefault<string>;
  included: ColumnType<string[], string | undefined, string>;
  excluded: ColumnType<string[], string | undefined, string>;
  rules: ColumnType<unknown[], string | undefined, string>;
  version: WithDefault<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface RevisionCounterTable {
  id: number;
  revision: BigIntColumn;
}

export interface AuditLogTable {
  id: Generated<BigIntColumn>;
  revision: BigIntColumn;
  at: Timestamp;
  actor: string;
  actor_key_id: string | null;
  action: string;
  resource_type: string;
  resource_key: string;
  environment: string | null;
  reason: string | null;
  before: NullableJson<unknown>;
  after: NullableJson<unknown>;
  request_id: string | null;
  incident_id: string | null;
  deploy_id: string | null;
  propagation: NullableJson<unknown>;
}

/** The server's tables, as Kysely sees them. */
export interface Database {
  environments: EnvironmentsTable;
  api_keys: ApiKeysTable;
  flags: FlagsTable;
  flag_environments: FlagEnvironmentsTable;
  segments: SegmentsTable;
  revision_counter: RevisionCounterTable;
  audit_log: AuditLogTable;
}
