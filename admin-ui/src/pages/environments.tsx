import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { ErrorSummary, errorsFor, TextField } from '../components/fields.js';
import { loadEnvironments, useResource } from '../data.js';
import { dateTime } from '../format.js';
import { useLive } from '../live.js';
import { Link } from '../router.js';
import { can, type Session } from '../session.js';

export function EnvironmentsPage(props: { session: Session }): JSX.Element {
  const envs = useResource((signal) => loadEnvironments(signal), []);
  const [key, setKey] = useState('');
  const [name, setName] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  useLive(
    (c) => c.kind === 'environment',
    () => void envs.reload(),
  );
  const create = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api('POST', '/environments', { body: { key: key.trim(), ...(name.trim() === '' ? {} : { name: name.trim() }) } });
      setKey('');
      setName('');
      await envs.reload();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const errors = errorsFor(error);
  return (
    <main id="main" class="page">
      <h1>Environments</h1>
      <p>Every flag has its own configuration in each environment; SDK keys belong to one environment.</p>
      <div class="table-wrap">
        <table class="cards">
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Name</th>
              <th scope="col">Created</th>
              <th scope="col">Flags</th>
            </tr>
          </thead>
          <tbody>
            {(envs.data ?? []).map((e) => (
              <tr key={e.key}>
                <td data-label="Key">
                  <code>{e.key}</code>
                </td>
                <td data-label="Name">{e.name}</td>
                <td data-label="Created">{dateTime(e.createdAt)}</td>
                <td data-label="Flags">
                  <Link href={`/flags?env=${encodeURIComponent(e.key)}&state=killed`}>Killed flags in {e.name}</Link>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {can(props.session, 'admin') ? (
        <form class="form inline-form" onSubmit={(e) => void create(e)} aria-label="Create an environment">
          <h2>Add an environment</h2>
          <ErrorSummary error={error} title="Not created:" claimed={(p) => p === 'key' || p === 'name'} />
          <div class="row">
            <TextField label="Key" value={key} onInput={setKey} required hint="Lower-case letters, digits and “-”." error={errors('key')} />
            <TextField label="Name" value={name} onInput={setName} error={errors('name')} />
          </div>
          <div class="actions">
            <button type="submit" class="primary" disabled={busy}>
              Add environment
            </button>
          </div>
          <p class="hint">Every flag gets an off configuration in the new environment.</p>
        </form>
      ) : (
        <p class="hint">Only admin keys can add environments.</p>
      )}
    </main>
  );
}
