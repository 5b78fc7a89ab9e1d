import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { setUnauthorizedHandler } from './api.js';
import { connectLive, disconnectLive, liveStatus, onLiveStatus, type LiveStatus } from './live.js';
import { Link, match, navigate, useLocation } from './router.js';
import { describeKind, resume, signOut, type Session } from './session.js';
import { AuditPage } from './pages/audit.js';
import { EnvironmentsPage } from './pages/environments.js';
import { FlagPage } from './pages/flag-page.js';
import { FlagsPage } from './pages/flags-list.js';
import { NewFlagPage } from './pages/flag-new.js';
import { KeysPage } from './pages/keys.js';
import { SegmentPage, SegmentsPage } from './pages/segments.js';
import { SignIn } from './pages/sign-in.js';
import { StalePage } from './pages/stale.js';

const NAV: readonly { href: string; label: string; admin?: boolean }[] = [
  { href: '/flags', label: 'Flags' },
  { href: '/stale', label: 'Stale flags' },
  { href: '/audit', label: 'Audit log' },
  { href: '/segments', label: 'Segments' },
  { href: '/environments', label: 'Environments' },
  { href: '/keys', label: 'API keys', admin: true },
];

function LiveIndicator(): JSX.Element {
  const [status, setStatus] = useState<LiveStatus>(liveStatus());
  useEffect(() => {
    const unsubscribe = onLiveStatus(setStatus);
    // The status may have moved between the first render and this subscription.
    setStatus(liveStatus());
    return unsubscribe;
  }, []);
  const text = status === 'live' ? 'Live' : status === 'off' ? 'Offline' : status === 'connecting' ? 'Connecting…' : 'Reconnecting…';
  return (
    <span class={`live live-${status}`} role="status" title="Changes by others appear here without reloading">
      <span class="dot" aria-hidden="true" />
      {text}
    </span>
  );
}

function Page(props: { session: Session; path: string; query: URLSearchParams }): JSX.Element {
  const { session, path, query } = props;
  let params: Record<string, string> | null;
  if (path === '/' || path === '/flags') return <FlagsPage session={session} query={query} />;
  if (path === '/flags/new') return <NewFlagPage session={session} />;
  if ((params = match('/flags/:key', path)) !== null) return <FlagPage key={params.key} session={session} flagKey={params.key ?? ''} query={query} />;
  if (path === '/stale') return <StalePage session={session} />;
  if (path === '/audit') return <AuditPage session={session} query={query} />;
  if (path === '/segments') return <SegmentsPage session={session} />;
  if (path === '/segments/new') return <SegmentPage session={session} segmentKey={null} />;
  if ((params = match('/segments/:key', path)) !== null) return <SegmentPage key={params.key} session={session} segmentKey={params.key ?? ''} />;
  if (path === '/environments') return <EnvironmentsPage session={session} />;
  if (path === '/keys') return <KeysPage session={session} />;
  return (
    <main id="main" class="page">
      <h1>Not found</h1>
      <p>
        There is no page at <code>{path}</code>. <Link href="/flags">Go to the flags</Link>.
      </p>
    </main>
  );
}

export function App(): JSX.Element {
  const location = useLocation();
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [notice, setNotice] = useState<string | null>(null);

  const end = (message: string | null): void => {
    signOut();
    disconnectLive();
    setSession(null);
    setNotice(message);
  };

  useEffect(() => {
    setUnauthorizedHandler((error) => end(`Signed out: ${error.message}.`));
    void resume().then((resumed) => {
      setSession(resumed);
      if (resumed !== null) connectLive(resumed.token, () => end('Signed out: this API key was revoked.'));
    });
  }, []);

  useEffect(() => {
    const title = NAV.find((n) => location.path.startsWith(n.href))?.label;
    document.title = title === undefined ? 'Switchyard' : `${title} · Switchyard`;
  }, [location.path]);

  if (session === undefined) return <p class="loading">Loading…</p>;
  if (session === null) {
    return (
      <SignIn
        notice={notice}
        onSignedIn={(s) => {
          setNotice(null);
          setSession(s);
          connectLive(s.token, () => end('Signed out: this API key was revoked.'));
          if (location.path === '/') navigate('/flags', { replace: true });
        }}
      />
    );
  }

  const isAdmin = session.permissions.includes('admin');
  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <Link href="/flags" class="brand">
          Switchyard
        </Link>
        <nav aria-label="Main">
          <ul>
            {NAV.filter((n) => n.admin !== true || isAdmin).map((n) => (
              <li key={n.href}>
                <Link href={n.href} aria-current={location.path === n.href || (n.href !== '/' && location.path.startsWith(`${n.href}/`)) ? 'page' : undefined}>
                  {n.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <LiveIndicator />
          <span class="key-name" title={`${session.key.kind} key: ${describeKind(session.key.kind)}`}>
            {session.key.name} <span class={`kind kind-${session.key.kind}`}>{session.key.kind}</span>
          </span>
          <button type="button" class="link-button" onClick={() => end(null)}>
            Sign out
          </button>
        </div>
      </header>
      {session.permissions.includes('write') ? null : (
        <p class="readonly-note" role="note">
          Signed in with a {session.key.kind} key: {describeKind(session.key.kind)}.
        </p>
      )}
      <Page session={session} path={location.path} query={location.query} />
    </div>
  );
}
