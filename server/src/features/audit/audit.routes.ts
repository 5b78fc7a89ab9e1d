import type { FastifyPluginAsync } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { parse } from '../../http.js';
import { AuditQuerySchema } from './audit.schemas.js';
import { queryAudit } from './audit.store.js';

export const auditRoutes: FastifyPluginAsync<{ db: Kysely<Database> }> = async (app, { db }) => {
  app.get('/', { config: { permission: 'read' } }, async (request) => {
    const query = parse(AuditQuerySchema, request.query, 'query');
    return queryAudit(db, {
      flag: query.flag,
      resource: query.resource,
      resourceType: query.resourceType,
      environment: query.env,
      actor: query.actor,
      action: query.action,
      since: query.since,
      until: query.until,
      before: query.before,
      limit: query.limit,
      // Listing API keys is admin-only, so their audit trail (names, kinds, prefixes) is too.
      hiddenResourceTypes: request.principal?.kind === 'admin' ? [] : ['key'],
    });
  });
};
