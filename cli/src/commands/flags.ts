import { apiPath } from '../api.js';
import type { CommandGroup, CommandSpec } from '../command.js';
import { loadCore } from '../core.js';
import { ExitCode, usageError } from '../errors.js';
import { describeKill, describeState, shortTime } from '../format.js';
import { table } from '../output.js';
import type { FlagEnvironmentView, FlagView } from '../types.js';
import { checkFlagKeys } from './kill.js';

/** `switchyard flags list`. */
export const flagsListCommand: CommandSpec = {
  name: 'flags list',
  summary: 'list live flags (filter by tag, kind, owner, text)',
  synopsis: ['switchyard flags list [--tag <tag>]... [--kind <kind>] [--owner <owner>] [--query <text>] [--archived] [--env <env>]'],
  help: `Lists live flags ordered by key, with their state in each environment (or in --env only).

Options:
  --tag <tag>          only flags with this tag (repeat, or comma-separate, to require several)
  --kind <kind>        release, experiment, kill-switch, operational, permission or gate
  --owner <owner>      exact owner
  -q, --query <text>   substring of key, name or description
  --archived           list archived flags instead

Example:
  switchyard flags list --tag checkout --env production`,
  options: { tag: { type: 'string', multiple: true }, kind: { type: 'string' }, owner: { type: 'string' }, query: { type: 'string', short: 'q' }, archived: { type: 'boolean' } },
  positionals: { min: 0, max: 0 },
  async run(context) {
    const { args } = context;
    const kind = args.string('kind');
    if (kind !== undefined) {
      const { FlagKindSchema } = await loadCore();
      if (!FlagKindSchema.safeParse(kind).success) throw usageError(`--kind: "${kind}" is not one of ${FlagKindSchema.options.join(', ')}`);
    }
    const env = context.optionalEnvironment();
    const tags = args.strings('tag');
    const { flags } = await context.api().get<{ flags: FlagView[] }>('/api/v1/flags', {
      tag: tags.length === 0 ? undefined : tags,
      kind,
      owner: args.string('owner'),
      q: args.string('query'),
      archived: args.flag('archived') ? 'true' : undefined,
    });
    context.out.result({ flags }, () => {
      if (flags.length === 0) return 'no flags';
      const envs = env === undefined ? [...new Set(flags.flatMap((f) => Object.keys(f.environments)))] : [env];
      const rows = flags.map((f) => [f.key, f.kind, f.owner, ...envs.map((e) => describeState(f.environments[e])), shortTime(f.expiresAt), f.tags.join(',')]);
      return table(['KEY', 'KIND', 'OWNER', ...envs.map((e) => e.toUpperCase()), 'EXPIRES', 'TAGS'], rows);
    });
    return ExitCode.ok;
  },
};

/** `switchyard flags get`. */
export const flagsGetCommand: CommandSpec = {
  name: 'flags get',
  summary: 'show one flag (with --env: its config in that environment)',
  synopsis: ['switchyard flags get <flag> [--env <env>]'],
  help: `Shows a flag's metadata and its state in every environment; with --env, the full environment
config (what PUT /api/v1/flags/:key/environments/:env takes).

Example:
  switchyard flags get new-checkout --env production --json`,
  positionals: { min: 1, max: 1 },
  async run(context) {
    const key = context.positionals[0] ?? '';
    checkFlagKeys([key]);
    const env = context.optionalEnvironment();
    const client = context.api();
    if (env !== undefined) {
      const view = await client.get<FlagEnvironmentView>(apiPath('flags', key, 'environments', env));
      context.out.result(view, () => {
        const lines = [`${key} in ${env}: ${describeState(view)} (config version ${view.version}, revision ${view.updatedRevision})`];
        if (view.killed !== null) lines.push(`killed: ${describeKill(view.killed)}`);
        lines.push(JSON.stringify(view.config, null, 2));
        return lines.join('\n');
      });
      return ExitCode.ok;
    }
    const { flag } = await client.get<{ flag: FlagView }>(apiPath('flags', key));
    context.out.result({ flag }, () => {
      const lines = [
        `${flag.key}${flag.name !== flag.key ? ` — ${flag.name}` : ''}${flag.archivedAt === null ? '' : ` (archived ${flag.archivedAt})`}`,
        `  kind      ${flag.kind} (${flag.type})`,
        `  owner     ${flag.owner}`,
        `  expires   ${flag.expiresAt ?? 'never'}`,
        `  tags      ${flag.tags.join(', ') || '-'}`,
        `  variants  ${flag.variants.map((v) => (v.key === String(v.value) ? v.key : `${v.key}=${JSON.stringify(v.value)}`)).join(', ')}`,
      ];
      if (flag.description !== '') lines.push(`  about     ${flag.description}`);
      lines.push('  environments');
      for (const [name, summary] of Object.entries(flag.environments)) {
        lines.push(`    ${name.padEnd(14)}${describeState(summary)}${summary.killed === null ? '' : ` — ${describeKill(summary.killed)}`}`);
      }
      return lines.join('\n');
    });
    return ExitCode.ok;
  },
};

/** `switchyard flags`: read flags. */
export const flagsGroup: CommandGroup = {
  name: 'flags',
  summary: 'read flags: list, get',
  subcommands: [flagsListCommand, flagsGetCommand],
};
