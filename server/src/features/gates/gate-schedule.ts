import { z } from 'zod';

/** Days of the week as schedules name them, Monday first. */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const MINUTES_PER_DAY = 24 * 60;
const DAY_MS = 24 * 60 * 60 * 1000;

/** How far ahead `until` looks: a week plus a day covers every weekly window once. */
export const UNTIL_HORIZON_MS = 8 * DAY_MS;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      weekday: 'short',
    });
    if (formatters.size > 500) formatters.clear();
    formatters.set(timeZone, f);
  }
  return f;
}

/** The canonical name of an IANA time zone, or undefined when Intl does not know it. */
export function canonicalTimeZone(name: string): string | undefined {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

const SHORT_DAYS: Record<string, number> = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 };

/** Wall-clock time of an instant in a time zone (weekday 0 = Monday). */
export interface LocalTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly weekday: number;
}

export function localTime(instant: number, timeZone: string): LocalTime {
  const parts: Record<string, string> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(instant))) parts[part.type] = part.value;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
    weekday: SHORT_DAYS[parts.weekday ?? ''] ?? 0,
  };
}

/** The zone's UTC offset at an instant, in minutes (Europe/Amsterdam in winter: 60). */
export function offsetMinutes(instant: number, timeZone: string): number {
  const t = localTime(instant, timeZone);
  const asUtc = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second);
  return Math.round((asUtc - Math.floor(instant / 1000) * 1000) / 60_000);
}

/**
 * The instant at which the zone's wall clock shows the given local time. A time skipped by a DST
 * change resolves to an instant next to the gap; a repeated one to one of its two instants. Callers
 * that need the exact change instant refine with {@link firstChange}.
 */
export function zonedInstant(year: number, month: number, day: number, hour: number, minute: number, timeZone: string): number {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  let instant = wall - offsetMinutes(wall, timeZone) * 60_000;
  instant = wall - offsetMinutes(instant, timeZone) * 60_000;
  return instant;
}

const pad = (n: number, width = 2): string => String(Math.abs(n)).padStart(width, '0');

/** An instant as local ISO time with the zone's offset: `2026-11-30T08:00:00+01:00`. */
export function formatLocal(instant: number, timeZone: string): string {
  const t = localTime(instant, timeZone);
  const offset = offsetMinutes(instant, timeZone);
  const sign = offset < 0 ? '-' : '+';
  return `${pad(t.year, 4)}-${pad(t.month)}-${pad(t.day)}T${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}${sign}${pad(Math.trunc(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
}

const TimeSchema = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a 24-hour local time, HH:MM (00:00 to 23:59)');
const MomentSchema = z.object({ day: z.enum(WEEKDAYS), time: TimeSchema }).strict();
const ReasonSchema = z.string().trim().min(1).max(200);

/** A closed window that repeats every week, in the schedule's time zone; `to` before `from` wraps the week (fri → mon). */
export const WeeklyWindowSchema = z
  .object({ from: MomentSchema, to: MomentSchema, reason: ReasonSchema.optional() })
  .strict()
  .refine((w) => w.from.day !== w.to.day || w.from.time !== w.to.time, { message: 'from and to are the same moment: the window would be empty', path: ['to'] });
export type WeeklyWindow = z.infer<typeof WeeklyWindowSchema>;

const InstantSchema = z.iso.datetime({ offset: true, message: 'an ISO 8601 date-time with an explicit offset, e.g. 2026-12-24T00:00:00+01:00' });

/** A closed window between two instants (holidays, a release freeze). */
export const DatedWindowSchema = z
  .object({ start: InstantSchema, end: InstantSchema, reason: ReasonSchema.optional() })
  .strict()
  .refine((w) => Date.parse(w.end) > Date.parse(w.start), { message: 'end must be after start', path: ['end'] });
export type DatedWindow = z.infer<typeof DatedWindowSchema>;

/** The body of `PUT /api/v1/gates/:key/environments/:env/schedule`. */
export const GateScheduleSchema = z
  .object({
    timezone: z.string().min(1).max(64),
    weekly: z.array(WeeklyWindowSchema).max(50).default([]),
    dates: z.array(DatedWindowSchema).max(200).default([]),
  })
  .strict()
  .transform((schedule, ctx) => {
    const timezone = canonicalTimeZone(schedule.timezone);
    if (timezone === undefined) {
      ctx.addIssue({ code: 'custom', path: ['timezone'], message: `unknown IANA time zone "${schedule.timezone}" (e.g. Europe/Amsterdam, UTC)` });
      return z.NEVER;
    }
    return { ...schedule, timezone };
  });
export type GateSchedule = z.output<typeof GateScheduleSchema>;

function minuteOfWeek(day: Weekday, time: string): number {
  const [hours, minutes] = time.split(':').map(Number);
  return WEEKDAYS.indexOf(day) * MINUTES_PER_DAY + (hours ?? 0) * 60 + (minutes ?? 0);
}

function weeklyLabel(w: WeeklyWindow): string {
  return w.reason ?? `weekly window ${w.from.day} ${w.from.time} to ${w.to.day} ${w.to.time}`;
}

/** The reasons of the windows closed at `instant` (empty when none is). */
export function activeWindows(schedule: GateSchedule, instant: number): string[] {
  const reasons: string[] = [];
  if (schedule.weekly.length > 0) {
    const t = localTime(instant, schedule.timezone);
    const now = t.weekday * MINUTES_PER_DAY + t.hour * 60 + t.minute;
    for (const w of schedule.weekly) {
      const from = minuteOfWeek(w.from.day, w.from.time);
      const to = minuteOfWeek(w.to.day, w.to.time);
      const active = from < to ? now >= from && now < to : now >= from || now < to;
      if (active) reasons.push(weeklyLabel(w));
    }
  }
  for (const d of schedule.dates) {
    if (instant >= Date.parse(d.start) && instant < Date.parse(d.end)) reasons.push(d.reason ?? `dated window ${d.start} to ${d.end}`);
  }
  return reasons;
}

/** The instants in (from, to] where a window may open or close: candidates for the next change. */
function boundaries(schedule: GateSchedule, from: number, to: number): number[] {
  const out = new Set<number>();
  for (const d of schedule.dates) {
    for (const at of [Date.parse(d.start), Date.parse(d.end)]) if (at > from && at <= to) out.add(at);
  }
  if (schedule.weekly.length > 0) {
    const start = localTime(from, schedule.timezone);
    const days = Math.ceil((to - from) / DAY_MS) + 1;
    for (let offset = -1; offset <= days; offset++) {
      const date = new Date(Date.UTC(start.year, start.month - 1, start.day + offset));
      const weekday = (date.getUTCDay() + 6) % 7;
      for (const w of schedule.weekly) {
        for (const moment of [w.from, w.to]) {
          if (WEEKDAYS.indexOf(moment.day) !== weekday) continue;
          const [hours, minutes] = moment.time.split(':').map(Number);
          const at = zonedInstant(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), hours ?? 0, minutes ?? 0, schedule.timezone);
          if (at > from && at <= to) out.add(at);
        }
      }
    }
  }
  return [...out].sort((a, b) => a - b);
}

/**
 * The first instant in (lo, hi] where `closed(t)` differs from `closed(lo)`, given that it differs at
 * `hi`. A binary search: it corrects boundaries that fall into a DST gap, whose candidate instant is
 * an hour off.
 */
export function firstChange(closed: (t: number) => boolean, lo: number, hi: number): number {
  const initial = closed(lo);
  let a = lo;
  let b = hi;
  while (b - a > 1) {
    const mid = Math.floor((a + b) / 2);
    if (closed(mid) === initial) a = mid;
    else b = mid;
  }
  return b;
}

/** Whether the schedule holds the gate closed at `now`, why, and when that next changes. */
export interface ScheduleState {
  readonly closed: boolean;
  readonly reasons: string[];
  /** When the schedule's state next flips, within {@link UNTIL_HORIZON_MS}; null when it does not. */
  readonly until: number | null;
  /** For an open state: the reasons of the window that closes it at `until`. */
  readonly nextReasons: string[];
}

export function scheduleState(schedule: GateSchedule, now: number): ScheduleState {
  const reasons = activeWindows(schedule, now);
  const closed = reasons.length > 0;
  const isClosed = (t: number): boolean => activeWindows(schedule, t).length > 0;
  let previous = now;
  for (const candidate of boundaries(schedule, now, now + UNTIL_HORIZON_MS)) {
    if (isClosed(candidate) !== closed) {
      const until = firstChange(isClosed, previous, candidate);
      return { closed, reasons, until, nextReasons: closed ? [] : activeWindows(schedule, until) };
    }
    previous = candidate;
  }
  return { closed, reasons, until: null, nextReasons: [] };
}

/** A schedule with no windows (what GET answers when none was ever written). */
export function emptySchedule(): GateSchedule {
  return { timezone: 'UTC', weekly: [], dates: [] };
}
