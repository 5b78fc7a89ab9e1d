import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError } from '../api.js';
import { ErrorSummary, TextField } from '../components/fields.js';
import { signIn, type Session } from '../session.js';

export function SignIn(props: { notice: string | null; onSignedIn: (session: Session) => void }): JSX.Element {
  const [secret, setSecret] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    if (secret.trim() === '') {
      setError(new ApiError(400, 'VALIDATION_FAILED', 'Enter an API key.', [{ path: 'key', message: 'required' }]));
      return;
    }
    setBusy(true);
    try {
      props.onSignedIn(await signIn(secret));
    } catch (e) {
      if (e instanceof ApiError && e.status === 403) setError(new ApiError(403, e.code, 'This is an SDK key. Sign in with an admin, writer, responder or reader key.', []));
      else setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="sign-in">
      <form onSubmit={(e) => void submit(e)} class="card" aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Switchyard</h1>
        <p>Sign in with an API key. What you can do here depends on the key's kind.</p>
        {props.notice === null ? null : (
          <p class="notice" role="status">
            {props.notice}
          </p>
        )}
        <ErrorSummary error={error} title="Cannot sign in:" claimed={() => true} />
        <TextField
          label="API key"
          type="password"
          autoComplete="off"
          spellcheck={false}
          value={secret}
          onInput={setSecret}
          hint="Kept in this browser tab only (sessionStorage) and sent as Authorization: Bearer."
        />
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
