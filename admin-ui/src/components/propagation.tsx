import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, type Connection } from '../api.js';
import { plural } from '../format.js';

const POLL_MS = 250;
const GIVE_UP_MS = 30_000;

interface Progress {
  readonly applied: number;
  readonly total: number;
  readonly lagging: readonly Connection[];
  readonly done: boolean;
}

/**
 * "Applied by N of M connected SDKs": polls the connections view until every SDK of the environment
 * acknowledged `revision` (SDKs ack each change once they serve it), or 30 s passed.
 */
export function Propagation(props: { env: string; envName: string; revision: number; action: string }): JSX.Element {
  const [progress, setProgress] = useState<Progress | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const started = Date.now();
    const poll = async (): Promise<void> => {
      try {
        const { connections } = await api<{ connections: Connection[] }>('GET', '/sdk/connections', { query: { env: props.env } });
        if (stopped) return;
        const lagging = connections.filter((c) => (c.appliedRevision ?? 0) < props.revision);
        const done = lagging.length === 0 || Date.now() - started > GIVE_UP_MS;
        setProgress({ applied: connections.length - lagging.length, total: connections.length, lagging, done });
        setError(null);
        if (!done) timer = setTimeout(() => void poll(), POLL_MS);
      } catch (e) {
        if (stopped) return;
        setError(e instanceof Error ? e.message : String(e));
        if (Date.now() - started < GIVE_UP_MS) timer = setTimeout(() => void poll(), 1000);
      }
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [props.env, props.revision]);

  let text: string;
  let tone = 'pending';
  if (progress === null) text = `${props.action} saved (revision ${props.revision}); checking connected SDKs…`;
  else if (progress.total === 0) {
    text = `${props.action} saved (revision ${props.revision}). No SDKs are connected to ${props.envName} on this server right now; SDKs get it when they connect.`;
    tone = 'done';
  } else {
    text = `${props.action} applied by ${progress.applied} of ${plural(progress.total, 'connected SDK')} in ${props.envName}`;
    if (progress.applied === progress.total) tone = 'done';
    else if (progress.done) tone = 'lagging';
  }
  return (
    <div class={`propagation ${tone}`} role="status" aria-live="polite">
      <p>
        {tone === 'done' ? '✓ ' : tone === 'lagging' ? '⚠ ' : '… '}
        {text}
        {tone === 'pending' && progress !== null ? ' (waiting for acknowledgements)' : ''}
      </p>
      {progress !== null && progress.done && progress.lagging.length > 0 ? (
        <p>
          Not confirmed within 30 s by:{' '}
          {progress.lagging.map((c) => `${c.keyName} (${c.sdk.name} ${c.sdk.version}${c.instance === null ? '' : `, ${c.instance}`})`).join(', ')}
        </p>
      ) : null}
      {error === null ? null : <p class="field-error">Cannot read the connections view: {error}</p>}
    </div>
  );
}
