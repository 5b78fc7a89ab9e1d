import { rolloutFromPercentage, validateEnvironmentConfig, type EnvironmentConfig, type Rollout, type ValidationIssue } from '@switchyard/core';
import type { Kysely, Transaction } from 'kysely';
import type { Clock } from '../../clock.js';
import type { Database } from '../../db/schema.js';
import { ApiError, validationError } from '../../errors.js';
import { COMMITTED_FLAGS, type ChangeNotifier } from '../../plugins/changes.js';
import type { Actor } from '../audit/audit.store.js';
import { toFlagConfig } from '../sdk-config/sdk-config.store.js';
import type { ReasonBody, RolloutBody } from './flags.schemas.js';
import { flagArchived, flagNotFound, versionConflict } from './flags.service.js';
import {
  commitFlagEnvironmentChange,
  commitFlagEnvironmentChangeIfUnchanged,
  environmentExists,
  existingSegments,
  type FlagEnvironmentChange,
  findFlag,
  flagEnvironmentRecord,
  lockFlagEnvironment,
  lockPrerequisiteGraph,
  prerequisiteGraph,
  readFlagEnvironment,
  shareLockFlags,
  type FlagEnvironmentRecord,
  type FlagRecord,
  type Kill,
} from './flags.store.js';
import { auditFlagEnvironment, flagEnvironmentView, type FlagEnvironmentView } from './flags.views.js';

/** An optimistic write: the flag, the row it read (`before`) and the row it wrote, at `revision`. */
interface Committed {
  readonly flag: FlagRecord;
  readonly before: FlagEnvironmentRecord;
  readonly row: FlagEnvironmentRecord;
  readonly revision: number;
}

export interface FlagEnvironmentWrite extends FlagEnvironmentView {
  readonly revision: number;
  readonly warnings?: string[];
}

/** The answer of kill and restore: small, so a responder's terminal shows what matters. */
export interface KillResult {
  readonly revision: number;
  readonly flag: string;
  readonly environment: string;
  readonly enabled: boolean;
  readonly killed: Kill | null;
  readonly version: number;
  readonly alreadyKilled?: boolean;
}

export interface FlagEnvironmentService {
  get(key: string, environment: string): Promise<FlagEnvironmentView>;
  put(key: string, environment: string, config: EnvironmentConfig, expectedVersion: number | undefined, actor: Actor): Promise<FlagEnvironmentWrite>;
  rollout(key: string, environment: string, body: RolloutBody, expectedVersion: number | undefined, actor: Actor): Promise<FlagEnvironmentWrite>;
  kill(key: string, environment: string, body: ReasonBody, expectedVersion: number | undefined, actor: Actor): Promise<KillResult>;
  restore(key: string, environment: string, body: ReasonBody, expectedVersion: number | undefined, actor: Actor): Promise<KillResult>;
}

export interface FlagEnvironmentServiceDeps {
  readonly db: Kysely<Database>;
  readonly clock: Clock;
  readonly notifier: ChangeNotifier;
}

type Action = 'flag-environment.update' | 'flag-environment.rollout' | 'flag-environment.kill' | 'flag-environment.restore';

/** Rows remembered for a write without a read first (see `recent`), and how big they may be. */
const RECENT_MAX = 256;
const RECENT_MAX_WEIGHT = 2_000;
const RECENT_MAX_VARIANTS_CHARS = 8_192;

/** How many target and clause values a config holds: a cheap measure of its size in memory. */
function configWeight(config: EnvironmentConfig): number {
  let weight = 0;
  for (const target of config.targets) weight += target.values.length;
  for (const rule of config.rules) for (const clause of rule.clauses) weight += clause.values.length;
  return weight;
}

/** The segments a config's `inSegment` clauses name. */
function referencedSegments(config: EnvironmentConfig): string[] {
  const keys = new Set<string>();
  for (const rule of config.rules) for (const clause of rule.clauses) if (clause.op === 'inSegment') for (const v of clause.values) if (typeof v === 'string') keys.add(v);
  return [...keys];
}

/**
 * Keeps a two-way rollout's slice order, bucketBy and salt when the slider moves it: the "on" range
 * then only grows or shrinks at one end, so users inside at 5% are still inside at 25%.
 */
export function sliderRollout(current: EnvironmentConfig, percentage: number, onVariant: string): Rollout {
  const existing = 'rollout' in current.fallthrough ? current.fallthrough.rollout : undefined;
  const options = { ...(existing?.bucketBy === undefined ? {} : { bucketBy: existing.bucketBy }), ...(existing?.salt === undefined ? {} : { salt: existing.salt }) };
  const rollout = rolloutFromPercentage(percentage, onVariant, current.offVariant, options);
  const order = existing?.variants.map((v) => v.variant);
  if (order !== undefined && order.length === 2 && order[0] === current.offVariant && order[1] === onVariant) rollout.variants.reverse();
  return rollout;
}

/** The variant the slider turns on: the body's, else the current rollout's, else the first that is not the off variant. */
export function sliderVariant(flag: FlagRecord, config: EnvironmentConfig, requested: string | undefined): string | undefined {
  if (requested !== undefined) return requested;
  const serve = config.fallthrough;
  if ('rollout' in serve) {
    const others = serve.rollout.variants.filter((v) => v.variant !== config.offVariant);
    if (others.length === 1 && others[0] !== undefined) return others[0].variant;
  } else if (serve.variant !== config.offVariant) return serve.variant;
  return flag.variants.find((v) => v.key !== config.offVariant)?.key;
}

/** The config the slider sets (the fallthrough becomes the rollout), or the issue that forbids it. */
function sliderConfig(
  flag: FlagRecord,
  current: EnvironmentConfig,
  body: RolloutBody,
  environment: string,
): { config: EnvironmentConfig } | { issue: { path: string[]; message: string } } {
  const onVariant = sliderVariant(flag, current, body.variant);
  const variants = new Set(flag.variants.map((v) => v.key));
  if (onVariant === undefined || !variants.has(onVariant)) {
    return { issue: { path: ['variant'], message: onVariant === undefined ? 'the flag has no variant besides the off variant to roll out' : `unknown variant "${onVariant}"` } };
  }
  if (onVariant === current.offVariant) return { issue: { path: ['variant'], message: `"${onVariant}" is the off variant in ${environment}; roll out another variant` } };
  if (!variants.has(current.offVariant)) return { issue: { path: ['offVariant'], message: `the off variant "${current.offVariant}" no longer exists; fix the config first` } };
  return { config: { ...current, fallthrough: { rollout: sliderRollout(current, body.percentage, onVariant) } } };
}

/** A rollout of a flag that is killed or off changes nothing yet: say so. */
function rolloutWarnings(environment: string, row: FlagEnvironmentRecord): { warnings?: string[] } {
  if (row.killed !== null) return { warnings: [`flag is killed in ${environment}`] };
  if (!row.config.enabled) return { warnings: [`flag is off in ${environment}`] };
  return {};
}

export function createFlagEnvironmentService(deps: FlagEnvironmentServiceDeps): FlagEnvironmentService {
  const { db, clock, notifier } = deps;

  /**
   * Locks the row; 404s and the If-Match check. `lockFlag` first share-locks the flag row (needed when
   * the writer goes on to share-lock other flags' rows, to keep one lock order); `freshFlag` makes sure
   * the flag's metadata (variants) is current, for writers that validate against it.
   */
  const lockRow = async (
    trx: Transaction<Database>,
    key: string,
    environment: string,
    expectedVersion: number | undefined,
    options: { lockFlag: boolean; freshFlag: boolean },
  ): Promise<{ flag: FlagRecord; row: FlagEnvironmentRecord }> => {
    if (options.lockFlag && (await findFlag(trx, key, 'share')) === undefined) throw flagNotFound(key);
    let found = await lockFlagEnvironment(trx, key, environment);
    // We waited for a concurrent flag write: read again, now that our lock keeps the flag still.
    if (found !== undefined && options.freshFlag && !options.lockFlag && !found.flagFresh) found = await lockFlagEnvironment(trx, key, environment);
    if (found === undefined) {
      if ((await findFlag(trx, key)) === undefined) throw flagNotFound(key);
      if (!(await environmentExists(trx, environment))) throw new ApiError('ENVIRONMENT_NOT_FOUND', `no environment "${environment}"`);
      // The flag and the environment exist but the row does not: they were created concurrently.
      throw new ApiError('ENVIRONMENT_NOT_FOUND', `flag "${key}" has no configuration in ${environment} yet; retry`);
    }
    if (found.flag.archivedAt !== null) throw flagArchived(key);
    if (expectedVersion !== undefined && found.row.version !== expectedVersion) throw await versionConflict(trx, key, environment, expectedVersion, found.row.version);
    return found;
  };

  /** The write shared by every route: revision, row and audit entry, in the caller's transaction. */
  const write = async (
    trx: Transaction<Database>,
    before: FlagEnvironmentRecord,
    change: { config: EnvironmentConfig; killed: FlagEnvironmentChange['killed'] },
    action: Action,
    actor: Actor,
    reason: string | null = null,
  ): Promise<{ row: FlagEnvironmentRecord; revision: number }> => {
    // What this replica remembers of the row is about to be stale: forget it (see `recent`).
    recent.delete(rowId(before.flagKey, before.environment));
    const written = await commitFlagEnvironmentChange(trx, before, { ...change, action, actor, reason, before: auditFlagEnvironment(before) }, clock.now());
    // Unreachable while the row is locked; kept so a lost lock can never turn into a lost update.
    if (written === undefined) throw await versionConflict(trx, before.flagKey, before.environment, before.version, before.version + 1);
    return written;
  };

  /**
   * The rows this replica wrote last (with the flag they were validated against), so that the next
   * write of the same row, the slider dragged again or a config saved twice, needs no read first.
   * Never trusted: a write from it is conditional on the row being unchanged, exactly like one from a
   * fresh read, and falls back to a fresh read when it was not. Small rows only, and few of them.
   */
  const recent = new Map<string, { flag: FlagRecord; row: FlagEnvironmentRecord }>();
  const rowId = (key: string, environment: string): string => `${key}\u0000${environment}`;
  const remember = (flag: FlagRecord, row: FlagEnvironmentRecord): void => {
    const id = rowId(row.flagKey, row.environment);
    recent.delete(id);
    if (configWeight(row.config) > RECENT_MAX_WEIGHT || JSON.stringify(flag.variants).length > RECENT_MAX_VARIANTS_CHARS) return;
    if (recent.size >= RECENT_MAX) {
      const oldest = recent.keys().next();
      if (oldest.done !== true) recent.delete(oldest.value);
    }
    recent.set(id, { flag, row });
  };

  /**
   * The common case in one round trip, two when this replica did not write the row last: the row is
   * read without a transaction (or taken from `recent`), checked and validated, then written by one
   * statement only if it is still that row (see commitFlagEnvironmentChangeIfUnchanged). Undefined
   * when anything is unusual (not found, archived, killed, a stale If-Match, a validation issue) or
   * the row changed meanwhile: the caller then runs its locking transaction, which decides and reports
   * exactly as before.
   */
  const writeUnlocked = async (
    key: string,
    environment: string,
    expectedVersion: number | undefined,
    action: Action,
    actor: Actor,
    next: (flag: FlagRecord, row: FlagEnvironmentRecord) => { config: EnvironmentConfig; segments: readonly string[]; killed?: FlagEnvironmentChange['killed'] } | undefined,
    reason: string | null = null,
  ): Promise<Committed | undefined> => {
    const attempt = async (flag: FlagRecord, row: FlagEnvironmentRecord): Promise<Committed | undefined> => {
      if (flag.archivedAt !== null) return undefined;
      if (expectedVersion !== undefined && row.version !== expectedVersion) return undefined;
      const change = next(flag, row);
      if (change === undefined) return undefined;
      const written = await commitFlagEnvironmentChangeIfUnchanged(
        db,
        row,
        { config: change.config, killed: change.killed === undefined ? row.killed : change.killed, action, actor, reason, before: auditFlagEnvironment(row) },
        clock.now(),
        change.segments,
      );
      if (written === undefined) return undefined;
      remember(flag, written.row);
      return { flag, before: row, ...written };
    };
    const known = recent.get(rowId(key, environment));
    if (known !== undefined) {
      // Whatever it says (even a stale If-Match or a validation issue), only a fresh read decides.
      const written = await attempt(known.flag, known.row);
      if (written !== undefined) return written;
      recent.delete(rowId(key, environment));
    }
    const found = await readFlagEnvironment(db, key, environment);
    return found === undefined ? undefined : attempt(found.flag, found.row);
  };

  /**
   * `committed`: the flag and the row an optimistic write read and wrote. They are what SDKs held and
   * must now hold (the write checked that nothing changed the row or the flag's metadata between the
   * read and it), so the local stream hub can send them without reading them back.
   */
  const publish = (revision: number, key: string, environment: string, committed?: Committed): void => {
    const change = { revision, environments: [environment], kind: 'flag', keys: [key] } as const;
    if (committed === undefined) return notifier.publish(change);
    const { flag } = committed;
    const sdkConfig = (row: FlagEnvironmentRecord) =>
      toFlagConfig({ key, type: flag.type, variants: flag.variants, client_side: flag.clientSide, config: row.config, killed: row.killed, version: row.version });
    notifier.publish({ ...change, [COMMITTED_FLAGS]: [{ config: sdkConfig(committed.row), previous: sdkConfig(committed.before) }] });
  };

  return {
    async get(key, environment) {
      const found = await db
        .selectFrom('flag_environments')
        .selectAll()
        .where('flag_key', '=', key)
        .where('environment', '=', environment)
        .executeTakeFirst();
      if (found !== undefined) return flagEnvironmentView(flagEnvironmentRecord(found));
      if ((await findFlag(db, key)) === undefined) throw flagNotFound(key);
      throw new ApiError('ENVIRONMENT_NOT_FOUND', `no environment "${environment}"`);
    },

    async put(key, environment, config, expectedVersion, actor) {
      const prerequisiteKeys = [...new Set(config.prerequisites.map((p) => p.flag))].filter((k) => k !== key);
      // Prerequisites need locks on other flags and the environment's prerequisite graph: always the transaction.
      const unlocked =
        prerequisiteKeys.length > 0
          ? undefined
          : await writeUnlocked(key, environment, expectedVersion, 'flag-environment.update', actor, (flag, row) => {
              if (row.killed !== null && config.enabled) return undefined;
              const segments = referencedSegments(config);
              // The statement writes only if every referenced segment exists, so validate as if they do.
              const issues = validateEnvironmentConfig(flag, config, { variantsOf: () => undefined, prerequisitesOf: () => [], segmentExists: () => true });
              return issues.length > 0 ? undefined : { config, segments };
            });
      const result = unlocked ?? await db.transaction().execute(async (trx) => {
        const { flag, row } = await lockRow(trx, key, environment, expectedVersion, { lockFlag: prerequisiteKeys.length > 0, freshFlag: true });
        if (row.killed !== null && config.enabled) {
          throw new ApiError('FLAG_KILLED', `flag "${key}" is killed in ${environment} (${row.killed.reason}); restore it with POST .../restore and a reason instead of enabling it`, [
            { path: 'enabled', message: 'cannot enable a killed flag; use restore' },
          ]);
        }
        let graph = new Map<string, { variants: string[]; prerequisites: string[] }>();
        if (prerequisiteKeys.length > 0) {
          await shareLockFlags(trx, prerequisiteKeys);
          await lockPrerequisiteGraph(trx, environment);
          graph = await prerequisiteGraph(trx, environment);
        }
        const segments = await existingSegments(trx, referencedSegments(config));
        const issues: ValidationIssue[] = validateEnvironmentConfig(flag, config, {
          variantsOf: (other) => graph.get(other)?.variants,
          prerequisitesOf: (other) => graph.get(other)?.prerequisites ?? [],
          segmentExists: (segment) => segments.has(segment),
        });
        if (issues.length > 0) throw validationError(issues);
        return write(trx, row, { config, killed: row.killed }, 'flag-environment.update', actor);
      });
      publish(result.revision, key, environment, unlocked);
      return { revision: result.revision, ...flagEnvironmentView(result.row) };
    },

    async rollout(key, environment, body, expectedVersion, actor) {
      const unlocked = await writeUnlocked(key, environment, expectedVersion, 'flag-environment.rollout', actor, (flag, row) => {
        const slid = sliderConfig(flag, row.config, body, environment);
        return 'issue' in slid ? undefined : { config: slid.config, segments: [] };
      });
      if (unlocked !== undefined) {
        publish(unlocked.revision, key, environment, unlocked);
        return { revision: unlocked.revision, ...flagEnvironmentView(unlocked.row), ...rolloutWarnings(environment, unlocked.row) };
      }
      const result = await db.transaction().execute(async (trx) => {
        const { flag, row } = await lockRow(trx, key, environment, expectedVersion, { lockFlag: false, freshFlag: true });
        const slid = sliderConfig(flag, row.config, body, environment);
        if ('issue' in slid) throw validationError([slid.issue]);
        return write(trx, row, { config: slid.config, killed: row.killed }, 'flag-environment.rollout', actor);
      });
      publish(result.revision, key, environment);
      return { revision: result.revision, ...flagEnvironmentView(result.row), ...rolloutWarnings(environment, result.row) };
    },

    async kill(key, environment, body, expectedVersion, actor) {
      // The incident path: no flag-row lock and no validation of the rest of the config (a kill must
      // work even when, say, a segment it references is broken). Usually one conditional statement
      // (writeUnlocked); otherwise, or when already killed, one short transaction.
      const killOf = (row: FlagEnvironmentRecord): Omit<Kill, 'revision'> => ({
        reason: body.reason,
        at: clock.now().toISOString(),
        actor: actor.name,
        previousEnabled: row.config.enabled,
        ...(actor.incidentId === undefined ? {} : { incidentId: actor.incidentId }),
      });
      const unlocked = await writeUnlocked(
        key,
        environment,
        expectedVersion,
        'flag-environment.kill',
        actor,
        (_flag, row) => (row.killed !== null ? undefined : { config: { ...row.config, enabled: false }, segments: [], killed: killOf(row) }),
        body.reason,
      );
      const result =
        unlocked === undefined
          ? await db.transaction().execute(async (trx) => {
              const { row } = await lockRow(trx, key, environment, expectedVersion, { lockFlag: false, freshFlag: false });
              if (row.killed !== null) return { row, revision: row.killed.revision, alreadyKilled: true };
              const written = await write(trx, row, { config: { ...row.config, enabled: false }, killed: killOf(row) }, 'flag-environment.kill', actor, body.reason);
              return { ...written, alreadyKilled: false };
            })
          : { ...unlocked, alreadyKilled: false };
      if (!result.alreadyKilled) publish(result.revision, key, environment, unlocked);
      return {
        revision: result.revision,
        flag: key,
        environment,
        enabled: result.row.config.enabled,
        killed: result.row.killed,
        version: result.row.version,
        ...(result.alreadyKilled ? { alreadyKilled: true } : {}),
      };
    },

    async restore(key, environment, body, expectedVersion, actor) {
      const unlocked = await writeUnlocked(
        key,
        environment,
        expectedVersion,
        'flag-environment.restore',
        actor,
        (_flag, row) => (row.killed === null ? undefined : { config: { ...row.config, enabled: row.killed.previousEnabled }, segments: [], killed: null }),
        body.reason,
      );
      const result = unlocked ?? await db.transaction().execute(async (trx) => {
        const { row } = await lockRow(trx, key, environment, expectedVersion, { lockFlag: false, freshFlag: false });
        if (row.killed === null) {
          throw new ApiError('NOT_KILLED', `flag "${key}" is not killed in ${environment}; nothing to restore`, [{ path: '', message: 'not killed', enabled: row.config.enabled }]);
        }
        return write(trx, row, { config: { ...row.config, enabled: row.killed.previousEnabled }, killed: null }, 'flag-environment.restore', actor, body.reason);
      });
      publish(result.revision, key, environment, unlocked);
      return { revision: result.revision, flag: key, environment, enabled: result.row.config.enabled, killed: null, version: result.row.version };
    },
  };
}
