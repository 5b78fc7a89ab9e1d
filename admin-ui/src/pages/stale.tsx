import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, type FlagView } from '../api.js';
import { Dialog } from '../components/dialog.js';
import { ErrorSummary } from '../components/fields.js';
import { useResource } from '../data.js';
import { date, relative } from '../format.js';
import { useLive } from '../live.js';
import { Link } from '../router.js';
import { can, type Session } from '../session.js';

const UNUSED_DAYS = 30;
const DAY_MS = 86_400_000;

interface StaleFlag {
  readonly flag: FlagView;
  readonly reasons: string[];
  readonly lastEvaluatedAt: string | null;
}

async function loadStale(signal: AbortSignal): Promise<StaleFlag[]> {
  const [stale, all, usage] = await Promise.all([
    api<{ flags: FlagView[] }>('GET', '/flags', { signal, query: { stale: 'true' } }),
    api<{ flags: FlagView[] }>('GET', '/flags', { signal }),
    api<{ flags: { key: string; lastEvaluatedAt: string }[] }>('GET', '/sdk/usage', { signal }),
  ]);
  const lastEvaluated = new Map(usage.flags.map((u) => [u.key, u.lastEvaluatedAt]));
  const byKey = new Map<string, StaleFlag>();
  const now = Date.now();
  for (const f of stale.flags) {
    const reasons: string[] = [];
    if (f.staleReasons?.includes('expired')) reasons.push(`expired ${relative(f.expiresAt)}`);
    if (f.staleReasons?.includes('fully-rolled-out')) reasons.push(`fully rolled out in ${(f.fullyRolledOutIn ?? []).join(', ')} and unchanged for 30 days`);
    byKey.set(f.key, { flag: f, reasons, lastEvaluatedAt: lastEvaluated.get(f.key) ?? null });
  }
  // Unused: older than 30 days and no evaluation reported by any SDK in the last 30 days.
  for (const f of all.flags) {
    const last = lastEvaluated.get(f.key) ?? null;
    const old = now - Date.parse(f.createdAt) > UNUSED_DAYS * DAY_MS;
    if (!old || (last !== null && now - Date.parse(last) < UNUSED_DAYS * DAY_MS)) continue;
    const entry = byKey.get(f.key) ?? { flag: f, reasons: [], lastEvaluatedAt: last };
    entry.reasons.push(last === null ? 'never evaluated by an SDK that reports metrics' : `not evaluated for ${relative(last).replace(' ago', '')}`);
    byKey.set(f.key, entry);
  }
  return [...byKey.values()].sort((a, b) => a.flag.owner.localeCompare(b.flag.owner) || a.flag.key.localeCompare(b.flag.key));
}

export function StalePage(props: { session: Session }): JSX.Element {
  const stale = useResource(loadStale, []);
  const [archiving, setArchiving] = useState<FlagView | null>(null);
  const [error, setError] = useState<unknown>(null);
  useLive(
    (c) => c.kind === 'flag',
    () => void stale.reload(),
  );
  const owners = new Map<string, StaleFlag[]>();
  for (const s of stale.data ?? []) owners.set(s.flag.owner, [...(owners.get(s.flag.owner) ?? []), s]);

  const archive = async (flag: FlagView): Promise<void> => {
    try {
      await api('DELETE', `/flags/${encodeURIComponent(flag.key)}`, { version: flag.version });
      setArchiving(null);
      await stale.reload();
    } catch (e) {
      setArchiving(null);
      setError(e);
    }
  };

  return (
    <main id="main" class="page">
      <h1>Stale flags</h1>
      <p>
        Flags past their expiry date, temporary flags fully rolled out and unchanged for 30 days, and flags no SDK evaluated for 30 days: ask their owners to remove them from code, then archive them.
      </p>
      <ErrorSummary error={stale.error ?? error} title="Problem:" />
      {stale.data === undefined ? <p>Loading…</p> : null}
      {stale.data !== undefined && stale.data.length === 0 ? <p class="empty">No stale flags. Nice.</p> : null}
      {stale.data !== undefined && stale.data.length > 0 ? (
        <p class="count">
          {stale.data.length} stale {stale.data.length === 1 ? 'flag' : 'flags'} across {owners.size} {owners.size === 1 ? 'owner' : 'owners'}
        </p>
      ) : null}
      {[...owners].map(([owner, items]) => (
        <section key={owner} class="owner-group" aria-labelledby={`owner-${owner}`}>
          <h2 id={`owner-${owner}`}>
            {owner} <span class="sub">({items.length})</span>
          </h2>
          <div class="table-wrap">
            <table class="cards">
              <thead>
                <tr>
                  <th scope="col">Flag</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Why stale</th>
                  <th scope="col">Expires</th>
                  <th scope="col">Last evaluated</th>
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {items.map((s) => (
                  <tr key={s.flag.key}>
                    <td data-label="Flag">
                      <Link href={`/flags/${encodeURIComponent(s.flag.key)}`} class="flag-key">
                        {s.flag.key}
                      </Link>
                    </td>
                    <td data-label="Kind">{s.flag.kind}</td>
                    <td data-label="Why stale">
                      <ul class="reasons">
                        {s.reasons.map((r) => (
                          <li key={r}>{r}</li>
                        ))}
                      </ul>
                    </td>
                    <td data-label="Expires" class={s.flag.staleReasons?.includes('expired') === true ? 'overdue' : undefined}>
                      {date(s.flag.expiresAt)}
                    </td>
                    <td data-label="Last evaluated">{s.lastEvaluatedAt === null ? 'never' : relative(s.lastEvaluatedAt)}</td>
                    <td data-label="Actions">
                      {can(props.session, 'write') ? (
                        <button type="button" class="danger-text" onClick={() => setArchiving(s.flag)}>
                          Archive {s.flag.key}
                        </button>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      ))}
      <Dialog open={archiving !== null} title={`Archive ${archiving?.key ?? ''}?`} tone="danger" onClose={() => setArchiving(null)}>
        <p>SDKs stop receiving it and evaluate it as unknown (the caller's default). Make sure no code reads it any more.</p>
        <div class="actions">
          <button type="button" class="danger" onClick={() => archiving !== null && void archive(archiving)}>
            Archive flag
          </button>
          <button type="button" onClick={() => setArchiving(null)}>
            Cancel
          </button>
        </div>
      </Dialog>
    </main>
  );
}
