import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, FLAG_KINDS, type AuditEntry, type EnvironmentView, type FlagState, type FlagView } from '../api.js';
import { StateBadge } from '../components/badges.js';
import { ErrorSummary, Checkbox, SelectField, TextField } from '../components/fields.js';
import { loadEnvironments, loadLastChanges, useResource } from '../data.js';
import { date, isOverdue, relative } from '../format.js';
import { useLive } from '../live.js';
import { href, Link, navigate } from '../router.js';
import { can, type Session } from '../session.js';
import { PowerIcon } from '../components/icons.js';

interface Filters {
  q: string;
  kind: string;
  owner: string;
  tag: string;
  env: string;
  state: string;
  stale: boolean;
}

const STATES: readonly { value: '' | FlagState; label: string }[] = [
  { value: '', label: 'any state' },
  { value: 'on', label: 'on' },
  { value: 'off', label: 'off' },
  { value: 'killed', label: 'killed' },
  { value: 'rollout', label: 'partial rollout' },
];

function filtersFrom(query: URLSearchParams): Filters {
  return {
    q: query.get('q') ?? '',
    kind: query.get('kind') ?? '',
    owner: query.get('owner') ?? '',
    tag: query.get('tag') ?? '',
    env: query.get('env') ?? '',
    state: query.get('state') ?? '',
    stale: query.get('stale') === 'true',
  };
}

function useDebounced<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(t);
  }, [JSON.stringify(value)]);
  return debounced;
}

/** The latest change of a flag: its own or any environment's. */
function lastChangeOf(flag: FlagView): string {
  let latest = flag.updatedAt;
  for (const env of Object.values(flag.environments)) if (env.updatedAt > latest) latest = env.updatedAt;
  return latest;
}

export function FlagsPage(props: { session: Session; query: URLSearchParams }): JSX.Element {
  const [filters, setFilters] = useState<Filters>(() => filtersFrom(props.query));
  const server = useDebounced({ q: filters.q, kind: filters.kind, owner: filters.owner, tag: filters.tag, stale: filters.stale }, 200);
  const flags = useResource(
    (signal) =>
      api<{ flags: FlagView[] }>('GET', '/flags', {
        signal,
        query: { q: server.q.trim(), kind: server.kind, owner: server.owner.trim(), tag: server.tag.trim(), stale: server.stale ? 'true' : undefined },
      }).then((r) => r.flags),
    [JSON.stringify(server)],
  );
  const environments = useResource<EnvironmentView[]>((signal) => loadEnvironments(signal), []);
  const changes = useResource<Map<string, AuditEntry>>((signal) => loadLastChanges(signal), []);
  useLive(
    (c) => c.kind === 'flag' || c.kind === 'environment',
    (batch) => {
      void flags.reload();
      void changes.reload();
      if (batch.some((c) => c.kind === 'environment' || c.kind === 'resync')) void environments.reload();
    },
  );

  const update = (patch: Partial<Filters>): void => {
    const next = { ...filters, ...patch };
    setFilters(next);
    navigate(href('/flags', { q: next.q, kind: next.kind, owner: next.owner, tag: next.tag, env: next.env, state: next.state, stale: next.stale ? 'true' : '' }), { replace: true });
  };

  const envs = environments.data ?? [];
  const shown = (flags.data ?? []).filter((f) => {
    if (filters.state === '') return true;
    const targets = filters.env === '' ? Object.values(f.environments) : [f.environments[filters.env]];
    return targets.some((e) => e?.state === filters.state);
  });
  const killedCount = (flags.data ?? []).filter((f) => Object.values(f.environments).some((e) => e.state === 'killed')).length;

  return (
    <main id="main" class="page">
      <div class="page-head">
        <h1>Flags</h1>
        {can(props.session, 'write') ? (
          <Link href="/flags/new" class="button primary">
            New flag
          </Link>
        ) : null}
      </div>
      {killedCount > 0 ? (
        <p class="killed-summary" role="status">
          <PowerIcon /> {killedCount === 1 ? '1 flag is' : `${killedCount} flags are`} killed in at least one environment.{' '}
          <button type="button" class="link-button" onClick={() => update({ state: 'killed', env: '' })}>
            Show killed flags
          </button>
        </p>
      ) : null}
      <form class="filters" role="search" aria-label="Filter flags" onSubmit={(e) => e.preventDefault()}>
        <TextField label="Search" type="search" placeholder="key, name or description" value={filters.q} onInput={(q) => update({ q })} />
        <SelectField label="Kind" value={filters.kind} options={[{ value: '', label: 'any kind' }, ...FLAG_KINDS]} onChange={(kind) => update({ kind })} />
        <TextField label="Owner" value={filters.owner} onInput={(owner) => update({ owner })} />
        <TextField label="Tag" value={filters.tag} onInput={(tag) => update({ tag })} />
        <SelectField label="Environment" value={filters.env} options={[{ value: '', label: 'any environment' }, ...envs.map((e) => ({ value: e.key, label: e.name }))]} onChange={(env) => update({ env })} />
        <SelectField label="State" value={filters.state} options={STATES} onChange={(state) => update({ state })} />
        <Checkbox label="Stale only" checked={filters.stale} onChange={(stale) => update({ stale })} />
      </form>
      <ErrorSummary error={flags.error} title="Could not load flags:" />
      <p class="count" aria-live="polite">
        {flags.data === undefined ? 'Loading…' : `${shown.length} ${shown.length === 1 ? 'flag' : 'flags'}`}
      </p>
      <div class="table-wrap">
        <table class="flags cards">
          <thead>
            <tr>
              <th scope="col">Flag</th>
              <th scope="col">Kind</th>
              <th scope="col">Owner</th>
              <th scope="col">Expires</th>
              {envs.map((e) => (
                <th scope="col" key={e.key}>
                  {e.name}
                </th>
              ))}
              <th scope="col">Last change</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((f) => {
              const killed = Object.values(f.environments).some((e) => e.state === 'killed');
              const overdue = isOverdue(f.expiresAt);
              const last = changes.data?.get(f.key);
              const at = lastChangeOf(f);
              return (
                <tr key={f.key} class={killed ? 'killed' : undefined}>
                  <td data-label="Flag">
                    <Link href={`/flags/${encodeURIComponent(f.key)}`} class="flag-key">
                      {f.key}
                    </Link>
                    {f.name !== f.key ? <span class="sub">{f.name}</span> : null}
                    {f.tags.length > 0 ? (
                      <span class="tags">
                        {f.tags.map((t) => (
                          <span class="tag" key={t}>
                            {t}
                          </span>
                        ))}
                      </span>
                    ) : null}
                  </td>
                  <td data-label="Kind">{f.kind}</td>
                  <td data-label="Owner">{f.owner}</td>
                  <td data-label="Expires" class={overdue ? 'overdue' : undefined}>
                    {f.expiresAt === null ? '—' : overdue ? `${date(f.expiresAt)} (overdue)` : date(f.expiresAt)}
                  </td>
                  {envs.map((e) => (
                    <td data-label={e.name} key={e.key}>
                      <StateBadge summary={f.environments[e.key]} />
                    </td>
                  ))}
                  <td data-label="Last change">
                    <time dateTime={last?.at ?? at} title={last?.at ?? at}>
                      {relative(last?.at ?? at)}
                    </time>
                    {last === undefined ? null : <span class="sub"> by {last.actor}</span>}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {flags.data !== undefined && shown.length === 0 ? <p class="empty">No flags match these filters.</p> : null}
    </main>
  );
}
