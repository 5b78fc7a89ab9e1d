import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort } from './net.js';

/** The repository root (this file is test/helpers/processes.ts). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The built server entry point of this checkout. */
export const SERVER_MAIN = fileURLToPath(new URL('../../server/dist/main.js', import.meta.url));

const children = new Set<ChildProcess>();
// A test worker that dies mid-test must not leave servers or SDK fleets behind.
process.once('exit', () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** A child process whose output is kept (the last MiB of each stream) and which is killed on exit. */
export interface Spawned {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout(): string;
  stderr(): string;
  /** True while the process runs. */
  alive(): boolean;
  /** SIGKILL (if still running) and wait for the exit. */
  kill(): Promise<void>;
}

const KEEP_BYTES = 1024 * 1024;

export function spawnTracked(command: string, args: readonly string[], options: { env: Record<string, string>; cwd?: string }): Spawned {
  const child = spawn(command, args, { env: options.env, cwd: options.cwd ?? REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    if (out.length > KEEP_BYTES * 2) out = out.slice(-KEEP_BYTES);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
    if (err.length > KEEP_BYTES * 2) err = err.slice(-KEEP_BYTES);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    });
    child.once('error', () => {
      children.delete(child);
      resolve({ code: null, signal: null });
    });
  });
  const alive = (): boolean => child.exitCode === null && child.signalCode === null && children.has(child);
  return {
    child,
    exited,
    stdout: () => out,
    stderr: () => err,
    alive,
    async kill() {
      if (alive()) child.kill('SIGKILL');
      await exited;
    },
  };
}

/**
 * The environment for a server process: only what it needs, never the DATABASE_URL / REDIS_URL of
 * the suite (those point at the machine's shared services, which failure tests must not touch).
 */
function serverEnv(env: Record<string, string>): Record<string, string> {
  const base: Record<string, string> = {};
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ']) {
    const value = process.env[name];
    if (value !== undefined) base[name] = value;
  }
  return { ...base, HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env };
}

/** A real `node server/dist/main.js` process on a loopback port. */
export interface ServerProcess extends Spawned {
  readonly port: number;
  readonly url: string;
  /** Resolves when GET /health/ready answers 200; throws if the process exits first or time runs out. */
  ready(timeoutMs?: number): Promise<number>;
}

export interface ServerOptions {
  /** DATABASE_URL, SWITCHYARD_ADMIN_TOKEN, REDIS_URL…: passed as given. */
  readonly env: Record<string, string>;
  readonly port?: number;
  /** Another build's main.js (the old-version test). */
  readonly main?: string;
}

export async function startServer(options: ServerOptions): Promise<ServerProcess> {
  const main = options.main ?? SERVER_MAIN;
  if (!existsSync(main)) throw new Error(`${main} is missing: build with \`npx tsc -b\` first (npm test does)`);
  const port = options.port ?? (await freePort());
  const spawned = spawnTracked(process.execPath, [main], { env: serverEnv({ PORT: String(port), ...options.env }) });
  const url = `http://127.0.0.1:${port}`;
  return {
    ...spawned,
    port,
    url,
    async ready(timeoutMs = 20_000) {
      const started = Date.now();
      for (;;) {
        if (!spawned.alive()) throw new Error(`server on port ${port} exited before it was ready:\n${spawned.stderr().slice(-3000)}\n${spawned.stdout().slice(-3000)}`);
        try {
          const res = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(1000) });
          if (res.status === 200) return Date.now() - started;
        } catch {
          // Not listening yet.
        }
        if (Date.now() - started > timeoutMs) throw new Error(`server on port ${port} not ready within ${timeoutMs} ms:\n${spawned.stderr().slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

/** Waits for `promise`, but at most `ms`: for cleanup steps that must not hold up the rest. */
export async function atMost(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise.catch(() => undefined), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/** Polls `condition` every `everyMs` until it holds; returns the milliseconds it took, or throws after `timeoutMs`. */
export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 20): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await condition()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** JSON over HTTP to a real server, with a per-request timeout; network failures come back as status 0. */
export async function http(
  url: string,
  init: { method?: string; token?: string; body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<{ status: number; body: unknown; headers: Headers | undefined; error?: string }> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  try {
    const res = await fetch(url, {
      method: init.method ?? 'GET',
      headers,
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      signal: AbortSignal.timeout(init.timeoutMs ?? 10_000),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON.
    }
    return { status: res.status, body, headers: res.headers };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return { status: 0, body: undefined, headers: undefined, error: cause?.code ?? (error instanceof Error ? error.name : String(error)) };
  }
}
