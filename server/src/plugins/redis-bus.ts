import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Change, ChangeNotifier } from './changes.js';
import { peerQuestion, type PeerAnswers, type PeerQuestion, type ReplicaPeers } from './peers.js';

const CHANNEL = 'switchyard:changes';
/** Questions to every replica; each answers on the asker's own channel. */
const QUESTIONS = 'switchyard:peers';
const answersChannel = (replica: string): string => `switchyard:peers:${replica}`;

export interface RedisNotifierOptions {
  readonly url: string;
  /** Delivers to this replica's subscribers (the revision tracker, caches, the stream hub). */
  readonly local: ChangeNotifier;
  /** This replica's id: its own messages come back from Redis and are skipped. */
  readonly replica: string;
  readonly onError?: (error: unknown) => void;
}

/**
 * A change notifier shared by replicas through Redis pub/sub, the questions replicas ask each other
 * (see peers.ts), and what health checks need.
 */
export interface RedisNotifier extends ChangeNotifier, ReplicaPeers {
  ping(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

interface Envelope {
  readonly origin: string;
  readonly change: Change;
}

interface Asking {
  readonly answers: unknown[];
  /** How many other replicas got the question: unknown until PUBLISH answers. */
  expected: number | undefined;
  finish(asked: number | null): void;
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
  const ownAnswers = answersChannel(options.replica);
  subscriber.subscribe(CHANNEL, QUESTIONS, ownAnswers).catch(report);
  const asking = new Map<string, Asking>();
  let answerer: ((question: PeerQuestion) => Promise<unknown>) | undefined;

  const onQuestion = (text: string): void => {
    const envelope = JSON.parse(text) as { id?: unknown; origin?: unknown; question?: unknown };
    const question = peerQuestion(envelope.question);
    if (envelope.origin === options.replica || typeof envelope.origin !== 'string' || typeof envelope.id !== 'string' || question === undefined) return;
    const { id, origin } = envelope as { id: string; origin: string };
    // A replica that cannot answer (still starting) says so at once rather than let the asker wait.
    const answering = answerer === undefined ? Promise.resolve(null) : answerer(question).catch((error: unknown) => (report(error), null));
    void answering.then((answer) => publisher.publish(answersChannel(origin), JSON.stringify({ id, from: options.replica, answer }))).catch(report);
  };

  const onAnswer = (text: string): void => {
    const envelope = JSON.parse(text) as { id?: unknown; answer?: unknown };
    const entry = typeof envelope.id === 'string' ? asking.get(envelope.id) : undefined;
    if (entry === undefined) return;
    entry.answers.push(envelope.answer);
    if (entry.expected !== undefined && entry.answers.length >= entry.expected) entry.finish(entry.expected);
  };

  subscriber.on('message', (channel: string, text: string) => {
    try {
      if (channel === QUESTIONS) return onQuestion(text);
      if (channel === ownAnswers) return onAnswer(text);
      if (channel !== CHANNEL) return;
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
    ask(question, timeoutMs) {
      const id = randomUUID();
      return new Promise<PeerAnswers>((resolve) => {
        const entry: Asking = {
          answers: [],
          expected: undefined,
          finish(asked) {
            clearTimeout(timer);
            asking.delete(id);
            resolve({ asked, answers: entry.answers });
          },
        };
        const timer = setTimeout(() => entry.finish(entry.expected ?? null), timeoutMs);
        timer.unref();
        asking.set(id, entry);
        publisher.publish(QUESTIONS, JSON.stringify({ id, origin: options.replica, question })).then(
          (receivers) => {
            // PUBLISH counts every subscriber that got it, this replica's own among them when subscribed.
            entry.expected = Math.max(0, receivers - (subscriber.status === 'ready' ? 1 : 0));
            if (entry.answers.length >= entry.expected) entry.finish(entry.expected);
          },
          (error: unknown) => {
            report(error);
            entry.finish(null);
          },
        );
      });
    },
    answer(handler) {
      answerer = handler;
      return () => {
        if (answerer === handler) answerer = undefined;
      };
    },
    async ping(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([publisher.ping(), new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`Redis did not answer within ${timeoutMs} ms`)), timeoutMs)))]);
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      for (const entry of [...asking.values()]) entry.finish(entry.expected ?? null);
      publisher.disconnect();
      subscriber.disconnect();
    },
  };
}
