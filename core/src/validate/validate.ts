import type { Clause } from '../model/clause.js';
import type { EnvironmentConfig, Flag, Prerequisite } from '../model/flag.js';
import type { Segment } from '../model/segment.js';
import type { Serve } from '../model/serve.js';
import { toEpochMillis } from '../evaluate/dates.js';
import { regexProblem } from '../evaluate/regex-safety.js';
import { parseSemver } from '../evaluate/semver.js';

/** One problem found by validation: where (a path into the body) and what. */
export interface ValidationIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** What validation needs to know about the rest of the environment. */
export interface ValidationContext {
  /** Variant keys of another flag, or `undefined` when no such flag exists. */
  variantsOf(flagKey: string): readonly string[] | undefined;
  /** Prerequisite flag keys of another flag in the same environment. */
  prerequisitesOf(flagKey: string): readonly string[];
  /** Whether a segment exists. */
  segmentExists(segmentKey: string): boolean;
  /** `inSegment` references of another segment, for cycle detection. */
  segmentReferencesOf?(segmentKey: string): readonly string[];
}

const NUMERIC_OPS = new Set(['lt', 'lte', 'gt', 'gte']);
const DATE_OPS = new Set(['before', 'after']);
const SEMVER_OPS = new Set(['semverEq', 'semverLt', 'semverGt']);
const STRING_OPS = new Set(['contains', 'startsWith', 'endsWith', 'matches', 'inSegment']);

/**
 * Validates one clause's values against its operator: numbers for lt/lte/gt/gte, ISO 8601 dates (or
 * epoch ms) for before/after, semantic versions for semver*, safe regexes for matches, existing
 * segments for inSegment, and at least one value.
 * @example validateClause({ attribute: 'v', op: 'semverGt', values: ['1.x'] }, ['rules', 0, 'clauses', 0], ctx)
 */
export function validateClause(clause: Clause, path: readonly (string | number)[], ctx: Pick<ValidationContext, 'segmentExists'>): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const at = (i: number): (string | number)[] => [...path, 'values', i];
  if (clause.values.length === 0) issues.push({ path: [...path, 'values'], message: `${clause.op} needs at least one value` });
  clause.values.forEach((value, i) => {
    if (NUMERIC_OPS.has(clause.op) && typeof value !== 'number') issues.push({ path: at(i), message: `${clause.op} compares numbers; got ${JSON.stringify(value)}` });
    if (DATE_OPS.has(clause.op) && toEpochMillis(value) === undefined) {
      issues.push({ path: at(i), message: `${clause.op} needs an ISO 8601 date (e.g. 2026-12-01T00:00:00Z) or epoch milliseconds` });
    }
    if (SEMVER_OPS.has(clause.op) && (typeof value !== 'string' || parseSemver(value) === undefined)) {
      issues.push({ path: at(i), message: `${clause.op} needs a semantic version such as 1.4.0 or 2.0.0-rc.1` });
    }
    if (STRING_OPS.has(clause.op) && typeof value !== 'string') issues.push({ path: at(i), message: `${clause.op} needs string values` });
    if (clause.op === 'matches' && typeof value === 'string') {
      const problem = regexProblem(value);
      if (problem !== undefined) issues.push({ path: at(i), message: problem });
    }
    if (clause.op === 'inSegment' && typeof value === 'string' && !ctx.segmentExists(value)) {
      issues.push({ path: at(i), message: `segment "${value}" does not exist` });
    }
  });
  return issues;
}

/**
 * Finds a prerequisite cycle that `flagKey` would close by depending on `prerequisites`; returns the
 * cycle as a list of keys (first = last), or `undefined`.
 * @example findPrerequisiteCycle('a', [{ flag: 'b', variant: 'true' }], (k) => (k === 'b' ? ['a'] : [])) // ['a', 'b', 'a']
 */
export function findPrerequisiteCycle(
  flagKey: string,
  prerequisites: readonly Pick<Prerequisite, 'flag'>[],
  prerequisitesOf: (key: string) => readonly string[],
): string[] | undefined {
  const edges = (key: string): readonly string[] => (key === flagKey ? prerequisites.map((p) => p.flag) : prerequisitesOf(key));
  return findCycle(flagKey, edges);
}

function findCycle(start: string, edges: (key: string) => readonly string[]): string[] | undefined {
  const done = new Set<string>();
  const path: string[] = [];
  const onPath = new Set<string>();
  const visit = (key: string): string[] | undefined => {
    if (onPath.has(key)) return [...path.slice(path.indexOf(key)), key];
    if (done.has(key)) return undefined;
    onPath.add(key);
    path.push(key);
    for (const next of edges(key)) {
      const cycle = visit(next);
      if (cycle !== undefined) return cycle;
    }
    path.pop();
    onPath.delete(key);
    done.add(key);
    return undefined;
  };
  return visit(start);
}

function validateServe(serve: Serve, path: readonly (string | number)[], variants: ReadonlySet<string>): ValidationIssue[] {
  if ('variant' in serve) {
    return variants.has(serve.variant) ? [] : [{ path: [...path, 'variant'], message: `unknown variant "${serve.variant}"` }];
  }
  const issues: ValidationIssue[] = [];
  const seen = new Set<string>();
  serve.rollout.variants.forEach((slice, i) => {
    if (!variants.has(slice.variant)) issues.push({ path: [...path, 'rollout', 'variants', i, 'variant'], message: `unknown variant "${slice.variant}"` });
    if (seen.has(slice.variant)) issues.push({ path: [...path, 'rollout', 'variants', i, 'variant'], message: `variant "${slice.variant}" appears twice in the rollout` });
    seen.add(slice.variant);
  });
  return issues;
}

/**
 * Validates an environment config of `flag` beyond its schema: every variant it names exists, rule ids
 * are unique, clause values fit their operators, regexes are safe, segments and prerequisite flags
 * exist, and no prerequisite cycle forms. The server calls this on every write.
 * @example validateEnvironmentConfig(flag, config, ctx) // [] when valid
 */
export function validateEnvironmentConfig(flag: Pick<Flag, 'key' | 'variants'>, config: EnvironmentConfig, ctx: ValidationContext): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const variants = new Set(flag.variants.map((v) => v.key));
  if (!variants.has(config.offVariant)) issues.push({ path: ['offVariant'], message: `unknown variant "${config.offVariant}"` });
  const targeted = new Map<string, number>();
  config.targets.forEach((target, i) => {
    if (!variants.has(target.variant)) issues.push({ path: ['targets', i, 'variant'], message: `unknown variant "${target.variant}"` });
    target.values.forEach((key, j) => {
      const earlier = targeted.get(key);
      if (earlier !== undefined) issues.push({ path: ['targets', i, 'values', j], message: `"${key}" is already targeted by targets[${earlier}]` });
      else targeted.set(key, i);
    });
  });
  const ruleIds = new Set<string>();
  config.rules.forEach((rule, i) => {
    if (ruleIds.has(rule.id)) issues.push({ path: ['rules', i, 'id'], message: `duplicate rule id "${rule.id}"` });
    ruleIds.add(rule.id);
    rule.clauses.forEach((clause, j) => issues.push(...validateClause(clause, ['rules', i, 'clauses', j], ctx)));
    issues.push(...validateServe(rule.serve, ['rules', i, 'serve'], variants));
  });
  issues.push(...validateServe(config.fallthrough, ['fallthrough'], variants));
  config.prerequisites.forEach((prerequisite, i) => {
    if (prerequisite.flag === flag.key) {
      issues.push({ path: ['prerequisites', i, 'flag'], message: 'a flag cannot be its own prerequisite' });
      return;
    }
    const other = ctx.variantsOf(prerequisite.flag);
    if (other === undefined) issues.push({ path: ['prerequisites', i, 'flag'], message: `flag "${prerequisite.flag}" does not exist` });
    else if (!other.includes(prerequisite.variant)) {
      issues.push({ path: ['prerequisites', i, 'variant'], message: `flag "${prerequisite.flag}" has no variant "${prerequisite.variant}"` });
    }
  });
  const cycle = findPrerequisiteCycle(flag.key, config.prerequisites, ctx.prerequisitesOf);
  if (cycle !== undefined) issues.push({ path: ['prerequisites'], message: `prerequisite cycle: ${cycle.join(' → ')}` });
  return issues;
}

/**
 * Validates a segment beyond its schema: clause values, referenced segments exist, and no
 * `inSegment` cycle (a segment including itself, directly or through others).
 * @example validateSegment(segment, ctx) // [] when valid
 */
export function validateSegment(segment: Segment, ctx: Pick<ValidationContext, 'segmentExists' | 'segmentReferencesOf'>): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const exists = (key: string): boolean => key === segment.key || ctx.segmentExists(key);
  segment.rules.forEach((rule, i) => rule.clauses.forEach((clause, j) => issues.push(...validateClause(clause, ['rules', i, 'clauses', j], { segmentExists: exists }))));
  const own = segmentReferences(segment);
  const cycle = findCycle(segment.key, (key) => (key === segment.key ? own : (ctx.segmentReferencesOf?.(key) ?? [])));
  if (cycle !== undefined) issues.push({ path: ['rules'], message: `segment cycle: ${cycle.join(' → ')}` });
  return issues;
}

/**
 * The segment keys a segment's rules refer to through `inSegment`.
 * @example segmentReferences(segment) // ['internal-users']
 */
export function segmentReferences(segment: Pick<Segment, 'rules'>): string[] {
  const keys: string[] = [];
  for (const rule of segment.rules) {
    for (const clause of rule.clauses) {
      if (clause.op === 'inSegment') for (const v of clause.values) if (typeof v === 'string') keys.push(v);
    }
  }
  return keys;
}
