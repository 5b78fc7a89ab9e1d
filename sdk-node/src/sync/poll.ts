import type { ConfigSnapshot } from '@switchyard/core';
import { isSnapshot } from '../persist.js';

/** The result of one conditional GET of `/api/v1/sdk/config`. */
export type FetchResult =
  | { readonly kind: 'snapshot'; readonly snapshot: ConfigSnapshot; readonly etag: string | undefined }
  | { readonly kind: 'not-modified' }
  | { readonly kind: 'unauthorized'; readonly status: number; readonly message: string }
  | { readonly kind: 'failed'; readonly error: Error };

/** GETs the environment's config, conditional on `etag`. Never throws. */
export async function fetchConfig(baseUrl: string, sdkKey: string, etag: string | undefined, timeoutMs: number): Promise<FetchResult> {
  try {
    // `connection: close`: a poll runs once at start and then only while the stream is down, every
    // 15 s or more; an idle keep-alive socket after it would hold a second connection per SDK open on
    // the server (for its keep-alive timeout, 72 s on Fastify) beside the stream.
    const headers: Record<string, string> = { authorization: `Bearer ${sdkKey}`, accept: 'application/json', connection: 'close' };
    if (etag !== undefined) headers['if-none-match'] = etag;
    const response = await fetch(`${baseUrl}/api/v1/sdk/config`, { headers, signal: AbortSignal.timeout(timeoutMs) });
    if (response.status === 304) return { kind: 'not-modified' };
    if (response.status === 401 || response.status === 403) {
      const text = await response.text().catch(() => '');
      return { kind: 'unauthorized', status: response.status, message: text.slice(0, 300) };
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      return { kind: 'failed', error: new Error(`GET /api/v1/sdk/config answered ${response.status}`) };
    }
    const body: unknown = await response.json();
    if (!isSnapshot(body)) return { kind: 'failed', error: new Error('GET /api/v1/sdk/config returned no snapshot') };
    return { kind: 'snapshot', snapshot: body, etag: response.headers.get('etag') ?? undefined };
  } catch (error) {
    return { kind: 'failed', error: error instanceof Error ? error : new Error(String(error)) };
  }
}
