export {
  createClient,
  type BackoffOptions,
  type Bootstrap,
  type ClientEvents,
  type ClientOptions,
  type Logger,
  type ReadyResult,
  type Source,
  type SwitchyardClient,
  type SwitchyardError,
} from './client.js';
export { SDK_INFO } from './protocol.js';
export type { Platform, RequestLike, ResponseLike, SocketLike, StorageLike } from './platform.js';
export type { ConfigSnapshot, Context, Detail, FlagDetails, JsonValue, Reason } from '@switchyard/core/evaluate';
