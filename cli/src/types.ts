import type { AuditRecord, EnvironmentConfig, EnvironmentSummary as CoreEnvironmentSummary, FlagKind, FlagType, JsonValue } from '@switchyard/core';

export type { Kill } from '@switchyard/core';

// The shapes of the server's answers the CLI reads (docs/api.md, docs/pipeline-api.md). Request and
// model types, and the response shapes the server, the admin UI and the CLI share, come from
// @switchyard/core; these are the other response envelopes around them.

/** A flag's state in one environment, summarised (`GET /api/v1/flags`); with `?include=config`, the config too. */
export type EnvironmentSummary = CoreEnvironmentSummary & { readonly config?: EnvironmentConfig };

/** A flag with its per-environment summaries (`GET /api/v1/flags`, `GET /api/v1/flags/:key`). */
export interface FlagView {
  readonly key: string;
  readonly name: string;
  readonly description: string;
  readonly kind: FlagKind;
  readonly owner: string;
  readonly expiresAt: string | null;
  readonly tags: readonly string[];
  readonly clientSide: boolean;
  readonly type: FlagType;
  readonly variants: readonly { readonly key: string; readonly value: JsonValue; readonly name?: string }[];
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly archivedAt: string | null;
  readonly environments: Readonly<Record<string, EnvironmentSummary>>;
  /** With `stale=true`: why the flag is stale (`expired`, `fully-rolled-out`, `unused`, …). */
  readonly staleReasons?: readonly string[];
  readonly fullyRolledOutIn?: readonly string[];
  /** With `stale=true`: when an SDK last reported evaluating it (null: never). */
  readonly lastEvaluatedAt?: string | null;
}

/** `GET|POST /api/v1/flags/:key/environments/:env[/rollout|/kill|/restore]`. */
export interface FlagEnvironmentView extends EnvironmentSummary {
  readonly flag: string;
  readonly environment: string;
  readonly config: EnvironmentConfig;
  readonly revision?: number;
  readonly alreadyKilled?: boolean;
  readonly warnings?: readonly string[];
}

/** `GET /api/v1/gates/:key/environments/:env`. */
export interface GateStatus {
  readonly gate: string | null;
  readonly environment: string;
  readonly open: boolean;
  readonly reason: string;
  readonly source: string;
  readonly until: string | null;
  readonly activeKills?: readonly { readonly flag: string; readonly reason: string; readonly at: string }[];
}

/** `POST /api/v1/kill`. */
export interface BulkKillResult {
  readonly revision: number | null;
  readonly dryRun: boolean;
  readonly killed: readonly string[];
  readonly alreadyKilled: readonly string[];
}

/** Error rate and p99 latency of one variant over a guard check. */
export interface VariantHealth {
  readonly samples: number;
  readonly errorRate: number | null;
  readonly p99Ms: number | null;
}

/** Guards of a rollout plan (fractions for rates, milliseconds for latency). */
export interface RolloutGuards {
  readonly maxErrorRate?: number;
  readonly maxErrorRateIncrease?: number;
  readonly maxP99Ms?: number;
  readonly maxP99Increase?: number;
  readonly minSamples?: number;
}

/** The state of a rollout plan. */
export type RolloutPlanState = 'running' | 'paused' | 'completed' | 'rolled_back' | 'aborted';

/** A rollout plan (`GET|POST …/rollout-plan`). */
export interface RolloutPlan {
  readonly id: string;
  readonly flag: string;
  readonly environment: string;
  readonly state: RolloutPlanState;
  readonly stepIndex: number;
  readonly percentage: number;
  readonly steps: readonly number[];
  readonly holdSeconds: number;
  readonly variant?: string;
  readonly baselineVariant?: string;
  readonly guards: RolloutGuards;
  readonly noData: 'pause' | 'rollback';
  readonly stepStartedAt: string | null;
  /** When the current step's hold ends (running plans). */
  readonly stepEndsAt?: string | null;
  readonly nextCheckAt: string | null;
  readonly pausedReason: string | null;
  readonly history: readonly { readonly at: string; readonly event: string; readonly percentage?: number; readonly detail?: string | null }[];
  readonly lastCheck?: {
    readonly at: string;
    readonly verdict?: 'healthy' | 'breach' | 'no-data';
    readonly variant?: VariantHealth | null;
    readonly baseline?: VariantHealth | null;
    readonly breach?: { readonly guard: string; readonly reason: string };
    readonly noData?: string;
    readonly notes?: readonly string[];
  } | null;
}

/** One audit log entry (`GET /api/v1/audit`). */
export type AuditEntry = AuditRecord;

/** A page of the audit log. */
export interface AuditPage {
  readonly entries: readonly AuditEntry[];
  readonly nextBefore: number | null;
}
