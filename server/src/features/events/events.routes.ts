import { PassThrough } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import { ApiError } from '../../errors.js';
import type { Principal } from '../../plugins/auth.js';
import type { Change, ChangeNotifier } from '../../plugins/changes.js';

/** A comment line this often keeps proxies and load balancers from closing an idle stream. */
export const HEARTBEAT_MS = 25_000;
/** How often the feed checks for revisions whose notification never arrived. */
export const CATCH_UP_MS = 1_000;
/** A client this far behind (it stopped reading) is dropped rather than buffered without bound. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

export interface EventsRoutesOptions {
  readonly notifier: ChangeNotifier;
  /** The latest committed revision this replica knows (the revision tracker). */
  readonly latestRevision: () => number;
  readonly heartbeatMs?: number;
  readonly catchUpMs?: number;
}

interface Subscriber {
  readonly principal: Principal;
  readonly stream: PassThrough;
}

function frame(event: string, data: unknown, id?: number): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * `GET /api/v1/events`: the admin UI's live change feed, as Server-Sent Events. One `change` event per
 * committed change (`{ revision, environments, kind, keys }`), a `resync` event when the revision moved
 * without a notification (a lost bus message, a replica without a shared bus: refetch what is shown),
 * and a comment every 25 s. It carries what changed, never the data: the client refetches through the
 * API, so the feed cannot leak anything its key may not read. A revoked key's feed ends at once.
 */
export const eventsRoutes: FastifyPluginAsync<EventsRoutesOptions> = async (app, options) => {
  const subscribers = new Set<Subscriber>();
  let announced = options.latestRevision();

  const write = (subscriber: Subscriber, text: string): void => {
    if (subscriber.stream.writableLength > MAX_BUFFERED_BYTES) {
      subscriber.stream.destroy();
      return;
    }
    subscriber.stream.write(text);
  };

  const onChange = (change: Change): void => {
    if (change.kind === 'key') {
      for (const subscriber of [...subscribers]) {
        if (change.keys.includes(subscriber.principal.keyId)) subscriber.stream.end(frame('revoked', { reason: 'this API key was revoked' }));
        // Key names and ids are admin-only, like the key list itself.
        else if (subscriber.principal.kind === 'admin') write(subscriber, frame('change', change));
      }
      return;
    }
    if (change.revision > announced) announced = change.revision;
    const text = frame('change', change, change.revision);
    for (const subscriber of subscribers) write(subscriber, text);
  };
  const unsubscribe = options.notifier.subscribe(onChange);

  const heartbeat = setInterval(() => {
    for (const subscriber of subscribers) write(subscriber, ': heartbeat\n\n');
  }, options.heartbeatMs ?? HEARTBEAT_MS);
  heartbeat.unref();
  const catchUp = setInterval(() => {
    const latest = options.latestRevision();
    if (latest <= announced) return;
    announced = latest;
    const text = frame('resync', { revision: latest }, latest);
    for (const subscriber of subscribers) write(subscriber, text);
  }, options.catchUpMs ?? CATCH_UP_MS);
  catchUp.unref();

  // Open feeds would otherwise hold app.close() until every browser goes away.
  app.addHook('preClose', async () => {
    for (const subscriber of [...subscribers]) subscriber.stream.end();
  });
  app.addHook('onClose', async () => {
    clearInterval(heartbeat);
    clearInterval(catchUp);
    unsubscribe();
  });

  app.get('/', { config: { permission: 'read' }, logLevel: 'warn' }, async (request, reply) => {
    const principal = request.principal;
    if (principal === null) throw new ApiError('UNAUTHORIZED', 'missing API key: send Authorization: Bearer <key>');
    const subscriber: Subscriber = { principal, stream: new PassThrough() };
    subscribers.add(subscriber);
    subscriber.stream.on('close', () => subscribers.delete(subscriber));
    // The browser went away: the response closes before the stream ends.
    reply.raw.on('close', () => subscriber.stream.destroy());
    // The first bytes go out at once, so the client knows it is connected (and proxies flush headers).
    subscriber.stream.write(`retry: 2000\n${frame('hello', { revision: options.latestRevision() })}`);
    return reply
      .header('content-type', 'text/event-stream; charset=utf-8')
      .header('cache-control', 'no-cache, no-transform')
      .header('x-accel-buffering', 'no')
      .send(subscriber.stream);
  });
};
