import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Context, Detail, FlagConfig, JsonValue, Segment } from '@switchyard/core';

/** The folder holding the published test vectors (`test/vectors/*.json`). */
export const VECTORS_DIR = fileURLToPath(new URL('../vectors/', import.meta.url));

/** `[name, salt, value, expectedBucket]`. */
export type BucketingCase = readonly [name: string, salt: string, value: string, expectedBucket: number];

/** `[name, flagKey, context, defaultValue, expectedDetail]`. */
export type EvaluationCase = readonly [name: string, flagKey: string, context: Context, defaultValue: JsonValue, expected: Detail];

/** A bucketing vector file: cases check `bucket(salt, value)`. */
export interface BucketingVectorFile {
  readonly kind: 'bucketing';
  /** File name, e.g. `bucketing.json`. */
  readonly file: string;
  readonly description: string;
  readonly cases: readonly BucketingCase[];
}

/** An evaluation vector file: one environment (`flags`, `segments`) and cases evaluated in it. */
export interface EvaluationVectorFile {
  readonly kind: 'evaluation';
  readonly file: string;
  readonly description: string;
  /** Keys of flags that deliberately break FlagConfigSchema (e.g. an operator this protocol lacks). */
  readonly schemaInvalidFlags: readonly string[];
  /** Keys of segments that deliberately break SegmentSchema. */
  readonly schemaInvalidSegments: readonly string[];
  readonly flags: readonly FlagConfig[];
  readonly segments: readonly Segment[];
  readonly cases: readonly EvaluationCase[];
}

/** Any vector file. */
export type VectorFile = BucketingVectorFile | EvaluationVectorFile;

function fail(file: string, message: string): never {
  throw new Error(`test/vectors/${file}: ${message}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkCase(file: string, kind: VectorFile['kind'], c: unknown, index: number): void {
  if (!Array.isArray(c)) fail(file, `cases[${index}] is not a tuple`);
  if (typeof c[0] !== 'string') fail(file, `cases[${index}] has no name`);
  if (kind === 'bucketing') {
    if (c.length !== 4 || typeof c[1] !== 'string' || typeof c[2] !== 'string' || !Number.isInteger(c[3])) {
      fail(file, `case "${c[0]}" is not [name, salt, value, expectedBucket]`);
    }
  } else if (c.length !== 5 || typeof c[1] !== 'string' || !isRecord(c[2]) || !isRecord(c[4]) || typeof c[4].reason !== 'string') {
    fail(file, `case "${c[0]}" is not [name, flagKey, context, defaultValue, expectedDetail]`);
  }
}

/**
 * Reads one vector file and checks its outer shape (not the flags themselves: some are deliberately
 * malformed). Throws with the file name when the file does not have the documented format.
 * @example const file = loadVectorFile('rollouts.json'); file.cases.length
 */
export function loadVectorFile(name: string): VectorFile {
  const raw: unknown = JSON.parse(readFileSync(`${VECTORS_DIR}${name}`, 'utf8'));
  if (!isRecord(raw)) fail(name, 'is not a JSON object');
  const { kind, description, cases } = raw;
  if (kind !== 'bucketing' && kind !== 'evaluation') fail(name, `unknown kind ${JSON.stringify(kind)}`);
  if (typeof description !== 'string') fail(name, 'has no description');
  if (!Array.isArray(cases) || cases.length === 0) fail(name, 'has no cases');
  cases.forEach((c, i) => checkCase(name, kind, c, i));
  const names = new Set<string>();
  for (const c of cases as { 0: string }[]) {
    if (names.has(c[0])) fail(name, `duplicate case name "${c[0]}"`);
    names.add(c[0]);
  }
  if (kind === 'bucketing') return { kind, file: name, description, cases: cases as BucketingCase[] };
  const { flags, segments, schemaInvalidFlags = [], schemaInvalidSegments = [] } = raw;
  if (!Array.isArray(flags) || !flags.every(isRecord)) fail(name, 'flags must be a list of objects');
  if (!Array.isArray(segments) || !segments.every(isRecord)) fail(name, 'segments must be a list of objects');
  for (const [field, list] of [['schemaInvalidFlags', schemaInvalidFlags], ['schemaInvalidSegments', schemaInvalidSegments]] as const) {
    if (!Array.isArray(list) || !list.every((k) => typeof k === 'string')) fail(name, `${field} must be a list of keys`);
  }
  return {
    kind,
    file: name,
    description,
    schemaInvalidFlags: schemaInvalidFlags as string[],
    schemaInvalidSegments: schemaInvalidSegments as string[],
    flags: flags as unknown as FlagConfig[],
    segments: segments as unknown as Segment[],
    cases: cases as EvaluationCase[],
  };
}

/**
 * Reads every `test/vectors/*.json`, sorted by name. SDK test suites run these against their evaluator.
 * @example for (const file of loadVectorFiles()) if (file.kind === 'evaluation') runCases(file)
 */
export function loadVectorFiles(): VectorFile[] {
  return readdirSync(VECTORS_DIR)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map(loadVectorFile);
}

/**
 * The environment of an evaluation file as lookups by key, as `evaluate()` takes them.
 * @example const { flags, segments } = environmentOf(file); evaluate(flags.get('a'), ctx, { flags, segments })
 */
export function environmentOf(file: EvaluationVectorFile): { flags: Map<string, FlagConfig>; segments: Map<string, Segment> } {
  return {
    flags: new Map(file.flags.map((f) => [f.key, f])),
    segments: new Map(file.segments.map((s) => [s.key, s])),
  };
}
