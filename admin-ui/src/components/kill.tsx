import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, type KillResult } from '../api.js';
import { ErrorSummary, errorsFor, TextArea } from './fields.js';
import { Dialog } from './dialog.js';

/** The reason dialog shared by kill and restore; resolves with the write's result. */
export function ReasonDialog(props: {
  open: boolean;
  mode: 'kill' | 'restore';
  flagKey: string;
  env: string;
  envName: string;
  offVariant: string;
  onClose: () => void;
  onDone: (result: KillResult) => void;
}): JSX.Element | null {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const kill = props.mode === 'kill';
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      // Deliberately without If-Match: in an incident the kill must win over whatever changed since
      // the page loaded; the audit log records both.
      const result = await api<KillResult>('POST', `/flags/${encodeURIComponent(props.flagKey)}/environments/${encodeURIComponent(props.env)}/${props.mode}`, { body: { reason } });
      setReason('');
      props.onDone(result);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog open={props.open} title={kill ? `Kill ${props.flagKey} in ${props.envName}` : `Restore ${props.flagKey} in ${props.envName}`} tone={kill ? 'danger' : 'normal'} onClose={props.onClose}>
      <form onSubmit={(e) => void submit(e)}>
        {kill ? (
          <p>
            Everyone in {props.envName} gets the off variant <code>{props.offVariant}</code> at once, and running rollout plans pause. Restore returns the flag to its state before the kill.
          </p>
        ) : (
          <p>The flag returns to its state before the kill (on or off as it was) in {props.envName}.</p>
        )}
        <ErrorSummary error={error} title={kill ? 'Not killed:' : 'Not restored:'} claimed={(p) => p === 'reason'} />
        <TextArea label="Reason" value={reason} onInput={setReason} required rows={2} hint="An incident id or a sentence; recorded in the audit log." error={errorsFor(error)('reason')} />
        <div class="actions">
          <button type="submit" class={kill ? 'danger' : 'primary'} disabled={busy}>
            {busy ? (kill ? 'Killing…' : 'Restoring…') : kill ? 'Kill flag' : 'Restore flag'}
          </button>
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
