/**
 * Questions one replica asks all the others, for views that span the fleet (the SDKs connected to
 * every replica, and whether they all applied a revision). Over Redis when it is configured; a lone
 * replica has no peers.
 */
export type PeerQuestion =
  | { readonly kind: 'connections'; readonly environment?: string }
  | { readonly kind: 'acks'; readonly environments: readonly string[] | 'all'; readonly revision: number; readonly timeoutMs: number };

/** What asking the other replicas brought back. */
export interface PeerAnswers {
  /** The other replicas that got the question; null when that is unknown (Redis unreachable). */
  readonly asked: number | null;
  /** Their answers, as sent: each answerer checks nothing about the asker, the asker checks their shape. */
  readonly answers: readonly unknown[];
}

export interface ReplicaPeers {
  /** Asks every other replica; resolves once all answered or after `timeoutMs`. Never rejects. */
  ask(question: PeerQuestion, timeoutMs: number): Promise<PeerAnswers>;
  /** Answers the other replicas' questions (one handler; a later one replaces it). Returns the remover. */
  answer(handler: (question: PeerQuestion) => Promise<unknown>): () => void;
}

/** A well-formed question from another replica, or undefined. */
export function peerQuestion(value: unknown): PeerQuestion | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const q = value as Record<string, unknown>;
  if (q.kind === 'connections') return typeof q.environment === 'string' ? { kind: 'connections', environment: q.environment } : { kind: 'connections' };
  if (q.kind !== 'acks' || typeof q.revision !== 'number' || typeof q.timeoutMs !== 'number') return undefined;
  const environments = q.environments === 'all' ? 'all' : Array.isArray(q.environments) && q.environments.every((e) => typeof e === 'string') ? (q.environments as string[]) : undefined;
  if (environments === undefined) return undefined;
  return { kind: 'acks', environments, revision: q.revision, timeoutMs: Math.max(0, Math.min(q.timeoutMs, 60_000)) };
}
