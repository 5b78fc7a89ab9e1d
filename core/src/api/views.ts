import type { JsonValue } from '../model/common.js';

// Shapes of the server's answers that the server, the admin UI and the CLI all use (docs/api.md).
// Plain types, no schemas: the server builds them, the clients read them.

/** What a kill recorded, kept until the restore. */
export interface Kill {
  readonly reason: string;
  readonly at: string;
  readonly actor: string;
  readonly revision: number;
  readonly previousEnabled: boolean;
  readonly incidentId?: string;
}

/** How a flag behaves in one environment at a glance, for lists, the CLI and the slider. */
export type FlagState = 'on' | 'off' | 'killed' | 'rollout';

/** One environment of a flag, summarised. */
export interface EnvironmentSummary {
  readonly enabled: boolean;
  readonly killed: Kill | null;
  readonly version: number;
  readonly state: FlagState;
  /** Percent served the "on" side when the fallthrough is a two-way rollout (the slider position). */
  readonly rolloutPercentage?: number;
  /** The variant everyone falls through to, when the fallthrough serves a single variant. */
  readonly fallthroughVariant?: string;
  readonly targetCount: number;
  readonly ruleCount: number;
  readonly prerequisiteCount: number;
  readonly updatedAt: string;
  readonly updatedRevision: number;
}

/** One audit entry as the API shows it (`GET /api/v1/audit`). */
export interface AuditRecord {
  readonly id: number;
  readonly revision: number;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly resourceType: string;
  readonly resourceKey: string;
  readonly environment: string | null;
  readonly reason: string | null;
  readonly before: JsonValue;
  readonly after: JsonValue;
  readonly requestId: string | null;
  readonly incidentId: string | null;
  readonly deployId: string | null;
  /** What `?waitForSdks` reported for the change, when it asked. */
  readonly propagation: unknown;
}
