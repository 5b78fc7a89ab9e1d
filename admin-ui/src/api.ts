import type { AuditRecord, EnvironmentConfig, EnvironmentSummary as CoreEnvironmentSummary, Flag, FlagKind, Kill, SegmentRule } from '@switchyard/core';
import { BUCKETS } from '@switchyard/core/evaluate';

// Model types come from @switchyard/core (type-only: the zod schemas stay out of the bundle; the
// server validates and its errors are shown next to the fields they name). The envelopes below are
// the server's response shapes around those types.

/** 100% in rollout weight units (thousandths of a percent): one unit per bucket. */
export const WEIGHT_TOTAL = BUCKETS;

/** Every flag kind, checked against core's FlagKind in both directions. */
export const FLAG_KINDS = ['release', 'experiment', 'kill-switch', 'operational', 'permission', 'gate'] as const satisfies readonly FlagKind[];
// A compile error here means core gained a kind this list lacks.
type Exhaustive<T extends never> = T;
export type UnlistedKinds = Exhaustive<Exclude<FlagKind, (typeof FLAG_KINDS)[number]>>;

export type Permission = 'read' | 'write' | 'kill' | 'admin';
export type KeyKind = 'admin' | 'writer' | 'responder' | 'reader' | 'sdk-server' | 'sdk-client';
export const KEY_KINDS: readonly KeyKind[] = ['admin', 'writer', 'responder', 'reader', 'sdk-server', 'sdk-client'];

// Response shapes the server, this UI and the CLI share.
export type { FlagState, Kill } from '@switchyard/core';
/** One audit log entry (`GET /api/v1/audit`). */
export type AuditEntry = AuditRecord;

/** A flag's summary in one environment; with `?include=config`, the config too. */
export type EnvironmentSummary = CoreEnvironmentSummary & { readonly config?: EnvironmentConfig };

export interface FlagView extends Flag {
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly archivedAt: string | null;
  readonly environments: Record<string, EnvironmentSummary>;
  readonly staleReasons?: ('expired' | 'fully-rolled-out')[];
  readonly fullyRolledOutIn?: string[];
}

export interface FlagEnvironmentView extends EnvironmentSummary {
  readonly flag: string;
  readonly environment: string;
  readonly config: EnvironmentConfig;
  readonly revision?: number;
  readonly warnings?: (string | { code: string; message: string })[];
}

export interface KillResult {
  readonly revision: number;
  readonly flag: string;
  readonly environment: string;
  readonly enabled: boolean;
  readonly killed: Kill | null;
  readonly version: number;
  readonly alreadyKilled?: boolean;
}

export interface EnvironmentView {
  readonly key: string;
  readonly name: string;
  readonly createdAt: string;
}

export interface SegmentView {
  readonly key: string;
  readonly name: string;
  readonly description: string;
  readonly included: string[];
  readonly excluded: string[];
  readonly rules: SegmentRule[];
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface ApiKeyView {
  readonly id: string;
  readonly name: string;
  readonly kind: KeyKind;
  readonly environment: string | null;
  readonly prefix: string;
  readonly createdAt: string;
  readonly createdBy: string | null;
  readonly revokedAt: string | null;
}


export interface Connection {
  readonly id: string;
  readonly keyName: string;
  readonly environment: string;
  readonly sdk: { readonly name: string; readonly version: string };
  readonly instance: string | null;
  readonly appliedRevision: number | null;
  readonly connectedAt: string;
}

export interface Exposure {
  readonly evaluations: number;
  readonly windowMinutes: number;
  readonly estimate?: number;
  readonly percentage?: number;
}

/** One detail of an API error: usually the field (a path into the body) and what is wrong with it. */
export interface ErrorDetail {
  readonly path?: string;
  readonly message: string;
  readonly [extra: string]: unknown;
}

/** An API error as the server renders it (`{ error: { code, message, details } }`), or a network failure. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: readonly ErrorDetail[] = [],
  ) {
    super(message);
  }
}

let token: string | null = null;
let onUnauthorized: (error: ApiError) => void = () => undefined;

export function setToken(value: string | null): void {
  token = value;
}

/** Called when the key stops working (revoked, deleted): the app signs out. */
export function setUnauthorizedHandler(handler: (error: ApiError) => void): void {
  onUnauthorized = handler;
}

export type Query = Record<string, string | number | boolean | undefined | null | readonly string[]>;

export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) for (const v of value) params.append(name, v);
    else params.append(name, String(value));
  }
  const text = params.toString();
  return text === '' ? path : `${path}?${text}`;
}

export interface RequestOptions {
  readonly body?: unknown;
  readonly query?: Query;
  /** Sent as If-Match: the write applies only to this version, else 409 VERSION_CONFLICT. */
  readonly version?: number;
  readonly token?: string;
  readonly signal?: AbortSignal;
}

/** Calls the admin API with the session's key; resolves to the JSON body or throws an ApiError. */
export async function api<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const key = options.token ?? token;
  if (key !== null) headers.authorization = `Bearer ${key}`;
  if (options.version !== undefined) headers['if-match'] = `"${options.version}"`;
  let body: string | undefined;
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  let response: Response;
  try {
    response = await fetch(withQuery(`/api/v1${path}`, options.query), { method, headers, body, signal: options.signal ?? null });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, 'NETWORK', 'The server cannot be reached. Check your connection and retry.');
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!response.ok) {
    const error = (json as { error?: { code?: string; message?: string; details?: ErrorDetail[] } } | undefined)?.error;
    const failure = new ApiError(response.status, error?.code ?? `HTTP_${response.status}`, error?.message ?? `${response.status} ${response.statusText}`, error?.details ?? []);
    if (response.status === 401 && options.token === undefined) onUnauthorized(failure);
    throw failure;
  }
  return json as T;
}

/** A percentage as rollout weight units (0.001% each). */
export const toWeight = (percentage: number): number => Math.round(percentage * 1000);
/** Rollout weight units as a percentage. */
export const toPercentage = (weight: number): number => weight / 1000;
