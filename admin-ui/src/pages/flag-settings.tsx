import type { FlagPatch } from '@switchyard/core';
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, FLAG_KINDS, type FlagView } from '../api.js';
import { conflictOf, ConflictBanner, mergeOnTop, type ConflictInfo } from '../components/conflict.js';
import { Dialog } from '../components/dialog.js';
import { Checkbox, ErrorSummary, errorsFor, SelectField, TextArea, TextField } from '../components/fields.js';
import { rowsOf, VariantsEditor, variantsOf, type VariantRow } from '../components/variants-editor.js';
import { commaList, fromDateInput, toDateInput } from '../format.js';
import { navigate } from '../router.js';
import { can, type Session } from '../session.js';

/** The editable metadata, as the form holds it. */
interface Form {
  name: string;
  description: string;
  kind: string;
  owner: string;
  expires: string;
  tags: string;
  clientSide: boolean;
  variants: VariantRow[];
}

function formOf(flag: FlagView): Form {
  return {
    name: flag.name,
    description: flag.description,
    kind: flag.kind,
    owner: flag.owner,
    expires: toDateInput(flag.expiresAt),
    tags: flag.tags.join(', '),
    clientSide: flag.clientSide,
    variants: rowsOf(flag.variants),
  };
}

function patchOf(flag: FlagView, form: Form): FlagPatch {
  const expiresAt = form.expires === toDateInput(flag.expiresAt) ? flag.expiresAt : fromDateInput(form.expires);
  return {
    name: form.name,
    description: form.description,
    kind: form.kind as FlagPatch['kind'],
    owner: form.owner,
    expiresAt,
    tags: commaList(form.tags),
    clientSide: form.clientSide,
    ...(flag.type === 'boolean' ? {} : { variants: variantsOf(flag.type, form.variants) }),
  };
}

const CLAIMED = /^(name|description|kind|owner|expiresAt|tags|clientSide|variants)/;

export function FlagSettings(props: { flag: FlagView; session: Session; onSaved: () => Promise<void>; onDirty: (dirty: boolean) => void }): JSX.Element {
  const { flag } = props;
  const [base, setBase] = useState<FlagView>(flag);
  const [form, setForm] = useState<Form>(() => formOf(flag));
  const [error, setError] = useState<unknown>(null);
  const [conflict, setConflict] = useState<{ info: ConflictInfo; theirs?: FlagView } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [archiveOpen, setArchiveOpen] = useState(false);
  const allowed = can(props.session, 'write');
  const dirty = JSON.stringify(form) !== JSON.stringify(formOf(base));
  useEffect(() => props.onDirty(dirty), [dirty]);

  useEffect(() => {
    if (!dirty) {
      setBase(flag);
      setForm(formOf(flag));
    }
  }, [flag.version]);

  const errors = errorsFor(error);
  const set = (patch: Partial<Form>): void => setForm({ ...form, ...patch });

  const save = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      const result = await api<{ flag: FlagView }>('PATCH', `/flags/${encodeURIComponent(flag.key)}`, { body: patchOf(base, form), version: base.version });
      setBase(result.flag);
      setForm(formOf(result.flag));
      setConflict(null);
      setNotice('Settings saved.');
      await props.onSaved();
    } catch (e) {
      const info = conflictOf(e);
      if (info === null) setError(e);
      else {
        setConflict({ info });
        const theirs = await api<{ flag: FlagView }>('GET', `/flags/${encodeURIComponent(flag.key)}`).catch(() => undefined);
        setConflict({ info, ...(theirs === undefined ? {} : { theirs: theirs.flag }) });
      }
    } finally {
      setBusy(false);
    }
  };

  const archive = async (): Promise<void> => {
    setBusy(true);
    try {
      await api('DELETE', `/flags/${encodeURIComponent(flag.key)}`, { version: base.version });
      navigate('/flags');
    } catch (e) {
      setArchiveOpen(false);
      const info = conflictOf(e);
      if (info === null) setError(e);
      else setConflict({ info });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="form settings" onSubmit={(e) => void save(e)} aria-label="Flag settings">
      {conflict === null ? null : (
        <ConflictBanner
          info={conflict.info}
          base={formOf(base)}
          theirs={conflict.theirs === undefined ? undefined : formOf(conflict.theirs)}
          mine={form}
          busy={busy}
          onRetry={() => {
            const theirs = conflict.theirs;
            if (theirs === undefined) return;
            setForm(mergeOnTop(formOf(base), form, formOf(theirs)));
            setBase(theirs);
            setConflict(null);
            setNotice('Your changes are now on top of theirs. Review them and save again.');
          }}
          onDiscard={() => {
            if (conflict.theirs !== undefined) {
              setBase(conflict.theirs);
              setForm(formOf(conflict.theirs));
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
      <div class="row">
        <TextField label="Name" value={form.name} onInput={(name) => set({ name })} error={errors('name')} disabled={!allowed} />
        <TextField label="Owner" value={form.owner} onInput={(owner) => set({ owner })} error={errors('owner')} disabled={!allowed} required />
      </div>
      <TextArea label="Description" value={form.description} onInput={(description) => set({ description })} error={errors('description')} disabled={!allowed} />
      <div class="row">
        <SelectField label="Kind" value={form.kind} options={FLAG_KINDS} onChange={(kind) => set({ kind })} error={errors('kind')} disabled={!allowed} />
        <TextField label="Expires" type="date" value={form.expires} onInput={(expires) => set({ expires })} error={errors('expiresAt')} disabled={!allowed} hint="Required for release and experiment flags." />
        <TextField label="Tags" value={form.tags} onInput={(tags) => set({ tags })} error={errors('tags')} disabled={!allowed} hint="Comma-separated." />
      </div>
      <Checkbox label="Client-side: may be sent to browsers (sdk-client keys)" checked={form.clientSide} onChange={(clientSide) => set({ clientSide })} error={errors('clientSide')} disabled={!allowed} />
      <VariantsEditor type={flag.type} rows={form.variants} onChange={(variants) => set({ variants })} errors={errors} disabled={!allowed} />
      {allowed ? (
        <div class="actions">
          <button type="submit" class="primary" disabled={busy || !dirty}>
            Save settings
          </button>
          <button type="button" disabled={busy || !dirty} onClick={() => setForm(formOf(base))}>
            Discard
          </button>
          <span class="spacer" />
          <button type="button" class="danger-text" disabled={busy} onClick={() => setArchiveOpen(true)}>
            Archive flag…
          </button>
        </div>
      ) : null}
      <Dialog open={archiveOpen} title={`Archive ${flag.key}?`} tone="danger" onClose={() => setArchiveOpen(false)}>
        <p>SDKs stop receiving it and evaluate it as unknown (the caller's default). Its key is never reused. Remove it from code first.</p>
        <div class="actions">
          <button type="button" class="danger" disabled={busy} onClick={() => void archive()}>
            Archive flag
          </button>
          <button type="button" onClick={() => setArchiveOpen(false)}>
            Cancel
          </button>
        </div>
      </Dialog>
    </form>
  );
}
