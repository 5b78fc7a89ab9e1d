import type { SegmentInput, SegmentRule } from '@switchyard/core';
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, type FlagView, type SegmentView } from '../api.js';
import { conflictOf, ConflictBanner, mergeOnTop, type ConflictInfo } from '../components/conflict.js';
import { ErrorSummary, errorsFor, TextArea, TextField } from '../components/fields.js';
import { ClausesEditor, type EditorContext } from '../components/targeting-editor.js';
import { useResource } from '../data.js';
import { lines, relative } from '../format.js';
import { useLive } from '../live.js';
import { Link, navigate } from '../router.js';
import { can, type Session } from '../session.js';

export function SegmentsPage(props: { session: Session }): JSX.Element {
  const segments = useResource((signal) => api<{ segments: SegmentView[] }>('GET', '/segments', { signal }).then((r) => r.segments), []);
  useLive(
    (c) => c.kind === 'segment',
    () => void segments.reload(),
  );
  return (
    <main id="main" class="page">
      <div class="page-head">
        <h1>Segments</h1>
        {can(props.session, 'write') ? (
          <Link href="/segments/new" class="button primary">
            New segment
          </Link>
        ) : null}
      </div>
      <p>Reusable sets of contexts (internal users, beta testers) that rules target with “is in segment”.</p>
      <ErrorSummary error={segments.error} title="Cannot load segments:" />
      {segments.data !== undefined && segments.data.length === 0 ? <p class="empty">No segments yet.</p> : null}
      <div class="table-wrap">
        <table class="cards">
          <thead>
            <tr>
              <th scope="col">Segment</th>
              <th scope="col">Included</th>
              <th scope="col">Excluded</th>
              <th scope="col">Rules</th>
              <th scope="col">Changed</th>
            </tr>
          </thead>
          <tbody>
            {(segments.data ?? []).map((s) => (
              <tr key={s.key}>
                <td data-label="Segment">
                  <Link href={`/segments/${encodeURIComponent(s.key)}`} class="flag-key">
                    {s.key}
                  </Link>
                  <span class="sub">{s.name}</span>
                </td>
                <td data-label="Included">{s.included.length}</td>
                <td data-label="Excluded">{s.excluded.length}</td>
                <td data-label="Rules">{s.rules.length}</td>
                <td data-label="Changed">{relative(s.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </main>
  );
}

interface Form {
  key: string;
  name: string;
  description: string;
  included: string;
  excluded: string;
  rules: SegmentRule[];
}

function formOf(s: SegmentView | null): Form {
  return s === null
    ? { key: '', name: '', description: '', included: '', excluded: '', rules: [] }
    : { key: s.key, name: s.name, description: s.description, included: s.included.join('\n'), excluded: s.excluded.join('\n'), rules: s.rules };
}

function bodyOf(form: Form): SegmentInput {
  return { key: form.key.trim(), name: form.name, description: form.description, included: lines(form.included), excluded: lines(form.excluded), rules: form.rules };
}

const CLAIMED = /^(key|name|description|included|excluded|rules\[)/;
const NO_FLAG: FlagView = { key: '', name: '', description: '', kind: 'operational', owner: '', expiresAt: null, tags: [], clientSide: false, type: 'boolean', variants: [], version: 0, createdAt: '', updatedAt: '', archivedAt: null, environments: {} };

export function SegmentPage(props: { session: Session; segmentKey: string | null }): JSX.Element {
  const creating = props.segmentKey === null;
  const path = `/segments/${encodeURIComponent(props.segmentKey ?? '')}`;
  const segment = useResource((signal) => (creating ? Promise.resolve(null) : api<{ segment: SegmentView }>('GET', path, { signal }).then((r) => r.segment)), [props.segmentKey]);
  const others = useResource((signal) => api<{ segments: SegmentView[] }>('GET', '/segments', { signal }).then((r) => r.segments), []);
  const [base, setBase] = useState<SegmentView | null>(null);
  const [form, setForm] = useState<Form>(formOf(null));
  const [editorKey, setEditorKey] = useState(0);
  const [error, setError] = useState<unknown>(null);
  const [conflict, setConflict] = useState<{ info: ConflictInfo; theirs?: SegmentView } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const allowed = can(props.session, 'write');
  const dirty = JSON.stringify(form) !== JSON.stringify(formOf(base));

  useEffect(() => {
    if (segment.data === undefined) return;
    if (!dirty || base === null) {
      setBase(segment.data);
      setForm(formOf(segment.data));
      setEditorKey((k) => k + 1);
    }
  }, [segment.data?.version, segment.data === null]);
  useLive(
    (c) => c.kind === 'segment' && props.segmentKey !== null && c.keys.includes(props.segmentKey),
    () => void segment.reload(),
  );

  const errors = errorsFor(error);
  const ctx: EditorContext = { flag: NO_FLAG, segments: (others.data ?? []).filter((s) => s.key !== props.segmentKey), flags: [], errors, disabled: !allowed || busy };

  const save = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      if (creating) {
        const created = await api<{ segment: SegmentView }>('POST', '/segments', { body: bodyOf(form) });
        navigate(`/segments/${encodeURIComponent(created.segment.key)}`);
        return;
      }
      const saved = await api<{ segment: SegmentView }>('PUT', path, { body: bodyOf(form), ...(base === null ? {} : { version: base.version }) });
      setBase(saved.segment);
      setForm(formOf(saved.segment));
      setEditorKey((k) => k + 1);
      setNotice('Segment saved. Flags that use it serve the new membership at once.');
    } catch (e) {
      const info = conflictOf(e);
      if (info === null) setError(e);
      else {
        setConflict({ info });
        const theirs = await api<{ segment: SegmentView }>('GET', path).catch(() => undefined);
        setConflict({ info, ...(theirs === undefined ? {} : { theirs: theirs.segment }) });
      }
    } finally {
      setBusy(false);
    }
  };

  // Until the segment is loaded into the form, an empty form must not be editable (or saved).
  if (!creating && (segment.data === undefined || base === null)) {
    return (
      <main id="main" class="page">
        <p class="crumbs">
          <Link href="/segments">Segments</Link> / {props.segmentKey}
        </p>
        {segment.error === null ? <p>Loading…</p> : <ErrorSummary error={segment.error} title="Cannot show this segment:" />}
      </main>
    );
  }

  return (
    <main id="main" class="page narrow-page">
      <p class="crumbs">
        <Link href="/segments">Segments</Link> / {creating ? 'New segment' : props.segmentKey}
      </p>
      <h1>{creating ? 'New segment' : `Segment ${props.segmentKey ?? ''}`}</h1>
      <form class="form" onSubmit={(e) => void save(e)} aria-label={creating ? 'New segment' : 'Edit segment'}>
        {conflict === null ? null : (
          <ConflictBanner
            info={conflict.info}
            base={formOf(base)}
            theirs={conflict.theirs === undefined ? undefined : formOf(conflict.theirs)}
            mine={form}
            busy={busy}
            onRetry={() => {
              if (conflict.theirs === undefined) return;
              setForm(mergeOnTop(formOf(base), form, formOf(conflict.theirs)));
              setBase(conflict.theirs);
              setEditorKey((k) => k + 1);
              setConflict(null);
              setNotice('Your changes are now on top of theirs. Review them and save again.');
            }}
            onDiscard={() => {
              if (conflict.theirs !== undefined) {
                setBase(conflict.theirs);
                setForm(formOf(conflict.theirs));
                setEditorKey((k) => k + 1);
              }
              setConflict(null);
            }}
          />
        )}
        {notice === null ? null : (
          <p class="notice" role="status">
            {notice}
          </p>
        )}
        {conflict === null ? <ErrorSummary error={error} claimed={(p) => CLAIMED.test(p)} /> : null}
        {creating ? <TextField label="Key" value={form.key} onInput={(key) => setForm({ ...form, key })} error={errors('key')} disabled={!allowed} required /> : null}
        <TextField label="Name" value={form.name} onInput={(name) => setForm({ ...form, name })} error={errors('name')} disabled={!allowed} required />
        <TextArea label="Description" value={form.description} onInput={(description) => setForm({ ...form, description })} error={errors('description')} disabled={!allowed} />
        <div class="row">
          <TextArea label="Included context keys (one per line)" value={form.included} rows={4} onInput={(included) => setForm({ ...form, included })} error={errors('included')} disabled={!allowed} hint="Always in the segment." />
          <TextArea label="Excluded context keys (one per line)" value={form.excluded} rows={4} onInput={(excluded) => setForm({ ...form, excluded })} error={errors('excluded')} disabled={!allowed} hint="Never in it, whatever the rules say." />
        </div>
        <fieldset>
          <legend>Rules (a context matching any rule is in the segment)</legend>
          {form.rules.map((rule, i) => (
            <fieldset class="rule" key={`${editorKey}-${i}`}>
              <legend>Segment rule {i + 1}</legend>
              <ClausesEditor clauses={rule.clauses} path={`rules[${i}].clauses`} owner={`Segment rule ${i + 1}`} ctx={ctx} onChange={(clauses) => setForm({ ...form, rules: form.rules.map((r, j) => (j === i ? { clauses } : r)) })} />
              <div class="actions small">
                <button type="button" class="danger-text" disabled={!allowed} onClick={() => setForm({ ...form, rules: form.rules.filter((_, j) => j !== i) })}>
                  Remove segment rule {i + 1}
                </button>
              </div>
            </fieldset>
          ))}
          <button type="button" disabled={!allowed} onClick={() => setForm({ ...form, rules: [...form.rules, { clauses: [{ attribute: '', op: 'eq', values: [] }] }] })}>
            Add segment rule
          </button>
        </fieldset>
        {allowed ? (
          <div class="actions">
            <button type="submit" class="primary" disabled={busy || (!creating && !dirty)}>
              {creating ? 'Create segment' : 'Save segment'}
            </button>
            {creating ? (
              <Link href="/segments" class="button">
                Cancel
              </Link>
            ) : (
              <button type="button" disabled={busy || !dirty} onClick={() => setForm(formOf(base))}>
                Discard
              </button>
            )}
          </div>
        ) : null}
      </form>
    </main>
  );
}
