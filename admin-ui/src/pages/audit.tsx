import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, type AuditEntry } from '../api.js';
import { DiffTable } from '../components/conflict.js';
import { ErrorSummary, errorsFor, SelectField, TextField } from '../components/fields.js';
import { loadEnvironments, useResource } from '../data.js';
import { actionName, dateTime, relative } from '../format.js';
import { useLive } from '../live.js';
import { href, Link, navigate } from '../router.js';
import type { Session } from '../session.js';

interface Filters {
  flag: string;
  env: string;
  actor: string;
  since: string;
  until: string;
}

/** A datetime-local value (local time) as an ISO timestamp. */
function isoOf(local: string): string | undefined {
  if (local === '') return undefined;
  const t = new Date(local).getTime();
  return Number.isNaN(t) ? local : new Date(t).toISOString();
}

function Entry(props: { entry: AuditEntry }): JSX.Element {
  const e = props.entry;
  const [open, setOpen] = useState(false);
  const killed = e.action === 'flag-environment.kill';
  const link = e.resourceType === 'flag' || e.resourceType === 'flag-environment' ? href(`/flags/${encodeURIComponent(e.resourceKey)}`, { env: e.environment }) : e.resourceType === 'segment' ? `/segments/${encodeURIComponent(e.resourceKey)}` : null;
  return (
    <li class={`entry${killed ? ' killed' : ''}`}>
      <div class="entry-head">
        <time dateTime={e.at} title={relative(e.at)}>
          {dateTime(e.at)}
        </time>
        <span>
          <strong>{e.actor}</strong> {actionName(e.action)}{' '}
          {link === null ? <code>{e.resourceKey}</code> : <Link href={link}>{e.resourceKey}</Link>}
          {e.environment === null ? '' : ` in ${e.environment}`}
        </span>
        <span class="sub">revision {e.revision}</span>
      </div>
      {e.reason === null ? null : <p class="reason">Reason: {e.reason}</p>}
      {e.incidentId === null ? null : <p class="sub">Incident {e.incidentId}</p>}
      <button type="button" class="link-button" aria-expanded={open} onClick={() => setOpen(!open)}>
        {open ? 'Hide changes' : 'Show changes'}
      </button>
      {open ? <DiffTable caption={`${e.action} at revision ${e.revision}: before → after`} before={e.before} after={e.after} /> : null}
    </li>
  );
}

export function AuditPage(props: { session: Session; query: URLSearchParams }): JSX.Element {
  const q = props.query;
  const [filters, setFilters] = useState<Filters>({ flag: q.get('flag') ?? '', env: q.get('env') ?? '', actor: q.get('actor') ?? '', since: q.get('since') ?? '', until: q.get('until') ?? '' });
  const [applied, setApplied] = useState<Filters>(filters);
  const [older, setOlder] = useState<AuditEntry[]>([]);
  const [cursor, setCursor] = useState<number | null>(null);
  const envs = useResource((signal) => loadEnvironments(signal), []);
  const page = useResource(
    async (signal) => {
      const result = await api<{ entries: AuditEntry[]; nextBefore: number | null }>('GET', '/audit', {
        signal,
        query: { flag: applied.flag.trim(), env: applied.env, actor: applied.actor.trim(), since: isoOf(applied.since), until: isoOf(applied.until), limit: 50 },
      });
      setOlder([]);
      setCursor(result.nextBefore);
      return result.entries;
    },
    [JSON.stringify(applied)],
  );
  useLive(
    () => true,
    () => void page.reload(),
  );

  const apply = (event: Event): void => {
    event.preventDefault();
    setApplied(filters);
    navigate(href('/audit', { ...filters }), { replace: true });
  };

  const loadOlder = async (): Promise<void> => {
    if (cursor === null) return;
    const result = await api<{ entries: AuditEntry[]; nextBefore: number | null }>('GET', '/audit', {
      query: { flag: applied.flag.trim(), env: applied.env, actor: applied.actor.trim(), since: isoOf(applied.since), until: isoOf(applied.until), limit: 50, before: cursor },
    });
    setOlder([...older, ...result.entries]);
    setCursor(result.nextBefore);
  };

  const errors = errorsFor(page.error);
  const entries = [...(page.data ?? []), ...older];
  return (
    <main id="main" class="page">
      <h1>Audit log</h1>
      <p>Every change: who, when, why, and what it changed.</p>
      <form class="filters" role="search" aria-label="Filter the audit log" onSubmit={apply}>
        <TextField label="Flag" value={filters.flag} onInput={(flag) => setFilters({ ...filters, flag })} error={errors('query.flag')} />
        <SelectField
          label="Environment"
          value={filters.env}
          options={[{ value: '', label: 'any environment' }, ...(envs.data ?? []).map((e) => ({ value: e.key, label: e.name }))]}
          onChange={(env) => setFilters({ ...filters, env })}
        />
        <TextField label="Actor" value={filters.actor} placeholder="API key name" onInput={(actor) => setFilters({ ...filters, actor })} error={errors('query.actor')} />
        <TextField label="Since" type="datetime-local" value={filters.since} onInput={(since) => setFilters({ ...filters, since })} error={errors('query.since')} />
        <TextField label="Until" type="datetime-local" value={filters.until} onInput={(until) => setFilters({ ...filters, until })} error={errors('query.until')} />
        <div class="actions">
          <button type="submit" class="primary">
            Apply filters
          </button>
          <button
            type="button"
            onClick={() => {
              const empty = { flag: '', env: '', actor: '', since: '', until: '' };
              setFilters(empty);
              setApplied(empty);
              navigate('/audit', { replace: true });
            }}
          >
            Clear
          </button>
        </div>
      </form>
      <ErrorSummary error={page.error} title="Cannot load the audit log:" claimed={(p) => p.startsWith('query.')} />
      {page.data === undefined && page.error === null ? <p>Loading…</p> : null}
      {page.data !== undefined && entries.length === 0 ? <p class="empty">No changes match these filters.</p> : null}
      <ol class="audit" aria-label="Audit entries, newest first">
        {entries.map((e) => (
          <Entry key={e.id} entry={e} />
        ))}
      </ol>
      {cursor === null ? null : (
        <button type="button" onClick={() => void loadOlder()}>
          Load older entries
        </button>
      )}
    </main>
  );
}
