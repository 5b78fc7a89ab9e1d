import type { FlagConfig } from '@switchyard/core';
import type { LightMyRequestResponse } from 'fastify';
import type { Clock } from '@switchyard/server';
import type { TestServer } from './server.js';

/** A clock tests move by hand. */
export interface ManualClock extends Clock {
  set(date: Date | string): void;
  advance(ms: number): void;
}

export function manualClock(start: Date | string = new Date()): ManualClock {
  let now = new Date(start).getTime();
  return {
    now: () => new Date(now),
    set: (date) => {
      now = new Date(date).getTime();
    },
    advance: (ms) => {
      now += ms;
    },
  };
}

export const DAY_MS = 24 * 60 * 60 * 1000;

/** The error body every failure renders. */
export interface ErrorBody {
  error: { code: string; message: string; details: { path?: string; message: string; [extra: string]: unknown }[] };
}

export function errorOf(res: LightMyRequestResponse): ErrorBody['error'] {
  return (res.json() as ErrorBody).error;
}

/** Creates a flag through the API (an operational boolean flag unless overridden) and checks the 201. */
export async function createFlag(server: TestServer, key: string, overrides: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const res = await server.api('POST', '/api/v1/flags', { key, kind: 'operational', owner: 'team-test', ...overrides });
  if (res.statusCode !== 201) throw new Error(`creating flag ${key} failed: ${res.statusCode} ${res.body}`);
  return (res.json() as { flag: Record<string, unknown> }).flag;
}

/** PUTs an environment config and checks the 200. */
export async function putConfig(server: TestServer, key: string, env: string, config: Record<string, unknown>): Promise<Record<string, unknown>> {
  const res = await server.api('PUT', `/api/v1/flags/${key}/environments/${env}`, config);
  if (res.statusCode !== 200) throw new Error(`PUT ${key}/${env} failed: ${res.statusCode} ${res.body}`);
  return res.json() as Record<string, unknown>;
}

/** The global revision, read from the database. */
export async function revisionOf(server: TestServer): Promise<number> {
  const row = await server.database.db.selectFrom('revision_counter').select('revision').executeTakeFirstOrThrow();
  return Number(row.revision);
}

export async function auditCount(server: TestServer): Promise<number> {
  const row = await server.database.db.selectFrom('audit_log').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** A boolean flag config, on, serving `true`. */
export function booleanFlag(key: string, overrides: Partial<FlagConfig> = {}): FlagConfig {
  return {
    key,
    version: 1,
    type: 'boolean',
    variants: [
      { key: 'true', value: true },
      { key: 'false', value: false },
    ],
    enabled: true,
    offVariant: 'false',
    targets: [],
    rules: [],
    fallthrough: { variant: 'true' },
    prerequisites: [],
    ...overrides,
  };
}
