/** Every event a webhook can subscribe to. */
export const WEBHOOK_EVENTS = [
  'kill',
  'restore',
  'rollout.step',
  'rollout.paused',
  'rollout.resumed',
  'rollout.rollback',
  'rollout.completed',
  'rollout.aborted',
  'gate.change',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];

/** What a delivery posts (plus its delivery `id`): the event, the flag and environment, details, and a Slack-compatible `text`. */
export interface WebhookEvent {
  readonly event: WebhookEventType;
  readonly at: string;
  readonly flag: string;
  readonly environment: string;
  readonly detail: Record<string, unknown>;
  readonly text: string;
}

/** Audit actions that become webhook events (the audit row is written in the change's own transaction). */
export const AUDITED_EVENTS: Readonly<Record<string, WebhookEventType>> = {
  'flag-environment.kill': 'kill',
  'flag-environment.restore': 'restore',
  'rollout-plan.start': 'rollout.step',
  'rollout-plan.advance': 'rollout.step',
  'rollout-plan.pause': 'rollout.paused',
  'rollout-plan.resume': 'rollout.resumed',
  'rollout-plan.rollback': 'rollout.rollback',
  'rollout-plan.complete': 'rollout.completed',
  'rollout-plan.abort': 'rollout.aborted',
};

/** The audit columns the outbox reads. */
export interface AuditedChange {
  readonly revision: number;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly resourceKey: string;
  readonly environment: string | null;
  readonly reason: string | null;
  readonly after: unknown;
  readonly incidentId: string | null;
  readonly deployId: string | null;
}

interface PlanSnapshot {
  readonly id?: string;
  readonly state?: string;
  readonly stepIndex?: number;
  readonly percentage?: number;
  readonly steps?: number[];
  readonly pausedReason?: string | null;
  readonly lastCheck?: unknown;
}

function asPlan(value: unknown): PlanSnapshot {
  return typeof value === 'object' && value !== null ? (value as PlanSnapshot) : {};
}

const bold = (text: string): string => `*${text}*`;

/** The webhook event an audited change announces, or undefined when it announces none. */
export function eventFromAudit(change: AuditedChange): WebhookEvent | undefined {
  const type = AUDITED_EVENTS[change.action];
  if (type === undefined || change.environment === null) return undefined;
  const flag = change.resourceKey;
  const env = change.environment;
  const where = `${bold(flag)} in ${bold(env)}`;
  const base = { at: change.at, flag, environment: env };
  const who = { actor: change.actor, revision: change.revision, ...(change.incidentId === null ? {} : { incidentId: change.incidentId }), ...(change.deployId === null ? {} : { deployId: change.deployId }) };
  if (type === 'kill' || type === 'restore') {
    const detail = { reason: change.reason, ...who };
    const text =
      type === 'kill'
        ? `:red_circle: ${where} was killed by ${change.actor}: ${change.reason ?? 'no reason given'}`
        : `:large_green_circle: ${where} was restored by ${change.actor}: ${change.reason ?? 'no reason given'}`;
    return { event: type, ...base, detail, text };
  }
  const plan = asPlan(change.after);
  const steps = plan.steps ?? [];
  const stepIndex = plan.stepIndex ?? 0;
  const percentage = plan.percentage ?? steps[stepIndex] ?? 0;
  const detail = {
    planId: plan.id,
    state: plan.state,
    stepIndex,
    step: stepIndex + 1,
    steps,
    percentage,
    reason: change.reason,
    ...(plan.lastCheck === undefined ? {} : { lastCheck: plan.lastCheck }),
    ...who,
  };
  const step = `step ${stepIndex + 1}/${steps.length}`;
  let text: string;
  switch (type) {
    case 'rollout.step':
      text = `:arrow_up: ${where}: rollout ${change.action === 'rollout-plan.start' ? 'started' : 'advanced'}, ${step} at ${percentage}%`;
      break;
    case 'rollout.paused':
      text = `:double_vertical_bar: ${where}: rollout paused at ${percentage}% (${step}): ${change.reason ?? 'paused'}`;
      break;
    case 'rollout.resumed':
      text = `:arrow_forward: ${where}: rollout resumed at ${percentage}% (${step})`;
      break;
    case 'rollout.rollback':
      text = `:rotating_light: ${where}: rollout rolled back to 0% and killed: ${change.reason ?? 'guard breached'}`;
      break;
    case 'rollout.completed':
      text = `:white_check_mark: ${where}: rollout completed at ${percentage}%`;
      break;
    default:
      text = `:no_entry_sign: ${where}: rollout aborted at ${step}, back to 0%${change.reason === null ? '' : `: ${change.reason}`}`;
      break;
  }
  return { event: type, ...base, detail, text };
}

/** The event of a gate opening or closing. */
export function gateChangeEvent(gate: { flag: string; environment: string; open: boolean; reason: string; source: string; until: string | null }, at: Date): WebhookEvent {
  const where = `gate ${bold(gate.flag)} in ${bold(gate.environment)}`;
  return {
    event: 'gate.change',
    at: at.toISOString(),
    flag: gate.flag,
    environment: gate.environment,
    detail: { open: gate.open, reason: gate.reason, source: gate.source, until: gate.until },
    text: gate.open ? `:white_check_mark: ${where} opened: ${gate.reason}` : `:no_entry: ${where} closed: ${gate.reason}`,
  };
}
