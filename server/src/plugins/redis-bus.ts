import { Redis } from 'ioredis';
import type { Change, ChangeNotifier } from './changes.js';

const CHANNEL = 'switchyard:changes';

export interface RedisNotifierOptions {
  readonly url: string;
  /** Delivers to this replica's subscribers (the revision tracker, caches, the stream hub). */
  readonly local: ChangeNotifier;
  /** This replica's id: its own messages come back from Redis and are skipped. */
  readonly replica: string;
  readonly onError?: (error: unknown) => void;
}

/** A change notifier shared by replicas through Redis pub/sub, plus what health checks need. */
export interface RedisNotifier extends ChangeNotifier {
  ping(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

interface Envelope {
  readonly origin: string;
  readonly change: Change;
}

function isChange(value: unknown): value is Change {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as Record<string, unknown>;
  return typeof c.revision === 'number' && (c.environments === 'all' || Array.isArray(c.environments)) && typeof c.kind === 'string' && Array.isArray(c.keys);
}

/**
 * Publishes every local change on Redis and delivers other replicas' changes locally. Redis is a
 * fast path only: with Redis down, publishes fail at once (no offline queue that would grow) and
 * each replica's revision poll finds the change within about a second.
 */
export function createRedisNotifier(options: RedisNotifierOptions): RedisNotifier {
  const common = { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false, retryStrategy: (times: number) => Math.min(2000, 100 * times) } as const;
  const publisher = new Redis(options.url, { ...common, connectionName: `switchyard-pub-${options.replica}` });
  // The subscriber keeps its offline queue so SUBSCRIBE is sent again after a reconnect.
  const subscriber = new Redis(options.url, { ...common, enableOfflineQueue: true, connectionName: `switchyard-sub-${options.replica}` });
  const report = (error: unknown): void => options.onError?.(error);
  publisher.on('error', report);
  subscriber.on('error', report);
  subscriber.subscribe(CHANNEL).catch(report);
  subscriber.on('message', (channel: string, text: string) => {
    if (channel !== CHANNEL) return;
    try {
      const envelope = JSON.parse(text) as Envelope;
      if (envelope.origin === options.replica || !isChange(envelope.change)) return;
      options.local.publish(envelope.change);
    } catch (error) {
      report(error);
    }
  });

  return {
    publish(change) {
      options.local.publish(change);
      const envelope: Envelope = { origin: options.replica, change };
      publisher.publish(CHANNEL, JSON.stringify(envelope)).catch(report);
    },
    subscribe: (listener) => options.local.subscribe(listener),
    async ping(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([publisher.ping(), new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`Redis did not answer within ${timeoutMs} ms`)), timeoutMs)))]);
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      publisher.disconnect();
      subscriber.disconnect();
    },
  };
}
