import { describe, expect, it } from 'vitest';
import { parseIsoDate, toEpochMillis } from './dates.js';

const utc = (iso: string): number => Date.parse(iso);

describe('parseIsoDate', () => {
  it('parses date-times with Z', () => {
    expect(parseIsoDate('2026-01-01T00:00:00Z')).toBe(1767225600000);
    expect(parseIsoDate('2026-11-23T16:00:00Z')).toBe(utc('2026-11-23T16:00:00Z'));
    expect(parseIsoDate('1970-01-01T00:00:00Z')).toBe(0);
    expect(parseIsoDate('1969-12-31T23:59:59Z')).toBe(-1000);
  });

  it('honours zone offsets, with or without a colon, and hour-only offsets', () => {
    expect(parseIsoDate('2026-11-23T16:00:00+01:00')).toBe(1795446000000);
    expect(parseIsoDate('2026-11-23T16:00:00+0100')).toBe(1795446000000);
    expect(parseIsoDate('2026-11-23T16:00:00+01')).toBe(1795446000000);
    expect(1795446000000).toBe(utc('2026-11-23T15:00:00Z'));
    expect(parseIsoDate('2026-11-23T10:30:00-05:30')).toBe(utc('2026-11-23T16:00:00Z'));
    expect(parseIsoDate('2026-11-23T10:30:00-0530')).toBe(utc('2026-11-23T16:00:00Z'));
    expect(parseIsoDate('2026-11-24T01:45:00+09:45')).toBe(utc('2026-11-23T16:00:00Z'));
    expect(parseIsoDate('2026-11-23T16:00:00+00:00')).toBe(utc('2026-11-23T16:00:00Z'));
    expect(parseIsoDate('2026-11-23T16:00:00-00:00')).toBe(utc('2026-11-23T16:00:00Z'));
  });

  it('crosses day, month and year boundaries through offsets', () => {
    expect(parseIsoDate('2026-01-01T00:30:00+01:00')).toBe(utc('2025-12-31T23:30:00Z'));
    expect(parseIsoDate('2025-12-31T23:30:00-01:00')).toBe(utc('2026-01-01T00:30:00Z'));
  });

  it('takes a date-time without a zone, and a bare date, as UTC', () => {
    expect(parseIsoDate('2026-01-01T00:00:00')).toBe(1767225600000);
    expect(parseIsoDate('2026-01-01')).toBe(1767225600000);
    expect(parseIsoDate('2026-01-01T12:34')).toBe(utc('2026-01-01T12:34:00Z'));
  });

  it('accepts a space or lower-case t/z, and fractions with a dot or comma, truncated to milliseconds', () => {
    expect(parseIsoDate('2026-01-01 12:00:00Z')).toBe(utc('2026-01-01T12:00:00Z'));
    expect(parseIsoDate('2026-01-01t12:00:00z')).toBe(utc('2026-01-01T12:00:00Z'));
    expect(parseIsoDate('2026-01-01T00:00:00.5Z')).toBe(1767225600500);
    expect(parseIsoDate('2026-01-01T00:00:00,25Z')).toBe(1767225600250);
    expect(parseIsoDate('2026-01-01T00:00:00.123Z')).toBe(1767225600123);
    expect(parseIsoDate('2026-01-01T00:00:00.123999999Z')).toBe(1767225600123);
    expect(parseIsoDate('2026-01-01T00:00:00.001Z')).toBe(1767225600001);
    expect(parseIsoDate('2026-01-01T00:00:00.999Z')).toBe(1767225600999);
  });

  it('reads every three-digit fraction exactly', () => {
    for (let ms = 0; ms < 1000; ms++) {
      const fraction = String(ms).padStart(3, '0');
      expect(parseIsoDate(`2026-01-01T00:00:00.${fraction}Z`)).toBe(1767225600000 + ms);
    }
  });

  it('knows leap years', () => {
    expect(parseIsoDate('2024-02-29')).toBe(utc('2024-02-29T00:00:00Z'));
    expect(parseIsoDate('2000-02-29')).toBe(utc('2000-02-29T00:00:00Z'));
    expect(parseIsoDate('2023-02-29')).toBeUndefined();
    expect(parseIsoDate('1900-02-29')).toBeUndefined();
    expect(parseIsoDate('2100-02-29')).toBeUndefined();
    expect(parseIsoDate('2023-02-28')).toBe(utc('2023-02-28T00:00:00Z'));
  });

  it('handles years before 100 without mapping them to the 1900s', () => {
    expect(parseIsoDate('0050-06-15T00:00:00Z')).toBe(new Date('0050-06-15T00:00:00Z').getTime());
    expect(parseIsoDate('0050-06-15T00:30:00+01:00')).toBe(new Date('0050-06-14T23:30:00Z').getTime());
    expect(parseIsoDate('0001-01-01')).toBe(new Date('0001-01-01T00:00:00Z').getTime());
    expect(parseIsoDate('0004-02-29')).toBe(new Date('0004-02-29T00:00:00Z').getTime());
    // Year 0 is a leap year in the proleptic Gregorian calendar, unlike 1900.
    expect(parseIsoDate('0000-02-29')).toBe(new Date('0000-02-29T00:00:00Z').getTime());
    expect(parseIsoDate('0000-03-01')).toBe(new Date('0000-03-01T00:00:00Z').getTime());
    expect(parseIsoDate('0099-12-31T23:59:59Z')).toBe(new Date('0099-12-31T23:59:59Z').getTime());
  });

  it.each([
    '2026-02-30',
    '2026-04-31',
    '2026-13-01',
    '2026-00-10',
    '2026-01-00',
    '2026-01-32',
    '2026-01-01T24:00:00Z',
    '2026-01-01T23:60:00Z',
    '2026-01-01T23:59:60Z',
    '2026-01-01T12:00:00+24:00',
    '2026-01-01T12:00:00+01:60',
    '2026-01-01T12Z',
    '2026-01-01Z',
    '2026-01-01+01:00',
    '2026-1-1',
    '26-01-01',
    '20260101',
    '2026/01/01',
    '01/02/2026',
    '+002026-01-01',
    '2026-01-01T12:00:00.Z',
    '2026-01-01T12:00:00.1234567890Z',
    '2026-01-01T12:00:00 Z',
    ' 2026-01-01',
    '2026-01-01 ',
    'tomorrow',
    '',
    `2026-01-01T00:00:00.${'1'.repeat(60)}Z`,
  ])('rejects %j', (text) => {
    expect(parseIsoDate(text)).toBeUndefined();
  });
});

describe('toEpochMillis', () => {
  it('takes finite numbers as epoch milliseconds and strings as ISO 8601', () => {
    expect(toEpochMillis(0)).toBe(0);
    expect(toEpochMillis(1767225600000)).toBe(1767225600000);
    expect(toEpochMillis(-1.5)).toBe(-1.5);
    expect(toEpochMillis('2026-01-01')).toBe(1767225600000);
  });

  it('rejects everything else', () => {
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, true, null, undefined, {}, [], '1767225600000', new Date(0)]) {
      expect(toEpochMillis(value)).toBeUndefined();
    }
  });
});
