import { usageError } from './errors.js';

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a duration: `500ms`, `2s`, `10m`, `1h`, `1h30m`, `2d`; a bare number is seconds.
 * @example parseDuration('10m', '--hold') // 600000
 */
export function parseDuration(text: string, option: string): number {
  const trimmed = text.trim();
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;
  let total = 0;
  let index = 0;
  while (index < trimmed.length) {
    part.lastIndex = index;
    const match = part.exec(trimmed);
    if (match === null) break;
    total += Number(match[1]) * (DURATION_UNITS[match[2] ?? 's'] ?? 1000);
    index = part.lastIndex;
  }
  if (trimmed === '' || index !== trimmed.length) {
    throw usageError(`${option}: "${text}" is not a duration (use e.g. 500ms, 2s, 10m, 1h, 1h30m)`);
  }
  return total;
}

/**
 * Formats milliseconds briefly: `850ms`, `12s`, `4m05s`, `1h02m`.
 * @example formatDuration(245_000) // '4m05s'
 */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  const hours = Math.floor(minutes / 60);
  return `${hours}h${String(minutes % 60).padStart(2, '0')}m`;
}

/**
 * Parses a rate: `1%` (a percentage) or a fraction below 1 (`0.01`). A bare number of 1 or more is
 * refused as ambiguous (`1` could mean 1% or 100%).
 * @example parseRate('0.5%', '--max-error-rate') // 0.005
 */
export function parseRate(text: string, option: string): number {
  const trimmed = text.trim();
  const percent = /^(\d+(?:\.\d+)?)\s*%$/.exec(trimmed);
  let value: number;
  if (percent !== null) value = Number(percent[1]) / 100;
  else if (/^(?:0?\.\d+|0)$/.test(trimmed)) value = Number(trimmed);
  else if (/^\d+(?:\.\d+)?$/.test(trimmed)) throw usageError(`${option}: "${text}" is ambiguous: write a percentage (${trimmed}%) or a fraction below 1 (${Number(trimmed) / 100})`);
  else throw usageError(`${option}: "${text}" is not a rate (use e.g. 1% or 0.01)`);
  if (value > 1) throw usageError(`${option}: ${text} is more than 100%`);
  // Round away binary noise (0.07 / 100 = 0.0007000000000000001).
  return Number(value.toPrecision(12));
}

/**
 * Parses a percentage of users: `25` or `25%`, 0–100.
 * @example parsePercentage('25%', 'percentage') // 25
 */
export function parsePercentage(text: string, what: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*%?$/.exec(text.trim());
  const value = match === null ? Number.NaN : Number(match[1]);
  if (!Number.isFinite(value) || value < 0 || value > 100) throw usageError(`${what}: "${text}" is not a percentage between 0 and 100`);
  return value;
}

/**
 * Parses a comma-separated list of rollout steps (percentages), e.g. `1,5,25,50,100`.
 * @example parseSteps('1,5,25,50,100') // [1, 5, 25, 50, 100]
 */
export function parseSteps(text: string): number[] {
  const steps = text.split(',').map((part) => parsePercentage(part, '--steps'));
  if (steps.length === 0 || steps.some((s) => s <= 0)) throw usageError('--steps: every step is a percentage above 0, e.g. 1,5,25,50,100');
  for (let i = 1; i < steps.length; i++) {
    if ((steps[i] ?? 0) <= (steps[i - 1] ?? 0)) throw usageError(`--steps: steps must go up (${text})`);
  }
  return steps;
}

/**
 * Parses milliseconds: `500` or `500ms`.
 * @example parseMilliseconds('500ms', '--max-p99-ms') // 500
 */
export function parseMilliseconds(text: string, option: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(?:ms)?$/.exec(text.trim());
  if (match === null) throw usageError(`${option}: "${text}" is not a number of milliseconds`);
  return Number(match[1]);
}

/**
 * Parses a whole number within bounds.
 * @example parseInteger('30', '--days', 1, 3650) // 30
 */
export function parseInteger(text: string, option: string, min: number, max: number): number {
  const value = /^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) throw usageError(`${option}: "${text}" is not a whole number from ${min} to ${max}`);
  return value;
}

/**
 * Formats a fraction as a percentage with up to two decimals.
 * @example formatRate(0.0123) // '1.23%'
 */
export function formatRate(rate: number): string {
  return `${Number((rate * 100).toFixed(2))}%`;
}
