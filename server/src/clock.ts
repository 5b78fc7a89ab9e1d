/** The time source, injected so tests can move time (expiry, staleness, schedules). */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
