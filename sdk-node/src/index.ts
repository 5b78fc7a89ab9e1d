export { createClient, SDK_INFO, SwitchyardError, type Bootstrap, type ClientEvents, type ClientOptions, type ReadyResult, type Source, type SwitchyardClient } from './client.js';
export { consoleLogger, silentLogger, type Logger } from './logger.js';
export { createBackoff, type BackoffOptions } from './sync/backoff.js';
export type { Context, Detail, FlagDetails, JsonValue, Reason } from '@switchyard/core';
