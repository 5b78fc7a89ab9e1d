import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createContext, GLOBAL_HELP, GLOBAL_OPTIONS, systemClock, type Clock, type CommandGroup, type CommandSpec } from './command.js';
import { CliError, ExitCode, usageError } from './errors.js';
import { Output, type Streams } from './output.js';
import { auditCommand } from './commands/audit.js';
import { codegenCommand } from './commands/codegen.js';
import { flagsGroup } from './commands/flags.js';
import { gateGroup } from './commands/gate.js';
import { killCommand } from './commands/kill.js';
import { restoreCommand } from './commands/restore.js';
import { rolloutGroup } from './commands/rollout.js';
import { scanCommand } from './commands/scan.js';
import { staleCommand } from './commands/stale.js';

/** Every top-level command, in help order. */
export const COMMANDS: readonly (CommandSpec | CommandGroup)[] = [
  killCommand,
  restoreCommand,
  gateGroup,
  rolloutGroup,
  flagsGroup,
  staleCommand,
  scanCommand,
  codegenCommand,
  auditCommand,
];

/** What {@link run} reads and writes: the streams, the process environment and a clock. */
export interface RunIo extends Streams {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly clock?: Clock;
}

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function isGroup(command: CommandSpec | CommandGroup): command is CommandGroup {
  return 'subcommands' in command;
}

function mainHelp(): string {
  const lines = ['Usage: switchyard <command> [options]', '', 'Commands:'];
  for (const command of COMMANDS) {
    if (isGroup(command)) for (const sub of command.subcommands) lines.push(`  ${sub.name.padEnd(18)}${sub.summary}`);
    else lines.push(`  ${command.name.padEnd(18)}${command.summary}`);
  }
  lines.push(
    '',
    'Exit codes: 0 success or gate open; 1 gate closed, rollout rolled back or check failed;',
    '            2 usage, connection or server error.',
    '',
    'Environment: SWITCHYARD_URL (default http://127.0.0.1:4242), SWITCHYARD_TOKEN, SWITCHYARD_ENV.',
    '',
    GLOBAL_HELP,
    '',
    'Run `switchyard <command> --help` for a command. Docs: docs/cli.md.',
  );
  return lines.join('\n');
}

function groupHelp(group: CommandGroup): string {
  const lines = [`Usage: switchyard ${group.name} <${group.subcommands.map((s) => s.name.split(' ')[1]).join('|')}> [options]`, '', `${group.summary}`, ''];
  for (const sub of group.subcommands) lines.push(`  ${sub.name.padEnd(18)}${sub.summary}`);
  lines.push('', `Run \`switchyard ${group.name} <command> --help\` for a command's options.`);
  return lines.join('\n');
}

function commandHelp(command: CommandSpec): string {
  const synopsis = command.synopsis.map((line, i) => `${i === 0 ? 'Usage: ' : '       '}${line}`).join('\n');
  return `${synopsis}\n\n${command.help}\n\n${GLOBAL_HELP}`;
}

function shortUsage(command: CommandSpec | CommandGroup | undefined): string {
  if (command === undefined) return 'Usage: switchyard <command> [options]   (switchyard --help lists the commands)';
  if (isGroup(command)) return `${groupHelp(command).split('\n')[0] ?? ''}   (switchyard ${command.name} --help)`;
  return `${command.synopsis.map((line, i) => `${i === 0 ? 'Usage: ' : '       '}${line}`).join('\n')}\n(switchyard ${command.name} --help for the options)`;
}

function parseError(err: unknown): CliError | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
    const message = err instanceof Error ? err.message.split('\n')[0]?.replace(/\. To specify a positional argument.*$/, '') ?? 'bad arguments' : 'bad arguments';
    return usageError(message);
  }
  return undefined;
}

/**
 * Runs the CLI with `argv` (without `node` and the script) and resolves to the exit code. Never throws:
 * every failure is printed as a message (no stack trace unless SWITCHYARD_DEBUG is set).
 * @example process.exitCode = await run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
 */
export async function run(argv: readonly string[], io: RunIo): Promise<number> {
  const json = argv.includes('--json');
  const out = new Output(io, json);
  let command: CommandSpec | CommandGroup | undefined;
  let spec: CommandSpec | undefined;
  try {
    const [first, second] = argv;
    if (first === undefined) {
      io.stderr.write(`${mainHelp()}\n`);
      return ExitCode.error;
    }
    if (first === '--help' || first === '-h' || first === 'help') {
      const topic = first === 'help' ? argv.slice(1).filter((a) => !a.startsWith('-')) : [];
      const named = COMMANDS.find((c) => c.name === topic[0]);
      if (named === undefined) io.stdout.write(`${mainHelp()}\n`);
      else if (!isGroup(named)) io.stdout.write(`${commandHelp(named)}\n`);
      else {
        const sub = named.subcommands.find((s) => s.name === `${named.name} ${topic[1] ?? ''}`);
        io.stdout.write(`${sub === undefined ? groupHelp(named) : commandHelp(sub)}\n`);
      }
      return ExitCode.ok;
    }
    if (first === '--version' || first === '-v' || first === 'version') {
      io.stdout.write(`${version()}\n`);
      return ExitCode.ok;
    }
    command = COMMANDS.find((c) => c.name === first);
    if (command === undefined) throw usageError(`unknown command "${first}"`);
    let rest = argv.slice(1);
    if (isGroup(command)) {
      const group: CommandGroup = command;
      if (second === undefined || second === '--help' || second === '-h') {
        (second === undefined ? io.stderr : io.stdout).write(`${groupHelp(group)}\n`);
        return second === undefined ? ExitCode.error : ExitCode.ok;
      }
      spec = group.subcommands.find((s) => s.name === `${group.name} ${second}`);
      if (spec === undefined) throw usageError(`unknown command "${group.name} ${second}"`);
      rest = argv.slice(2);
    } else {
      spec = command;
    }
    const parsed = parseArgs({ args: [...rest], options: { ...GLOBAL_OPTIONS, ...spec.options }, allowPositionals: true, strict: true });
    if (parsed.values.help === true) {
      io.stdout.write(`${commandHelp(spec)}\n`);
      return ExitCode.ok;
    }
    const { min, max } = spec.positionals ?? { min: 0, max: 0 };
    if (parsed.positionals.length < min) throw usageError('missing arguments');
    if (parsed.positionals.length > max) throw usageError(`unexpected argument "${parsed.positionals[max] ?? ''}"`);
    const context = createContext({ values: parsed.values, positionals: parsed.positionals, out, environ: io.env, clock: io.clock ?? systemClock });
    return await spec.run(context);
  } catch (caught) {
    const err = parseError(caught) ?? caught;
    if (!(err instanceof CliError)) {
      const message = err instanceof Error ? err.message : String(err);
      io.stderr.write(`error: ${message}\n`);
      if (io.env.SWITCHYARD_DEBUG && err instanceof Error && err.stack) io.stderr.write(`${err.stack}\n`);
      if (json && !out.printedJson) out.document({ error: { code: 'INTERNAL', message } });
      return ExitCode.error;
    }
    io.stderr.write(`error: ${err.message}\n`);
    for (const detail of err.details) {
      const text = `${detail.path ? `${detail.path}: ` : ''}${detail.message}`;
      if (!err.message.includes(text)) io.stderr.write(`  ${text}\n`);
    }
    if (err.usage) io.stderr.write(`${shortUsage(spec ?? command)}\n`);
    if (json && !out.printedJson) out.document({ error: { code: err.code, message: err.message, details: err.details, ...(err.status === undefined ? {} : { status: err.status }) } });
    return err.exitCode;
  }
}
