import type { FlagInput, FlagType } from '@switchyard/core';
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, FLAG_KINDS, type FlagView } from '../api.js';
import { Checkbox, ErrorSummary, errorsFor, SelectField, TextArea, TextField } from '../components/fields.js';
import { rowsOf, VariantsEditor, variantsOf, type VariantRow } from '../components/variants-editor.js';
import { commaList, fromDateInput } from '../format.js';
import { Link, navigate } from '../router.js';
import { can, type Session } from '../session.js';

const TYPES: readonly FlagType[] = ['boolean', 'string', 'number', 'json'];
const CLAIMED = /^(key|name|description|kind|owner|expiresAt|tags|clientSide|type|variants)/;

export function NewFlagPage(props: { session: Session }): JSX.Element {
  const [key, setKey] = useState('');
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [kind, setKind] = useState<string>('release');
  const [owner, setOwner] = useState('');
  const [expires, setExpires] = useState('');
  const [tags, setTags] = useState('');
  const [clientSide, setClientSide] = useState(false);
  const [type, setType] = useState<FlagType>('boolean');
  const [variants, setVariants] = useState<VariantRow[]>(rowsOf([
    { key: 'control', value: 'control' },
    { key: 'treatment', value: 'treatment' },
  ]));
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const allowed = can(props.session, 'write');
  const errors = errorsFor(error);
  const temporary = kind === 'release' || kind === 'experiment';

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body: FlagInput = {
        key: key.trim(),
        kind: kind as FlagInput['kind'],
        owner,
        description,
        tags: commaList(tags),
        clientSide,
        type,
        expiresAt: fromDateInput(expires),
        ...(name.trim() === '' ? {} : { name: name.trim() }),
        ...(type === 'boolean' ? {} : { variants: variantsOf(type, variants) }),
      };
      const created = await api<{ flag: FlagView }>('POST', '/flags', { body });
      navigate(`/flags/${encodeURIComponent(created.flag.key)}`);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="page narrow-page">
      <p class="crumbs">
        <Link href="/flags">Flags</Link> / New flag
      </p>
      <h1>New flag</h1>
      <p>A new flag starts off in every environment. Temporary flags (release, experiment) need an owner and an expiry date, so flag debt stays visible.</p>
      <form onSubmit={(e) => void submit(e)} class="form" aria-label="New flag">
        <ErrorSummary error={error} title="Not created:" claimed={(p) => CLAIMED.test(p)} />
        <TextField label="Key" value={key} onInput={setKey} required autoComplete="off" spellcheck={false} hint="Lower-case letters, digits, “.”, “_” and “-”; used in code, cannot change." error={errors('key')} disabled={!allowed} />
        <TextField label="Name" value={name} onInput={setName} hint="Optional; defaults to the key." error={errors('name')} disabled={!allowed} />
        <TextArea label="Description" value={description} onInput={setDescription} error={errors('description')} disabled={!allowed} />
        <div class="row">
          <SelectField label="Kind" value={kind} options={FLAG_KINDS} onChange={setKind} error={errors('kind')} disabled={!allowed} />
          <TextField label="Owner" value={owner} onInput={setOwner} required hint="Team or person responsible." error={errors('owner')} disabled={!allowed} />
          <TextField
            label="Expires"
            type="date"
            value={expires}
            onInput={setExpires}
            required={temporary}
            hint={temporary ? `Required for ${kind} flags.` : 'Optional for this kind.'}
            error={errors('expiresAt')}
            disabled={!allowed}
          />
        </div>
        <TextField label="Tags" value={tags} onInput={setTags} hint="Comma-separated, lower-case." error={errors('tags')} disabled={!allowed} />
        <Checkbox label="Client-side: may be sent to browsers (sdk-client keys)" checked={clientSide} onChange={setClientSide} error={errors('clientSide')} disabled={!allowed} />
        <SelectField label="Type" value={type} options={TYPES} onChange={(t) => setType(t as FlagType)} error={errors('type')} disabled={!allowed} />
        <VariantsEditor type={type} rows={variants} onChange={setVariants} errors={errors} disabled={!allowed} />
        <div class="actions">
          <button type="submit" class="primary" disabled={busy || !allowed}>
            {busy ? 'Creating…' : 'Create flag'}
          </button>
          <Link href="/flags" class="button">
            Cancel
          </Link>
        </div>
      </form>
    </main>
  );
}
