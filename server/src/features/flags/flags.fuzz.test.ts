import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../errors.js';
import { createFlag } from '../../../../test/helpers/flags.js';
import { createTestServer, type TestServer } from '../../../../test/helpers/server.js';

// Property: no input makes a write route answer 5xx, and every error has the one documented shape.

let server: TestServer;
beforeAll(async () => {
  server = await createTestServer();
  await createFlag(server, 'fuzz-target', { type: 'string', variants: [{ key: 'a', value: 'a' }, { key: 'b', value: 'b' }, { key: 'c', value: 'c' }] });
  await createFlag(server, 'fuzz-other');
  const segment = await server.api('POST', '/api/v1/segments', { key: 'fuzz-segment', name: 'Fuzz' });
  expect(segment.statusCode).toBe(201);
});
afterAll(async () => server.close());

// About 900 requests in all: a few seconds on PGlite.
const RUNS = 150;

interface Route {
  readonly method: 'POST' | 'PATCH' | 'PUT';
  readonly url: string;
  readonly valid: readonly unknown[];
}

const ENV = '/api/v1/flags/fuzz-target/environments/staging';
const ROUTES: Record<string, Route> = {
  'POST /flags': {
    method: 'POST',
    url: '/api/v1/flags',
    valid: [
      { key: 'fz-new', kind: 'release', owner: 'team', expiresAt: '2027-01-01T00:00:00Z', tags: ['a'], clientSide: true },
      { key: 'fz-multi', kind: 'experiment', owner: 'team', expiresAt: '2027-01-01T00:00:00+02:00', type: 'json', variants: [{ key: 'x', value: { a: [1, 'b', null] } }, { key: 'y', value: 2 }] },
    ],
  },
  'PATCH /flags/:key': {
    method: 'PATCH',
    url: '/api/v1/flags/fuzz-target',
    valid: [{ owner: 'team-b', tags: ['x'], description: 'd' }, { variants: [{ key: 'a', value: 'a' }, { key: 'b', value: 'b' }, { key: 'c', value: 'c' }], kind: 'permission' }],
  },
  'PUT /environments/:env': {
    method: 'PUT',
    url: ENV,
    valid: [
      {
        enabled: true,
        offVariant: 'c',
        targets: [{ variant: 'b', values: ['qa-1'] }],
        rules: [
          { id: 'r1', clauses: [{ attribute: 'email', op: 'matches', values: ['^[a-z]+@acme\\.io$'] }, { attribute: 'key', op: 'inSegment', values: ['fuzz-segment'] }], serve: { variant: 'a' } },
          { id: 'r2', clauses: [{ attribute: 'version', op: 'semverGt', values: ['1.2.3'], negate: true }], serve: { rollout: { variants: [{ variant: 'a', weight: 40000 }, { variant: 'b', weight: 60000 }], bucketBy: 'org', salt: 's' } } },
        ],
        fallthrough: { variant: 'a' },
        prerequisites: [{ flag: 'fuzz-other', variant: 'true' }],
      },
    ],
  },
  'POST .../rollout': { method: 'POST', url: `${ENV}/rollout`, valid: [{ percentage: 12.5 }, { percentage: 100, variant: 'b' }] },
  'POST .../kill': { method: 'POST', url: `${ENV}/kill`, valid: [{ reason: 'INC-1' }] },
  'POST .../restore': { method: 'POST', url: `${ENV}/restore`, valid: [{ reason: 'ok' }] },
};

const errorCodes = Object.keys(ERROR_CODES);

function checkResponse(res: LightMyRequestResponse, sent: unknown): void {
  const context = `${res.statusCode} ${res.body.slice(0, 500)} for ${JSON.stringify(sent)?.slice(0, 500)}`;
  expect(res.statusCode, context).toBeLessThan(500);
  if (res.statusCode < 400) return;
  const body = res.json() as { error?: { code?: unknown; message?: unknown; details?: unknown } };
  expect(Object.keys(body), context).toEqual(['error']);
  const { code, message, details } = body.error ?? {};
  expect(errorCodes, context).toContain(code);
  expect(ERROR_CODES[code as keyof typeof ERROR_CODES], context).toBe(res.statusCode);
  expect(typeof message, context).toBe('string');
  expect(Array.isArray(details), context).toBe(true);
  for (const detail of details as { path?: unknown; message?: unknown }[]) {
    expect(typeof detail.message, context).toBe('string');
    if (detail.path !== undefined) expect(typeof detail.path, context).toBe('string');
  }
}

/** Strings that have broken servers before: NUL, lone surrogates, SQL and regex metacharacters, huge numbers. */
const nasty = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('\u0000', '\ud800', 'a\udc00b', "'; DROP TABLE flags; --", '(a+)+$', '%_\\', '__proto__', 'constructor', '1e400', '-0', 'true', '2026-02-30T00:00:00Z'),
  fc.constantFrom(1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, -0, 0.0001, 100.0005),
);

/** A valid body with one part replaced, removed or added. */
function mutated(valid: readonly unknown[]): fc.Arbitrary<unknown> {
  return fc.tuple(fc.constantFrom(...valid), fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), fc.oneof(fc.anything(), nasty, fc.constant(undefined)), fc.nat()).map(([base, path, value, salt]) => {
    const copy = structuredClone(base) as unknown;
    // New flag keys, so creates are not all duplicates.
    if (typeof copy === 'object' && copy !== null && 'key' in copy) (copy as Record<string, unknown>).key = `fz-${salt}`;
    let node: unknown = copy;
    for (let i = 0; i < path.length; i++) {
      if (typeof node !== 'object' || node === null) break;
      const keys = Object.keys(node);
      if (keys.length === 0) break;
      const key = keys[(path[i] ?? 0) % keys.length] as string;
      const last = i === path.length - 1 || typeof (node as Record<string, unknown>)[key] !== 'object';
      if (last) {
        if (value === undefined) delete (node as Record<string, unknown>)[key];
        else if (salt % 5 === 0) (node as Record<string, unknown>)[`extra${salt}`] = value;
        else (node as Record<string, unknown>)[key] = value;
        break;
      }
      node = (node as Record<string, unknown>)[key];
    }
    return copy;
  });
}

// Mostly unconditional, so most requests get past the version check into validation and the transaction.
const ifMatch = fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.nat({ max: 5 }).map(String) }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) });

describe('fuzzing the write routes', () => {
  for (const [name, route] of Object.entries(ROUTES)) {
    it(`${name}: never 5xx, always the error shape`, async () => {
      const bodies = fc.oneof(
        { weight: 2, arbitrary: fc.anything({ maxDepth: 4 }) },
        { weight: 2, arbitrary: fc.json({ maxDepth: 4 }).map((text) => ({ raw: text })) },
        { weight: 5, arbitrary: mutated(route.valid) },
        { weight: 1, arbitrary: fc.constantFrom(...route.valid) },
      );
      await fc.assert(
        fc.asyncProperty(bodies, ifMatch, async (body, version) => {
          const headers: Record<string, string> = {};
          if (version !== undefined && /^[\x20-\x7e]*$/.test(version)) headers['if-match'] = version;
          const raw = typeof body === 'object' && body !== null && 'raw' in body && Object.keys(body).length === 1 ? (body as { raw: string }).raw : undefined;
          const payload = raw ?? (body === undefined ? undefined : JSON.stringify(body));
          const res = await server.api(route.method, route.url, payload === undefined ? undefined : payload, { headers: { 'content-type': 'application/json', ...headers } });
          checkResponse(res, payload);
        }),
        { numRuns: RUNS },
      );
    });
  }
});
