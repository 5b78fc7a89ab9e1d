import { defaultEnvironmentConfig, FlagSchema, TEMPORARY_KINDS, type EnvironmentConfig, type Flag, type FlagPatch, type Serve } from '@switchyard/core';
import type { Kysely } from 'kysely';
import type { Clock } from '../../clock.js';
import { nextRevision } from '../../db/revision.js';
import type { Database } from '../../db/schema.js';
import { ApiError, formatPath, validationError, type ErrorDetail } from '../../errors.js';
import type { ChangeNotifier } from '../../plugins/changes.js';
import { writeAudit, type Actor } from '../audit/audit.store.js';
import { lastEvaluated } from '../sdk-metrics/metrics.store.js';
import type { ListFlagsQuery } from './flags.schemas.js';
import {
  environmentKeys,
  findFlag,
  flagEnvironments,
  insertFlag,
  insertFlagEnvironments,
  lastChange,
  listFlags,
  prerequisiteDependents,
  touchFlagEnvironments,
  updateFlag,
  type FlagEnvironmentRecord,
  type FlagRecord,
} from './flags.store.js';
import { auditFlag, flagView, singleVariant, type FlagView } from './flags.views.js';

/** A flag fully rolled out and untouched (or not evaluated) for this long is stale; `?days=` overrides it. */
export const STALE_UNCHANGED_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

export type StaleReason = 'expired' | 'fully-rolled-out' | 'unused';

export interface FlagListItem extends FlagView {
  readonly staleReasons?: StaleReason[];
  /** Environments where the flag serves one variant to everyone and has not changed for `days` days. */
  readonly fullyRolledOutIn?: string[];
  /** When an SDK last reported evaluating the flag (any environment); null when never. */
  readonly lastEvaluatedAt?: string | null;
}

export interface FlagWriteResult {
  readonly flag: FlagView;
  /** The revision of this change; for a repeated archive, the revision of the original one. */
  readonly revision: number;
}

export interface FlagService {
  list(query: ListFlagsQuery): Promise<FlagListItem[]>;
  get(key: string): Promise<FlagView>;
  create(input: Flag, actor: Actor): Promise<FlagWriteResult>;
  update(key: string, patch: FlagPatch, expectedVersion: number | undefined, actor: Actor): Promise<FlagWriteResult>;
  archive(key: string, expectedVersion: number | undefined, actor: Actor): Promise<FlagWriteResult & { alreadyArchived: boolean }>;
}

export interface FlagServiceDeps {
  readonly db: Kysely<Database>;
  readonly clock: Clock;
  readonly notifier: ChangeNotifier;
}

/** A 404 for a flag key that does not exist. */
export function flagNotFound(key: string): ApiError {
  return new ApiError('FLAG_NOT_FOUND', `no flag "${key}"`);
}

export function flagArchived(key: string): ApiError {
  return new ApiError('FLAG_ARCHIVED', `flag "${key}" is archived; archived flags cannot be changed`);
}

/**
 * A 409 for a stale If-Match, naming the current version and who changed the resource last, so a UI
 * can say "changed by X since you opened it".
 */
export async function versionConflict(db: Kysely<Database>, key: string, environment: string | null, expected: number, current: number): Promise<ApiError> {
  const last = await lastChange(db, key, environment);
  const what = environment === null ? `flag "${key}"` : `flag "${key}" in ${environment}`;
  const by = last === undefined ? '' : `; last changed by ${last.actor} at ${last.at} (revision ${last.revision})`;
  const detail: ErrorDetail = {
    path: 'If-Match',
    message: `version ${expected} is stale: the current version is ${current}`,
    expectedVersion: expected,
    currentVersion: current,
    ...(last === undefined ? {} : { changedBy: last.actor, changedAt: last.at, changedRevision: last.revision, changedAction: last.action }),
  };
  return new ApiError('VERSION_CONFLICT', `${what} is at version ${current}, not ${expected}${by}; reload and retry`, [detail]);
}

/** Postgres unique_violation: a concurrent create of the same key won the race. */
function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';
}

/** Every place an environment config names a variant, as body paths. */
export function variantReferences(config: EnvironmentConfig): { path: string; variant: string }[] {
  const refs: { path: string; variant: string }[] = [{ path: 'offVariant', variant: config.offVariant }];
  const serveRefs = (serve: Serve, at: (string | number)[]): void => {
    if ('variant' in serve) refs.push({ path: formatPath([...at, 'variant']), variant: serve.variant });
    else serve.rollout.variants.forEach((slice, i) => refs.push({ path: formatPath([...at, 'rollout', 'variants', i, 'variant']), variant: slice.variant }));
  };
  config.targets.forEach((target, i) => refs.push({ path: formatPath(['targets', i, 'variant']), variant: target.variant }));
  config.rules.forEach((rule, i) => serveRefs(rule.serve, ['rules', i, 'serve']));
  serveRefs(config.fallthrough, ['fallthrough']);
  return refs;
}

/** Evaluation evidence for the `unused` reason. */
export interface UsageEvidence {
  /** When SDKs last reported evaluating the flag; undefined when never. */
  readonly lastEvaluatedAt: Date | undefined;
  /**
   * Whether any SDK reported evaluations of any flag in the window: without metrics flowing at all
   * (SDKs too old, or metrics switched off) "not evaluated" is unknown, so nothing is called unused.
   */
  readonly metricsReported: boolean;
}

/**
 * Why a flag is stale, if it is. Only temporary kinds count as stale when fully rolled out. `unused`:
 * no evaluation reported for `days` days, for a flag older than that; gates are checked through the
 * gates API rather than evaluated by SDKs, so they are never unused.
 */
export function staleness(
  flag: FlagRecord,
  rows: readonly FlagEnvironmentRecord[],
  now: Date,
  days: number = STALE_UNCHANGED_DAYS,
  usage?: UsageEvidence,
): { reasons: StaleReason[]; fullyRolledOutIn: string[] } {
  const reasons: StaleReason[] = [];
  if (flag.expiresAt !== null && Date.parse(flag.expiresAt) < now.getTime()) reasons.push('expired');
  const fullyRolledOutIn: string[] = [];
  if (TEMPORARY_KINDS.has(flag.kind)) {
    for (const row of rows) {
      const c = row.config;
      const settled =
        c.enabled &&
        row.killed === null &&
        c.rules.length === 0 &&
        c.prerequisites.length === 0 &&
        c.targets.every((t) => t.values.length === 0) &&
        singleVariant(c.fallthrough) !== undefined &&
        now.getTime() - Date.parse(row.updatedAt) >= days * DAY_MS;
      if (settled) fullyRolledOutIn.push(row.environment);
    }
  }
  if (fullyRolledOutIn.length > 0) reasons.push('fully-rolled-out');
  const windowStart = now.getTime() - days * DAY_MS;
  if (usage?.metricsReported === true && flag.kind !== 'gate' && Date.parse(flag.createdAt) <= windowStart && (usage.lastEvaluatedAt?.getTime() ?? 0) < windowStart) {
    reasons.push('unused');
  }
  return { reasons, fullyRolledOutIn };
}

function mergePatch(flag: FlagRecord, patch: FlagPatch): Record<string, unknown> {
  const merged: Record<string, unknown> = {
    key: flag.key,
    type: flag.type,
    name: flag.name,
    description: flag.description,
    kind: flag.kind,
    owner: flag.owner,
    expiresAt: flag.expiresAt,
    tags: flag.tags,
    clientSide: flag.clientSide,
    variants: flag.variants,
  };
  for (const [field, value] of Object.entries(patch)) if (value !== undefined) merged[field] = value;
  return merged;
}

export function createFlagService(deps: FlagServiceDeps): FlagService {
  const { db, clock, notifier } = deps;

  const environmentsOf = async (keys: readonly string[]): Promise<Map<string, FlagEnvironmentRecord[]>> => {
    const byFlag = new Map<string, FlagEnvironmentRecord[]>();
    // Chunked: one IN list per thousand flags stays far below Postgres' parameter limit.
    for (let i = 0; i < keys.length; i += 1000) {
      for (const row of await flagEnvironments(db, keys.slice(i, i + 1000))) {
        const list = byFlag.get(row.flagKey) ?? [];
        list.push(row);
        byFlag.set(row.flagKey, list);
      }
    }
    return byFlag;
  };

  const publish = (revision: number, key: string): void => notifier.publish({ revision, environments: 'all', kind: 'flag', keys: [key] });

  return {
    async list(query) {
      const tags = query.tag === undefined ? [] : Array.isArray(query.tag) ? query.tag : [query.tag];
      const flags = await listFlags(db, { tags, kind: query.kind, owner: query.owner, q: query.q, archived: query.archived === true });
      const rows = await environmentsOf(flags.map((f) => f.key));
      const items: FlagListItem[] = flags.map((flag) => flagView(flag, rows.get(flag.key) ?? [], { configs: false }));
      if (query.stale !== true) return items;
      const now = clock.now();
      const days = query.days ?? STALE_UNCHANGED_DAYS;
      const evaluated = await lastEvaluated(db);
      const metricsReported = [...evaluated.values()].some((at) => at.getTime() >= now.getTime() - days * DAY_MS);
      const stale: FlagListItem[] = [];
      for (const item of items) {
        const last = evaluated.get(item.key);
        const { reasons, fullyRolledOutIn } = staleness(item, rows.get(item.key) ?? [], now, days, { lastEvaluatedAt: last, metricsReported });
        if (reasons.length > 0) stale.push({ ...item, staleReasons: reasons, fullyRolledOutIn, lastEvaluatedAt: last === undefined ? null : last.toISOString() });
      }
      return stale;
    },

    async get(key) {
      const flag = await findFlag(db, key);
      if (flag === undefined) throw flagNotFound(key);
      return flagView(flag, await flagEnvironments(db, [key]), { configs: true });
    },

    async create(input, actor) {
      const now = clock.now();
      let result: { flag: FlagRecord; rows: FlagEnvironmentRecord[]; revision: number };
      try {
        result = await db.transaction().execute(async (trx) => {
          const existing = await findFlag(trx, input.key);
          if (existing !== undefined) {
            const archived = existing.archivedAt === null ? '' : ' (archived: keys of archived flags are not reused, so old SDK data cannot resurface)';
            throw new ApiError('ALREADY_EXISTS', `flag "${input.key}" already exists${archived}`, [{ path: 'key', message: 'already exists' }]);
          }
          const flag = await insertFlag(trx, input, now);
          const revision = await nextRevision(trx);
          const environments = await environmentKeys(trx);
          const config = defaultEnvironmentConfig(flag);
          await insertFlagEnvironments(trx, flag.key, environments, config, revision, now);
          await writeAudit(trx, { revision, actor, action: 'flag.create', resourceType: 'flag', resourceKey: flag.key, after: { ...auditFlag(flag), defaultConfig: config } });
          const rows = environments.map((environment) => ({ flagKey: flag.key, environment, config, killed: null, version: 1, updatedAt: now.toISOString(), updatedRevision: revision }));
          return { flag, rows, revision };
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw new ApiError('ALREADY_EXISTS', `flag "${input.key}" already exists`, [{ path: 'key', message: 'already exists' }]);
        throw error;
      }
      publish(result.revision, result.flag.key);
      return { flag: flagView(result.flag, result.rows, { configs: true }), revision: result.revision };
    },

    async update(key, patch, expectedVersion, actor) {
      const now = clock.now();
      const result = await db.transaction().execute(async (trx) => {
        const before = await findFlag(trx, key, 'update');
        if (before === undefined) throw flagNotFound(key);
        if (before.archivedAt !== null) throw flagArchived(key);
        if (expectedVersion !== undefined && before.version !== expectedVersion) throw await versionConflict(trx, key, null, expectedVersion, before.version);
        // The expiry rule, variant types and boolean variants are re-checked on the merged flag.
        const parsed = FlagSchema.safeParse(mergePatch(before, patch));
        if (!parsed.success) throw validationError(parsed.error.issues);
        const next = parsed.data;
        // Locked before the revision counter: the lock order (flag, environment rows, counter) is
        // the same in every writer, so writers queue instead of deadlocking.
        const rows = await flagEnvironments(trx, [key], true);
        const kept = new Set(next.variants.map((v) => v.key));
        const removed = before.variants.map((v) => v.key).filter((v) => !kept.has(v));
        if (removed.length > 0) {
          const issues: { path: (string | number)[]; message: string }[] = [];
          for (const row of rows) {
            for (const ref of variantReferences(row.config)) {
              if (!kept.has(ref.variant)) issues.push({ path: ['variants'], message: `variant "${ref.variant}" is still used in ${row.environment} at ${ref.path}` });
            }
          }
          for (const dependent of await prerequisiteDependents(trx, key)) {
            dependent.prerequisites.forEach((p, i) => {
              if (p.flag === key && !kept.has(p.variant)) {
                issues.push({ path: ['variants'], message: `variant "${p.variant}" is a prerequisite of flag "${dependent.flagKey}" in ${dependent.environment} (prerequisites[${i}])` });
              }
            });
          }
          if (issues.length > 0) throw validationError(issues);
        }
        const revision = await nextRevision(trx);
        const after = await updateFlag(trx, key, before.version, next, now);
        if (after === undefined) throw await versionConflict(trx, key, null, before.version, before.version + 1);
        await touchFlagEnvironments(trx, key, revision);
        await writeAudit(trx, { revision, actor, action: 'flag.update', resourceType: 'flag', resourceKey: key, before: auditFlag(before), after: auditFlag(after) });
        return { flag: after, rows: rows.map((r) => ({ ...r, updatedRevision: revision })), revision };
      });
      publish(result.revision, key);
      return { flag: flagView(result.flag, result.rows, { configs: true }), revision: result.revision };
    },

    async archive(key, expectedVersion, actor) {
      const now = clock.now();
      const result = await db.transaction().execute(async (trx) => {
        const before = await findFlag(trx, key, 'update');
        if (before === undefined) throw flagNotFound(key);
        if (expectedVersion !== undefined && before.version !== expectedVersion) throw await versionConflict(trx, key, null, expectedVersion, before.version);
        if (before.archivedAt !== null) {
          const archivedBy = await lastChange(trx, key, null);
          return { flag: before, revision: archivedBy?.revision ?? 0, alreadyArchived: true, rows: await flagEnvironments(trx, [key]) };
        }
        const dependents = await prerequisiteDependents(trx, key);
        if (dependents.length > 0) {
          const details = dependents.map((d) => ({ path: 'prerequisites', message: `flag "${d.flagKey}" requires "${key}" in ${d.environment}`, flag: d.flagKey, environment: d.environment }));
          throw new ApiError('FLAG_IN_USE', `flag "${key}" is a prerequisite of ${dependents.length === 1 ? 'another flag' : `${dependents.length} flag configs`}; remove those prerequisites first`, details);
        }
        const rows = await flagEnvironments(trx, [key], true);
        const revision = await nextRevision(trx);
        const after = await updateFlag(trx, key, before.version, before, now, now);
        if (after === undefined) throw await versionConflict(trx, key, null, before.version, before.version + 1);
        await touchFlagEnvironments(trx, key, revision);
        await writeAudit(trx, { revision, actor, action: 'flag.archive', resourceType: 'flag', resourceKey: key, before: auditFlag(before), after: auditFlag(after) });
        return { flag: after, revision, alreadyArchived: false, rows: rows.map((r) => ({ ...r, updatedRevision: revision })) };
      });
      if (!result.alreadyArchived) publish(result.revision, key);
      return { flag: flagView(result.flag, result.rows, { configs: true }), revision: result.revision, alreadyArchived: result.alreadyArchived };
    },
  };
}
