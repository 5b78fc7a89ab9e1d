import type { JSX } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { ApiError } from '../api.js';
import { diff, show } from '../diff.js';
import { dateTime } from '../format.js';

/** Who changed a resource since it was opened, from a 409 VERSION_CONFLICT's details. */
export interface ConflictInfo {
  readonly by: string | undefined;
  readonly at: string | undefined;
  readonly currentVersion: number | undefined;
}

export function conflictOf(error: unknown): ConflictInfo | null {
  if (!(error instanceof ApiError) || error.code !== 'VERSION_CONFLICT') return null;
  const d = error.details[0] ?? { message: '' };
  return {
    by: typeof d.changedBy === 'string' ? d.changedBy : undefined,
    at: typeof d.changedAt === 'string' ? d.changedAt : undefined,
    currentVersion: typeof d.currentVersion === 'number' ? d.currentVersion : undefined,
  };
}

export function DiffTable(props: { before: unknown; after: unknown; caption: string }): JSX.Element {
  const changes = diff(props.before, props.after);
  if (changes.length === 0) return <p class="hint">{props.caption}: no differences.</p>;
  return (
    <table class="diff">
      <caption>{props.caption}</caption>
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">Before</th>
          <th scope="col">After</th>
        </tr>
      </thead>
      <tbody>
        {changes.map((c) => (
          <tr key={c.path} class={c.kind}>
            <th scope="row">
              <code>{c.path === '' ? '(value)' : c.path}</code>
            </th>
            <td class="before">{show(c.before)}</td>
            <td class="after">{show(c.after)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * "Changed by X since you opened it — review and retry": what they changed (from the version you
 * opened to the current one) and what you changed; retrying is an explicit choice, never automatic.
 */
export function ConflictBanner(props: {
  info: ConflictInfo;
  base: unknown;
  theirs: unknown | undefined;
  mine?: unknown;
  onRetry?: () => void;
  onDiscard: () => void;
  busy?: boolean;
}): JSX.Element {
  const who = props.info.by ?? 'someone';
  const ref = useRef<HTMLElement>(null);
  // Keyboard and screen-reader users land on the conflict, and it scrolls into view.
  useEffect(() => ref.current?.focus(), []);
  return (
    <section class="conflict" role="alert" aria-label="Edit conflict" tabIndex={-1} ref={ref}>
      <h3>
        Changed by {who}
        {props.info.at === undefined ? '' : ` at ${dateTime(props.info.at)}`} since you opened it — review and retry
      </h3>
      <p>
        Nothing was overwritten. Compare the changes below, then put yours on top of theirs (you review the result and save again) or take
        theirs.
      </p>
      {props.theirs === undefined ? <p>Loading their version…</p> : <DiffTable caption={`Their changes (by ${who})`} before={props.base} after={props.theirs} />}
      {props.mine === undefined ? null : <DiffTable caption="Your unsaved changes" before={props.base} after={props.mine} />}
      <div class="actions">
        {props.onRetry === undefined ? null : (
          <button type="button" class="primary" disabled={props.busy === true || props.theirs === undefined} onClick={props.onRetry}>
            Put my changes on top of theirs
          </button>
        )}
        <button type="button" disabled={props.busy} onClick={props.onDiscard}>
          {props.onRetry === undefined ? 'Show the current version' : 'Discard mine, keep theirs'}
        </button>
      </div>
    </section>
  );
}

/**
 * A three-way merge at the level of top-level fields: each field you changed from `base` takes your
 * value, every other field takes theirs. Fields you both changed take yours, which the conflict
 * banner showed side by side before you chose this.
 */
export function mergeOnTop<T extends object>(base: T, mine: T, theirs: T): T {
  const out: Record<string, unknown> = { ...(theirs as unknown as Record<string, unknown>) };
  const b = base as unknown as Record<string, unknown>;
  const m = mine as unknown as Record<string, unknown>;
  for (const key of new Set([...Object.keys(b), ...Object.keys(m)])) {
    if (JSON.stringify(m[key]) !== JSON.stringify(b[key])) {
      if (m[key] === undefined) delete out[key];
      else out[key] = m[key];
    }
  }
  return out as T;
}
