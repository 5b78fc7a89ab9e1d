import { useEffect, useRef } from 'preact/hooks';

/** One committed change, as announced by GET /api/v1/events. */
export interface LiveChange {
  readonly revision: number;
  readonly environments: readonly string[] | 'all';
  readonly kind: 'flag' | 'segment' | 'environment' | 'key' | 'resync';
  readonly keys: readonly string[];
}

export type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'off';

type Listener = (change: LiveChange) => void;
const listeners = new Set<Listener>();
const statusListeners = new Set<(status: LiveStatus) => void>();
let status: LiveStatus = 'off';
let stop: (() => void) | undefined;

function setStatus(next: LiveStatus): void {
  status = next;
  for (const l of statusListeners) l(next);
}

function emit(change: LiveChange): void {
  for (const l of [...listeners]) l(change);
}

/** Parses one SSE block (the lines between blank lines). */
function parseBlock(block: string): { event: string; data: string } | undefined {
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  return data.length === 0 ? undefined : { event, data: data.join('\n') };
}

/**
 * Subscribes to the server's change feed with fetch + ReadableStream (EventSource cannot send the
 * Authorization header). Reconnects with exponential backoff and full jitter; after a reconnect it
 * announces a `resync`, because changes made while disconnected were not seen.
 */
export function connectLive(token: string, onRevoked: () => void): void {
  stop?.();
  let stopped = false;
  let controller: AbortController | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let attempt = 0;
  let connectedBefore = false;

  const run = async (): Promise<void> => {
    controller = new AbortController();
    setStatus(connectedBefore ? 'reconnecting' : 'connecting');
    try {
      const response = await fetch('/api/v1/events', { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, signal: controller.signal, cache: 'no-store' });
      if (response.status === 401 || response.status === 403) {
        onRevoked();
        return;
      }
      if (!response.ok || response.body === null) throw new Error(`events: ${response.status}`);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value.replace(/\r\n?/g, '\n');
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const parsed = parseBlock(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          if (parsed === undefined) continue;
          if (parsed.event === 'hello') {
            attempt = 0;
            setStatus('live');
            if (connectedBefore) emit({ revision: 0, environments: 'all', kind: 'resync', keys: [] });
            connectedBefore = true;
          } else if (parsed.event === 'revoked') {
            onRevoked();
            return;
          } else if (parsed.event === 'change' || parsed.event === 'resync') {
            const data = JSON.parse(parsed.data) as LiveChange;
            emit(parsed.event === 'resync' ? { revision: data.revision, environments: 'all', kind: 'resync', keys: [] } : data);
          }
        }
      }
    } catch {
      // network error or abort: retried below unless stopped
    }
    if (stopped) return;
    setStatus('reconnecting');
    const delay = Math.random() * Math.min(30_000, 500 * 2 ** attempt);
    attempt = Math.min(attempt + 1, 10);
    timer = setTimeout(() => void run(), delay);
  };

  stop = () => {
    stopped = true;
    clearTimeout(timer);
    controller?.abort();
    setStatus('off');
  };
  void run();
}

export function disconnectLive(): void {
  stop?.();
  stop = undefined;
}

export function liveStatus(): LiveStatus {
  return status;
}

export function onLiveStatus(listener: (status: LiveStatus) => void): () => void {
  statusListeners.add(listener);
  return () => statusListeners.delete(listener);
}

/**
 * Calls `onChange` (debounced, so a burst of changes refetches once) for every change that
 * `relevant` accepts, and for every resync.
 */
export function useLive(relevant: (change: LiveChange) => boolean, onChange: (changes: LiveChange[]) => void, delayMs = 120): void {
  const latest = useRef({ relevant, onChange });
  latest.current = { relevant, onChange };
  useEffect(() => {
    let pending: LiveChange[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const listener = (change: LiveChange): void => {
      if (change.kind !== 'resync' && !latest.current.relevant(change)) return;
      pending.push(change);
      clearTimeout(timer);
      timer = setTimeout(() => {
        const batch = pending;
        pending = [];
        latest.current.onChange(batch);
      }, delayMs);
    };
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      clearTimeout(timer);
    };
  }, [delayMs]);
}
