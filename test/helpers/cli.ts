import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createTestServer, type TestServer } from './server.js';

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

/** A flag's environment state, as the CLI tests read it back. */
export interface EnvironmentState {
  readonly killed: { reason: string } | null;
  readonly enabled: boolean;
  readonly rolloutPercentage?: number;
  readonly version: number;
}

/** Creates a flag (owner, kind and expiry defaulted) and, when given, its config in `environment`. */
export async function seedFlag(server: TestServer, environment: string, body: Record<string, unknown>, config?: Record<string, unknown>): Promise<void> {
  const created = await server.api('POST', '/api/v1/flags', { owner: 'team-checkout', kind: 'release', expiresAt: '2030-01-01T00:00:00Z', ...body });
  if (created.statusCode !== 201) throw new Error(`creating ${String(body.key)}: ${created.statusCode} ${created.body}`);
  if (config === undefined) return;
  const put = await server.api('PUT', `/api/v1/flags/${String(body.key)}/environments/${environment}`, config);
  if (put.statusCode !== 200) throw new Error(`configuring ${String(body.key)}: ${put.statusCode} ${put.body}`);
}

/** Reads a flag's state in `environment` through the API. */
export async function environmentState(server: TestServer, environment: string, key: string): Promise<EnvironmentState> {
  return (await server.api('GET', `/api/v1/flags/${key}/environments/${environment}`)).json();
}

/**
 * A listening test server with the flags the CLI tests act on (three tagged `checkout`, one expired),
 * and the SWITCHYARD_* environment that points the CLI at it.
 */
export async function startCliServer(environment: string): Promise<{ server: TestServer; url: string; env: Record<string, string> }> {
  const server = await createTestServer();
  const url = await server.listen();
  const on = { enabled: true, offVariant: 'false', fallthrough: { variant: 'true' } };
  await seedFlag(server, environment, { key: 'new-checkout', tags: ['checkout'] }, on);
  await seedFlag(server, environment, { key: 'checkout-layout', kind: 'experiment', tags: ['checkout'], type: 'string', variants: [{ key: 'control', value: 'control' }, { key: 'grid', value: 'grid' }] });
  await seedFlag(server, environment, { key: 'payment-retry', kind: 'kill-switch', expiresAt: null, tags: ['checkout', 'payments'] }, on);
  await seedFlag(server, environment, { key: 'search-v2', tags: ['search'] });
  await seedFlag(server, environment, { key: 'old-promo', expiresAt: '2021-01-01T00:00:00Z', tags: ['promo'] });
  return { server, url, env: { SWITCHYARD_URL: url, SWITCHYARD_TOKEN: server.adminToken } };
}
