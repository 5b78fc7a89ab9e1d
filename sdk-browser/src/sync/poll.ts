import type { ConfigSnapshot } from '@switchyard/core/evaluate';
import type { RequestLike, ResponseLike } from '../platform.js';
import { isSnapshot } from '../storage.js';

/** An SDK API request: `path` under `/api/v1/sdk/`, sent with the client key. */
export type SdkRequest = (path: string, init?: Partial<RequestLike>) => Promise<ResponseLike>;

/** One answer of `GET /api/v1/sdk/config`: 200 with a snapshot and its ETag, 304, or 401/403 (key refused). */
export interface ConfigResult {
  readonly status: number;
  readonly snapshot?: ConfigSnapshot;
  readonly etag?: string | null;
}

/**
 * GETs the environment's rules, conditional on `etag` (If-None-Match). Throws on network errors and
 * on statuses other than 200, 304, 401 and 403.
 * @example const { snapshot, etag } = await fetchConfig(request, undefined)
 */
export async function fetchConfig(request: SdkRequest, etag: string | null | undefined): Promise<ConfigResult> {
  const response = await request('config', etag ? { headers: { 'if-none-match': etag } } : {});
  const status = response.status;
  if (status == 304 || status == 401 || status == 403) return { status };
  if (!response.ok) throw Error(`HTTP ${status}`);
  const snapshot = await response.json();
  if (!isSnapshot(snapshot)) throw Error('no snapshot');
  return { status, snapshot, etag: response.headers.get('etag') };
}
