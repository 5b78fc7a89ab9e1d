import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { ApiError, validationError } from './errors.js';

/** Deepest nesting accepted in a JSON body: real payloads stay far below, and deeper ones would overflow the stack of recursive validators. */
export const MAX_BODY_DEPTH = 64;

// Postgres stores neither NUL in text nor unpaired surrogates in jsonb; both would fail the INSERT.
const UNSTORABLE_TEXT = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

interface Node {
  readonly value: unknown;
  readonly parent: Node | undefined;
  readonly key: string | number | undefined;
  readonly depth: number;
}

function pathOf(node: Node): (string | number)[] {
  const path: (string | number)[] = [];
  for (let n: Node | undefined = node; n?.key !== undefined; n = n.parent) path.unshift(n.key);
  return path;
}

/** The first place in a parsed JSON body that cannot be validated or stored, if any (walked without recursion). */
export function bodyProblem(body: unknown): { path: (string | number)[]; message: string } | undefined {
  const stack: Node[] = [{ value: body, parent: undefined, key: undefined, depth: 0 }];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    const { value } = node;
    if (typeof value === 'string') {
      if (UNSTORABLE_TEXT.test(value)) return { path: pathOf(node), message: 'contains a NUL character or an unpaired UTF-16 surrogate' };
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (node.depth >= MAX_BODY_DEPTH) return { path: pathOf(node), message: `nested deeper than ${MAX_BODY_DEPTH} levels` };
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], parent: node, key: i, depth: node.depth + 1 });
      continue;
    }
    for (const [key, child] of Object.entries(value)) {
      const childNode = { value: child, parent: node, key, depth: node.depth + 1 };
      if (UNSTORABLE_TEXT.test(key)) return { path: pathOf(childNode), message: 'this key contains a NUL character or an unpaired UTF-16 surrogate' };
      stack.push(childNode);
    }
  }
  return undefined;
}

/** Parses a request part with a zod schema; a 400 naming every bad field otherwise. */
export function parse<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' | 'params' = 'body'): z.output<S> {
  const problem = bodyProblem(value);
  if (problem !== undefined) throw validationError([problem], where === 'body' ? [] : [where]);
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

/**
 * CLIs and fetch wrappers send `Content-Type: application/json` on every request, bodiless POSTs and
 * DELETEs included. In the plugin this is called in, an empty JSON body is no body.
 */
export function acceptEmptyJsonBody(app: FastifyInstance): void {
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') done(null, undefined);
    else json(request, body as string, done);
  });
}
