import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { environmentOf, loadVectorFiles, VECTORS_DIR, type BucketingVectorFile, type EvaluationVectorFile } from '../../../test/helpers/vectors.js';
import { bucket, bucketer } from '../bucketing/bucket.js';
import { FlagConfigSchema } from '../model/flag.js';
import { SegmentSchema } from '../model/segment.js';
import { evaluateCompact } from './compact.js';
import { createFlagSet, evaluate } from './evaluate.js';

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

// Frozen, so an evaluator that writes into flags, segments or contexts fails loudly.
const files = deepFreeze(loadVectorFiles());
const bucketingFiles = files.filter((f): f is BucketingVectorFile => f.kind === 'bucketing');
const evaluationFiles = files.filter((f): f is EvaluationVectorFile => f.kind === 'evaluation');

describe('test vectors', () => {
  it('hold at least 300 cases, bucketing and evaluation', () => {
    const total = files.reduce((n, f) => n + f.cases.length, 0);
    expect(total).toBeGreaterThanOrEqual(300);
    expect(bucketingFiles.length).toBeGreaterThan(0);
    expect(evaluationFiles.length).toBeGreaterThan(0);
  });

  it('are what generate.mjs writes (no hand edits, no stale files)', () => {
    expect(() => execFileSync(process.execPath, [`${VECTORS_DIR}generate.mjs`, '--check'], { stdio: 'pipe' })).not.toThrow();
  });

  for (const file of evaluationFiles) {
    it(`${file.file}: flags and segments are schema-valid and complete, except those listed as schema-invalid`, () => {
      for (const flag of file.flags) {
        const result = FlagConfigSchema.safeParse(flag);
        expect({ flag: flag.key, valid: result.success }).toEqual({ flag: flag.key, valid: !file.schemaInvalidFlags.includes(flag.key) });
        if (result.success) expect(result.data).toEqual(flag);
      }
      for (const segment of file.segments) {
        const result = SegmentSchema.safeParse(segment);
        expect({ segment: segment.key, valid: result.success }).toEqual({ segment: segment.key, valid: !file.schemaInvalidSegments.includes(segment.key) });
        if (result.success) expect(result.data).toEqual(segment);
      }
      for (const key of file.schemaInvalidFlags) expect(file.flags.some((f) => f.key === key)).toBe(true);
      for (const key of file.schemaInvalidSegments) expect(file.segments.some((s) => s.key === key)).toBe(true);
    });
  }
});

for (const file of bucketingFiles) {
  describe(`vectors: ${file.file}`, () => {
    it.each(file.cases.map((c) => [...c]))('%s', (_name, salt, value, expected) => {
      expect(bucket(salt, value)).toBe(expected);
      expect(bucketer(salt)(value)).toBe(expected);
    });
  });
}

for (const file of evaluationFiles) {
  describe(`vectors: ${file.file}`, () => {
    const { flags, segments } = environmentOf(file);
    const set = createFlagSet({ flags: file.flags, segments: file.segments });

    it.each(file.cases.map((c) => [...c]))('%s', (_name, key, context, defaultValue, expected) => {
      expect(evaluate(flags.get(key), context, { flags, segments, defaultValue })).toEqual(expected);
      expect(evaluateCompact(flags.get(key), context, { flags, segments, defaultValue })).toEqual(expected);
      expect(set.evaluate(key, context, defaultValue)).toEqual(expected);
      if (defaultValue === null && flags.has(key)) expect(set.evaluateAll(context).get(key)).toEqual(expected);
    });
  });
}
