import { describe, expect, it } from 'vitest';
import { formatLocal, GateScheduleSchema, offsetMinutes, scheduleState, zonedInstant, type GateSchedule } from './gate-schedule.js';

const weekendFreeze = (timezone: string): GateSchedule =>
  GateScheduleSchema.parse({ timezone, weekly: [{ from: { day: 'fri', time: '16:00' }, to: { day: 'mon', time: '08:00' }, reason: 'weekend freeze' }] });

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

describe('time zones through Intl', () => {
  it('knows offsets on both sides of a DST change', () => {
    expect(offsetMinutes(at('2026-03-29T00:59:00Z'), 'Europe/Amsterdam')).toBe(60);
    expect(offsetMinutes(at('2026-03-29T01:00:00Z'), 'Europe/Amsterdam')).toBe(120);
    expect(offsetMinutes(at('2026-07-01T12:00:00Z'), 'America/New_York')).toBe(-240);
    expect(offsetMinutes(at('2026-12-01T12:00:00Z'), 'Asia/Kolkata')).toBe(330);
  });

  it('turns local wall-clock times into instants and back', () => {
    expect(iso(zonedInstant(2026, 11, 27, 16, 0, 'Europe/Amsterdam'))).toBe('2026-11-27T15:00:00.000Z');
    expect(iso(zonedInstant(2026, 7, 3, 16, 0, 'Europe/Amsterdam'))).toBe('2026-07-03T14:00:00.000Z');
    expect(formatLocal(at('2026-11-30T07:00:00Z'), 'Europe/Amsterdam')).toBe('2026-11-30T08:00:00+01:00');
    expect(formatLocal(at('2026-07-01T12:00:00Z'), 'America/New_York')).toBe('2026-07-01T08:00:00-04:00');
    expect(formatLocal(at('2026-12-01T12:00:00Z'), 'Asia/Kolkata')).toBe('2026-12-01T17:30:00+05:30');
  });
});

describe('weekly windows', () => {
  const freeze = weekendFreeze('Europe/Amsterdam');

  it('wraps the week: closed from Friday 16:00 to Monday 08:00 local time', () => {
    // Friday 2026-11-27, CET (UTC+1).
    expect(scheduleState(freeze, at('2026-11-27T14:59:59Z'))).toMatchObject({ closed: false, until: at('2026-11-27T15:00:00Z'), nextReasons: ['weekend freeze'] });
    expect(scheduleState(freeze, at('2026-11-27T15:00:00Z'))).toMatchObject({ closed: true, reasons: ['weekend freeze'], until: at('2026-11-30T07:00:00Z') });
    expect(scheduleState(freeze, at('2026-11-29T12:00:00Z'))).toMatchObject({ closed: true, until: at('2026-11-30T07:00:00Z') });
    expect(scheduleState(freeze, at('2026-11-30T06:59:59Z')).closed).toBe(true);
    expect(scheduleState(freeze, at('2026-11-30T07:00:00Z'))).toMatchObject({ closed: false, until: at('2026-12-04T15:00:00Z') });
    expect(scheduleState(freeze, at('2026-12-02T12:00:00Z')).closed).toBe(false);
  });

  it('follows local time across the spring-forward weekend (the freeze is an hour shorter in UTC)', () => {
    // Amsterdam: Sunday 2026-03-29 02:00 CET → 03:00 CEST.
    expect(scheduleState(freeze, at('2026-03-27T15:00:00Z'))).toMatchObject({ closed: true, until: at('2026-03-30T06:00:00Z') });
    expect(scheduleState(freeze, at('2026-03-30T05:59:00Z')).closed).toBe(true);
    expect(scheduleState(freeze, at('2026-03-30T06:00:00Z')).closed).toBe(false);
  });

  it('follows local time across the fall-back weekend', () => {
    // Amsterdam: Sunday 2026-10-25 03:00 CEST → 02:00 CET. Friday 16:00 is still CEST.
    expect(scheduleState(freeze, at('2026-10-23T13:59:00Z')).until).toBe(at('2026-10-23T14:00:00Z'));
    expect(scheduleState(freeze, at('2026-10-24T12:00:00Z'))).toMatchObject({ closed: true, until: at('2026-10-26T07:00:00Z') });
  });

  it('finds the real change when a boundary falls into a DST gap', () => {
    // 02:30 does not exist on 2026-03-29 in Amsterdam: the clock jumps from 01:59:59 to 03:00, inside the window.
    const gap = GateScheduleSchema.parse({ timezone: 'Europe/Amsterdam', weekly: [{ from: { day: 'sun', time: '02:30' }, to: { day: 'sun', time: '04:00' } }] });
    expect(scheduleState(gap, at('2026-03-28T12:00:00Z')).until).toBe(at('2026-03-29T01:00:00Z'));
    expect(scheduleState(gap, at('2026-03-29T01:00:00Z'))).toMatchObject({ closed: true, reasons: ['weekly window sun 02:30 to sun 04:00'], until: at('2026-03-29T02:00:00Z') });
  });

  it('works in time zones west of UTC and with several windows', () => {
    const ny = GateScheduleSchema.parse({
      timezone: 'America/New_York',
      weekly: [
        { from: { day: 'mon', time: '09:00' }, to: { day: 'mon', time: '10:00' }, reason: 'standup' },
        { from: { day: 'fri', time: '15:00' }, to: { day: 'mon', time: '09:00' }, reason: 'weekend' },
      ],
    });
    // Monday 2026-03-09 (EDT since 2026-03-08): the weekend hands over to the standup window without opening.
    expect(scheduleState(ny, at('2026-03-09T12:30:00Z'))).toMatchObject({ closed: true, reasons: ['weekend'], until: at('2026-03-09T14:00:00Z') });
    expect(scheduleState(ny, at('2026-03-09T13:30:00Z'))).toMatchObject({ closed: true, reasons: ['standup'], until: at('2026-03-09T14:00:00Z') });
  });
});

describe('dated windows', () => {
  it('closes between two instants given with explicit offsets, merged with weekly windows', () => {
    const schedule = GateScheduleSchema.parse({
      timezone: 'Europe/Amsterdam',
      weekly: [{ from: { day: 'fri', time: '16:00' }, to: { day: 'mon', time: '08:00' }, reason: 'weekend freeze' }],
      dates: [{ start: '2026-12-24T00:00:00+01:00', end: '2026-12-28T00:00:00+01:00', reason: 'holidays' }],
    });
    expect(scheduleState(schedule, at('2026-12-23T12:00:00Z'))).toMatchObject({ closed: false, until: at('2026-12-23T23:00:00Z'), nextReasons: ['holidays'] });
    // Holidays (Thu–Mon 00:00), then the weekend freeze still runs until Monday 08:00.
    expect(scheduleState(schedule, at('2026-12-24T10:00:00Z'))).toMatchObject({ closed: true, reasons: ['holidays'], until: at('2026-12-28T07:00:00Z') });
    expect(scheduleState(schedule, at('2026-12-26T10:00:00Z')).reasons).toEqual(['weekend freeze', 'holidays']);
  });

  it('answers until null when the state does not change within 8 days', () => {
    const long = GateScheduleSchema.parse({ timezone: 'UTC', dates: [{ start: '2026-07-01T00:00:00Z', end: '2026-08-01T00:00:00Z' }] });
    expect(scheduleState(long, at('2026-07-05T00:00:00Z'))).toMatchObject({ closed: true, until: null, reasons: ['dated window 2026-07-01T00:00:00Z to 2026-08-01T00:00:00Z'] });
    expect(scheduleState(long, at('2026-07-28T00:00:00Z')).until).toBe(at('2026-08-01T00:00:00Z'));
    expect(scheduleState(GateScheduleSchema.parse({ timezone: 'UTC' }), at('2026-07-05T00:00:00Z'))).toEqual({ closed: false, reasons: [], until: null, nextReasons: [] });
  });
});

describe('the schedule body', () => {
  it('rejects unknown time zones, empty windows, bad times and instants without an offset', () => {
    const issues = (body: unknown): string[] => {
      const result = GateScheduleSchema.safeParse(body);
      return result.success ? [] : result.error.issues.map((i) => i.path.join('.'));
    };
    expect(issues({ timezone: 'Mars/Olympus' })).toEqual(['timezone']);
    expect(issues({ timezone: 'UTC', weekly: [{ from: { day: 'fri', time: '16:00' }, to: { day: 'fri', time: '16:00' } }] })).toEqual(['weekly.0.to']);
    expect(issues({ timezone: 'UTC', weekly: [{ from: { day: 'friday', time: '24:00' }, to: { day: 'mon', time: '8:00' } }] })).toEqual(['weekly.0.from.day', 'weekly.0.from.time', 'weekly.0.to.time']);
    expect(issues({ timezone: 'UTC', dates: [{ start: '2026-12-24T00:00:00', end: '2026-12-27T00:00:00+01:00' }] })).toEqual(['dates.0.start']);
    expect(issues({ timezone: 'UTC', dates: [{ start: '2026-12-27T00:00:00Z', end: '2026-12-24T00:00:00Z' }] })).toEqual(['dates.0.end']);
    expect(GateScheduleSchema.parse({ timezone: 'europe/amsterdam' }).timezone).toBe('Europe/Amsterdam');
  });
});
