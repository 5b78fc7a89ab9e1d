import type { FastifyPluginAsync } from 'fastify';
import { ApiError } from '../../errors.js';
import type { RevisionTracker } from '../../plugins/revisions.js';
import type { Audience, SdkConfigService } from './sdk-config.service.js';

/** Whether an If-None-Match header names `etag` (a list, `*`, or weak forms included). */
export function ifNoneMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header === etag) return true;
  for (const part of header.split(',')) {
    const tag = part.trim();
    if (tag === '*' || tag === etag || (tag.startsWith('W/') && tag.slice(2) === etag)) return true;
  }
  return false;
}

export const sdkConfigRoutes: FastifyPluginAsync<{ sdkConfig: SdkConfigService; revisions: RevisionTracker }> = async (app, { sdkConfig, revisions }) => {
  app.get('/config', { config: { permission: 'sdk' } }, async (request, reply) => {
    const environment = request.principal?.environment;
    if (environment === null || environment === undefined) throw new ApiError('FORBIDDEN', 'this key belongs to no environment');
    const audience: Audience = request.principal?.kind === 'sdk-client' ? 'client' : 'server';
    const header = request.headers['if-none-match'];
    void reply.header('cache-control', 'no-cache');
    // The 304 path answers from memory: the tracker knows the latest revision without a query.
    const current = sdkConfig.etag(revisions.latest(), environment, audience);
    if (ifNoneMatches(header, current)) return reply.status(304).header('etag', current).send();
    const entry = await sdkConfig.snapshot(environment, audience, sdkConfig.revisionOf(header));
    void reply.header('etag', entry.etag);
    if (ifNoneMatches(header, entry.etag)) return reply.status(304).send();
    return reply.header('content-type', 'application/json; charset=utf-8').send(entry.body);
  });
};
