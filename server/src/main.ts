#!/usr/bin/env node
import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { buildApp } from './app.js';
import { prepareDatabase } from './bootstrap.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { connectDatabase } from './db/connect.js';
import { createLocalNotifier } from './plugins/changes.js';
import { createRedisNotifier, type RedisNotifier } from './plugins/redis-bus.js';

// Keys belong in the Authorization header, but a client may still put one in a query string: the
// request log line shows the URL with such values replaced.
const SECRET_QUERY_PARAMS = /([?&](?:key|token|secret|sdk_?key|api_?key|access_token)=)[^&#]*/gi;

function serializeRequest(request: FastifyRequest): { method: string; url: string; host: string; remoteAddress: string; remotePort: number | undefined } {
  return { method: request.method, url: request.url.replace(SECRET_QUERY_PARAMS, '$1[redacted]'), host: request.host, remoteAddress: request.ip, remotePort: request.socket?.remotePort };
}

async function start(config: Config): Promise<void> {
  const database = await connectDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.SWITCHYARD_DATA_DIR, schema: config.DATABASE_SCHEMA, poolSize: config.DATABASE_POOL_SIZE });
  const health = { draining: false, migrated: false };
  const replica = randomUUID();
  // Until the app (and its JSON logger) exists, warnings go to stderr as text.
  let warn = (message: string): void => void process.stderr.write(`switchyard: ${message}\n`);
  let redis: RedisNotifier | undefined;
  if (config.REDIS_URL !== undefined) {
    let lastRedisError = '';
    redis = createRedisNotifier({
      url: config.REDIS_URL,
      local: createLocalNotifier(),
      replica,
      onError: (error) => {
        const message = error instanceof Error ? error.message : String(error);
        if (message !== lastRedisError) warn(`redis: ${message} (changes still arrive through the revision poll)`);
        lastRedisError = message;
      },
    });
  }
  const app = await buildApp({
    database,
    health,
    replica,
    ...(redis === undefined ? {} : { notifier: redis, redis, peers: redis }),
    maxAuthFailuresPerMinute: config.RATE_LIMIT_AUTH_FAILURES_PER_MINUTE,
    ...(config.RATE_LIMIT_WRITES_PER_MINUTE > 0 ? { writeRateLimit: { max: config.RATE_LIMIT_WRITES_PER_MINUTE, windowMs: 60_000 } } : {}),
    ...(config.METRICS_TOKEN === undefined ? {} : { metricsToken: config.METRICS_TOKEN }),
    ...(config.TRUST_PROXY === undefined ? {} : { trustProxy: config.TRUST_PROXY }),
    logger: {
      level: config.LOG_LEVEL,
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie', '*.headers.authorization', 'headers.authorization', 'secret', '*.secret'], censor: '[redacted]' },
      serializers: { req: serializeRequest },
    },
  });
  warn = (message) => app.log.warn(message);
  const prepared = await prepareDatabase(database, { adminToken: config.SWITCHYARD_ADMIN_TOKEN });
  health.migrated = true;
  const bus = redis === undefined ? 'in-process' : 'redis';
  app.log.info({ store: database.kind, database: database.description, bus, replica, migrations: prepared.migrations }, `store: ${database.description}; change bus: ${bus === 'redis' ? 'Redis pub/sub' : 'in-process'}`);
  if (prepared.adminSecret !== undefined) {
    // Printed once, on the terminal only (not through the structured log, which may be shipped elsewhere).
    process.stdout.write(`\n  Admin API key (shown once, store it now):\n\n    ${prepared.adminSecret}\n\n  Use it as: Authorization: Bearer <key>\n\n`);
  }
  await app.listen({ port: config.PORT, host: config.HOST });

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    health.draining = true;
    const timer = setTimeout(() => {
      app.log.warn({ graceMs: config.SHUTDOWN_GRACE_MS }, 'grace period over, exiting with requests still open');
      process.exit(1);
    }, config.SHUTDOWN_GRACE_MS);
    timer.unref();
    app.log.info({ signal, delayMs: config.SHUTDOWN_DELAY_MS, graceMs: config.SHUTDOWN_GRACE_MS }, 'draining: readiness fails; then SDK sockets close with 1012, no new connections, in-flight requests finish');
    try {
      if (config.SHUTDOWN_DELAY_MS > 0) await new Promise((resolve) => setTimeout(resolve, config.SHUTDOWN_DELAY_MS));
      // preClose hooks close SDK sockets (1012) and event feeds; then the listener closes, idle
      // keep-alive connections are dropped, and close resolves when the last in-flight request is done.
      await app.close();
      await redis?.close();
      await database.close();
    } catch (error) {
      app.log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
    app.log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

let config: Config;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`switchyard: ${error.message}\n`);
    process.exit(2);
  }
  throw error;
}
start(config).catch((error: unknown) => {
  process.stderr.write(`switchyard: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
