import type { PatchMessage, ServerMessage, SnapshotMessage } from '@switchyard/core';
import { CLOSE_CODES, OPERATORS, type Operator } from '@switchyard/core';
import type { WebSocket } from 'ws';
import type { Principal } from '../../plugins/auth.js';
import type { CommittedFlag } from '../../plugins/changes.js';

/** Who receives what: client keys get the filtered, hashed view of an environment. */
export type Audience = 'server' | 'client';

/** Reads what the stream sends; backed by the same queries as GET /api/v1/sdk/config. */
export interface StreamSource {
  snapshot(environment: string, audience: Audience): Promise<SnapshotMessage>;
  /** Flags and segments changed after `since`, as a patch at the latest revision (possibly empty). */
  changesSince(environment: string, audience: Audience, since: number): Promise<PatchMessage>;
  /**
   * The patch from `revision - 1` to `revision` when all that changed is `flags` (as committed),
   * without reading, and its protocol-2 form (`updates`: the changed fields only) when there is one;
   * undefined when the audience needs more than that (a browser key must be told to drop a flag that
   * is no longer client-side).
   */
  committed?(environment: string, audience: Audience, revision: number, flags: readonly CommittedFlag[]): CommittedPatch | undefined;
}

/** A committed change as a patch of whole flags (any SDK), and of changed fields (protocol 2 and later). */
export interface CommittedPatch {
  readonly patch: PatchMessage;
  readonly updates?: PatchMessage | undefined;
}

/** What the hub hears about a committed change (see Change in plugins/changes.ts). */
export interface ChangeNotice {
  readonly revision: number;
  readonly environments: readonly string[] | 'all';
  /** The changed flags' configs before and after, when the commit happened in this process. */
  readonly flags?: readonly CommittedFlag[] | undefined;
}

/** One connected SDK, as listed by GET /api/v1/sdk/connections. */
export interface ConnectionInfo {
  readonly id: string;
  readonly keyId: string;
  readonly keyName: string;
  readonly keyKind: string;
  readonly environment: string;
  readonly sdk: { readonly name: string; readonly version: string };
  readonly protocol: number;
  readonly instance: string | null;
  readonly address: string;
  readonly connectedAt: string;
  readonly sentRevision: number;
  readonly appliedRevision: number | null;
  readonly lag: number;
  readonly replica: string;
}

export interface Connection {
  readonly id: string;
  readonly socket: WebSocket;
  readonly principal: Principal & { readonly environment: string };
  readonly audience: Audience;
  readonly sdk: { readonly name: string; readonly version: string };
  readonly protocol: number;
  readonly instance: string | null;
  readonly address: string;
  /** Epoch milliseconds. */
  readonly connectedAt: number;
  sentRevision: number;
  appliedRevision: number | null;
}

/** What `waitForAcks` reports, and the audit row records. */
export interface Propagation {
  readonly revision: number;
  readonly applied: number;
  readonly total: number;
  readonly waitedMs: number;
  readonly lagging: readonly { readonly id: string; readonly sdk: string; readonly keyName: string; readonly instance: string | null; readonly appliedRevision: number | null }[];
}

interface Group {
  readonly environment: string;
  readonly audience: Audience;
  readonly members: Set<Connection>;
  /** Revision up to which every member has been sent the changes. */
  revision: number;
  queue: Promise<void>;
  /** Tasks queued or running: while any is, a change goes through the queue too. */
  busy: number;
  dirty: boolean;
  /**
   * Patches read for resuming SDKs, by the revision they resume from, while the tracker's latest
   * revision is `resumesAt`: a thousand SDKs reconnecting at the same revision share one read.
   */
  resumes: Map<number, PatchMessage>;
  resumesAt: number;
}

/** Most resume patches remembered per group (distinct revisions SDKs resume from at one time). */
const MAX_RESUMES = 64;
/** Revisions remembered with the environments they touched (see StreamHub.notified). */
const MAX_NOTIFIED = 1024;
/** The first protocol version whose SDKs apply a patch's `updates`. */
const UPDATES_PROTOCOL = 2;

/** Every frame the hub writes is sent as text (a Buffer would otherwise go out as a binary frame). */
const TEXT = { binary: false } as const;

/** A pending waitForAcks: the connections it still waits for, kept current as acks come in. */
interface AckWaiter {
  readonly environments: readonly string[] | 'all';
  readonly revision: number;
  readonly pending: Set<Connection>;
  finish(): void;
}

const PING_INTERVAL_MS = 25_000;

/** The lowest stream protocol that can evaluate every one of `operators` (unknown ones: none can). */
export function protocolNeededFor(operators: ReadonlySet<string>): number {
  let needed = 0;
  for (const op of operators) needed = Math.max(needed, (OPERATORS as Record<string, number>)[op as Operator] ?? Number.MAX_SAFE_INTEGER);
  return needed;
}

function lagsBehind(connection: Connection, revision: number): boolean {
  return (connection.appliedRevision ?? 0) < revision;
}

function concerns(waiter: AckWaiter, connection: Connection): boolean {
  return waiter.environments === 'all' || waiter.environments.includes(connection.principal.environment);
}

export interface StreamHubOptions {
  readonly source: StreamSource;
  readonly latestRevision: () => number;
  readonly replica: string;
  readonly onError?: (error: unknown, context: string) => void;
  /** How often the hub checks the revision tracker for changes whose notification was lost. */
  readonly catchUpIntervalMs?: number;
  /** Counts frames written to sockets, by message type (metrics). */
  readonly onSent?: (type: 'snapshot' | 'patch' | 'ping', frames: number) => void;
}

/**
 * The WebSocket fan-out of one replica. Connections are grouped per environment and audience; a change
 * is read once per group, serialised once, and the same frame is written to every socket of the group.
 * Each group works through a queue, so registrations and broadcasts never interleave.
 */
export class StreamHub {
  private readonly groups = new Map<string, Group>();
  private readonly byId = new Map<string, Connection>();
  private readonly ackWaiters = new Set<AckWaiter>();
  /** Each message serialised once, however many sockets it goes to. */
  private readonly frames = new WeakMap<ServerMessage, Buffer>();
  /**
   * The revisions announced to this hub, with the environments each touched: a group at revision R
   * may be sent a committed change at revision C without a read only if every revision between them
   * was announced and touched other environments. Revisions not seen here (another replica's change
   * whose message was lost) make the group read instead.
   */
  private readonly notified = new Map<number, readonly string[] | 'all'>();
  private pingTimer: NodeJS.Timeout | undefined;
  private catchUpTimer: NodeJS.Timeout | undefined;
  private closing = false;

  constructor(private readonly options: StreamHubOptions) {}

  start(): void {
    this.pingTimer = setInterval(() => this.ping(), PING_INTERVAL_MS);
    this.pingTimer.unref();
    this.catchUpTimer = setInterval(() => this.catchUp(), this.options.catchUpIntervalMs ?? 250);
    this.catchUpTimer.unref();
  }

  private group(environment: string, audience: Audience): Group {
    const id = `${environment}\u0000${audience}`;
    let group = this.groups.get(id);
    if (group === undefined) {
      group = { environment, audience, members: new Set(), revision: 0, queue: Promise.resolve(), busy: 0, dirty: false, resumes: new Map(), resumesAt: 0 };
      this.groups.set(id, group);
    }
    return group;
  }

  private enqueue(group: Group, task: () => Promise<void>, context: string): Promise<void> {
    group.busy++;
    const run = group.queue
      .then(task)
      .catch((error: unknown) => this.options.onError?.(error, context))
      .finally(() => {
        group.busy--;
      });
    group.queue = run;
    return run;
  }

  private frameOf(message: ServerMessage): Buffer {
    let frame = this.frames.get(message);
    if (frame === undefined) {
      frame = Buffer.from(JSON.stringify(message));
      this.frames.set(message, frame);
    }
    return frame;
  }

  /** The changes since `revision` for an SDK resuming from it; shared by SDKs resuming from the same revision. */
  private async resume(group: Group, revision: number): Promise<PatchMessage> {
    const latest = this.options.latestRevision();
    if (group.resumesAt !== latest) {
      group.resumes.clear();
      group.resumesAt = latest;
    }
    const known = group.resumes.get(revision);
    // Not behind the group: members are sent the changes after group.revision only.
    if (known !== undefined && known.revision >= group.revision) return known;
    const patch = await this.options.source.changesSince(group.environment, group.audience, revision);
    if (group.resumesAt === this.options.latestRevision() && patch.revision >= latest) {
      if (group.resumes.size >= MAX_RESUMES) group.resumes.clear();
      group.resumes.set(revision, patch);
    }
    return patch;
  }

  private send(connection: Connection, message: ServerMessage): boolean {
    if (connection.socket.readyState !== connection.socket.OPEN) return false;
    connection.socket.send(this.frameOf(message), TEXT);
    if (message.type !== 'error') this.options.onSent?.(message.type, 1);
    return true;
  }

  /** Adds a connection that said hello, and sends it a snapshot or the changes since its revision. */
  register(connection: Connection, revision: number | null): Promise<void> {
    const group = this.group(connection.principal.environment, connection.audience);
    this.byId.set(connection.id, connection);
    for (const waiter of this.ackWaiters) if (concerns(waiter, connection) && lagsBehind(connection, waiter.revision)) waiter.pending.add(connection);
    return this.enqueue(
      group,
      async () => {
        const latest = this.options.latestRevision();
        const canResume = revision !== null && revision <= latest && revision > 0;
        let message: SnapshotMessage | PatchMessage = canResume ? await this.resume(group, revision) : await this.options.source.snapshot(group.environment, group.audience);
        if (!this.send(connection, message)) return;
        if (group.members.size === 0) {
          group.revision = message.revision;
        } else if (message.revision < group.revision) {
          // Members get the changes after group.revision only: a message older than that (a cached
          // snapshot while a broadcast read ahead of the tracker) is followed by the gap.
          message = await this.options.source.changesSince(group.environment, group.audience, message.revision);
          if (!this.send(connection, message)) return;
        }
        connection.sentRevision = message.revision;
        group.members.add(connection);
      },
      'stream register',
    );
  }

  unregister(connection: Connection): void {
    this.byId.delete(connection.id);
    this.group(connection.principal.environment, connection.audience).members.delete(connection);
    for (const waiter of this.ackWaiters) if (waiter.pending.delete(connection) && waiter.pending.size === 0) waiter.finish();
  }

  /** Records an SDK's acknowledgement. O(waiters): a waiter tracks the connections it still needs. */
  acknowledge(connection: Connection, revision: number): void {
    if (connection.appliedRevision === null || revision > connection.appliedRevision) connection.appliedRevision = revision;
    // Deleting the current entry of a Set during for…of is safe (finish() does).
    for (const waiter of this.ackWaiters) {
      if (!lagsBehind(connection, waiter.revision) && waiter.pending.delete(connection) && waiter.pending.size === 0) waiter.finish();
    }
  }

  /** Pushes a committed change to the groups of the environments it touched (all when 'all'). */
  changed(change: ChangeNotice): void {
    const { environments, revision, flags } = change;
    if (revision > 0) {
      this.notified.set(revision, environments);
      if (this.notified.size > MAX_NOTIFIED) this.notified.delete(this.notified.keys().next().value as number);
    }
    for (const group of this.groups.values()) {
      if (group.members.size === 0) continue;
      if (environments !== 'all' && !environments.includes(group.environment)) continue;
      if (flags !== undefined && this.sendCommitted(group, revision, flags)) continue;
      this.broadcast(group);
    }
  }

  /**
   * The fast path of a change committed in this process: when the group holds everything before it,
   * the committed configs are the patch, sent at once (no read, no queue hop, before the write's own
   * response). Returns false when the group must read instead.
   */
  private sendCommitted(group: Group, revision: number, flags: readonly CommittedFlag[]): boolean {
    // A queued registration or broadcast could otherwise be overtaken by a newer revision.
    if (group.busy > 0 || revision <= group.revision || revision - group.revision > MAX_NOTIFIED) return false;
    for (let r = group.revision + 1; r < revision; r++) {
      const touched = this.notified.get(r);
      if (touched === undefined || touched === 'all' || touched.includes(group.environment)) return false;
    }
    const committed = this.options.source.committed?.(group.environment, group.audience, revision, flags);
    if (committed === undefined) return false;
    this.fanOut(group, committed.patch, committed.updates);
    return true;
  }

  private broadcast(group: Group): void {
    // Coalesce: while a broadcast for the group is queued and not started, another adds nothing.
    if (group.dirty) return;
    group.dirty = true;
    void this.enqueue(
      group,
      async () => {
        group.dirty = false;
        if (group.members.size === 0) return;
        const from = group.revision;
        const patch = await this.options.source.changesSince(group.environment, group.audience, from);
        if (patch.revision <= from) return;
        this.fanOut(group, patch);
      },
      'stream broadcast',
    );
  }

  /**
   * Writes one frame to every member not yet at the patch's revision: `updates` (the same change, as
   * changed fields) to members that speak protocol 2 or later, when given.
   */
  private fanOut(group: Group, patch: PatchMessage, updates?: PatchMessage): void {
    // Sent even when empty: it moves every SDK to the new revision, which it then acknowledges.
    const frame = this.frameOf(patch);
    const small = updates === undefined ? frame : this.frameOf(updates);
    const revision = patch.revision;
    let sent = 0;
    for (const member of group.members) {
      const socket = member.socket;
      if (socket.readyState !== socket.OPEN || member.sentRevision >= revision) continue;
      socket.send(member.protocol >= UPDATES_PROTOCOL ? small : frame, TEXT);
      member.sentRevision = revision;
      sent++;
    }
    this.options.onSent?.('patch', sent);
    group.revision = revision;
  }

  // Changes whose notification was lost (Redis down, another replica without a bus) are found by
  // the revision tracker's poll; this notices that the tracker is ahead and broadcasts.
  private catchUp(): void {
    const latest = this.options.latestRevision();
    for (const group of this.groups.values()) {
      if (group.members.size > 0 && latest > group.revision) this.broadcast(group);
    }
  }

  private ping(): void {
    const frames = new Map<number, string>();
    for (const connection of this.byId.values()) {
      if (connection.socket.readyState !== connection.socket.OPEN) continue;
      const revision = connection.sentRevision;
      let frame = frames.get(revision);
      if (frame === undefined) {
        frame = JSON.stringify({ type: 'ping', revision });
        frames.set(revision, frame);
      }
      connection.socket.send(frame);
    }
    this.options.onSent?.('ping', this.byId.size);
  }

  /** Every connection of this replica. */
  connections(environment?: string): ConnectionInfo[] {
    const latest = this.options.latestRevision();
    const out: ConnectionInfo[] = [];
    for (const c of this.byId.values()) {
      if (environment !== undefined && c.principal.environment !== environment) continue;
      out.push({
        id: c.id,
        keyId: c.principal.keyId,
        keyName: c.principal.name,
        keyKind: c.principal.kind,
        environment: c.principal.environment,
        sdk: c.sdk,
        protocol: c.protocol,
        instance: c.instance,
        address: c.address,
        connectedAt: new Date(c.connectedAt).toISOString(),
        sentRevision: c.sentRevision,
        appliedRevision: c.appliedRevision,
        lag: Math.max(0, latest - (c.appliedRevision ?? 0)),
        replica: this.options.replica,
      });
    }
    return out;
  }

  /** SDKs of `environment` whose protocol is older than what `operators` need. */
  sdksThatCannotEvaluate(environment: string, operators: ReadonlySet<string>): ConnectionInfo[] {
    const needed = protocolNeededFor(operators);
    return this.connections(environment).filter((c) => c.protocol < needed);
  }

  /**
   * Resolves once every connection of `environments` has acknowledged `revision`, or at the timeout,
   * with how many did and which lag.
   */
  async waitForAcks(environments: readonly string[] | 'all', revision: number, timeoutMs: number): Promise<Propagation> {
    const started = Date.now();
    const relevant = (): Connection[] => [...this.byId.values()].filter((c) => environments === 'all' || environments.includes(c.principal.environment));
    // The connections still behind; acknowledge, unregister and register keep the set current, so
    // each ack costs O(1) rather than a scan of every connection.
    const pending = new Set(relevant().filter((c) => lagsBehind(c, revision)));
    if (pending.size > 0 && timeoutMs > 0) {
      await new Promise<void>((resolve) => {
        const waiters = this.ackWaiters;
        const waiter: AckWaiter = {
          environments,
          revision,
          pending,
          finish() {
            clearTimeout(timer);
            waiters.delete(waiter);
            resolve();
          },
        };
        const timer = setTimeout(() => waiter.finish(), timeoutMs);
        timer.unref();
        waiters.add(waiter);
      });
    }
    const all = relevant();
    const lagging = all.filter((c) => lagsBehind(c, revision));
    return {
      revision,
      applied: all.length - lagging.length,
      total: all.length,
      waitedMs: Date.now() - started,
      lagging: lagging.map((c) => ({ id: c.id, sdk: `${c.sdk.name}/${c.sdk.version}`, keyName: c.principal.name, instance: c.instance, appliedRevision: c.appliedRevision })),
    };
  }

  /** Closes the sockets of a revoked key at once. */
  closeKey(keyId: string): number {
    let closed = 0;
    for (const c of [...this.byId.values()]) {
      if (c.principal.keyId !== keyId) continue;
      c.socket.close(CLOSE_CODES.FORBIDDEN, 'key revoked');
      this.unregister(c);
      closed++;
    }
    return closed;
  }

  /** Shutdown: every socket gets 1012 so SDKs reconnect to another replica at once. */
  closeAll(): void {
    this.closing = true;
    clearInterval(this.pingTimer);
    clearInterval(this.catchUpTimer);
    for (const c of [...this.byId.values()]) {
      c.socket.close(CLOSE_CODES.SERVICE_RESTART, 'server restarting');
      this.unregister(c);
    }
  }

  get isClosing(): boolean {
    return this.closing;
  }

  /** Connections per environment and audience, and the largest revision lag among them (metrics). */
  stats(): { environment: string; audience: Audience; connections: number; maxLag: number }[] {
    const latest = this.options.latestRevision();
    const out = new Map<string, { environment: string; audience: Audience; connections: number; maxLag: number }>();
    for (const c of this.byId.values()) {
      const id = `${c.principal.environment}\u0000${c.audience}`;
      let entry = out.get(id);
      if (entry === undefined) {
        entry = { environment: c.principal.environment, audience: c.audience, connections: 0, maxLag: 0 };
        out.set(id, entry);
      }
      entry.connections++;
      entry.maxLag = Math.max(entry.maxLag, latest - (c.appliedRevision ?? 0));
    }
    return [...out.values()];
  }
}
