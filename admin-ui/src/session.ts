import { api, setToken, type KeyKind, type Permission } from './api.js';

const STORAGE_KEY = 'switchyard.apiKey';

/** Who is signed in: the key's own description, from GET /api/v1/keys/current. */
export interface Session {
  readonly token: string;
  readonly key: { readonly id: string; readonly name: string; readonly kind: KeyKind; readonly environment: string | null };
  readonly permissions: readonly Permission[];
}

/** Checks a key with the server and keeps it for this tab only (sessionStorage). */
export async function signIn(secret: string): Promise<Session> {
  const token = secret.trim();
  const who = await api<Omit<Session, 'token'>>('GET', '/keys/current', { token });
  setToken(token);
  try {
    sessionStorage.setItem(STORAGE_KEY, token);
  } catch {
    // Storage disabled: the session lasts until the page reloads.
  }
  return { token, ...who };
}

/** The key kept by an earlier sign-in in this tab, checked again. */
export async function resume(): Promise<Session | null> {
  let token: string | null = null;
  try {
    token = sessionStorage.getItem(STORAGE_KEY);
  } catch {
    token = null;
  }
  if (token === null || token === '') return null;
  try {
    return await signIn(token);
  } catch {
    signOut();
    return null;
  }
}

export function signOut(): void {
  setToken(null);
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // nothing kept
  }
}

export function can(session: Session | null, permission: Permission): boolean {
  return session !== null && session.permissions.includes(permission);
}

/** What a key kind may do, in words, for the header and read-only notes. */
export function describeKind(kind: KeyKind): string {
  switch (kind) {
    case 'admin':
      return 'everything, including API keys and environments';
    case 'writer':
      return 'flags, segments, rollouts and kill switches';
    case 'responder':
      return 'kill switches and restores; everything else is read-only';
    case 'reader':
      return 'read-only';
    default:
      return 'nothing here (SDK key)';
  }
}
