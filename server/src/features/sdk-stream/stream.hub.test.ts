import type { PatchMessage, SnapshotMessage } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { StreamHub, type Connection } from './stream.hub.js';

// waitForAcks keeps, per waiter, the set of connections still behind (acknowledge, register and
// unregister update it), instead of rescanning every connection on every ack.

function hub(): StreamHub {
  const snapshot = { type: 'snapshot', environment: 'production', revision: 1, flags: [], segments: [] } as SnapshotMessage;
  const patch = { type: 'patch', revision: 1, flags: [], removed: [], segments: [], removedSegments: [] } as PatchMessage;
  return new StreamHub({ source: { snapshot: async () => snapshot, changesSince: async () => patch }, latestRevision: () => 1, replica: 'r' });
}

let next = 0;
function connection(environment = 'production', applied: number | null = 1): Connection {
  const socket = { readyState: 1, OPEN: 1, send: () => undefined, close: () => undefined } as unknown as WebSocket;
  return {
    id: `c${next++}`,
    socket,
    principal: { keyId: 'k', name: 'key', kind: 'sdk-server', environment },
    audience: 'server',
    sdk: { name: 'sdk-node', version: '0.1.0' },
    protocol: 1,
    instance: null,
    address: '127.0.0.1',
    connectedAt: new Date(),
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
