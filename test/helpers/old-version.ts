import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './processes.js';

const run = promisify(execFile);

const worktrees = new Set<string>();
// A worker that dies mid-test must not leave a worktree registered in the repository.
process.once('exit', () => {
  for (const dir of worktrees) {
    try {
      execFileSync('git', ['worktree', 'remove', '--force', dir], { cwd: REPO_ROOT, stdio: 'ignore' });
    } catch {
      // Already gone.
    }
    rmSync(dirname(dir), { recursive: true, force: true });
  }
});

async function git(args: string[], cwd = REPO_ROOT): Promise<string> {
  const { stdout } = await run('git', args, { cwd, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

/** Which commit runs as "the previous version", and why. */
export interface PreviousVersion {
  readonly commit: string;
  readonly subject: string;
  /** The change to migrations/src that the previous version has not seen. */
  readonly against: string;
}

/**
 * The server version that ran before the latest change to the schema: the parent of the latest commit
 * touching migrations/src, or HEAD itself when migrations/src has uncommitted changes (a developer's
 * working tree); OLD_VERSION_COMMIT pins another (a release tag, say). Throws with what to do when the
 * history is missing (a shallow clone, no git).
 */
export async function previousVersion(): Promise<PreviousVersion> {
  try {
    await git(['rev-parse', '--git-dir']);
  } catch {
    throw new Error(`${REPO_ROOT} is not a git checkout: the old-version test needs the history to build the previous server version`);
  }
  const pinned = process.env.OLD_VERSION_COMMIT;
  if (pinned !== undefined && pinned !== '') {
    const commit = await git(['rev-parse', '--verify', `${pinned}^{commit}`]);
    return { commit, subject: await git(['log', '-1', '--format=%s', commit]), against: 'the current checkout (OLD_VERSION_COMMIT)' };
  }
  if ((await git(['rev-parse', '--is-shallow-repository'])) === 'true') {
    throw new Error('this clone is shallow: the old-version test needs the commit before the latest migration. Run `git fetch --unshallow` (.ci/run does)');
  }
  const dirty = (await git(['status', '--porcelain', '--', 'migrations/src'])) !== '';
  if (dirty) {
    const head = await git(['rev-parse', 'HEAD']);
    return { commit: head, subject: await git(['log', '-1', '--format=%s', head]), against: 'uncommitted changes in migrations/src' };
  }
  const latest = await git(['log', '-1', '--format=%H', '--', 'migrations/src']);
  if (latest === '') throw new Error('no commit touches migrations/src: nothing to compare against');
  let parent: string;
  try {
    parent = await git(['rev-parse', '--verify', `${latest}^`]);
  } catch {
    throw new Error(`${latest.slice(0, 10)}, the latest change to migrations/src, is the first commit: there is no previous version, or the history is cut (git fetch --unshallow)`);
  }
  return { commit: parent, subject: await git(['log', '-1', '--format=%s', parent]), against: `${latest.slice(0, 10)} ${await git(['log', '-1', '--format=%s', latest])}` };
}

/** A built checkout of another commit, in a temporary git worktree. */
export interface OldBuild {
  readonly dir: string;
  readonly main: string;
  /** Source of a file at that commit. */
  read(path: string): string | undefined;
  remove(): Promise<void>;
}

/**
 * Checks `commit` out into a temporary worktree and builds its server with this checkout's
 * TypeScript, reusing this checkout's installed packages (symlinked; its own workspace packages link
 * to the worktree's, so it runs its own core and migrations).
 */
export async function buildOldServer(commit: string): Promise<OldBuild> {
  const parent = mkdtempSync(join(tmpdir(), 'switchyard-old-'));
  const dir = join(parent, 'tree');
  await git(['worktree', 'add', '--detach', dir, commit]);
  worktrees.add(dir);
  const remove = async (): Promise<void> => {
    await git(['worktree', 'remove', '--force', dir]).catch(() => undefined);
    rmSync(parent, { recursive: true, force: true });
    await git(['worktree', 'prune']).catch(() => undefined);
    worktrees.delete(dir);
  };
  try {
    const modules = join(dir, 'node_modules');
    mkdirSync(join(modules, '@switchyard'), { recursive: true });
    for (const entry of readdirSync(join(REPO_ROOT, 'node_modules'))) {
      if (entry === '@switchyard') continue;
      symlinkSync(join(REPO_ROOT, 'node_modules', entry), join(modules, entry));
    }
    const { workspaces = [] } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { workspaces?: string[] };
    for (const workspace of workspaces) {
      const manifest = join(dir, workspace, 'package.json');
      if (!existsSync(manifest)) continue;
      const { name } = JSON.parse(readFileSync(manifest, 'utf8')) as { name: string };
      if (name.startsWith('@switchyard/')) symlinkSync(join(dir, workspace), join(modules, name));
      const nested = join(REPO_ROOT, workspace, 'node_modules');
      if (existsSync(nested) && !existsSync(join(dir, workspace, 'node_modules'))) symlinkSync(nested, join(dir, workspace, 'node_modules'));
    }
    const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    try {
      await run(process.execPath, [tsc, '-b', 'server'], { cwd: dir, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 });
    } catch (error) {
      const out = (error as { stdout?: string }).stdout ?? '';
      throw new Error(`building the server of ${commit.slice(0, 10)} failed:\n${out.slice(-3000)}`);
    }
    const main = join(dir, 'server', 'dist', 'main.js');
    if (!existsSync(main)) throw new Error(`the build of ${commit.slice(0, 10)} has no server/dist/main.js`);
    return {
      dir,
      main,
      read: (path) => (existsSync(join(dir, path)) ? readFileSync(join(dir, path), 'utf8') : undefined),
      remove,
    };
  } catch (error) {
    await remove();
    throw error;
  }
}
