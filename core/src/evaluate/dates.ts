const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?)?$/;

const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/**
 * Parses an ISO 8601 date or date-time to epoch milliseconds; `undefined` when it is not one.
 * A zone offset (`Z`, `+02:00`, `-0530`) is honoured; a date-time without a zone, or a bare date, is UTC.
 * @example parseIsoDate('2026-11-23T16:00:00+01:00') // 1795446000000 (15:00 UTC)
 */
export function parseIsoDate(text: string): number | undefined {
  if (text.length > 64) return undefined;
  const m = ISO.exec(text);
  if (m === null) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = m[4] === undefined ? 0 : Number(m[4]);
  const minute = m[5] === undefined ? 0 : Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const millis = m[7] === undefined ? 0 : Math.floor(Number(`0.${m[7]}`) * 1000);
  if (month < 1 || month > 12) return undefined;
  const maxDay = month === 2 && !isLeap(year) ? 28 : (DAYS[month - 1] ?? 31);
  if (day < 1 || day > maxDay || hour > 23 || minute > 59 || second > 59) return undefined;
  let offset = 0;
  if (m[9] !== undefined) {
    const oh = Number(m[10]);
    const om = m[11] === undefined ? 0 : Number(m[11]);
    if (oh > 23 || om > 59) return undefined;
    offset = (oh * 60 + om) * (m[9] === '-' ? -1 : 1);
  }
  // Date.UTC maps years 0-99 to 1900-1999, so set the full date explicitly: setting only the year
  // afterwards would turn 0000-02-29 into 1900-02-29, which does not exist (1900 is no leap year).
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millis);
  return date.getTime() - offset * 60_000;
}

/**
 * A date attribute or clause value as epoch milliseconds: a finite number is taken as epoch ms,
 * a string must be ISO 8601.
 * @example toEpochMillis('2026-01-01') // 1767225600000
 */
export function toEpochMillis(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string') return parseIsoDate(value);
  return undefined;
}
