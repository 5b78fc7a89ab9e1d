import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type EnvironmentView, type FlagView, type SegmentView } from '../api.js';
import { StateBadge } from '../components/badges.js';
import { ErrorSummary } from '../components/fields.js';
import { loadEnvironments, useResource } from '../data.js';
import { date, isOverdue } from '../format.js';
import { useLive } from '../live.js';
import { href, Link, navigate } from '../router.js';
import type { Session } from '../session.js';
import { EnvironmentPanel } from './flag-environment.js';
import { FlagSettings } from './flag-settings.js';
import { PowerIcon } from '../components/icons.js';

function Tabs(props: { envs: readonly EnvironmentView[]; flag: FlagView; selected: string; onSelect: (key: string) => void }): JSX.Element {
  const refs = useRef<Record<string, HTMLButtonElement | null>>({});
  const strip = useRef<HTMLDivElement>(null);
  // On a narrow screen the strip scrolls: keep the selected tab in view (without scrolling the page).
  useEffect(() => {
    const tab = refs.current[props.selected];
    const box = strip.current;
    if (tab === null || tab === undefined || box === null) return;
    if (tab.offsetLeft + tab.offsetWidth > box.scrollLeft + box.clientWidth || tab.offsetLeft < box.scrollLeft) box.scrollLeft = tab.offsetLeft - 8;
  }, [props.selected, props.envs.length]);
  const onKeyDown = (event: KeyboardEvent, index: number): void => {
    const n = props.envs.length;
    let next: number | undefined;
    if (event.key === 'ArrowRight') next = (index + 1) % n;
    else if (event.key === 'ArrowLeft') next = (index - 1 + n) % n;
    else if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = n - 1;
    if (next === undefined) return;
    event.preventDefault();
    const key = props.envs[next]?.key;
    if (key !== undefined) {
      props.onSelect(key);
      refs.current[key]?.focus();
    }
  };
  return (
    <div class="tabs" role="tablist" aria-label="Environments" ref={strip}>
      {props.envs.map((e, i) => {
        const summary = props.flag.environments[e.key];
        const selected = e.key === props.selected;
        return (
          <button
            key={e.key}
            ref={(el) => {
              refs.current[e.key] = el;
            }}
            type="button"
            role="tab"
            id={`tab-${e.key}`}
            aria-selected={selected}
            aria-controls={`panel-${e.key}`}
            tabIndex={selected ? 0 : -1}
            class={summary?.state === 'killed' ? 'tab killed' : 'tab'}
            onClick={() => props.onSelect(e.key)}
            onKeyDown={(ev) => onKeyDown(ev, i)}
          >
            {e.name} <StateBadge summary={summary} />
          </button>
        );
      })}
    </div>
  );
}

export function FlagPage(props: { session: Session; flagKey: string; query: URLSearchParams }): JSX.Element {
  const path = `/flags/${encodeURIComponent(props.flagKey)}`;
  const flag = useResource((signal) => api<{ flag: FlagView }>('GET', path, { signal }).then((r) => r.flag), [props.flagKey]);
  const envs = useResource((signal) => loadEnvironments(signal), []);
  const segments = useResource((signal) => api<{ segments: SegmentView[] }>('GET', '/segments', { signal }).then((r) => r.segments), []);
  const flags = useResource((signal) => api<{ flags: FlagView[] }>('GET', '/flags', { signal }).then((r) => r.flags), []);
  const [visited, setVisited] = useState<Set<string>>(new Set());
  const [settingsOpen, setSettingsOpen] = useState(false);
  const dirtyParts = useRef(new Set<string>());

  useLive(
    (c) => (c.kind === 'flag' && c.keys.includes(props.flagKey)) || c.kind === 'segment' || c.kind === 'environment',
    (batch) => {
      if (batch.some((c) => c.kind === 'resync' || (c.kind === 'flag' && c.keys.includes(props.flagKey)))) void flag.reload();
      if (batch.some((c) => c.kind === 'resync' || c.kind === 'segment')) void segments.reload();
      if (batch.some((c) => c.kind === 'resync' || c.kind === 'environment')) void envs.reload();
    },
  );

  // Unsaved edits are not lost to a closed tab without a warning.
  useEffect(() => {
    const warn = (event: BeforeUnloadEvent): void => {
      if (dirtyParts.current.size > 0) event.preventDefault();
    };
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, []);
  const markDirty = (part: string) => (dirty: boolean) => {
    if (dirty) dirtyParts.current.add(part);
    else dirtyParts.current.delete(part);
  };

  const list = envs.data ?? [];
  const requested = props.query.get('env');
  const selected = list.find((e) => e.key === requested)?.key ?? list.find((e) => e.key === 'production')?.key ?? list[0]?.key ?? '';
  useEffect(() => {
    if (selected !== '' && !visited.has(selected)) setVisited(new Set([...visited, selected]));
  }, [selected]);

  if (flag.data === undefined) {
    return (
      <main id="main" class="page">
        <p class="crumbs">
          <Link href="/flags">Flags</Link> / {props.flagKey}
        </p>
        {flag.error === null ? <p>Loading…</p> : <ErrorSummary error={flag.error} title="Cannot show this flag:" />}
      </main>
    );
  }
  const f = flag.data;
  const killedIn = list.filter((e) => f.environments[e.key]?.state === 'killed');
  const overdue = isOverdue(f.expiresAt);

  return (
    <main id="main" class={`page flag-page${killedIn.length > 0 ? ' has-kill' : ''}`}>
      <p class="crumbs">
        <Link href="/flags">Flags</Link> / {f.key}
      </p>
      <div class="page-head">
        <div>
          <h1>
            {f.key}
            {f.archivedAt === null ? null : <span class="badge">archived</span>}
          </h1>
          {f.name === f.key ? null : <p class="sub">{f.name}</p>}
        </div>
      </div>
      {killedIn.length > 0 ? (
        <p class="killed-summary" role="status">
          <PowerIcon /> Killed in {killedIn.map((e) => e.name).join(', ')}
        </p>
      ) : null}
      {f.description === '' ? null : <p>{f.description}</p>}
      <dl class="meta">
        <div>
          <dt>Kind</dt>
          <dd>{f.kind}</dd>
        </div>
        <div>
          <dt>Owner</dt>
          <dd>{f.owner}</dd>
        </div>
        <div>
          <dt>Expires</dt>
          <dd class={overdue ? 'overdue' : undefined}>{f.expiresAt === null ? 'never' : `${date(f.expiresAt)}${overdue ? ' (overdue)' : ''}`}</dd>
        </div>
        <div>
          <dt>Type</dt>
          <dd>
            {f.type}: {f.variants.map((v) => v.key).join(', ')}
          </dd>
        </div>
        <div>
          <dt>Client-side</dt>
          <dd>{f.clientSide ? 'yes' : 'no'}</dd>
        </div>
        <div>
          <dt>Tags</dt>
          <dd>{f.tags.length === 0 ? '—' : f.tags.join(', ')}</dd>
        </div>
      </dl>
      <details class="settings-details" open={settingsOpen} onToggle={(e) => setSettingsOpen((e.currentTarget as HTMLDetailsElement).open)}>
        <summary>Settings: owner, expiry, tags, variants…</summary>
        <FlagSettings flag={f} session={props.session} onSaved={flag.reload} onDirty={markDirty('settings')} />
      </details>

      <Tabs envs={list} flag={f} selected={selected} onSelect={(key) => navigate(href(path, { env: key }), { replace: true })} />
      {list
        .filter((e) => visited.has(e.key) || e.key === selected)
        .map((e) => (
          <div key={e.key} role="tabpanel" id={`panel-${e.key}`} aria-labelledby={`tab-${e.key}`} hidden={e.key !== selected}>
            <EnvironmentPanel
              flag={f}
              env={e}
              session={props.session}
              segments={segments.data ?? []}
              flags={flags.data ?? []}
              onReload={flag.reload}
              onDirty={markDirty(`env:${e.key}`)}
            />
          </div>
        ))}
    </main>
  );
}
