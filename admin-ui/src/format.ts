const DAY_MS = 86_400_000;

/** "3 min ago", "in 5 days": a short relative time for lists. */
export function relative(iso: string | null | undefined, now = Date.now()): string {
  if (iso === null || iso === undefined) return '—';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '—';
  const diff = t - now;
  const abs = Math.abs(diff);
  const past = diff < 0;
  let text: string;
  if (abs < 45_000) return 'just now';
  if (abs < 3_600_000) text = `${Math.round(abs / 60_000)} min`;
  else if (abs < DAY_MS) text = `${Math.round(abs / 3_600_000)} h`;
  else if (abs < 60 * DAY_MS) text = `${Math.round(abs / DAY_MS)} days`;
  else text = `${Math.round(abs / (30 * DAY_MS))} months`;
  return past ? `${text} ago` : `in ${text}`;
}

/** A timestamp in the reader's locale, to the minute. */
export function dateTime(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '—' : d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** A date (no time) in the reader's locale. */
export function date(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '—' : d.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' });
}

export function isOverdue(iso: string | null | undefined, now = Date.now()): boolean {
  return iso !== null && iso !== undefined && Date.parse(iso) < now;
}

/** A percentage without trailing zeros: 25, 0.5, 12.345. */
export function percent(value: number): string {
  return `${Number(value.toFixed(3))}%`;
}

/** Whole numbers with thousands separators. */
export function count(value: number): string {
  return value.toLocaleString(undefined);
}

/** `YYYY-MM-DD` (UTC) of an ISO timestamp, for date inputs. */
export function toDateInput(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString().slice(0, 10);
}

/** A date input's value as the ISO timestamp of that day's start (UTC), or null when empty. */
export function fromDateInput(value: string): string | null {
  return value === '' ? null : `${value}T00:00:00.000Z`;
}

/** Splits a textarea into trimmed, non-empty lines. */
export function lines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

/** Splits "a, b , c" into ["a", "b", "c"]. */
export function commaList(text: string): string[] {
  return text
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
}

/** Plural helper: plural(2, 'SDK') → "2 SDKs". */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${count(n)} ${n === 1 ? word : many}`;
}

/** Human names of audit actions. */
export function actionName(action: string): string {
  const names: Record<string, string> = {
    'flag.create': 'created the flag',
    'flag.update': 'changed settings',
    'flag.archive': 'archived the flag',
    'flag-environment.update': 'changed targeting',
    'flag-environment.rollout': 'set the rollout',
    'flag-environment.kill': 'killed',
    'flag-environment.restore': 'restored',
    'segment.create': 'created the segment',
    'segment.update': 'changed the segment',
    'environment.create': 'created the environment',
    'key.create': 'created an API key',
    'key.revoke': 'revoked an API key',
  };
  return names[action] ?? action;
}
