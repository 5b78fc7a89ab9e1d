import { existsSync } from 'node:fs';
import type { CommandSpec } from '../command.js';
import { ExitCode, usageError } from '../errors.js';
import { FLAG_FUNCTIONS } from '../scan/find-keys.js';
import { scanTree, type KeyLocation } from '../scan/scan-tree.js';
import type { FlagView } from '../types.js';

/** The JSON document of `switchyard scan`. */
export interface ScanReport {
  readonly root: string;
  readonly files: number;
  readonly durationMs: number;
  /** Every key the code uses, and whether a live flag has it. */
  readonly used: readonly { readonly key: string; readonly defined: boolean; readonly locations: readonly KeyLocation[] }[];
  /** Keys the code uses that no live flag has (`archived`: an archived flag has it). Absent with --offline. */
  readonly undefined?: readonly { readonly key: string; readonly archived: boolean; readonly locations: readonly KeyLocation[] }[];
  /** Live flags no code uses (gates excluded: pipelines use them). Absent with --offline. */
  readonly unused?: readonly { readonly key: string; readonly kind: string; readonly owner: string }[];
}

function where(locations: readonly KeyLocation[]): string {
  const first = locations[0];
  if (first === undefined) return '';
  return `${first.file}:${first.line}:${first.column}${locations.length > 1 ? ` (+${locations.length - 1} more)` : ''}`;
}

/** `switchyard scan <dir>`: flag keys in code versus flags on the server. */
export const scanCommand: CommandSpec = {
  name: 'scan',
  summary: 'find flag keys used in code: used but undefined, defined but unused',
  synopsis: ['switchyard scan [<dir>] [--offline] [--fail-on-unused] [--functions <names>] [--no-gitignore]'],
  help: `Reads the .ts/.tsx/.js/.jsx/.mjs/.cjs files under <dir> (default .), skipping node_modules, .git,
dist and what .gitignore files exclude, and finds flag keys passed as string literals to enabled(),
isEnabled(), variant(), detail() and the OpenFeature getters (getBooleanValue('key', …) etc.), as
functions or methods (flags.enabled(…), client?.getStringValue(…)), including names a file gives them
(const { enabled: isOn } = flags; import { enabled as on }; const on = flags.enabled.bind(flags)).
Then it compares them with the live flags on the server.

Options:
  --offline            list the keys found; do not ask the server
  --fail-on-unused     also exit 1 when a flag (other than a gate) is not used in the code
  --functions <names>  more function names taking a flag key first (comma-separated, e.g. useFlag)
  --no-gitignore       read files that .gitignore excludes too

Limits: keys computed at run time (enabled(name), \`flag-\${x}\`) are not seen; comments count;
symbolic links are not followed; .d.ts files are skipped.

Exit codes: 0 every used key is a live flag, 1 a key is used but not defined (with --fail-on-unused:
or a flag is unused), 2 usage or server error.

Example:
  switchyard scan ./src --json`,
  options: { offline: { type: 'boolean' }, 'fail-on-unused': { type: 'boolean' }, functions: { type: 'string', multiple: true }, 'no-gitignore': { type: 'boolean' } },
  positionals: { min: 0, max: 1 },
  async run(context) {
    const { args, out } = context;
    const dir = context.positionals[0] ?? '.';
    if (!existsSync(dir)) throw usageError(`${dir}: no such file or folder`);
    const extra = args.strings('functions');
    for (const name of extra) if (!/^[A-Za-z_$][\w$]*$/.test(name)) throw usageError(`--functions: "${name}" is not a function name`);
    const offline = args.flag('offline');
    // Ask the server first when online: a wrong URL or key should fail before a long scan.
    let live: FlagView[] | undefined;
    let archived: FlagView[] = [];
    if (!offline) {
      const client = context.api();
      [live, archived] = await Promise.all([
        client.get<{ flags: FlagView[] }>('/api/v1/flags').then((r) => r.flags),
        client.get<{ flags: FlagView[] }>('/api/v1/flags', { archived: 'true' }).then((r) => r.flags),
      ]);
    }
    const result = await scanTree(dir, { functions: [...FLAG_FUNCTIONS, ...extra], gitignore: !args.flag('no-gitignore') });
    out.info(`scanned ${result.files} file${result.files === 1 ? '' : 's'} in ${result.durationMs} ms: ${result.keys.size} flag key${result.keys.size === 1 ? '' : 's'} used`);
    const defined = new Set((live ?? []).map((f) => f.key));
    const used = [...result.keys].map(([key, locations]) => ({ key, defined: defined.has(key), locations }));
    if (live === undefined) {
      const report: ScanReport = { root: result.root, files: result.files, durationMs: result.durationMs, used };
      out.result(report, () => used.map((u) => `${u.key.padEnd(32)} ${where(u.locations)}`).join('\n'));
      return ExitCode.ok;
    }
    const archivedKeys = new Set(archived.map((f) => f.key));
    const missing = used.filter((u) => !u.defined).map((u) => ({ key: u.key, archived: archivedKeys.has(u.key), locations: u.locations }));
    const unused = live.filter((f) => f.kind !== 'gate' && !result.keys.has(f.key)).map((f) => ({ key: f.key, kind: f.kind, owner: f.owner }));
    const report: ScanReport = { root: result.root, files: result.files, durationMs: result.durationMs, used, undefined: missing, unused };
    out.result(report, () => {
      const lines: string[] = [];
      const width = Math.max(8, ...missing.map((m) => m.key.length), ...unused.map((u) => u.key.length));
      if (missing.length > 0) {
        lines.push(`used in code but not defined (${missing.length}):`);
        for (const m of missing) lines.push(`  ${m.key.padEnd(width)}  ${where(m.locations)}${m.archived ? '  (archived flag: SDKs serve the default)' : ''}`);
      }
      if (unused.length > 0) {
        lines.push(`defined but not used in code (${unused.length}):`);
        for (const u of unused) lines.push(`  ${u.key.padEnd(width)}  ${u.kind}, ${u.owner}`);
      }
      if (lines.length === 0) lines.push(`all ${used.length} keys used in code are live flags, and every flag is used`);
      return lines.join('\n');
    });
    const failed = missing.length > 0 || (args.flag('fail-on-unused') && unused.length > 0);
    return failed ? ExitCode.failed : ExitCode.ok;
  },
};
