import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { ApiError, validationError } from './errors.js';

/** Parses a request part with a zod schema; a 400 naming every bad field otherwise. */
export function parse<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' | 'params' = 'body'): z.output<S> {
  const result = schema.safeParse(value ?? (where === 'body' ? undefined : {}));
  if (!result.success) {
    if (where === 'body' && (value === undefined || value === null)) {
      throw new ApiError('VALIDATION_FAILED', 'request body is required (JSON)', [{ path: '', message: 'required' }]);
    }
    throw validationError(result.error.issues, where === 'body' ? [] : [where]);
  }
  return result.data;
}

/**
 * The version a write is conditional on, from `If-Match` (`3`, `"3"` or `W/"3"`), or undefined when
 * the client sent none (the write is then unconditional).
 */
export function ifMatch(request: FastifyRequest): number | undefined {
  const header = request.headers['if-match'];
  if (header === undefined) return undefined;
  const match = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(Array.isArray(header) ? (header[0] ?? '') : header);
  if (match === null) throw new ApiError('BAD_REQUEST', 'If-Match must be the resource version, e.g. If-Match: "3"', [{ path: 'If-Match', message: 'not a version number' }]);
  return Number(match[1]);
}
