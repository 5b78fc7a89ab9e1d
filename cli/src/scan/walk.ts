import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, extname, join, relative, sep } from 'node:path';
import { isIgnored, parseGitignore, type IgnoreFile } from './gitignore.js';

/** File extensions the scan reads. */
export const SOURCE_EXTENSIONS: ReadonlySet<string> = new Set(['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs']);

/** Folders never entered, whatever .gitignore says. */
export const SKIPPED_DIRECTORIES: ReadonlySet<string> = new Set(['node_modules', '.git', 'dist']);

/** How to walk a tree. */
export interface WalkOptions {
  /** Honour .gitignore files (those of the enclosing git work tree above the root too). Default true. */
  readonly gitignore?: boolean;
  /** Concurrent file system operations. Default 64. */
  readonly concurrency?: number;
  readonly extensions?: ReadonlySet<string>;
  readonly skipDirectories?: ReadonlySet<string>;
}

/**
 * Runs at most `limit` async operations at a time.
 * @example const run = createLimiter(64); await Promise.all(paths.map((p) => run(() => readFile(p))));
 */
export function createLimiter(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

function toPosix(path: string): string {
  return sep === '/' ? path : path.split(sep).join('/');
}

/** The enclosing git work tree (a folder holding `.git`), if any. */
function gitRoot(start: string): string | undefined {
  let current = start;
  for (;;) {
    if (existsSync(join(current, '.git'))) return current;
    const parent = dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}

/** .gitignore files between the git root and the scan root (not the scan root's own: the walk reads that). */
async function outerIgnoreFiles(root: string): Promise<{ base: string; files: IgnoreFile[] }> {
  const top = gitRoot(root);
  if (top === undefined || top === root) return { base: '', files: [] };
  const base = toPosix(relative(top, root));
  const files: IgnoreFile[] = [];
  const parts = base.split('/');
  for (let depth = 0; depth < parts.length; depth++) {
    const folder = parts.slice(0, depth).join('/');
    const text = await readFile(join(top, ...parts.slice(0, depth), '.gitignore'), 'utf8').catch(() => undefined);
    if (text !== undefined) files.push({ base: folder, rules: parseGitignore(text) });
  }
  return { base, files };
}

/**
 * Lists the source files under `root` (absolute paths), skipping node_modules, .git, dist, symbolic
 * links and what .gitignore files exclude. A file as `root` is listed as is.
 * @example const files = await findSourceFiles('/repo/src');
 */
export async function findSourceFiles(root: string, options: WalkOptions = {}): Promise<string[]> {
  const extensions = options.extensions ?? SOURCE_EXTENSIONS;
  const skip = options.skipDirectories ?? SKIPPED_DIRECTORIES;
  const useGitignore = options.gitignore ?? true;
  const limit = createLimiter(options.concurrency ?? 64);
  const info = await stat(root);
  if (info.isFile()) return [root];
  const outer = useGitignore ? await outerIgnoreFiles(root) : { base: '', files: [] };
  const found: string[] = [];

  async function visit(folder: string, path: string, ignoreFiles: readonly IgnoreFile[]): Promise<void> {
    const entries = await limit(() => readdir(folder, { withFileTypes: true }));
    let rules = ignoreFiles;
    if (useGitignore && entries.some((e) => e.name === '.gitignore' && e.isFile())) {
      const text = await limit(() => readFile(join(folder, '.gitignore'), 'utf8')).catch(() => '');
      rules = [...ignoreFiles, { base: path, rules: parseGitignore(text) }];
    }
    const below: Promise<void>[] = [];
    for (const entry of entries) {
      const child = path === '' ? entry.name : `${path}/${entry.name}`;
      if (entry.isDirectory()) {
        if (skip.has(entry.name) || isIgnored(rules, child, true)) continue;
        below.push(visit(join(folder, entry.name), child, rules));
      } else if (entry.isFile()) {
        const ext = extname(entry.name);
        if (!extensions.has(ext) || entry.name.endsWith('.d.ts') || isIgnored(rules, child, false)) continue;
        found.push(join(folder, entry.name));
      }
    }
    await Promise.all(below);
  }

  await visit(root, outer.base, outer.files);
  return found.sort();
}
