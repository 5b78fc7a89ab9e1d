import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The built `switchyard` command (npm test builds it first with `tsc -b`). */
export const CLI_BIN = fileURLToPath(new URL('../../cli/dist/bin.js', import.meta.url));

/** What one run of the CLI did. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as the one JSON document `--json` prints. */
  json<T = Record<string, unknown>>(): T;
}

/**
 * Runs the built CLI as a subprocess (asynchronously, so a test server in this process keeps
 * answering). `env` is added to a copy of the process environment without any SWITCHYARD_* variable.
 */
export function runCli(args: readonly string[], options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): Promise<CliRun> {
  if (!existsSync(CLI_BIN)) throw new Error(`${CLI_BIN} is missing: build first (npx tsc -b)`);
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined && !name.startsWith('SWITCHYARD_')) env[name] = value;
  Object.assign(env, options.env);
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLI_BIN, ...args], { env, cwd: options.cwd, timeout: options.timeoutMs ?? 30_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : Number.NaN;
      if (Number.isNaN(code)) {
        reject(new Error(`switchyard ${args.join(' ')} did not exit normally: ${error?.message ?? ''}\n${stderr}`));
        return;
      }
      resolve({
        code,
        stdout,
        stderr,
        json<T>() {
          try {
            return JSON.parse(stdout) as T;
          } catch {
            throw new Error(`switchyard ${args.join(' ')} printed no JSON document on stdout:\n${stdout}\nstderr:\n${stderr}`);
          }
        },
      });
    });
  });
}
