export { buildApp, BODY_LIMIT, type AppDeps, type Services } from './app.js';
export { prepareDatabase } from './bootstrap.js';
export { loadConfig, ConfigError, type Config } from './config.js';
export { connectDatabase, type DatabaseHandle, type ConnectOptions } from './db/connect.js';
export { ERROR_CODES, ApiError, type ErrorCode } from './errors.js';
export type { Clock } from './clock.js';
export { createLocalNotifier, type Change, type ChangeNotifier } from './plugins/changes.js';
export { createRedisNotifier, type RedisNotifier } from './plugins/redis-bus.js';
export type { PeerQuestion, PeerAnswers, ReplicaPeers } from './plugins/peers.js';
