import type { FlagConfig } from '../model/flag.js';
import type { Segment } from '../model/segment.js';

/**
 * The stream protocol version this core speaks. Each operator records the version that introduced it
 * (see OPERATORS); an SDK announcing an older version cannot evaluate newer operators.
 * @example PROTOCOL_VERSION // 1
 */
export const PROTOCOL_VERSION = 1;

/**
 * An environment's complete state at one revision, as served by `GET /api/v1/sdk/config`.
 * @example { environment: 'production', revision: 42, flags: [...], segments: [...] }
 */
export interface ConfigSnapshot {
  readonly environment: string;
  readonly revision: number;
  readonly flags: readonly FlagConfig[];
  readonly segments: readonly Segment[];
  /** Present when target and segment key lists hold hashes (client keys): hash the context key with this salt. */
  readonly keyHashSalt?: string;
}
