const ISO = /^(\d{4})-(\d\d)-(\d\d)(?:[Tt ](\d\d):(\d\d)(?::(\d\d)(?:[.,](\d{1,9}))?)?(?:[Zz]|([+-])(\d\d)(?::?(\d\d))?)?)?$/;

/**
 * Parses an ISO 8601 date or date-time to epoch milliseconds; `undefined` when it is not one.
 * A zone offset (`Z`, `+02:00`, `-0530`) is honoured; a date-time without a zone, or a bare date, is UTC.
 * @example parseIsoDate('2026-11-23T16:00:00+01:00') // 1795446000000 (15:00 UTC)
 */
export function parseIsoDate(text: string): number | undefined {
  const m = text.length <= 64 ? ISO.exec(text) : null;
  if (m === null) return undefined;
  // Absent parts are 0; the fraction is read as a decimal fraction of a second.
  const [, year, month, day, hour = 0, minute = 0, second = 0, fraction = '', sign, offsetHours = 0, offsetMinutes = 0] = m;
  // Date.UTC maps years 0-99 to 1900-1999, so set the full date explicitly: setting only the year
  // afterwards would turn 0000-02-29 into 1900-02-29, which does not exist (1900 is no leap year).
  const date = new Date(0);
  date.setUTCFullYear(+year!, +month! - 1, +day!);
  // A day or month out of range rolls the date over (2026-02-30 becomes March 2nd): not a date.
  if (date.getUTCDate() != +day! || date.getUTCMonth() != +month! - 1 || +hour > 23 || +minute > 59 || +second > 59 || +offsetHours > 23 || +offsetMinutes > 59) return undefined;
  date.setUTCHours(+hour, +minute, +second, Math.floor(+`0.${fraction}` * 1000));
  return date.getTime() - (sign === '-' ? -1 : 1) * (+offsetHours * 60 + +offsetMinutes) * 60_000;
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
