import { EnvironmentConfigSchema, WEIGHT_TOTAL, type EnvironmentConfig, type EnvironmentSummary, type Flag, type FlagState, type Serve } from '@switchyard/core';
import type { FlagEnvironmentRecord, FlagRecord, Kill } from './flags.store.js';

export type { EnvironmentSummary, FlagState } from '@switchyard/core';

export interface FlagView extends FlagRecord {
  readonly environments: Record<string, EnvironmentSummary & { config?: EnvironmentConfig }>;
}

/** The body of GET/PUT `/flags/:key/environments/:env`. */
export interface FlagEnvironmentView extends Omit<EnvironmentSummary, 'enabled' | 'killed' | 'version'> {
  readonly flag: string;
  readonly environment: string;
  readonly version: number;
  readonly enabled: boolean;
  readonly killed: Kill | null;
  readonly config: EnvironmentConfig;
}

/** The single variant a serve gives everyone, if it does (a fixed serve, or a rollout at 100%). */
export function singleVariant(serve: Serve): string | undefined {
  if ('variant' in serve) return serve.variant;
  const live = serve.rollout.variants.filter((v) => v.weight > 0);
  return live.length === 1 && live[0]?.weight === WEIGHT_TOTAL ? live[0].variant : undefined;
}

/**
 * The slider position of a two-way fallthrough rollout: the percentage of its slice that is not the
 * off variant (or of the first slice when neither or both are).
 */
export function rolloutPercentage(config: EnvironmentConfig): number | undefined {
  const serve = config.fallthrough;
  if (!('rollout' in serve) || serve.rollout.variants.length !== 2) return undefined;
  const [a, b] = serve.rollout.variants;
  if (a === undefined || b === undefined) return undefined;
  const on = a.variant === config.offVariant && b.variant !== config.offVariant ? b : a;
  return on.weight / 1000;
}

export function summarize(row: FlagEnvironmentRecord): EnvironmentSummary {
  const { config } = row;
  const fixed = singleVariant(config.fallthrough);
  const percentage = rolloutPercentage(config);
  let state: FlagState;
  if (row.killed !== null) state = 'killed';
  else if (!config.enabled) state = 'off';
  else state = fixed === undefined ? 'rollout' : 'on';
  return {
    enabled: config.enabled,
    killed: row.killed,
    version: row.version,
    state,
    ...(percentage === undefined ? {} : { rolloutPercentage: percentage }),
    ...(fixed === undefined ? {} : { fallthroughVariant: fixed }),
    targetCount: config.targets.reduce((n, t) => n + t.values.length, 0),
    ruleCount: config.rules.length,
    prerequisiteCount: config.prerequisites.length,
    updatedAt: row.updatedAt,
    updatedRevision: row.updatedRevision,
  };
}

/** The config with its keys in schema order (jsonb stores them shortest first), for people reading responses. */
function readable(config: EnvironmentConfig): EnvironmentConfig {
  const parsed = EnvironmentConfigSchema.safeParse(config);
  return parsed.success ? parsed.data : config;
}

export function flagView(flag: FlagRecord, rows: readonly FlagEnvironmentRecord[], options: { configs: boolean }): FlagView {
  const environments: FlagView['environments'] = {};
  for (const row of rows) environments[row.environment] = options.configs ? { ...summarize(row), config: readable(row.config) } : summarize(row);
  return { ...flag, environments };
}

export function flagEnvironmentView(row: FlagEnvironmentRecord): FlagEnvironmentView {
  return { flag: row.flagKey, environment: row.environment, ...summarize(row), config: readable(row.config) };
}

/** The flag metadata recorded in audit rows (what FlagSchema accepts, plus the version). */
export function auditFlag(flag: FlagRecord): Flag & { version: number; archivedAt: string | null } {
  return {
    key: flag.key,
    name: flag.name,
    description: flag.description,
    kind: flag.kind,
    owner: flag.owner,
    expiresAt: flag.expiresAt,
    tags: flag.tags,
    clientSide: flag.clientSide,
    type: flag.type,
    variants: flag.variants,
    version: flag.version,
    archivedAt: flag.archivedAt,
  };
}

/** An environment row as recorded in audit rows. */
export function auditFlagEnvironment(row: FlagEnvironmentRecord): { version: number; config: EnvironmentConfig; killed: Kill | null } {
  return { version: row.version, config: row.config, killed: row.killed };
}
