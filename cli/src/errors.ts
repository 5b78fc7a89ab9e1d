/**
 * The exit codes of every command: `0` success (gate open, rollout completed), `1` a negative answer
 * (gate closed, rollout rolled back, check failed), `2` a usage, connection or server error.
 * @example process.exitCode = ExitCode.failed;
 */
export const ExitCode = { ok: 0, failed: 1, error: 2 } as const;

/** One of {@link ExitCode}'s values. */
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** One problem named by a server error (`details[]` of `{ error: { code, message, details } }`). */
export interface ErrorDetail {
  readonly path?: string;
  readonly message: string;
  readonly [field: string]: unknown;
}

/**
 * An error the CLI reports as a message, never a stack trace, and exits with `exitCode` (2 unless
 * said otherwise). `usage` errors also print the command's usage.
 * @example throw new CliError('no token: set SWITCHYARD_TOKEN or pass --token', { code: 'NO_TOKEN' });
 */
export class CliError extends Error {
  /** A stable code: the server's error code, or one of the CLI's own (`USAGE`, `NETWORK`, …). */
  readonly code: string;
  /** The process exit code this error ends with. */
  readonly exitCode: ExitCodeValue;
  /** The problems the server named, if any. */
  readonly details: readonly ErrorDetail[];
  /** True when the command line was wrong: the command's usage is printed with the message. */
  readonly usage: boolean;
  /** The HTTP status, for errors from the server. */
  readonly status: number | undefined;

  constructor(message: string, options: { code?: string; exitCode?: ExitCodeValue; details?: readonly ErrorDetail[]; usage?: boolean; status?: number } = {}) {
    super(message);
    this.name = 'CliError';
    this.code = options.code ?? 'ERROR';
    this.exitCode = options.exitCode ?? ExitCode.error;
    this.details = options.details ?? [];
    this.usage = options.usage ?? false;
    this.status = options.status;
  }

  /**
   * True for failures worth retrying while waiting (network errors, 429, 5xx); a wrong key, an
   * unknown flag or a bad request will not get better by asking again.
   * @example if (err instanceof CliError && err.transient) await sleep(1000);
   */
  get transient(): boolean {
    return this.code === 'NETWORK' || this.code === 'TIMEOUT' || this.status === 429 || (this.status !== undefined && this.status >= 500);
  }
}

/**
 * A usage error: a missing or malformed argument. Exits 2 and prints the command's usage.
 * @example throw usageError('--reason is required');
 */
export function usageError(message: string): CliError {
  return new CliError(message, { code: 'USAGE', usage: true });
}
