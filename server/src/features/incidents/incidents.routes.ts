import type { FastifyPluginAsync } from 'fastify';
import { parse } from '../../http.js';
import { actorOf } from '../../plugins/auth.js';
import { BulkKillSchema } from './incidents.schemas.js';
import type { IncidentService } from './incidents.service.js';

/** `POST /api/v1/kill`: kill every flag with a tag (or a list of flags) in one environment, at once. */
export const incidentsRoutes: FastifyPluginAsync<{ incidents: IncidentService }> = async (app, { incidents }) => {
  app.post('/kill', { config: { permission: 'kill' } }, async (request) => {
    const body = parse(BulkKillSchema, request.body);
    return incidents.bulkKill(body, actorOf(request));
  });
};
