// Checked here: the shape, and the offset's range (engines differ on offsets they refuse). The
// calendar and the clock are checked by a round trip through Date (below).
const ISO = /^(\d{4}-\d\d-\d\d)(?:[Tt ](\d\d:\d\d)(?::(\d\d)(?:[.,](\d{1,9}))?)?(?:[Zz]|([+-](?:[01]\d|2[0-3]))(?::?([0-5]\d))?)?)?$/;

/**
 * Parses an ISO 8601 date or date-time to epoch milliseconds; `undefined` when it is not one.
 * A zone offset (`Z`, `+02:00`, `-0530`) is honoured; a date-time without a zone, or a bare date, is UTC.
 * @example parseIsoDate('2026-11-23T16:00:00+01:00') // 1795446000000 (15:00 UTC)
 */
export function parseIsoDate(text: string): number | undefined {
  const m = text.length <= 64 && ISO.exec(text);
  if (!m) return undefined;
  const [, date, time = '00:00', second = '00', fraction = '', offset, offsetMinutes = '00'] = m;
  // Rewritten into ECMAScript's own date-time format (`YYYY-MM-DDTHH:mm:ss.sss±HH:mm`), which every
  // engine parses alike (with a zone, always: without one a date-time is local time), and parsed by
  // Date: smaller than computing it here. Years 0-99 stay years 0-99 there.
  const utc = `${date}T${time}:${second}`;
  // Date rolls 2026-02-30 over to March 2nd and 24:00 to the next day, or answers NaN (a leap second):
  // the text must come back as it went in. toJSON gives null, not an exception, for NaN.
  if (!new Date(Date.parse(`${utc}Z`)).toJSON()?.startsWith(utc)) return undefined;
  // The fraction truncated to milliseconds: three digits.
  return Date.parse(`${utc}.${`${fraction}000`.slice(0, 3)}${offset ? `${offset}:${offsetMinutes}` : 'Z'}`);
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
