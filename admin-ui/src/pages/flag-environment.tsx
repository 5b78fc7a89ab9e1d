import type { EnvironmentConfig } from '@switchyard/core';
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, type AuditEntry, type Connection, type EnvironmentView, type FlagEnvironmentView, type FlagView, type SegmentView } from '../api.js';
import { conflictOf, ConflictBanner, mergeOnTop, type ConflictInfo } from '../components/conflict.js';
import { Checkbox, ErrorSummary, errorsFor } from '../components/fields.js';
import { ReasonDialog } from '../components/kill.js';
import { Propagation } from '../components/propagation.js';
import { RolloutSlider } from '../components/rollout-slider.js';
import { TargetingEditor, targetingClaims } from '../components/targeting-editor.js';
import { useResource } from '../data.js';
import { actionName, dateTime, percent, plural, relative } from '../format.js';
import { href, Link } from '../router.js';
import { can, type Session } from '../session.js';
import { PowerIcon } from '../components/icons.js';

interface Snapshot {
  readonly config: EnvironmentConfig;
  readonly version: number;
}

interface Conflict {
  readonly info: ConflictInfo;
  readonly kind: 'save' | 'quick';
  readonly theirs?: Snapshot;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function RecentChanges(props: { flagKey: string; env: string; version: number }): JSX.Element {
  const entries = useResource(
    (signal) => api<{ entries: AuditEntry[] }>('GET', '/audit', { signal, query: { flag: props.flagKey, env: props.env, limit: 5 } }).then((r) => r.entries),
    [props.flagKey, props.env, props.version],
  );
  return (
    <section class="recent" aria-labelledby={`recent-${props.env}`}>
      <h3 id={`recent-${props.env}`}>Recent changes here</h3>
      {entries.data === undefined ? <p>Loading…</p> : entries.data.length === 0 ? <p class="hint">No changes yet.</p> : null}
      <ol>
        {(entries.data ?? []).map((e) => (
          <li key={e.id}>
            <time dateTime={e.at} title={dateTime(e.at)}>
              {relative(e.at)}
            </time>{' '}
            <strong>{e.actor}</strong> {actionName(e.action)}
            {e.reason === null ? '' : `: ${e.reason}`}
          </li>
        ))}
      </ol>
      <Link href={href('/audit', { flag: props.flagKey, env: props.env })}>Full history in the audit log</Link>
    </section>
  );
}

export function EnvironmentPanel(props: {
  flag: FlagView;
  env: EnvironmentView;
  session: Session;
  segments: readonly SegmentView[];
  flags: readonly FlagView[];
  onReload: () => Promise<void>;
  onDirty: (dirty: boolean) => void;
}): JSX.Element {
  const { flag, env, session } = props;
  const summary = flag.environments[env.key];
  const path = `/flags/${encodeURIComponent(flag.key)}/environments/${encodeURIComponent(env.key)}`;
  const serverConfig = summary?.config;

  const [base, setBase] = useState<Snapshot | null>(serverConfig === undefined || summary === undefined ? null : { config: serverConfig, version: summary.version });
  const [draft, setDraft] = useState<EnvironmentConfig | undefined>(serverConfig);
  const [editorKey, setEditorKey] = useState(0);
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [propagation, setPropagation] = useState<{ revision: number; action: string } | null>(null);
  const [dialog, setDialog] = useState<'kill' | 'restore' | null>(null);
  const [busy, setBusy] = useState(false);
  // The switch shows the state asked for while the write is in flight (it does not snap back).
  const [pendingEnabled, setPendingEnabled] = useState<boolean | null>(null);
  const connections = useResource(
    (signal) => api<{ connections: Connection[] }>('GET', '/sdk/connections', { signal, query: { env: env.key } }).then((r) => r.connections.length),
    [env.key, propagation?.revision],
  );

  const dirty = base !== null && draft !== undefined && !same(base.config, draft);
  useEffect(() => props.onDirty(dirty), [dirty]);

  const reset = (snapshot: Snapshot): void => {
    setBase(snapshot);
    setDraft(snapshot.config);
    setEditorKey((k) => k + 1);
  };

  // A change by anyone (seen live): shown at once unless this user has unsaved edits, which are kept.
  const serverVersion = summary?.version;
  useEffect(() => {
    if (summary === undefined || serverConfig === undefined) return;
    if (base === null || (!dirty && (base.version !== summary.version || !same(base.config, serverConfig)))) reset({ config: serverConfig, version: summary.version });
  }, [serverVersion, JSON.stringify(serverConfig)]);

  if (summary === undefined || base === null || draft === undefined) return <p>This flag has no configuration in {env.name} yet.</p>;

  const killed = summary.killed;
  const canWrite = can(session, 'write');
  const canKill = can(session, 'kill');
  const newerOnServer = dirty && summary.version !== base.version;

  const adopt = (view: FlagEnvironmentView, message: string): void => {
    reset({ config: view.config, version: view.version });
    setConflict(null);
    setError(null);
    const warnings = (view.warnings ?? []).map((w) => (typeof w === 'string' ? w : w.message));
    setNotice(warnings.length === 0 ? message : `${message} Note: ${warnings.join('; ')}.`);
    void props.onReload();
  };

  const fail = async (e: unknown, kind: Conflict['kind']): Promise<void> => {
    const info = conflictOf(e);
    if (info === null) {
      setError(e);
      return;
    }
    setError(null);
    setConflict({ info, kind });
    try {
      const theirs = await api<FlagEnvironmentView>('GET', path);
      setConflict({ info, kind, theirs: { config: theirs.config, version: theirs.version } });
    } catch (err) {
      setError(err);
    }
  };

  const run = async (kind: Conflict['kind'], action: () => Promise<void>): Promise<void> => {
    setBusy(true);
    setNotice(null);
    try {
      await action();
    } catch (e) {
      await fail(e, kind);
    } finally {
      setBusy(false);
    }
  };

  const toggle = async (enabled: boolean): Promise<void> => {
    setPendingEnabled(enabled);
    try {
      await run('quick', async () => {
        const view = await api<FlagEnvironmentView>('PUT', path, { body: { ...base.config, enabled }, version: base.version });
        adopt(view, `${flag.key} is now ${enabled ? 'on' : 'off'} in ${env.name}.`);
      });
    } finally {
      setPendingEnabled(null);
    }
  };

  const rollout = (percentage: number): Promise<void> =>
    run('quick', async () => {
      const view = await api<FlagEnvironmentView>('POST', `${path}/rollout`, { body: { percentage }, version: base.version });
      adopt(view, `Rollout in ${env.name} set to ${percent(percentage)}.`);
    });

  const save = (): Promise<void> =>
    run('save', async () => {
      const view = await api<FlagEnvironmentView>('PUT', path, { body: draft, version: base.version });
      adopt(view, `Saved the targeting of ${flag.key} in ${env.name}.`);
    });

  const discard = (): void => {
    reset({ config: serverConfig ?? base.config, version: summary.version });
    setError(null);
    setNotice(null);
  };

  const errors = errorsFor(error);
  const quickDisabledReason = !canWrite
    ? `Your ${session.key.kind} key cannot change flags.`
    : dirty
      ? 'Save or discard your targeting edits below first.'
      : undefined;

  return (
    <div class="env-panel">
      {killed === null ? null : (
        <section class="killed-banner" aria-label={`Killed in ${env.name}`}>
          <p>
            <strong>
              <PowerIcon /> Killed in {env.name}
            </strong> by {killed.actor}{' '}
            <time dateTime={killed.at} title={dateTime(killed.at)}>
              {relative(killed.at)}
            </time>
            : {killed.reason}. Everyone gets <code>{base.config.offVariant}</code>.
          </p>
          <button type="button" class="primary" disabled={!canKill} onClick={() => setDialog('restore')}>
            Restore
          </button>
        </section>
      )}
      {conflict === null ? null : (
        <ConflictBanner
          info={conflict.info}
          base={base.config}
          theirs={conflict.theirs?.config}
          {...(conflict.kind === 'save' ? { mine: draft } : {})}
          {...(conflict.kind === 'save'
            ? {
                onRetry: () => {
                  const theirs = conflict.theirs;
                  if (theirs === undefined) return;
                  const merged = mergeOnTop(base.config, draft, theirs.config);
                  setBase(theirs);
                  setDraft(merged);
                  setEditorKey((k) => k + 1);
                  setConflict(null);
                  setNotice(`Your changes are now on top of ${conflict.info.by ?? 'their'} version ${theirs.version}. Review them and save again.`);
                },
              }
            : {})}
          onDiscard={() => {
            if (conflict.theirs !== undefined) reset(conflict.theirs);
            setConflict(null);
            void props.onReload();
          }}
          busy={busy}
        />
      )}
      {newerOnServer && conflict === null ? (
        <p class="notice warn" role="status">
          Someone changed {flag.key} in {env.name} since you opened it (now version {summary.version}). Your unsaved edits are kept; saving will ask you to review their change.
        </p>
      ) : null}
      {notice === null ? null : (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      {propagation === null ? null : <Propagation key={propagation.revision} env={env.key} envName={env.name} revision={propagation.revision} action={propagation.action} />}
      {conflict === null ? <ErrorSummary error={error} claimed={targetingClaims} /> : null}

      <div class="quick">
        <section class="card switch-card" aria-label={`On or off in ${env.name}`}>
          <Checkbox
            role="switch"
            label={<span class="switch-label">Enabled in {env.name}</span>}
            ariaLabel={`Enabled in ${env.name}`}
            checked={pendingEnabled ?? base.config.enabled}
            disabled={busy || killed !== null || quickDisabledReason !== undefined}
            onChange={(on) => void toggle(on)}
          />
          <p class="hint">
            {killed !== null
              ? 'Killed: restore it instead of switching it on.'
              : base.config.enabled
                ? 'On: targeting below decides what each context gets.'
                : `Off: everyone gets ${base.config.offVariant}.`}
          </p>
        </section>
        <section class="card kill-card" aria-label={`Kill switch for ${env.name}`}>
          {killed === null ? (
            <button type="button" class="kill" disabled={!canKill} onClick={() => setDialog('kill')}>
              <PowerIcon /> Kill switch
            </button>
          ) : (
            <p class="killed-note">
              <PowerIcon /> Killed — restore it from the banner above.
            </p>
          )}
          <p class="hint">
            {connections.data === undefined ? 'Counting connected SDKs…' : `${plural(connections.data, 'SDK')} connected to ${env.name}.`}
            {canKill ? '' : ` Your ${session.key.kind} key cannot kill or restore.`}
          </p>
        </section>
      </div>

      <RolloutSlider
        flagKey={flag.key}
        env={env.key}
        envName={env.name}
        config={base.config}
        summary={summary}
        variants={flag.variants}
        disabled={quickDisabledReason !== undefined}
        disabledReason={quickDisabledReason ?? (killed !== null ? 'The flag is killed: a new rollout takes effect after the restore.' : undefined)}
        onApply={rollout}
      />

      <section class="targeting-card" aria-labelledby={`targeting-${env.key}`}>
        <h2 id={`targeting-${env.key}`}>Targeting in {env.name}</h2>
        <TargetingEditor
          key={editorKey}
          config={draft}
          ctx={{ flag, segments: props.segments, flags: props.flags, errors, disabled: !canWrite || busy }}
          onChange={(config) => setDraft(config)}
        />
        {errors('enabled') === undefined ? null : <p class="field-error">{errors('enabled')}</p>}
      </section>

      {canWrite ? (
        <div class={`savebar${dirty ? ' dirty' : ''}`}>
          <span aria-live="polite">{dirty ? `Unsaved changes in ${env.name}` : 'No unsaved changes'}</span>
          <button type="button" class="primary" disabled={!dirty || busy} onClick={() => void save()}>
            Save changes
          </button>
          <button type="button" disabled={!dirty || busy} onClick={discard}>
            Discard changes
          </button>
        </div>
      ) : null}

      <RecentChanges flagKey={flag.key} env={env.key} version={summary.version} />

      <ReasonDialog
        open={dialog !== null}
        mode={dialog ?? 'kill'}
        flagKey={flag.key}
        env={env.key}
        envName={env.name}
        offVariant={base.config.offVariant}
        onClose={() => setDialog(null)}
        onDone={(result) => {
          const action = dialog === 'restore' ? 'Restore' : 'Kill';
          setDialog(null);
          setNotice(null);
          setPropagation({ revision: result.revision, action: result.alreadyKilled === true ? 'Kill (already killed)' : action });
          void props.onReload();
        }}
      />
    </div>
  );
}
