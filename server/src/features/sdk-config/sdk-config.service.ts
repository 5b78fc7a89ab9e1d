import { clientView, segmentReferences, type ConfigSnapshot, type FlagConfig, type Segment } from '@switchyard/core';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { RevisionTracker } from '../../plugins/revisions.js';
import { readEnvironmentState, type EnvironmentState } from './sdk-config.store.js';

/** Who a snapshot is for: server SDKs see everything; browser keys see client-side flags, keys hashed. */
export type Audience = 'server' | 'client';

/** A serialised snapshot, ready to send as is. */
export interface SnapshotEntry {
  readonly revision: number;
  readonly etag: string;
  readonly body: Buffer;
  /** When the database was read (ms since epoch), and the revision that read was asked to reach. */
  readonly readAt: number;
  readonly soughtRevision: number;
}

// An ETag naming a revision the database does not have (fabricated, or from another installation)
// would otherwise cost a database read per request; one read per this window proves it is not there.
const RECHECK_MS = 100;

export interface SdkConfigService {
  /** The strong ETag of the snapshot of `environment` for `audience` at `revision`. */
  etag(revision: number, environment: string, audience: Audience): string;
  /**
   * The snapshot at (at least) the tracker's latest revision: cached, or built once for all waiters.
   * `seen` is a revision the client already has (from its ETag): if it is newer than ours, another
   * replica is ahead and we re-read rather than send the client back in time.
   */
  snapshot(environment: string, audience: Audience, seen?: number): Promise<SnapshotEntry>;
  /** The revision named by one of our ETags, or undefined. */
  revisionOf(etag: string | undefined): number | undefined;
}

/** The salt of the hashed key lists sent to browsers; SDKs read it from the snapshot's `keyHashSalt`. */
export function keyHashSalt(environment: string): string {
  return `switchyard:${environment}`;
}

/** Segments a set of flags can reach through `inSegment`, following segments that reference segments. */
function reachableSegments(flags: readonly FlagConfig[], segments: readonly Segment[]): Segment[] {
  const byKey = new Map(segments.map((s) => [s.key, s]));
  const seen = new Set<string>();
  const queue: string[] = [];
  for (const flag of flags) queue.push(...segmentReferences(flag));
  while (queue.length > 0) {
    const key = queue.pop() as string;
    if (seen.has(key)) continue;
    seen.add(key);
    const segment = byKey.get(key);
    if (segment !== undefined) queue.push(...segmentReferences(segment));
  }
  return segments.filter((s) => seen.has(s.key));
}

/**
 * What a browser may see: client-side flags only (the store already filtered), the segments they use,
 * and key lists (targets, segments, `key in [...]` clauses) replaced by hashes (core's clientView), so
 * a page does not list user ids in the clear.
 */
export function clientSnapshot(environment: string, state: EnvironmentState): ConfigSnapshot {
  const salt = keyHashSalt(environment);
  const { flags, segments } = clientView(state.flags, reachableSegments(state.flags, state.segments), salt);
  return { environment, revision: state.revision, flags, segments, keyHashSalt: salt };
}

export function createSdkConfigService(deps: { db: Kysely<Database>; revisions: RevisionTracker }): SdkConfigService {
  const { db, revisions } = deps;
  const cache = new Map<string, SnapshotEntry>();
  const building = new Map<string, { from: number; promise: Promise<SnapshotEntry> }>();
  const etag = (revision: number, environment: string, audience: Audience): string => `"r${revision}-${environment}-${audience}"`;

  const build = async (environment: string, audience: Audience, sought: number): Promise<SnapshotEntry> => {
    const state = await readEnvironmentState(db, environment, { clientSideOnly: audience === 'client' });
    const snapshot: ConfigSnapshot = audience === 'client' ? clientSnapshot(environment, state) : { environment, revision: state.revision, flags: state.flags, segments: state.segments };
    // The database may be ahead of the tracker (a change committed on another replica).
    revisions.observe(state.revision);
    return { revision: state.revision, etag: etag(state.revision, environment, audience), body: Buffer.from(JSON.stringify(snapshot)), readAt: Date.now(), soughtRevision: sought };
  };

  return {
    etag,
    revisionOf(tag) {
      const match = tag === undefined ? null : /^(?:W\/)?"r(\d{1,15})-/.exec(tag.trim());
      return match === null ? undefined : Number(match[1]);
    },
    async snapshot(environment, audience, seen = 0) {
      const id = `${environment}\u0000${audience}`;
      const cached = cache.get(id);
      const provenMissing = cached !== undefined && cached.soughtRevision >= seen && Date.now() - cached.readAt < RECHECK_MS;
      const latest = Math.max(revisions.latest(), provenMissing ? 0 : seen);
      if (cached !== undefined && cached.revision >= latest) return cached;
      // One build per environment and audience at a time: after a change, every polling SDK misses
      // the cache at once, and they must not each run the same queries.
      const pending = building.get(id);
      if (pending !== undefined && pending.from >= latest) return pending.promise;
      const promise = build(environment, audience, latest).then((entry) => {
        const current = cache.get(id);
        if (current === undefined || current.revision <= entry.revision) cache.set(id, entry);
        return entry;
      });
      const flight = { from: latest, promise };
      building.set(id, flight);
      try {
        return await promise;
      } finally {
        if (building.get(id) === flight) building.delete(id);
      }
    },
  };
}
