import type { EnvironmentSummary, Kill } from './types.js';

/** How a flag stands in one environment, in a few words: `on`, `off`, `rollout 25%`, `killed`. */
export function describeState(summary: EnvironmentSummary | undefined): string {
  if (summary === undefined) return '-';
  switch (summary.state) {
    case 'killed':
      return 'killed';
    case 'off':
      return summary.rolloutPercentage === undefined ? 'off' : `off (slider ${summary.rolloutPercentage}%)`;
    case 'rollout':
      return summary.rolloutPercentage === undefined ? 'rollout' : `rollout ${summary.rolloutPercentage}%`;
    case 'on':
      return summary.fallthroughVariant === undefined ? 'on' : `on (${summary.fallthroughVariant})`;
    default:
      return String(summary.state);
  }
}

/** A kill in one line: reason, who, when. */
export function describeKill(kill: Kill): string {
  return `"${kill.reason}" by ${kill.actor} at ${kill.at}`;
}

/** A date-time shortened for tables (`2026-05-04 09:30`); `-` for null. */
export function shortTime(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return '-';
  return iso.replace('T', ' ').replace(/:\d\d(?:\.\d+)?Z$/, 'Z').replace(/Z$/, '');
}

/** Joins names for a sentence: `a, b and c`. */
export function listNames(names: readonly string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1] ?? ''}`;
}
