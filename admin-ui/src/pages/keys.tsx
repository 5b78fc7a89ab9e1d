import type { JSX } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { api, KEY_KINDS, type ApiKeyView, type KeyKind } from '../api.js';
import { Dialog } from '../components/dialog.js';
import { ErrorSummary, errorsFor, SelectField, TextField } from '../components/fields.js';
import { loadEnvironments, useResource } from '../data.js';
import { relative } from '../format.js';
import { useLive } from '../live.js';
import { can, describeKind, type Session } from '../session.js';

function SecretOnce(props: { secret: string; name: string; onDone: () => void }): JSX.Element {
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<string | null>(null);
  const copy = async (): Promise<void> => {
    input.current?.select();
    try {
      await navigator.clipboard.writeText(props.secret);
      setCopied('Copied.');
    } catch {
      setCopied('Selected: press Ctrl+C (⌘C) to copy.');
    }
  };
  return (
    <section class="secret-once" role="alert" aria-label="New API key secret">
      <h2>Secret of “{props.name}”: shown only once</h2>
      <p>Store it now (a secrets manager, your CI settings). Switchyard keeps only its hash and cannot show it again.</p>
      <div class="row">
        <input ref={input} readOnly value={props.secret} aria-label="New API key secret" class="secret" onFocus={(e) => (e.currentTarget as HTMLInputElement).select()} />
        <button type="button" onClick={() => void copy()}>
          Copy secret
        </button>
        <button type="button" class="primary" onClick={props.onDone}>
          I have stored it
        </button>
      </div>
      <p role="status">{copied ?? ''}</p>
    </section>
  );
}

export function KeysPage(props: { session: Session }): JSX.Element {
  const admin = can(props.session, 'admin');
  const keys = useResource((signal) => (admin ? api<{ keys: ApiKeyView[] }>('GET', '/keys', { signal }).then((r) => r.keys) : Promise.resolve([])), [admin]);
  const envs = useResource((signal) => loadEnvironments(signal), []);
  const [name, setName] = useState('');
  const [kind, setKind] = useState<KeyKind>('reader');
  const [environment, setEnvironment] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [created, setCreated] = useState<{ secret: string; name: string } | null>(null);
  const [revoking, setRevoking] = useState<ApiKeyView | null>(null);
  const [busy, setBusy] = useState(false);
  useLive(
    (c) => c.kind === 'key',
    () => void keys.reload(),
  );
  const sdk = kind === 'sdk-server' || kind === 'sdk-client';

  if (!admin) {
    return (
      <main id="main" class="page">
        <h1>API keys</h1>
        <p>Only admin keys can list, create and revoke API keys.</p>
      </main>
    );
  }

  const create = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const result = await api<{ key: ApiKeyView; secret: string }>('POST', '/keys', { body: { name, kind, ...(sdk ? { environment: environment || envs.data?.[0]?.key } : {}) } });
      setCreated({ secret: result.secret, name: result.key.name });
      setName('');
      await keys.reload();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const revoke = async (key: ApiKeyView): Promise<void> => {
    setBusy(true);
    try {
      await api('DELETE', `/keys/${encodeURIComponent(key.id)}`);
      setRevoking(null);
      await keys.reload();
    } catch (e) {
      setRevoking(null);
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const errors = errorsFor(error);
  const list = keys.data ?? [];
  return (
    <main id="main" class="page">
      <h1>API keys</h1>
      {created === null ? null : <SecretOnce secret={created.secret} name={created.name} onDone={() => setCreated(null)} />}
      <form class="form inline-form" onSubmit={(e) => void create(e)} aria-label="Create an API key">
        <h2>Create a key</h2>
        <ErrorSummary error={error} title="Not created:" claimed={(p) => /^(name|kind|environment)$/.test(p)} />
        <div class="row">
          <TextField label="Name" value={name} onInput={setName} required hint="Who or what uses it, e.g. checkout-service or alice." error={errors('name')} />
          <SelectField label="Kind" value={kind} options={KEY_KINDS} onChange={(k) => setKind(k as KeyKind)} hint={describeKind(kind)} error={errors('kind')} />
          {sdk ? (
            <SelectField
              label="Environment"
              value={environment || (envs.data?.[0]?.key ?? '')}
              options={(envs.data ?? []).map((e) => ({ value: e.key, label: e.name }))}
              onChange={setEnvironment}
              error={errors('environment')}
            />
          ) : null}
        </div>
        <div class="actions">
          <button type="submit" class="primary" disabled={busy}>
            Create key
          </button>
        </div>
      </form>
      <h2>Keys</h2>
      <div class="table-wrap">
        <table class="cards">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Kind</th>
              <th scope="col">Environment</th>
              <th scope="col">Prefix</th>
              <th scope="col">Created</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {list.map((k) => (
              <tr key={k.id} class={k.revokedAt === null ? undefined : 'revoked'}>
                <td data-label="Name">{k.name}</td>
                <td data-label="Kind">
                  <span class={`kind kind-${k.kind}`}>{k.kind}</span>
                </td>
                <td data-label="Environment">{k.environment ?? 'all'}</td>
                <td data-label="Prefix">
                  <code>{k.prefix}…</code>
                </td>
                <td data-label="Created">
                  {relative(k.createdAt)}
                  {k.createdBy === null ? '' : ` by ${k.createdBy}`}
                </td>
                <td data-label="Status">
                  {k.revokedAt !== null ? (
                    `revoked ${relative(k.revokedAt)}`
                  ) : k.id === props.session.key.id ? (
                    'this session'
                  ) : (
                    <button type="button" class="danger-text" onClick={() => setRevoking(k)}>
                      Revoke {k.name}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Dialog open={revoking !== null} title={`Revoke ${revoking?.name ?? ''}?`} tone="danger" onClose={() => setRevoking(null)}>
        <p>Every request with this key is refused from now on, and its open SDK streams close at once. This cannot be undone.</p>
        <div class="actions">
          <button type="button" class="danger" disabled={busy} onClick={() => revoking !== null && void revoke(revoking)}>
            Revoke key
          </button>
          <button type="button" onClick={() => setRevoking(null)}>
            Cancel
          </button>
        </div>
      </Dialog>
    </main>
  );
}
