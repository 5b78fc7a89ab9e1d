import { readFile } from 'node:fs/promises';
import { relative, resolve, sep } from 'node:path';
import { performance } from 'node:perf_hooks';
import { FLAG_FUNCTIONS, findFlagKeys } from './find-keys.js';
import { createLimiter, findSourceFiles, type WalkOptions } from './walk.js';

/** Where a flag key is used in the scanned tree. */
export interface KeyLocation {
  /** Relative to the scan root, with `/`. */
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** What {@link scanTree} found. */
export interface ScanResult {
  readonly root: string;
  readonly files: number;
  readonly durationMs: number;
  /** Every key found, sorted, with where it is used. */
  readonly keys: ReadonlyMap<string, readonly KeyLocation[]>;
}

/** Options of {@link scanTree}. */
export interface ScanOptions extends WalkOptions {
  /** Function names whose first argument is a flag key (default {@link FLAG_FUNCTIONS}). */
  readonly functions?: readonly string[];
}

/**
 * Walks a tree and finds the flag keys its code uses, reading files in parallel (a bounded pool).
 * @example const { keys } = await scanTree('./src'); keys.has('new-checkout')
 */
export async function scanTree(root: string, options: ScanOptions = {}): Promise<ScanResult> {
  const started = performance.now();
  const absolute = resolve(root);
  const files = await findSourceFiles(absolute, options);
  const limit = createLimiter(options.concurrency ?? 64);
  const functions = options.functions ?? FLAG_FUNCTIONS;
  const perFile = await Promise.all(
    files.map((file) =>
      limit(async () => {
        const source = await readFile(file, 'utf8').catch(() => '');
        return { file, uses: findFlagKeys(source, functions) };
      }),
    ),
  );
  const keys = new Map<string, KeyLocation[]>();
  for (const { file, uses } of perFile) {
    const name = relative(absolute, file).split(sep).join('/') || file.split(sep).pop() || file;
    for (const use of uses) {
      let list = keys.get(use.key);
      if (list === undefined) keys.set(use.key, (list = []));
      list.push({ file: name, line: use.line, column: use.column });
    }
  }
  const sorted = new Map([...keys.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return { root: absolute, files: files.length, durationMs: Math.round(performance.now() - started), keys: sorted };
}
