import { apiPath, type Api } from '../api.js';
import type { CommandContext, CommandGroup, CommandSpec } from '../command.js';
import { CliError, ExitCode, usageError } from '../errors.js';
import { formatDuration, parseDuration } from '../units.js';
import { waitFor } from '../wait.js';
import type { FlagView, GateStatus } from '../types.js';
import { checkFlagKeys } from './kill.js';

/**
 * Reads a gate's state. With no gate key, only `--no-active-kills` is checked: open when no flag is
 * killed in the environment.
 */
export async function readGate(client: Api, gate: string | undefined, env: string, noActiveKills: boolean): Promise<GateStatus> {
  if (gate !== undefined) {
    return client.get<GateStatus>(apiPath('gates', gate, 'environments', env), noActiveKills ? { noActiveKills: 'true' } : undefined);
  }
  const { flags } = await client.get<{ flags: FlagView[] }>('/api/v1/flags');
  if (flags.length > 0 && !flags.some((f) => f.environments[env] !== undefined)) {
    throw new CliError(`ENVIRONMENT_NOT_FOUND: no environment "${env}"`, { code: 'ENVIRONMENT_NOT_FOUND', status: 404 });
  }
  const activeKills = flags.flatMap((f) => {
    const killed = f.environments[env]?.killed;
    return killed == null ? [] : [{ flag: f.key, reason: killed.reason, at: killed.at }];
  });
  const open = activeKills.length === 0;
  return {
    gate: null,
    environment: env,
    open,
    reason: open ? `open: no flag is killed in ${env}` : `closed: ${activeKills.length === 1 ? '1 flag is' : `${activeKills.length} flags are`} killed in ${env}: ${activeKills.map((k) => `${k.flag} (${k.reason})`).join(', ')}`,
    source: open ? 'open' : 'active-kills',
    until: null,
    activeKills,
  };
}

function gateName(status: GateStatus): string {
  return status.gate ?? 'active kills';
}

function describeGate(status: GateStatus): string {
  const head = `${status.open ? 'open' : 'closed'}: ${gateName(status)} in ${status.environment}`;
  // The server's reasons may start with "closed: " / "open; ", which the head already says.
  const reason = status.reason.replace(/^(?:open|closed)(?:[:;,]\s*|$)/i, '');
  const lines = [reason === '' ? head : `${head} — ${reason}`];
  if (!status.open && status.until !== null && status.until !== undefined && !status.reason.includes('until')) lines.push(`  until ${status.until}`);
  return lines.join('\n');
}

function target(context: CommandContext): { gate: string | undefined; env: string; noActiveKills: boolean } {
  const gate = context.positionals[0];
  const noActiveKills = context.args.flag('no-active-kills');
  if (gate === undefined && !noActiveKills) throw usageError('name a gate (e.g. deploy-freeze), or pass --no-active-kills');
  if (gate !== undefined) checkFlagKeys([gate]);
  return { gate, env: context.environment(), noActiveKills };
}

const GATE_OPTIONS = { 'no-active-kills': { type: 'boolean' } } as const;

/** `switchyard gate check`: exit 0 when the gate is open, 1 when closed (printing why), 2 on error. */
export const gateCheckCommand: CommandSpec = {
  name: 'gate check',
  summary: 'exit 0 when a release gate is open, 1 when closed (printing why)',
  synopsis: ['switchyard gate check <gate> --env <env> [--no-active-kills]', 'switchyard gate check --no-active-kills --env <env>'],
  help: `Checks a release gate (a flag of kind "gate"): it is open when it is on, no schedule window (e.g. a
weekend freeze) is active, and, with --no-active-kills, no flag in the environment is killed.
Without a gate, --no-active-kills alone checks that no flag in the environment is killed.

Options:
  --no-active-kills    also closed while any flag in the environment is killed

Exit codes: 0 open, 1 closed (the reason is printed), 2 usage or server error (e.g. not a gate).

Examples:
  switchyard gate check deploy-freeze --env production
  switchyard gate check deploy-freeze --no-active-kills --env production --json`,
  options: GATE_OPTIONS,
  positionals: { min: 0, max: 1 },
  async run(context) {
    const { gate, env, noActiveKills } = target(context);
    const status = await readGate(context.api(), gate, env, noActiveKills);
    context.out.result(status, () => describeGate(status));
    return status.open ? ExitCode.ok : ExitCode.failed;
  },
};

/** `switchyard gate wait`: blocks until the gate opens (exit 0) or the timeout (exit 1). */
export const gateWaitCommand: CommandSpec = {
  name: 'gate wait',
  summary: 'block until a release gate opens (exit 0) or --timeout passes (exit 1)',
  synopsis: ['switchyard gate wait <gate> --env <env> [--no-active-kills] [--timeout 1h] [--interval 10s]'],
  help: `Polls the gate until it is open, showing its state on a progress line (stderr). Network errors
and server errors after the first check are retried until the timeout.

Options:
  --no-active-kills    also wait until no flag in the environment is killed
  --timeout <dur>      give up after this long (default 1h; e.g. 90s, 30m, 2h)
  --interval <dur>     time between checks (default 10s)

Exit codes: 0 open, 1 still closed at the timeout, 2 usage or server error.

Example:
  switchyard gate wait deploy-freeze --env production --timeout 2h`,
  options: { ...GATE_OPTIONS, timeout: { type: 'string' }, interval: { type: 'string' } },
  positionals: { min: 0, max: 1 },
  async run(context) {
    const { gate, env, noActiveKills } = target(context);
    const timeoutMs = parseDuration(context.args.string('timeout') ?? '1h', '--timeout');
    const intervalMs = Math.max(50, parseDuration(context.args.string('interval') ?? '10s', '--interval'));
    const client = context.api();
    const progress = context.out.progress();
    const { value, timedOut } = await waitFor({
      clock: context.clock,
      timeoutMs,
      intervalMs,
      poll: () => readGate(client, gate, env, noActiveKills),
      done: (status) => status.open,
      onValue: (status, elapsed) => {
        if (status.open) return;
        progress.update(`${describeGate(status)} (waited ${formatDuration(elapsed)})`, status.reason);
      },
      onRetry: (err) => progress.update(`retrying: ${err.message}`),
    }).finally(() => progress.done());
    context.out.result({ ...value, timedOut }, () => (timedOut ? `still ${describeGate(value)} after ${formatDuration(timeoutMs)}` : describeGate(value)));
    return value.open ? ExitCode.ok : ExitCode.failed;
  },
};

/** `switchyard gate`: release gates for deploy pipelines. */
export const gateGroup: CommandGroup = {
  name: 'gate',
  summary: 'release gates for deploy pipelines: check, wait',
  subcommands: [gateCheckCommand, gateWaitCommand],
};
