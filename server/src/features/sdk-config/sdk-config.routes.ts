import type { FastifyPluginAsync, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
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
  const audienceOf = (request: FastifyRequest): Audience => (request.principal?.kind === 'sdk-client' ? 'client' : 'server');

  // Most polls end here: an unchanged snapshot is answered right after authentication, from memory
  // (the tracker knows the latest revision without a query), skipping the later request hooks.
  const notModified = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    const header = request.headers['if-none-match'];
    const environment = request.principal?.environment;
    if (header === undefined || environment === null || environment === undefined) return done();
    const current = sdkConfig.etag(revisions.latest(), environment, audienceOf(request));
    if (!ifNoneMatches(header, current)) return done();
    void reply.status(304).header('cache-control', 'no-cache').header('etag', current).send();
  };

  app.get('/config', { config: { permission: 'sdk' }, onRequest: notModified }, async (request, reply) => {
    const environment = request.principal?.environment;
    if (environment === null || environment === undefined) throw new ApiError('FORBIDDEN', 'this key belongs to no environment');
    const header = request.headers['if-none-match'];
    const entry = await sdkConfig.snapshot(environment, audienceOf(request), sdkConfig.revisionOf(header));
    void reply.header('cache-control', 'no-cache').header('etag', entry.etag);
    // The tracker was behind (a change through another replica): the fresh read may still match.
    if (ifNoneMatches(header, entry.etag)) return reply.status(304).send();
    return reply.header('content-type', 'application/json; charset=utf-8').send(entry.body);
  });
};
