#!/usr/bin/env node
import { randomUUID } from 'node:crypto';
import { buildApp } from './app.js';
import { prepareDatabase } from './bootstrap.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { connectDatabase } from './db/connect.js';
import { createLocalNotifier } from './plugins/changes.js';
import { createRedisNotifier, type RedisNotifier } from './plugins/redis-bus.js';

async function start(config: Config): Promise<void> {
  const database = await connectDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.SWITCHYARD_DATA_DIR, schema: config.DATABASE_SCHEMA });
  const health = { draining: false, migrated: false };
  const replica = randomUUID();
  let redis: RedisNotifier | undefined;
  if (config.REDIS_URL !== undefined) {
    let lastRedisError = '';
    redis = createRedisNotifier({
      url: config.REDIS_URL,
      local: createLocalNotifier(),
      replica,
      onError: (error) => {
        const message = error instanceof Error ? error.message : String(error);
        if (message !== lastRedisError) process.stderr.write(`switchyard: redis: ${message} (changes still arrive through the revision poll)\n`);
        lastRedisError = message;
      },
    });
  }
  const app = await buildApp({
    database,
    health,
    replica,
    ...(redis === undefined ? {} : { notifier: redis, redis }),
    logger: {
      level: config.LOG_LEVEL,
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'secret', '*.secret'], censor: '[redacted]' },
    },
  });
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
    app.log.info({ signal }, 'draining: readiness fails, finishing in-flight requests');
    const timer = setTimeout(() => {
      app.log.warn('grace period over, exiting');
      process.exit(1);
    }, config.SHUTDOWN_GRACE_MS);
    timer.unref();
    await app.close();
    await redis?.close();
    await database.close();
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
