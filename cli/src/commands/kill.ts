import { apiPath } from '../api.js';
import type { CommandSpec } from '../command.js';
import { CliError, ExitCode, usageError } from '../errors.js';
import { describeKill, listNames } from '../format.js';
import type { BulkKillResult, FlagEnvironmentView } from '../types.js';

/**
 * Refuses empty flag keys (an empty path segment would name another route). The key format itself is
 * the server's to check: a key that cannot exist is a 404 FLAG_NOT_FOUND like any unknown key.
 */
export function checkFlagKeys(keys: readonly string[]): void {
  for (const key of keys) if (key.trim() === '') throw usageError('a flag key may not be empty');
}

/** The JSON document of `switchyard kill`. */
export interface KillReport {
  readonly environment: string;
  readonly reason: string;
  readonly dryRun: boolean;
  readonly revision: number | null;
  readonly killed: readonly string[];
  readonly alreadyKilled: readonly string[];
  readonly selector: { readonly tag: string } | { readonly flags: readonly string[] };
}

/** `switchyard kill`: the kill switch, for one flag, several, or every flag with a tag (one transaction). */
export const killCommand: CommandSpec = {
  name: 'kill',
  summary: 'turn flags off in an environment, with a reason (one flag, several, or --tag)',
  synopsis: [
    'switchyard kill <flag>... --env <env> --reason <text> [--dry-run]',
    'switchyard kill --tag <tag> --env <env> --reason <text> [--dry-run]',
  ],
  help: `Kills flags: SDKs serve the off variant (reason KILLED) within milliseconds, any running rollout
plan of the flag is paused, and the reason is recorded in the audit log. Killing a killed flag is a
no-op, so retries are safe. Several flags, or every flag carrying --tag, are killed in one
transaction: one revision, one audit entry per flag. --dry-run lists what would be switched off.

Options:
  --reason <text>      why (an incident id, a sentence); required
  --tag <tag>          every live flag with this tag, instead of flag keys
  --dry-run            list the flags that would be killed; change nothing

Exit codes: 0 killed (or already killed), 2 usage or server error, or nothing matched.

Examples:
  switchyard kill new-checkout --env production --reason INC-4711
  switchyard kill --tag checkout --env production --reason "INC-4711: checkout 500s" --dry-run`,
  options: { reason: { type: 'string' }, tag: { type: 'string' }, 'dry-run': { type: 'boolean' } },
  positionals: { min: 0, max: 1000 },
  async run({ args, positionals, out, api, environment }) {
    const tag = args.string('tag');
    if (tag !== undefined && positionals.length > 0) throw usageError('give flag keys or --tag, not both');
    if (tag === undefined && positionals.length === 0) throw usageError('name the flags to kill, or --tag <tag>');
    checkFlagKeys(positionals);
    const env = environment();
    const reason = args.required('reason', '(e.g. --reason INC-4711): every kill says why');
    const dryRun = args.flag('dry-run');
    const client = api();
    let report: KillReport;
    const only = positionals[0];
    if (tag === undefined && positionals.length === 1 && !dryRun && only !== undefined) {
      // One flag: the per-flag kill route, the incident path that needs nothing else on the server.
      const result = await client.post<FlagEnvironmentView>(apiPath('flags', only, 'environments', env, 'kill'), { reason });
      const already = result.alreadyKilled === true;
      report = {
        environment: env,
        reason,
        dryRun: false,
        revision: already ? null : (result.revision ?? result.killed?.revision ?? null),
        killed: already ? [] : [only],
        alreadyKilled: already ? [only] : [],
        selector: { flags: [only] },
      };
      if (already && result.killed !== null) out.info(`${only} was already killed in ${env}: ${describeKill(result.killed)}`);
    } else {
      const selector = tag === undefined ? { flags: [...new Set(positionals)] } : { tag };
      const result = await client.post<BulkKillResult>('/api/v1/kill', { environment: env, reason, ...selector, dryRun });
      report = { environment: env, reason, dryRun, revision: result.revision, killed: result.killed, alreadyKilled: result.alreadyKilled, selector };
    }
    if (report.killed.length === 0 && report.alreadyKilled.length === 0) {
      throw new CliError(`no flag${tag === undefined ? '' : ` tagged "${tag}"`} matched in ${env}: nothing was killed`, { code: 'NOTHING_MATCHED' });
    }
    out.result(report, () => {
      const lines: string[] = [];
      const count = (n: number): string => `${n} flag${n === 1 ? '' : 's'}`;
      if (dryRun) {
        lines.push(`dry run: would kill ${count(report.killed.length)} in ${env}${tag === undefined ? '' : ` (tag ${tag})`}:`);
        for (const key of report.killed) lines.push(`  ${key}`);
      } else if (report.killed.length > 0) {
        lines.push(`killed ${count(report.killed.length)} in ${env}${report.revision === null ? '' : ` (revision ${report.revision})`}: ${listNames(report.killed)}`);
      }
      if (report.alreadyKilled.length > 0) lines.push(`already killed: ${listNames(report.alreadyKilled)}`);
      return lines.join('\n');
    });
    return ExitCode.ok;
  },
};
