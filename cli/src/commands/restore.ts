import { apiPath } from '../api.js';
import type { CommandSpec } from '../command.js';
import { CliError, ExitCode, usageError } from '../errors.js';
import { listNames } from '../format.js';
import type { FlagEnvironmentView, FlagView } from '../types.js';
import { checkFlagKeys } from './kill.js';

/** The JSON document of `switchyard restore`. */
export interface RestoreReport {
  readonly environment: string;
  readonly reason: string;
  readonly restored: readonly { readonly flag: string; readonly revision: number | null; readonly enabled: boolean }[];
  readonly notKilled: readonly string[];
}

/** `switchyard restore`: undo kills, returning each flag to its state before the kill. */
export const restoreCommand: CommandSpec = {
  name: 'restore',
  summary: 'undo kills: flags return to their state before the kill, with a reason',
  synopsis: ['switchyard restore <flag>... --env <env> --reason <text>', 'switchyard restore --tag <tag> --env <env> --reason <text>'],
  help: `Restores killed flags: each returns to what it was before the kill (a flag killed while off stays
off); edits made while it was killed stay. A flag that is not killed is reported and skipped, so
retries are safe. Each restore is its own change (one revision per flag); with --tag, every killed
flag carrying the tag is restored.

Options:
  --reason <text>      why (e.g. "INC-4711 mitigated"); required
  --tag <tag>          every killed flag with this tag, instead of flag keys

Exit codes: 0 restored (or nothing was killed), 2 usage or server error.

Example:
  switchyard restore new-checkout --env production --reason "INC-4711 mitigated"`,
  options: { reason: { type: 'string' }, tag: { type: 'string' } },
  positionals: { min: 0, max: 1000 },
  async run({ args, positionals, out, api, environment }) {
    const tag = args.string('tag');
    if (tag !== undefined && positionals.length > 0) throw usageError('give flag keys or --tag, not both');
    if (tag === undefined && positionals.length === 0) throw usageError('name the flags to restore, or --tag <tag>');
    checkFlagKeys(positionals);
    const env = environment();
    const reason = args.required('reason', '(e.g. --reason "INC-4711 mitigated"): every restore says why');
    const client = api();
    let keys: string[] = [...new Set(positionals)];
    const notKilled: string[] = [];
    if (tag !== undefined) {
      const { flags } = await client.get<{ flags: FlagView[] }>('/api/v1/flags', { tag });
      if (flags.length === 0) throw new CliError(`no flag tagged "${tag}": nothing to restore`, { code: 'NOTHING_MATCHED' });
      if (flags.every((f) => f.environments[env] === undefined)) throw new CliError(`ENVIRONMENT_NOT_FOUND: no environment "${env}"`, { code: 'ENVIRONMENT_NOT_FOUND' });
      keys = flags.filter((f) => f.environments[env]?.killed != null).map((f) => f.key);
      notKilled.push(...flags.filter((f) => f.environments[env]?.killed == null).map((f) => f.key));
    }
    const restored: { flag: string; revision: number | null; enabled: boolean }[] = [];
    for (const key of keys) {
      try {
        const result = await client.post<FlagEnvironmentView>(apiPath('flags', key, 'environments', env, 'restore'), { reason });
        restored.push({ flag: key, revision: result.revision ?? null, enabled: result.enabled });
      } catch (err) {
        if (err instanceof CliError && err.code === 'NOT_KILLED') notKilled.push(key);
        else {
          if (restored.length > 0) out.info(`restored before the error: ${listNames(restored.map((r) => r.flag))}`);
          throw err;
        }
      }
    }
    const report: RestoreReport = { environment: env, reason, restored, notKilled };
    out.result(report, () => {
      const lines = restored.map((r) => `restored ${r.flag} in ${env}${r.revision === null ? '' : ` (revision ${r.revision})`}: now ${r.enabled ? 'on' : 'off'}`);
      if (notKilled.length > 0) lines.push(`not killed in ${env}, left as is: ${listNames(notKilled)}`);
      return lines.join('\n');
    });
    return ExitCode.ok;
  },
};
