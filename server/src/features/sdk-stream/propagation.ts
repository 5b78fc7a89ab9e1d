import type { FastifyInstance, preSerializationAsyncHookHandler, preValidationAsyncHookHandler } from 'fastify';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../../db/schema.js';
import { json } from '../../db/values.js';
import { ApiError } from '../../errors.js';
import type { SdkFleet } from './fleet.js';

/** Longest a write may wait for SDK acknowledgements. */
export const MAX_WAIT_FOR_SDKS_MS = 30_000;

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const WaitSchema = z.coerce.number().int().min(0).max(MAX_WAIT_FOR_SDKS_MS);

function operatorsIn(body: unknown): Set<string> {
  const ops = new Set<string>();
  if (typeof body !== 'object' || body === null) return ops;
  const rules = (body as { rules?: unknown }).rules;
  if (!Array.isArray(rules)) return ops;
  for (const rule of rules) {
    const clauses = (rule as { clauses?: unknown } | null)?.clauses;
    if (!Array.isArray(clauses)) continue;
    for (const clause of clauses) {
      const op = (clause as { op?: unknown } | null)?.op;
      if (typeof op === 'string') ops.add(op);
    }
  }
  return ops;
}

/**
 * Provable propagation for every write: with `?waitForSdks=<ms>`, a successful write that answered a
 * `revision` waits until every connected SDK of the affected environment (all, for environment-
 * independent writes), on every replica, acknowledged it, or until the timeout; the response gets
 * `propagation` and the audit rows of that revision record it. Writes of rules also warn about
 * connected SDKs whose protocol is too old for the operators used.
 */
export function installPropagation(app: FastifyInstance, deps: { fleet: SdkFleet; db: Kysely<Database> }): void {
  const preValidation: preValidationAsyncHookHandler = async (request) => {
    if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS') return;
    const raw = (request.query as Record<string, unknown> | undefined)?.waitForSdks;
    if (raw === undefined) return;
    if (!WaitSchema.safeParse(raw).success) {
      throw new ApiError('VALIDATION_FAILED', `waitForSdks must be milliseconds between 0 and ${MAX_WAIT_FOR_SDKS_MS}`, [{ path: 'query.waitForSdks', message: 'invalid' }]);
    }
  };

  const preSerialization: preSerializationAsyncHookHandler = async (request, reply, payload) => {
    if (request.method === 'GET' || request.method === 'HEAD' || reply.statusCode >= 300 || typeof payload !== 'object' || payload === null) return payload;
    const body = payload as Record<string, unknown>;
    const env = (request.params as { env?: unknown } | undefined)?.env;
    const environments = typeof env === 'string' ? [env] : 'all';
    let result = body;
    if (typeof env === 'string') {
      const ops = operatorsIn(request.body);
      if (ops.size > 0) {
        const old = await deps.fleet.sdksThatCannotEvaluate(env, ops);
        if (old.length > 0) {
          const existing = Array.isArray(body.warnings) ? (body.warnings as unknown[]) : [];
          result = {
            ...result,
            warnings: [
              ...existing,
              {
                code: 'SDK_PROTOCOL_TOO_OLD',
                message: `${old.length} connected SDK(s) speak a protocol too old for these operators; they serve this flag's off variant (reason ERROR) until upgraded`,
                sdks: old.map((c) => ({ id: c.id, sdk: `${c.sdk.name}/${c.sdk.version}`, protocol: c.protocol, keyName: c.keyName, instance: c.instance, replica: c.replica })),
              },
            ],
          };
        }
      }
    }
    const raw = (request.query as Record<string, unknown> | undefined)?.waitForSdks;
    const revision = body.revision;
    if (raw === undefined || typeof revision !== 'number') return result;
    const propagation = await deps.fleet.waitForAcks(environments, revision, WaitSchema.parse(raw));
    try {
      await deps.db.updateTable('audit_log').set({ propagation: json(propagation) }).where('revision', '=', revision).execute();
    } catch (error) {
      request.log.warn({ err: error }, 'could not record propagation in the audit log');
    }
    return { ...result, propagation };
  };

  // On the routes that write only: reads (the SDK config above all) skip two async hooks.
  const asArray = <T>(hooks: T | T[] | undefined): T[] => (hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks]);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (methods.every((method) => READ_METHODS.has(method))) return;
    route.preValidation = [preValidation, ...asArray(route.preValidation)];
    route.preSerialization = [preSerialization, ...asArray(route.preSerialization)];
  });
}
