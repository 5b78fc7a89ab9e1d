import { apiPath, type Api } from '../api.js';
import type { CommandContext, CommandGroup, CommandSpec } from '../command.js';
import { loadCore } from '../core.js';
import { ExitCode, usageError } from '../errors.js';
import { formatDuration, formatRate, parseDuration, parseInteger, parseMilliseconds, parsePercentage, parseRate, parseSteps } from '../units.js';
import { waitFor } from '../wait.js';
import type { FlagEnvironmentView, RolloutGuards, RolloutPlan, VariantHealth } from '../types.js';
import { checkFlagKeys } from './kill.js';

const TERMINAL = new Set(['completed', 'rolled_back', 'aborted']);

function planPath(flag: string, env: string, action?: string): string {
  return action === undefined ? apiPath('flags', flag, 'environments', env, 'rollout-plan') : apiPath('flags', flag, 'environments', env, 'rollout-plan', action);
}

function flagArgument(context: CommandContext): string {
  const flag = context.positionals[0];
  if (flag === undefined) throw usageError('name the flag');
  checkFlagKeys([flag]);
  return flag;
}

async function variant(text: string | undefined, option: string): Promise<string | undefined> {
  if (text === undefined) return undefined;
  const { VARIANT_KEY_PATTERN } = await loadCore();
  if (!VARIANT_KEY_PATTERN.test(text)) throw usageError(`${option}: "${text}" is not a variant key (${VARIANT_KEY_PATTERN.source})`);
  return text;
}

/** The exit code a plan's state stands for: 0 running, paused or completed; 1 rolled back or aborted. */
export function planExitCode(plan: RolloutPlan): number {
  return plan.state === 'rolled_back' || plan.state === 'aborted' ? ExitCode.failed : ExitCode.ok;
}

function health(h: VariantHealth | null | undefined): string {
  if (h === null || h === undefined) return 'no data';
  const parts = [`${h.samples} samples`];
  if (h.errorRate !== null && h.errorRate !== undefined) parts.push(`errors ${formatRate(h.errorRate)}`);
  if (h.p99Ms !== null && h.p99Ms !== undefined) parts.push(`p99 ${Math.round(h.p99Ms)}ms`);
  return parts.join(', ');
}

function describeGuards(plan: RolloutPlan): string {
  const g: RolloutGuards = plan.guards ?? {};
  const parts: string[] = [];
  if (g.maxErrorRate !== undefined) parts.push(`error rate ≤ ${formatRate(g.maxErrorRate)}`);
  if (g.maxErrorRateIncrease !== undefined) parts.push(`error rate ≤ baseline + ${formatRate(g.maxErrorRateIncrease)}`);
  if (g.maxP99Ms !== undefined) parts.push(`p99 ≤ ${g.maxP99Ms}ms`);
  if (g.maxP99Increase !== undefined) parts.push(`p99 ≤ baseline + ${g.maxP99Increase}ms`);
  if (g.minSamples !== undefined) parts.push(`at least ${g.minSamples} sample${g.minSamples === 1 ? '' : 's'}`);
  parts.push(`no data → ${plan.noData}`);
  return parts.join(', ');
}

function stepLabel(plan: RolloutPlan): string {
  return `step ${Math.min(plan.stepIndex + 1, plan.steps.length)}/${plan.steps.length} at ${plan.percentage}%`;
}

function lastEvent(plan: RolloutPlan, event: string): string | undefined {
  for (let i = plan.history.length - 1; i >= 0; i--) {
    const entry = plan.history[i];
    if (entry?.event === event) return entry.detail ?? undefined;
  }
  return undefined;
}

/** One line about where a plan stands (the progress line and the first line of `status`). */
export function planLine(plan: RolloutPlan, now: number): string {
  const head = `${plan.flag} in ${plan.environment}:`;
  switch (plan.state) {
    case 'completed':
      return `${head} completed at ${plan.percentage}%`;
    case 'rolled_back':
      return `${head} rolled back to 0%${lastEvent(plan, 'rolled_back') === undefined ? '' : `: ${lastEvent(plan, 'rolled_back')}`}`;
    case 'aborted':
      return `${head} aborted at ${plan.percentage}%${lastEvent(plan, 'aborted') ? `: ${lastEvent(plan, 'aborted')}` : ''}`;
    case 'paused':
      return `${head} paused, ${stepLabel(plan)}${plan.pausedReason ? `: ${plan.pausedReason}` : ''}`;
    default: {
      const endsAt = plan.stepEndsAt ?? plan.nextCheckAt;
      const next = endsAt === null || endsAt === undefined ? '' : ` · hold ends in ${formatDuration(Math.max(0, Date.parse(endsAt) - now))}`;
      const check = plan.lastCheck ? ` · last check: ${health(plan.lastCheck.variant)} (baseline ${health(plan.lastCheck.baseline)})` : '';
      return `${head} running, ${stepLabel(plan)}${next}${check}`;
    }
  }
}

/** `rollout status` in full: state, steps, guards, the last check and the history. */
function describePlan(plan: RolloutPlan, now: number): string {
  const steps = plan.steps.map((s, i) => (i === plan.stepIndex && !TERMINAL.has(plan.state) ? `[${s}%]` : `${s}%`)).join(' → ');
  const lines = [planLine(plan, now), `  plan      ${plan.id}: ${steps}, hold ${formatDuration(plan.holdSeconds * 1000)}`, `  guards    ${describeGuards(plan)}`];
  if (plan.variant !== undefined) lines.push(`  variant   ${plan.variant} against ${plan.baselineVariant ?? 'the off variant'}`);
  if (plan.lastCheck) {
    const verdict = plan.lastCheck.verdict === undefined ? '' : `${plan.lastCheck.verdict.replace('-', ' ')}: `;
    lines.push(`  checked   ${plan.lastCheck.at}: ${verdict}${health(plan.lastCheck.variant)}; baseline ${health(plan.lastCheck.baseline)}`);
    for (const note of plan.lastCheck.notes ?? []) lines.push(`            ${note}`);
  }
  if (plan.history.length > 0) {
    lines.push('  history');
    for (const h of plan.history) lines.push(`    ${h.at}  ${h.event}${h.percentage === undefined ? '' : ` ${h.percentage}%`}${h.detail ? `: ${h.detail}` : ''}`);
  }
  return lines.join('\n');
}

/** `--wait`'s options, parsed before anything is sent (a bad --timeout must not leave a plan started). */
function waitOptions(context: CommandContext): { timeoutMs: number; intervalMs: number } | undefined {
  if (!context.args.flag('wait')) return undefined;
  return {
    timeoutMs: parseDuration(context.args.string('timeout') ?? '1h', '--timeout'),
    intervalMs: Math.max(50, parseDuration(context.args.string('interval') ?? '1s', '--interval')),
  };
}

/** Waits for a plan to finish, with a live progress line; exit 0 completed, 1 rolled back/aborted/timeout. */
async function waitForPlan(
  context: CommandContext,
  client: Api,
  target: { flag: string; env: string },
  { timeoutMs, intervalMs }: { timeoutMs: number; intervalMs: number },
  first?: RolloutPlan,
): Promise<number> {
  const { flag, env } = target;
  const progress = context.out.progress();
  let initial = first;
  const { value, timedOut } = await waitFor({
    clock: context.clock,
    timeoutMs,
    intervalMs,
    poll: async () => {
      if (initial !== undefined) {
        const plan = initial;
        initial = undefined;
        return plan;
      }
      return client.get<RolloutPlan>(planPath(flag, env));
    },
    done: (plan) => TERMINAL.has(plan.state),
    onValue: (plan) => {
      if (TERMINAL.has(plan.state)) return;
      // Without a terminal, a line per change of state, step or verdict; not one per guard check.
      const key = `${plan.state} ${plan.stepIndex} ${plan.percentage} ${plan.pausedReason ?? ''} ${plan.lastCheck?.verdict ?? ''}`;
      progress.update(planLine(plan, context.clock.now()), key);
    },
    onRetry: (err) => progress.update(`retrying: ${err.message}`),
  }).finally(() => progress.done());
  context.out.result({ ...value, timedOut }, () =>
    timedOut ? `${planLine(value, context.clock.now())}\nstill ${value.state} after ${formatDuration(timeoutMs)}; the plan goes on on the server` : planLine(value, context.clock.now()),
  );
  if (timedOut) return ExitCode.failed;
  return value.state === 'completed' ? ExitCode.ok : ExitCode.failed;
}

const WAIT_OPTIONS = { wait: { type: 'boolean' }, timeout: { type: 'string' }, interval: { type: 'string' } } as const;
const WAIT_HELP = `  --wait               wait until the plan completes (exit 0) or is rolled back/aborted (exit 1),
                       with a live progress line on stderr
  --timeout <dur>      with --wait: give up after this long (default 1h; exit 1, the plan goes on)
  --interval <dur>     with --wait: time between polls (default 1s)`;

/** `switchyard rollout set <flag> <pct>`: the percentage slider. */
export const rolloutSetCommand: CommandSpec = {
  name: 'rollout set',
  summary: 'set the rollout percentage of a flag (the slider)',
  synopsis: ['switchyard rollout set <flag> <percentage> --env <env> [--variant <variant>]'],
  help: `Sets the percentage of users the flag's fallthrough serves its on variant (sticky: raising it only
adds users). It does not turn the flag on or off; a warning says when it is off or killed.

Options:
  --variant <key>      the variant to roll out (default: the current one)

Example:
  switchyard rollout set new-checkout 25 --env production`,
  options: { variant: { type: 'string' } },
  positionals: { min: 2, max: 2 },
  async run(context) {
    const flag = flagArgument(context);
    const percentage = parsePercentage(context.positionals[1] ?? '', 'percentage');
    const env = context.environment();
    const chosen = await variant(context.args.string('variant'), '--variant');
    const result = await context
      .api()
      .post<FlagEnvironmentView>(apiPath('flags', flag, 'environments', env, 'rollout'), { percentage, ...(chosen === undefined ? {} : { variant: chosen }) });
    for (const warning of result.warnings ?? []) context.out.warn(warning);
    context.out.result(result, () => `${flag} in ${env}: rollout ${result.rolloutPercentage ?? percentage}% (now ${result.state})${result.revision === undefined ? '' : `, revision ${result.revision}`}`);
    return ExitCode.ok;
  },
};

/** `switchyard rollout start`: a guarded progressive rollout the server advances. */
export const rolloutStartCommand: CommandSpec = {
  name: 'rollout start',
  summary: 'start a guarded progressive rollout (steps, holds, error-rate and latency guards)',
  synopsis: [
    'switchyard rollout start <flag> --env <env> --steps 1,5,25,50,100 --hold 10m',
    '    [--max-error-rate 1%] [--max-error-rate-increase 0.5%] [--max-p99-ms 500] [--max-p99-increase 100]',
    '    [--min-samples 100] [--no-data pause|rollback] [--variant v] [--baseline v] [--wait [--timeout 1h]]',
  ],
  help: `The server moves the flag through the steps. At the end of each hold it compares the variant's
error rate and p99 latency (reported by the SDKs' track()) with the limits and with the baseline
variant; when all guards pass it advances, on a breach it rolls the flag back to 0% (a kill whose
reason names the guard and the figures) and notifies webhooks. With fewer than --min-samples it
pauses (or rolls back with --no-data rollback).

Options:
  --steps <list>                 percentages, ascending, e.g. 1,5,25,50,100 (required)
  --hold <dur>                   time at each step before it is checked, e.g. 2s, 10m, 1h (required)
  --max-error-rate <rate>        e.g. 1% or 0.01: the variant's error rate must stay at or below it
  --max-error-rate-increase <r>  e.g. 0.5%: at most this many percentage points above the baseline
  --max-p99-ms <ms>              the variant's p99 latency limit
  --max-p99-increase <ms>        at most this many ms above the baseline's p99
  --min-samples <n>              outcomes needed from the variant before a step is judged
  --no-data pause|rollback       what to do with too few samples (default pause)
  --variant <key>                the variant to roll out (default: the flag's on variant)
  --baseline <key>               the variant to compare with (default: the off variant)
${WAIT_HELP}

Exit codes: 0 started (with --wait: completed), 1 with --wait: rolled back, aborted or timed out,
2 usage or server error (e.g. a plan is already running).

Example:
  switchyard rollout start new-checkout --env production --steps 1,5,25,50,100 --hold 10m \\
    --max-error-rate 1% --max-p99-ms 500 --wait`,
  options: {
    steps: { type: 'string' },
    hold: { type: 'string' },
    variant: { type: 'string' },
    baseline: { type: 'string' },
    'max-error-rate': { type: 'string' },
    'max-error-rate-increase': { type: 'string' },
    'max-p99-ms': { type: 'string' },
    'max-p99-increase': { type: 'string' },
    'min-samples': { type: 'string' },
    'no-data': { type: 'string' },
    ...WAIT_OPTIONS,
  },
  positionals: { min: 1, max: 1 },
  async run(context) {
    const { args } = context;
    const flag = flagArgument(context);
    const env = context.environment();
    const steps = parseSteps(args.required('steps', '(e.g. --steps 1,5,25,50,100)'));
    const holdMs = parseDuration(args.required('hold', '(e.g. --hold 10m)'), '--hold');
    if (holdMs < 1000 || holdMs % 1000 !== 0) throw usageError('--hold: whole seconds, at least 1s');
    const guards: Record<string, number> = {};
    const rate = (option: string, field: keyof RolloutGuards): void => {
      const text = args.string(option);
      if (text !== undefined) guards[field] = parseRate(text, `--${option}`);
    };
    const ms = (option: string, field: keyof RolloutGuards): void => {
      const text = args.string(option);
      if (text !== undefined) guards[field] = parseMilliseconds(text, `--${option}`);
    };
    rate('max-error-rate', 'maxErrorRate');
    rate('max-error-rate-increase', 'maxErrorRateIncrease');
    ms('max-p99-ms', 'maxP99Ms');
    ms('max-p99-increase', 'maxP99Increase');
    const minSamples = args.string('min-samples');
    if (minSamples !== undefined) guards.minSamples = parseInteger(minSamples, '--min-samples', 1, 1_000_000_000);
    const noData = args.string('no-data');
    if (noData !== undefined && noData !== 'pause' && noData !== 'rollback') throw usageError(`--no-data: "${noData}" is not pause or rollback`);
    const chosen = await variant(args.string('variant'), '--variant');
    const baseline = await variant(args.string('baseline'), '--baseline');
    const body = {
      steps,
      holdSeconds: holdMs / 1000,
      ...(chosen === undefined ? {} : { variant: chosen }),
      ...(baseline === undefined ? {} : { baselineVariant: baseline }),
      guards,
      ...(noData === undefined ? {} : { noData }),
    };
    const wait = waitOptions(context);
    const client = context.api();
    const plan = await client.post<RolloutPlan>(planPath(flag, env), body);
    if (wait !== undefined) {
      context.out.info(`started ${plan.id}: ${plan.steps.map((s) => `${s}%`).join(' → ')}, hold ${formatDuration(plan.holdSeconds * 1000)}; ${describeGuards(plan)}`);
      return waitForPlan(context, client, { flag, env }, wait, plan);
    }
    context.out.result(plan, () => `started ${plan.id} for ${flag} in ${env}: ${plan.steps.map((s) => `${s}%`).join(' → ')}, hold ${formatDuration(plan.holdSeconds * 1000)}\n  guards: ${describeGuards(plan)}`);
    return ExitCode.ok;
  },
};

/** `switchyard rollout status`: where the latest plan stands (or wait for it with --wait). */
export const rolloutStatusCommand: CommandSpec = {
  name: 'rollout status',
  summary: "show the flag's latest rollout plan (exit 1 when it was rolled back or aborted)",
  synopsis: ['switchyard rollout status <flag> --env <env> [--wait [--timeout 1h]]'],
  help: `Shows the latest rollout plan of the flag: state, step, the last guard check and the history.

Options:
${WAIT_HELP}

Exit codes: 0 running, paused or completed; 1 rolled back or aborted (with --wait: not completed);
2 usage or server error (e.g. no plan).`,
  options: WAIT_OPTIONS,
  positionals: { min: 1, max: 1 },
  async run(context) {
    const flag = flagArgument(context);
    const env = context.environment();
    const wait = waitOptions(context);
    const client = context.api();
    if (wait !== undefined) return waitForPlan(context, client, { flag, env }, wait);
    const plan = await client.get<RolloutPlan>(planPath(flag, env));
    context.out.result(plan, () => describePlan(plan, context.clock.now()));
    return planExitCode(plan);
  },
};

function actionCommand(action: 'pause' | 'resume' | 'abort', summary: string, help: string): CommandSpec {
  return {
    name: `rollout ${action}`,
    summary,
    synopsis: [`switchyard rollout ${action} <flag> --env <env> [--reason <text>]${action === 'resume' ? ' [--wait]' : ''}`],
    help: `${help}

Options:
  --reason <text>      recorded with the ${action}${action === 'resume' ? `\n${WAIT_HELP}` : ''}

Exit codes: 0 done, 2 usage or server error (409 when no plan is ${action === 'resume' ? 'paused' : 'running or paused'}).`,
    options: { reason: { type: 'string' }, ...(action === 'resume' ? WAIT_OPTIONS : {}) },
    positionals: { min: 1, max: 1 },
    async run(context) {
      const flag = flagArgument(context);
      const env = context.environment();
      const reason = context.args.string('reason');
      const wait = waitOptions(context);
      const client = context.api();
      const plan = await client.post<RolloutPlan>(planPath(flag, env, action), reason === undefined ? undefined : { reason });
      if (wait !== undefined) return waitForPlan(context, client, { flag, env }, wait, plan);
      context.out.result(plan, () => planLine(plan, context.clock.now()));
      return ExitCode.ok;
    },
  };
}

/** `switchyard rollout pause`. */
export const rolloutPauseCommand = actionCommand('pause', 'pause a running rollout plan at its current step', 'Pauses the plan: the flag stays at its current percentage until resumed.');
/** `switchyard rollout resume`. */
export const rolloutResumeCommand = actionCommand('resume', 'resume a paused rollout plan', 'Resumes a paused plan: the current step is held and checked again.');
/** `switchyard rollout abort`. */
export const rolloutAbortCommand = actionCommand('abort', 'abort a rollout plan', 'Aborts the plan: the server stops advancing it.');

/** `switchyard rollout`: the slider and guarded rollout plans. */
export const rolloutGroup: CommandGroup = {
  name: 'rollout',
  summary: 'percentages and guarded rollouts: set, start, status, pause, resume, abort',
  subcommands: [rolloutSetCommand, rolloutStartCommand, rolloutStatusCommand, rolloutPauseCommand, rolloutResumeCommand, rolloutAbortCommand],
};
