import type { FlagConfig, PatchMessage, SnapshotMessage } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import type { CommittedFlag } from '../../plugins/changes.js';
import { StreamHub, type Connection, type StreamSource } from './stream.hub.js';

// waitForAcks keeps, per waiter, the set of connections still behind (acknowledge, register and
// unregister update it), instead of rescanning every connection on every ack.

function hub(): StreamHub {
  const snapshot = { type: 'snapshot', environment: 'production', revision: 1, flags: [], segments: [] } as SnapshotMessage;
  const patch = { type: 'patch', revision: 1, flags: [], removed: [], segments: [], removedSegments: [] } as PatchMessage;
  return new StreamHub({ source: { snapshot: async () => snapshot, changesSince: async () => patch }, latestRevision: () => 1, replica: 'r' });
}

let next = 0;
function connection(environment = 'production', applied: number | null = 1, sent: unknown[] = []): Connection {
  const socket = { readyState: 1, OPEN: 1, send: (data: unknown) => sent.push(data), close: () => undefined } as unknown as WebSocket;
  return {
    id: `c${next++}`,
    socket,
    principal: { keyId: 'k', name: 'key', kind: 'sdk-server', environment },
    audience: 'server',
    sdk: { name: 'sdk-node', version: '0.1.0' },
    protocol: 1,
    instance: null,
    address: '127.0.0.1',
    connectedAt: Date.now(),
    sentRevision: 0,
    appliedRevision: applied,
  };
}

async function settled<T>(promise: Promise<T>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  await new Promise((r) => setTimeout(r, 10));
  return done;
}

describe('StreamHub.waitForAcks', () => {
  it('resolves on the last ack of the environment, ignoring others and lower revisions', async () => {
    const h = hub();
    const [a, b, other] = [connection(), connection(), connection('staging')];
    for (const c of [a, b, other]) await h.register(c, null);
    const wait = h.waitForAcks(['production'], 5, 2000);
    h.acknowledge(a, 5);
    h.acknowledge(b, 4);
    expect(await settled(wait)).toBe(false);
    h.acknowledge(b, 5);
    expect(await wait).toMatchObject({ revision: 5, applied: 2, total: 2, lagging: [] });
  });

  it('waits for a connection that registers behind while waiting, and stops waiting when it leaves', async () => {
    const h = hub();
    const a = connection();
    await h.register(a, null);
    const wait = h.waitForAcks('all', 5, 2000);
    const late = connection('staging', 2);
    await h.register(late, 2);
    h.acknowledge(a, 5);
    expect(await settled(wait)).toBe(false);
    h.unregister(late);
    expect(await wait).toMatchObject({ applied: 1, total: 1 });
  });

  it('reports who lags at the timeout, and answers at once when nothing lags', async () => {
    const h = hub();
    const [a, b] = [connection(), connection('production', null)];
    for (const c of [a, b]) await h.register(c, null);
    h.acknowledge(a, 3);
    const result = await h.waitForAcks(['production'], 3, 30);
    expect(result).toMatchObject({ applied: 1, total: 2 });
    expect(result.lagging.map((l) => l.id)).toEqual([b.id]);
    h.acknowledge(b, 1);
    const started = Date.now();
    expect(await h.waitForAcks(['production'], 1, 5000)).toMatchObject({ applied: 2, total: 2, lagging: [] });
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

/** A source that counts its reads; `revision` is the database's latest revision. */
function countingSource(state: { revision: number; snapshotRevision?: number }) {
  const reads = { snapshot: 0, changesSince: [] as number[] };
  const source: StreamSource = {
    snapshot: async () => {
      reads.snapshot++;
      return { type: 'snapshot', environment: 'production', revision: state.snapshotRevision ?? state.revision, flags: [], segments: [] } as SnapshotMessage;
    },
    changesSince: async (_env, _audience, since) => {
      reads.changesSince.push(since);
      return { type: 'patch', revision: Math.max(since, state.revision), flags: [], removed: [], segments: [], removedSegments: [] } as PatchMessage;
    },
  };
  return { source, reads };
}

const decode = (frame: unknown): { type: string; revision: number } => JSON.parse(String(frame)) as { type: string; revision: number };

describe('StreamHub registration', () => {
  it('gives SDKs resuming from the same revision one read and one serialised frame', async () => {
    const state = { revision: 7 };
    const { source, reads } = countingSource(state);
    const h = new StreamHub({ source, latestRevision: () => state.revision, replica: 'r' });
    const frames: unknown[][] = [];
    for (let i = 0; i < 20; i++) {
      const sent: unknown[] = [];
      frames.push(sent);
      await h.register(connection('production', 5, sent), 5);
    }
    expect(reads.changesSince).toEqual([5]);
    const first = frames[0]?.[0];
    expect(decode(first)).toMatchObject({ type: 'patch', revision: 7 });
    for (const sent of frames) expect(sent).toEqual([first]);
    for (const sent of frames) expect(sent[0]).toBe(first);

    // A newer revision is a new read.
    state.revision = 8;
    const late: unknown[] = [];
    await h.register(connection('production', 5, late), 5);
    expect(reads.changesSince).toEqual([5, 5]);
    expect(decode(late[0])).toMatchObject({ type: 'patch', revision: 8 });
  });

  it('serialises a snapshot once for every SDK that gets it', async () => {
    const { source } = countingSource({ revision: 3 });
    // The source hands out the same message while the revision stays (as the real one does).
    const snapshot = await source.snapshot('production', 'server');
    const h = new StreamHub({ source: { ...source, snapshot: async () => snapshot }, latestRevision: () => 3, replica: 'r' });
    const sent: unknown[] = [];
    for (let i = 0; i < 10; i++) await h.register(connection('production', null, sent), null);
    expect(sent).toHaveLength(10);
    for (const frame of sent) expect(frame).toBe(sent[0]);
    expect(decode(sent[0])).toMatchObject({ type: 'snapshot', revision: 3 });
  });

  it('follows a message older than what the group was sent with the changes in between', async () => {
    const state: { revision: number; snapshotRevision?: number } = { revision: 5 };
    const { source, reads } = countingSource(state);
    const h = new StreamHub({ source, latestRevision: () => 5, replica: 'r' });
    await h.register(connection('production', 5), 5);
    // A snapshot behind the group (say, cached while a broadcast read ahead of the tracker).
    state.snapshotRevision = 3;
    const sent: unknown[] = [];
    const late = connection('production', null, sent);
    await h.register(late, null);
    expect(sent.map(decode)).toEqual([expect.objectContaining({ type: 'snapshot', revision: 3 }), expect.objectContaining({ type: 'patch', revision: 5 })]);
    expect(late.sentRevision).toBe(5);
    expect(reads.changesSince).toEqual([5, 3]);
  });
});

describe('StreamHub committed changes', () => {
  const config = (key: string, version: number, killed = false) =>
    ({ key, version, type: 'boolean', variants: [], enabled: !killed, killed, offVariant: 'false', targets: [], rules: [], fallthrough: { variant: 'true' }, prerequisites: [] }) as FlagConfig;
  const flag = (key: string, version: number): CommittedFlag => ({ config: config(key, version, true), previous: config(key, version - 1) });

  async function setup() {
    const state = { revision: 5 };
    const { source, reads } = countingSource(state);
    const h = new StreamHub({
      source: {
        ...source,
        committed: (_env, _audience, revision, flags) => ({
          patch: { type: 'patch', revision, flags: flags.map((f) => f.config), removed: [], segments: [], removedSegments: [] },
          updates: { type: 'patch', revision, flags: [], removed: [], segments: [], removedSegments: [], updates: flags.map((f) => ({ key: f.config.key, from: f.previous.version, version: f.config.version, killed: true })) },
        }),
      },
      latestRevision: () => state.revision,
      replica: 'r',
    });
    const sent: unknown[] = [];
    await h.register({ ...connection('production', 5, sent), protocol: 2 }, 5);
    const old: unknown[] = [];
    await h.register({ ...connection('production', 5, old), protocol: 1 }, 5);
    sent.length = 0;
    old.length = 0;
    reads.changesSince.length = 0;
    return { h, state, reads, sent, old };
  }
  const flushed = () => new Promise((r) => setTimeout(r, 10));

  it('sends a change committed right after what the group holds at once, without a read: updates to protocol 2, whole flags to 1', async () => {
    const { h, reads, sent, old } = await setup();
    h.changed({ revision: 6, environments: ['production'], flags: [flag('a', 2)] });
    // Synchronously: before the write's own response.
    expect(sent.map(decode)).toEqual([expect.objectContaining({ type: 'patch', revision: 6, flags: [], updates: [{ key: 'a', from: 1, version: 2, killed: true }] })]);
    expect(old.map(decode)).toEqual([expect.objectContaining({ type: 'patch', revision: 6, flags: [expect.objectContaining({ key: 'a', version: 2, killed: true })] })]);
    expect(old.map(decode)[0]).not.toHaveProperty('updates');
    await flushed();
    expect(reads.changesSince).toEqual([]);
  });

  it('skips over revisions announced for other environments only', async () => {
    const { h, state, reads, sent } = await setup();
    h.changed({ revision: 6, environments: ['staging'] });
    state.revision = 7;
    h.changed({ revision: 7, environments: ['production'], flags: [flag('a', 2)] });
    expect(sent.map(decode)).toEqual([expect.objectContaining({ revision: 7 })]);
    await flushed();
    expect(reads.changesSince).toEqual([]);
  });

  it('reads instead when a revision in between was not announced, touched this environment, or a task is queued', async () => {
    // Revision 6 never announced here (another replica's, its message lost): reading brings it.
    let { h, state, reads, sent } = await setup();
    state.revision = 7;
    h.changed({ revision: 7, environments: ['production'], flags: [flag('a', 2)] });
    expect(sent).toEqual([]);
    await flushed();
    expect(reads.changesSince).toEqual([5]);
    expect(sent.map(decode)).toEqual([expect.objectContaining({ type: 'patch', revision: 7, flags: [] })]);

    // Revision 6 touched every environment (a segment, say); its broadcast is still queued.
    ({ h, state, reads, sent } = await setup());
    state.revision = 7;
    h.changed({ revision: 6, environments: 'all' });
    h.changed({ revision: 7, environments: ['production'], flags: [flag('a', 2)] });
    expect(sent).toEqual([]);
    await flushed();
    expect(reads.changesSince).toEqual([5]);
    expect(sent.map(decode)).toEqual([expect.objectContaining({ revision: 7, flags: [] })]);

    // A registration in progress: the change waits behind it in the queue.
    ({ h, state, reads, sent } = await setup());
    const registering = h.register(connection('production', null), null);
    state.revision = 6;
    h.changed({ revision: 6, environments: ['production'], flags: [flag('a', 2)] });
    expect(sent).toEqual([]);
    await registering;
    await flushed();
    expect(reads.changesSince).toEqual([5]);
    expect(sent.map(decode)).toEqual([expect.objectContaining({ revision: 6 })]);
  });
});
