// The two backends return some types differently (pg: bigint and count(*) as strings, timestamps as
// Date; PGlite: bigint as BigInt, count(*) as number). These helpers are the one place that knows.

/** A bigint/count column as a JS number (revisions and counts stay far below 2^53). */
export function toNumber(value: string | number | bigint | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : Number(value);
}

/** A timestamp column as an ISO string. */
export function toIso(value: Date | string): string;
export function toIso(value: Date | string | null): string | null;
export function toIso(value: Date | string | null): string | null {
  if (value === null) return null;
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

/** A value for a jsonb column. */
export function json(value: unknown): string {
  return JSON.stringify(value);
}

/** A jsonb column as a value: pg and PGlite parse jsonb, but a string stored by mistake is parsed too. */
export function fromJson<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}
