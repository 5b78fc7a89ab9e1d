import type { CommandSpec } from '../command.js';
import { ExitCode } from '../errors.js';
import { shortTime } from '../format.js';
import { table } from '../output.js';
import type { FlagView } from '../types.js';
import { parseInteger } from '../units.js';

/** `switchyard stale`: flag debt — expired, fully rolled out, or no longer evaluated. */
export const staleCommand: CommandSpec = {
  name: 'stale',
  summary: 'list flag debt: expired, fully rolled out, or not evaluated lately',
  synopsis: ['switchyard stale [--days <n>] [--owner <owner>] [--fail-on-expired]'],
  help: `Lists live flags that should probably be removed from code:
  expired            past their expiry date
  fully-rolled-out   a temporary flag serving one variant to everyone, unchanged for N days
  unused             no SDK reported evaluating it for N days
(N is 30 unless --days says otherwise.)

Options:
  --days <n>           the N above (sent to the server; default: the server's, 30)
  --owner <owner>      only flags of this owner
  --fail-on-expired    exit 1 when any flag is past its expiry date (for a scheduled CI job)

Exit codes: 0 (also when stale flags are listed), 1 with --fail-on-expired and an expired flag,
2 usage or server error.

Example:
  switchyard stale --fail-on-expired`,
  options: { days: { type: 'string' }, owner: { type: 'string' }, 'fail-on-expired': { type: 'boolean' } },
  positionals: { min: 0, max: 0 },
  async run({ args, out, api }) {
    const days = args.string('days');
    const owner = args.string('owner');
    const { flags } = await api().get<{ flags: FlagView[] }>('/api/v1/flags', {
      stale: 'true',
      ...(days === undefined ? {} : { days: parseInteger(days, '--days', 1, 3650) }),
      ...(owner === undefined ? {} : { owner }),
    });
    const expired = flags.filter((f) => f.staleReasons?.includes('expired') === true).map((f) => f.key);
    out.result({ flags, expired }, () => {
      if (flags.length === 0) return 'no stale flags';
      const rows = flags.map((f) => [
        f.key,
        f.owner,
        f.kind,
        (f.staleReasons ?? []).join(', '),
        shortTime(f.expiresAt),
        f.lastEvaluatedAt === undefined ? '-' : f.lastEvaluatedAt === null ? 'never' : shortTime(f.lastEvaluatedAt),
        (f.fullyRolledOutIn ?? []).join(',') || '-',
      ]);
      return table(['KEY', 'OWNER', 'KIND', 'REASONS', 'EXPIRES', 'LAST EVALUATED', 'FULLY ROLLED OUT IN'], rows);
    });
    if (args.flag('fail-on-expired') && expired.length > 0) {
      out.info(`${expired.length} flag${expired.length === 1 ? ' is' : 's are'} past expiry: ${expired.join(', ')}`);
      return ExitCode.failed;
    }
    return ExitCode.ok;
  },
};
