import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, type AuditEntry, type EnvironmentView } from './api.js';

export interface Resource<T> {
  readonly data: T | undefined;
  readonly error: unknown;
  readonly loading: boolean;
  /** Loads again; the current data stays on screen until the new data arrives. */
  reload(): Promise<void>;
  /** Replaces the data locally (after a write answered the new state). */
  set(data: T): void;
}

/** Loads `load()` when `deps` change; only the latest request's answer is kept. */
export function useResource<T>(load: (signal: AbortSignal) => Promise<T>, deps: readonly unknown[]): Resource<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({ data: undefined, error: null, loading: true });
  const latest = useRef(0);
  const loader = useRef(load);
  loader.current = load;
  const controller = useRef<AbortController | undefined>(undefined);

  const reload = useCallback(async () => {
    const id = ++latest.current;
    controller.current?.abort();
    const c = new AbortController();
    controller.current = c;
    setState((s) => ({ ...s, loading: true }));
    try {
      const data = await loader.current(c.signal);
      if (id === latest.current) setState({ data, error: null, loading: false });
    } catch (error) {
      if (error instanceof DOMException && error.name === 'AbortError') return;
      if (id === latest.current) setState((s) => ({ data: s.data, error, loading: false }));
    }
  }, []);

  useEffect(() => {
    void reload();
    return () => controller.current?.abort();
  }, deps);

  const set = useCallback((data: T) => {
    latest.current++;
    setState({ data, error: null, loading: false });
  }, []);

  return { ...state, reload, set };
}

export function loadEnvironments(signal?: AbortSignal): Promise<EnvironmentView[]> {
  return api<{ environments: EnvironmentView[] }>('GET', '/environments', signal === undefined ? {} : { signal }).then((r) => r.environments);
}

/** The newest audit entry per flag among the latest `limit` entries: who changed what last. */
export async function loadLastChanges(signal?: AbortSignal, limit = 300): Promise<Map<string, AuditEntry>> {
  const { entries } = await api<{ entries: AuditEntry[] }>('GET', '/audit', { query: { limit }, ...(signal === undefined ? {} : { signal }) });
  const last = new Map<string, AuditEntry>();
  for (const e of entries) if ((e.resourceType === 'flag' || e.resourceType === 'flag-environment') && !last.has(e.resourceKey)) last.set(e.resourceKey, e);
  return last;
}
