import { CliError, type ErrorDetail } from './errors.js';

/** The server the CLI talks to when neither `--url` nor `SWITCHYARD_URL` names one (`npm start`'s default). */
export const DEFAULT_URL = 'http://127.0.0.1:4242';

/** Query parameters; arrays repeat the parameter, `undefined` and `false`-less omissions are dropped. */
export type Query = Readonly<Record<string, string | number | boolean | readonly string[] | undefined>>;

/** How to reach the server. */
export interface ApiOptions {
  /** Base URL, e.g. `http://127.0.0.1:4242` (a path prefix is kept). */
  readonly url: string;
  /** An API key (`Authorization: Bearer …`). */
  readonly token: string;
  /** Extra headers on every request, e.g. `X-Switchyard-Incident`. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Per request; default 30 s. */
  readonly timeoutMs?: number;
}

/**
 * A thin JSON client for the Switchyard REST API. Every failure is a {@link CliError} with exit code 2:
 * server errors carry the server's `code`, `message` and `details`; network errors name the URL.
 * @example
 * const api = createApi({ url: 'http://127.0.0.1:4242', token: process.env.SWITCHYARD_TOKEN! });
 * const { flags } = await api.get<{ flags: unknown[] }>('/api/v1/flags', { tag: 'checkout' });
 */
export interface Api {
  /** The base URL requests go to. */
  readonly url: string;
  /** `GET path?query`, the parsed JSON answer. */
  get<T>(path: string, query?: Query): Promise<T>;
  /** `POST path` with a JSON body (none when `body` is undefined). */
  post<T>(path: string, body?: unknown, query?: Query): Promise<T>;
}

/**
 * Encodes path segments: `path('flags', key, 'environments', env)` → `/api/v1/flags/<key>/environments/<env>`.
 * @example apiPath('flags', 'new-checkout') // '/api/v1/flags/new-checkout'
 */
export function apiPath(...segments: string[]): string {
  return `/api/v1/${segments.map((s) => encodeURIComponent(s)).join('/')}`;
}

/**
 * Checks and normalises a base URL (no trailing slash). A malformed one is a usage error.
 * @example normalizeUrl('http://127.0.0.1:4242/') // 'http://127.0.0.1:4242'
 */
export function normalizeUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CliError(`"${url}" is not a URL (set SWITCHYARD_URL or --url, e.g. ${DEFAULT_URL})`, { code: 'USAGE', usage: true });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new CliError(`"${url}" is not an http(s) URL`, { code: 'USAGE', usage: true });
  }
  return url.replace(/\/+$/, '');
}

function queryString(query: Query | undefined): string {
  if (query === undefined) return '';
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value as readonly string[]) params.append(name, v);
    else params.append(name, String(value));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

function describeCause(err: unknown): string {
  let current: unknown = err;
  // fetch wraps the socket error: "fetch failed" → cause ECONNREFUSED …
  while (current instanceof Error && current.cause !== undefined) current = current.cause;
  if (current instanceof Error) {
    const code = (current as { code?: unknown }).code;
    return typeof code === 'string' && !current.message.includes(code) ? `${code}: ${current.message}` : current.message;
  }
  return String(current);
}

function isErrorBody(body: unknown): body is { error: { code: string; message: string; details?: ErrorDetail[] } } {
  if (typeof body !== 'object' || body === null || !('error' in body)) return false;
  const error = (body as { error: unknown }).error;
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string' && typeof (error as { message?: unknown }).message === 'string';
}

/**
 * Creates an {@link Api} for a base URL and token.
 * @example createApi({ url: process.env.SWITCHYARD_URL!, token: process.env.SWITCHYARD_TOKEN! })
 */
export function createApi(options: ApiOptions): Api {
  const base = normalizeUrl(options.url);
  const timeoutMs = options.timeoutMs ?? 30_000;

  async function request<T>(method: string, path: string, body: unknown, query: Query | undefined): Promise<T> {
    const target = `${base}${path}${queryString(query)}`;
    const headers: Record<string, string> = { accept: 'application/json', authorization: `Bearer ${options.token}`, ...options.headers };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(target, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
        throw new CliError(`no answer from Switchyard at ${base} within ${timeoutMs / 1000} s (${method} ${path})`, { code: 'TIMEOUT' });
      }
      throw new CliError(`cannot reach Switchyard at ${base}: ${describeCause(err)} (check SWITCHYARD_URL or --url)`, { code: 'NETWORK' });
    }
    const text = await response.text().catch(() => '');
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (response.ok) {
      if (parsed === undefined) throw new CliError(`${method} ${path}: the server at ${base} answered ${response.status} without JSON`, { code: 'BAD_RESPONSE', status: response.status });
      return parsed as T;
    }
    if (isErrorBody(parsed)) {
      const { code, message, details = [] } = parsed.error;
      const hint = response.status === 401 ? ' (check SWITCHYARD_TOKEN or --token)' : '';
      throw new CliError(`${code}: ${message}${hint}`, { code, details, status: response.status });
    }
    throw new CliError(`${method} ${path}: the server at ${base} answered HTTP ${response.status} ${response.statusText}`.trimEnd(), {
      code: `HTTP_${response.status}`,
      status: response.status,
    });
  }

  return {
    url: base,
    get: (path, query) => request('GET', path, undefined, query),
    post: (path, body, query) => request('POST', path, body, query),
  };
}
