import type { FastifyError, FastifyInstance } from 'fastify';
import { ZodError } from 'zod';

/**
 * Every error code the API answers with, and its HTTP status. Codes are public API: never renamed
 * or reused.
 */
export const ERROR_CODES = {
  VALIDATION_FAILED: 400,
  INVALID_JSON: 400,
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  FLAG_NOT_FOUND: 404,
  SEGMENT_NOT_FOUND: 404,
  ENVIRONMENT_NOT_FOUND: 404,
  KEY_NOT_FOUND: 404,
  ROLLOUT_PLAN_NOT_FOUND: 404,
  WEBHOOK_NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  VERSION_CONFLICT: 409,
  NOT_KILLED: 409,
  FLAG_KILLED: 409,
  FLAG_ARCHIVED: 409,
  FLAG_IN_USE: 409,
  ROLLOUT_PLAN_ACTIVE: 409,
  ROLLOUT_PLAN_NOT_ACTIVE: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNPROCESSABLE: 422,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  DATABASE_UNAVAILABLE: 503,
} as const;

/** A public error code. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** One detail of an error: usually the field (a path into the body) and what is wrong with it. */
export interface ErrorDetail {
  readonly path?: string;
  readonly message: string;
  readonly [extra: string]: unknown;
}

/** An error the API renders as `{ error: { code, message, details } }` with the code's status. */
export class ApiError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: readonly ErrorDetail[] = [],
  ) {
    super(message);
    this.statusCode = ERROR_CODES[code];
  }
}

/** Formats a path like `rules[0].clauses[1].values` from zod-style path segments. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** A zod issue or a core validation issue. */
interface IssueLike {
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly code?: string;
  readonly errors?: readonly (readonly IssueLike[])[];
}

// A failed union reports only "Invalid input" at the union's path; the branch with the fewest issues
// is the one the client almost always meant, and its issues name the actual field and problem.
function expandUnions(issues: readonly IssueLike[]): IssueLike[] {
  const out: IssueLike[] = [];
  for (const issue of issues) {
    const branches = issue.code === 'invalid_union' ? issue.errors : undefined;
    const best = branches?.reduce((a, b) => (b.length < a.length ? b : a));
    if (best === undefined || best.length === 0) out.push(issue);
    else for (const inner of expandUnions(best)) out.push({ path: [...issue.path, ...inner.path], message: inner.message });
  }
  return out;
}

/** A 400 naming each invalid field, from zod issues or validation issues. */
export function validationError(rawIssues: readonly IssueLike[], prefix: readonly PropertyKey[] = []): ApiError {
  const issues = expandUnions(rawIssues);
  const details = issues.map((issue) => ({ path: formatPath([...prefix, ...issue.path]), message: issue.message }));
  const first = details[0];
  const summary = first === undefined ? 'invalid request' : `${first.path === '' ? 'body' : first.path}: ${first.message}`;
  return new ApiError('VALIDATION_FAILED', details.length > 1 ? `${summary} (and ${details.length - 1} more)` : summary, details);
}

const PG_UNAVAILABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004']);

function isDatabaseUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && PG_UNAVAILABLE.has(code)) return true;
  const message = (error as { message?: unknown }).message;
  return typeof message === 'string' && /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect|Client has encountered a connection error/.test(message);
}

function fromFastify(error: FastifyError): ApiError | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError('PAYLOAD_TOO_LARGE', 'request body is larger than the 1 MiB limit');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError('INVALID_JSON', `request body is not valid JSON: ${error.message}`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError('BAD_REQUEST', 'unsupported Content-Type: send application/json');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiError('BAD_REQUEST', 'Content-Length does not match the body');
    default:
      break;
  }
  if (error instanceof SyntaxError || (error.statusCode === 400 && /JSON/i.test(error.message))) {
    return new ApiError('INVALID_JSON', `request body is not valid JSON: ${error.message}`);
  }
  if (error.statusCode === 429) return new ApiError('RATE_LIMITED', error.message || 'too many requests');
  if (error.statusCode === 413) return new ApiError('PAYLOAD_TOO_LARGE', 'request body is too large');
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    return new ApiError('BAD_REQUEST', error.message);
  }
  return undefined;
}

/** Installs the one error handler and the 404 handler that render every error the same way. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((raw: FastifyError, request, reply) => {
    let error: ApiError;
    if (raw instanceof ApiError) error = raw;
    else if (raw instanceof ZodError) error = validationError(raw.issues);
    else if (isDatabaseUnavailable(raw)) {
      request.log.warn({ err: raw }, 'database unavailable');
      error = new ApiError('DATABASE_UNAVAILABLE', 'the database is unavailable; the change was not applied, retry shortly');
    } else {
      const mapped = fromFastify(raw);
      if (mapped === undefined) {
        request.log.error({ err: raw }, 'unhandled error');
        error = new ApiError('INTERNAL', 'internal error; see the server log for the request id');
      } else error = mapped;
    }
    if (error.statusCode === 503) void reply.header('retry-after', '1');
    void reply.status(error.statusCode).send({ error: { code: error.code, message: error.message, details: error.details } });
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({ error: { code: 'ROUTE_NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}`, details: [] } });
  });
}
