import { EnvironmentConfigSchema, FLAG_KEY_PATTERN, FlagPatchSchema, FlagSchema } from '@switchyard/core';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { ApiError } from '../../errors.js';
import { ifMatch, parse } from '../../http.js';
import { actorOf } from '../../plugins/auth.js';
import type { FlagEnvironmentService } from './flag-environments.service.js';
import { FlagEnvironmentParamsSchema, FlagParamsSchema, ListFlagsQuerySchema, ReasonBodySchema, RolloutBodySchema } from './flags.schemas.js';
import { flagNotFound, type FlagService } from './flags.service.js';

const ENVIRONMENT_KEY_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

// A key that cannot exist is simply not found (and never reaches SQL).
function flagKeyOf(params: unknown): string {
  const { key } = parse(FlagParamsSchema, params, 'params');
  if (!FLAG_KEY_PATTERN.test(key)) throw flagNotFound(key);
  return key;
}

function flagEnvironmentOf(params: unknown): { key: string; env: string } {
  const { key, env } = parse(FlagEnvironmentParamsSchema, params, 'params');
  if (!FLAG_KEY_PATTERN.test(key)) throw flagNotFound(key);
  if (!ENVIRONMENT_KEY_PATTERN.test(env)) throw new ApiError('ENVIRONMENT_NOT_FOUND', `no environment "${env}"`);
  return { key, env };
}

/** The resource version as an ETag, so a client can echo it in If-Match. */
function etag(reply: FastifyReply, version: number): void {
  void reply.header('etag', `"${version}"`);
}

export const flagsRoutes: FastifyPluginAsync<{ flags: FlagService; environments: FlagEnvironmentService }> = async (app, { flags, environments }) => {
  // CLIs and fetch wrappers send Content-Type: application/json on every request, a bodiless DELETE
  // included. Here an empty JSON body is no body; routes that need one answer 400 saying so.
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') done(null, undefined);
    else json(request, body as string, done);
  });

  app.get('/', { config: { permission: 'read' } }, async (request) => {
    const query = parse(ListFlagsQuerySchema, request.query, 'query');
    return { flags: await flags.list(query) };
  });

  app.post('/', { config: { permission: 'write' } }, async (request, reply) => {
    const body = parse(FlagSchema, request.body);
    const result = await flags.create(body, actorOf(request));
    etag(reply, result.flag.version);
    return reply.status(201).header('location', `/api/v1/flags/${result.flag.key}`).send(result);
  });

  app.get('/:key', { config: { permission: 'read' } }, async (request, reply) => {
    const flag = await flags.get(flagKeyOf(request.params));
    etag(reply, flag.version);
    return { flag };
  });

  app.patch('/:key', { config: { permission: 'write' } }, async (request, reply) => {
    const key = flagKeyOf(request.params);
    const patch = parse(FlagPatchSchema, request.body);
    if (Object.keys(patch).length === 0) throw new ApiError('VALIDATION_FAILED', 'body: name at least one field to change', [{ path: '', message: 'empty patch' }]);
    const result = await flags.update(key, patch, ifMatch(request), actorOf(request));
    etag(reply, result.flag.version);
    return result;
  });

  app.delete('/:key', { config: { permission: 'write' } }, async (request, reply) => {
    const result = await flags.archive(flagKeyOf(request.params), ifMatch(request), actorOf(request));
    etag(reply, result.flag.version);
    return result;
  });

  app.get('/:key/environments/:env', { config: { permission: 'read' } }, async (request, reply) => {
    const { key, env } = flagEnvironmentOf(request.params);
    const view = await environments.get(key, env);
    etag(reply, view.version);
    return view;
  });

  app.put('/:key/environments/:env', { config: { permission: 'write' } }, async (request, reply) => {
    const { key, env } = flagEnvironmentOf(request.params);
    const config = parse(EnvironmentConfigSchema, request.body);
    const result = await environments.put(key, env, config, ifMatch(request), actorOf(request));
    etag(reply, result.version);
    return result;
  });

  app.post('/:key/environments/:env/rollout', { config: { permission: 'write' } }, async (request, reply) => {
    const { key, env } = flagEnvironmentOf(request.params);
    const body = parse(RolloutBodySchema, request.body);
    const result = await environments.rollout(key, env, body, ifMatch(request), actorOf(request));
    etag(reply, result.version);
    return result;
  });

  app.post('/:key/environments/:env/kill', { config: { permission: 'kill' } }, async (request, reply) => {
    const { key, env } = flagEnvironmentOf(request.params);
    const body = parse(ReasonBodySchema, request.body);
    const result = await environments.kill(key, env, body, ifMatch(request), actorOf(request));
    etag(reply, result.version);
    return result;
  });

  app.post('/:key/environments/:env/restore', { config: { permission: 'kill' } }, async (request, reply) => {
    const { key, env } = flagEnvironmentOf(request.params);
    const body = parse(ReasonBodySchema, request.body);
    const result = await environments.restore(key, env, body, ifMatch(request), actorOf(request));
    etag(reply, result.version);
    return result;
  });
};
