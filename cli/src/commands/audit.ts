import type { CommandSpec } from '../command.js';
import { ExitCode } from '../errors.js';
import { shortTime } from '../format.js';
import { table } from '../output.js';
import type { AuditEntry, AuditPage } from '../types.js';
import { parseInteger } from '../units.js';

/** `switchyard audit`: who changed what, when and why. */
export const auditCommand: CommandSpec = {
  name: 'audit',
  summary: 'show the audit log: who changed what, when, why',
  synopsis: ['switchyard audit [--flag <key>] [--env <env>] [--actor <name>] [--action <action>] [--since <time>] [--until <time>] [--limit <n>] [--all]'],
  help: `Shows audit entries, newest first.

Options:
  --flag <key>         entries of one flag (metadata and environment configs)
  --actor <name>       entries made with this API key name
  --action <action>    e.g. flag-environment.kill
  --since <time>       ISO 8601 date or date-time (inclusive)
  --until <time>       ISO 8601 (exclusive)
  --limit <n>          entries per page, 1–500 (default 50)
  --before <id>        the page before this entry id (from nextBefore)
  --all                follow the pages to the end (JSON: every entry in one document)
  (--env filters by environment.)

Example:
  switchyard audit --flag new-checkout --env production --since 2026-05-01`,
  options: {
    flag: { type: 'string' },
    actor: { type: 'string' },
    action: { type: 'string' },
    since: { type: 'string' },
    until: { type: 'string' },
    limit: { type: 'string' },
    before: { type: 'string' },
    all: { type: 'boolean' },
  },
  positionals: { min: 0, max: 0 },
  async run(context) {
    const { args } = context;
    const limit = args.string('limit');
    const query = {
      flag: args.string('flag'),
      env: context.optionalEnvironment(),
      actor: args.string('actor'),
      action: args.string('action'),
      since: args.string('since'),
      until: args.string('until'),
      limit: limit === undefined ? undefined : parseInteger(limit, '--limit', 1, 500),
    };
    const client = context.api();
    const entries: AuditEntry[] = [];
    let before = args.string('before');
    let nextBefore: number | null;
    for (;;) {
      const page = await client.get<AuditPage>('/api/v1/audit', { ...query, before });
      entries.push(...page.entries);
      nextBefore = page.nextBefore;
      if (!args.flag('all') || nextBefore === null) break;
      before = String(nextBefore);
    }
    context.out.result({ entries, nextBefore }, () => {
      if (entries.length === 0) return 'no entries';
      const rows = entries.map((e) => [shortTime(e.at), String(e.revision ?? '-'), e.actor, e.action, e.resourceKey, e.environment ?? '-', e.reason ?? '']);
      const text = table(['AT', 'REV', 'ACTOR', 'ACTION', 'RESOURCE', 'ENV', 'REASON'], rows);
      return nextBefore === null ? text : `${text}\n(more: --before ${nextBefore}, or --all)`;
    });
    return ExitCode.ok;
  },
};
