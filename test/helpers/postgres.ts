import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './net.js';

const run = promisify(execFile);

/** The newest PostgreSQL server binaries on this machine (Debian: /usr/lib/postgresql/<version>/bin), or PG_BIN. */
export function postgresBinDir(): string {
  const override = process.env.PG_BIN;
  if (override !== undefined && override !== '') return override;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(a) - Number(b))
    : [];
  const newest = versions.at(-1);
  if (newest === undefined) throw new Error(`no PostgreSQL server binaries under ${root} (install postgresql, or set PG_BIN to the folder holding initdb and pg_ctl)`);
  return join(root, newest, 'bin');
}

// initdb and postgres refuse to run as root: as root, run them as the postgres OS user.
const asRoot = userInfo().uid === 0;

function postgresUser(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) throw new Error('running as root, but there is no postgres OS user to run PostgreSQL as');
  return { uid: Number(uid), gid: Number(gid) };
}

const running = new Set<TestPostgres>();
const undestroyed = new Set<TestPostgres>();
// A test worker that dies mid-test (or a cleanup hook that timed out) must not leave a postmaster or
// a data folder behind.
process.once('exit', () => {
  for (const pg of running) pg.stopNow();
  for (const pg of undestroyed) rmSync(pg.dir, { recursive: true, force: true });
});

/**
 * A private PostgreSQL cluster for one test file: its own data folder in the temp dir, its own loopback
 * port, trust authentication, fsync off (nothing here survives a machine crash, and no test needs it
 * to). Tests stop and start it at will; the machine's shared Postgres is never touched.
 */
export class TestPostgres {
  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly bin: string,
  ) {}

  /** Creates the cluster (initdb, a few seconds) and starts it. */
  static async start(): Promise<TestPostgres> {
    const bin = postgresBinDir();
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-pg-'));
    if (asRoot) {
      const { uid, gid } = postgresUser();
      chownSync(dir, uid, gid);
    }
    const pg = new TestPostgres(dir, await freePort(), bin);
    undestroyed.add(pg);
    try {
      await pg.exec('initdb', ['-D', pg.dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
      await pg.startAgain();
    } catch (error) {
      await pg.destroy();
      throw error;
    }
    return pg;
  }

  get dataDir(): string {
    return join(this.dir, 'data');
  }

  /** A connection URL for `database` (default: postgres, which initdb creates). */
  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  private async exec(tool: string, args: string[]): Promise<string> {
    const path = join(this.bin, tool);
    const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', path, ...args]] : [path, args];
    try {
      const { stdout } = await run(file, argv, { timeout: 60_000 });
      return stdout;
    } catch (error) {
      const log = existsSync(join(this.dir, 'log')) ? readFileSync(join(this.dir, 'log'), 'utf8').slice(-2000) : '';
      throw new Error(`${tool} failed: ${error instanceof Error ? error.message : String(error)}\n${log}`);
    }
  }

  /** Starts the (stopped) cluster on its port and waits until it accepts connections. */
  async startAgain(): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=200`;
    await this.exec('pg_ctl', ['-D', this.dataDir, '-l', join(this.dir, 'log'), '-w', '-t', '30', '-o', options, 'start']);
    running.add(this);
  }

  /** Stops the cluster: `fast` ends sessions and checkpoints; `immediate` is a crash (recovery on start). */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    await this.exec('pg_ctl', ['-D', this.dataDir, '-m', mode, '-w', '-t', '30', 'stop']);
    running.delete(this);
  }

  /** Synchronous immediate stop, for exit handlers; never throws. */
  stopNow(): void {
    if (!existsSync(join(this.dataDir, 'postmaster.pid'))) return;
    const path = join(this.bin, 'pg_ctl');
    const args = ['-D', this.dataDir, '-m', 'immediate', '-w', '-t', '10', 'stop'];
    try {
      if (asRoot) execFileSync('runuser', ['-u', 'postgres', '--', path, ...args], { stdio: 'ignore' });
      else execFileSync(path, args, { stdio: 'ignore' });
    } catch {
      // Already stopped.
    }
    running.delete(this);
  }

  /** Stops the cluster if it runs and deletes its folder. */
  async destroy(): Promise<void> {
    this.stopNow();
    rmSync(this.dir, { recursive: true, force: true });
    undestroyed.delete(this);
  }
}
