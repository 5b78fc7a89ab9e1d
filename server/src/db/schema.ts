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
  id: Generated<string | number | bigint>;
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

export interface EvaluationMetricsTable {
  environment: string;
  flag_key: string;
  variant: string;
  minute: Timestamp;
  evaluations: BigIntColumn;
  outcomes: BigIntColumn;
  errors: BigIntColumn;
  latency: ColumnType<(string | number | bigint)[], string, string>;
  latency_sum_ms: number;
}

export interface GateSchedulesTable {
  flag_key: string;
  environment: string;
  timezone: string;
  weekly: Json<unknown[]>;
  dates: Json<unknown[]>;
  version: WithDefault<number>;
  updated_at: Timestamp;
}

export interface GateStatesTable {
  flag_key: string;
  environment: string;
  open: boolean;
  source: string;
  reason: string;
  changed_at: Timestamp;
}

export interface RolloutPlansTable {
  id: string;
  flag_key: string;
  environment: string;
  state: string;
  steps: Json<number[]>;
  step_index: WithDefault<number>;
  hold_seconds: number;
  variant: string;
  baseline_variant: string;
  guards: Json<unknown>;
  no_data: WithDefault<string>;
  step_started_at: Timestamp;
  step_offset: NullableJson<unknown>;
  next_check_at: NullableTimestamp;
  paused_reason: string | null;
  history: Json<unknown[]>;
  last_check: NullableJson<unknown>;
  version: WithDefault<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
  created_by: string | null;
}

export interface WebhooksTable {
  id: string;
  url: string;
  secret: string;
  events: Json<string[]>;
  description: WithDefault<string>;
  created_at: Timestamp;
  created_by: string | null;
  deleted_at: NullableTimestamp;
}

export interface WebhookDeliveriesTable {
  id: Generated<string | number | bigint>;
  webhook_id: string;
  event: Json<unknown>;
  attempts: WithDefault<number>;
  next_attempt_at: Timestamp;
  created_at: Timestamp;
  delivered_at: NullableTimestamp;
  failed_at: NullableTimestamp;
  last_status: number | null;
  last_error: string | null;
}

export interface OutboxCursorsTable {
  name: string;
  revision: BigIntColumn;
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
  evaluation_metrics: EvaluationMetricsTable;
  gate_schedules: GateSchedulesTable;
  gate_states: GateStatesTable;
  rollout_plans: RolloutPlansTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  outbox_cursors: OutboxCursorsTable;
}
