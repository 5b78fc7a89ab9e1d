import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestServer, type TestServer } from '../../../test/helpers/server.js';
import { createLocalNotifier, type Change } from './changes.js';
import { createRevisionTracker } from './revisions.js';

const change = (revision: number): Change => ({ revision, environments: ['production'], kind: 'flag', keys: ['f'] });

describe('createLocalNotifier', () => {
  it('delivers to every subscriber until it unsubscribes, and isolates a failing one', () => {
    const errors: unknown[] = [];
    const notifier = createLocalNotifier({ onListenerError: (e) => errors.push(e) });
    const a: number[] = [];
    const b: number[] = [];
    notifier.subscribe(() => {
      throw new Error('broken listener');
    });
    const stopA = notifier.subscribe((c) => a.push(c.revision));
    notifier.subscribe((c) => b.push(c.revision));
    notifier.publish(change(1));
    stopA();
    notifier.publish(change(2));
    expect(a).toEqual([1]);
    expect(b).toEqual([1, 2]);
    expect(errors).toHaveLength(2);
  });
});

describe('createRevisionTracker', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await createTestServer();
  });
  afterAll(async () => server.close());

  const bump = () => server.database.db.updateTable('revision_counter').set((eb) => ({ revision: eb('revision', '+', 1) })).returning('revision').executeTakeFirstOrThrow();

  it('starts at the database revision, follows published changes at once and polls for the rest', async () => {
    const notifier = createLocalNotifier();
    const tracker = createRevisionTracker({ db: server.database.db, notifier, intervalMs: 20 });
    await tracker.start();
    await tracker.start();
    try {
      const start = tracker.latest();
      expect(start).toBe(Number((await server.database.db.selectFrom('revision_counter').select('revision').executeTakeFirstOrThrow()).revision));
      notifier.publish(change(start + 5));
      expect(tracker.latest()).toBe(start + 5);
      tracker.observe(start + 1);
      expect(tracker.latest()).toBe(start + 5);
      for (let i = 0; i < 6; i++) await bump();
      await vi.waitFor(() => expect(tracker.latest()).toBe(start + 6), { timeout: 2000, interval: 10 });
    } finally {
      tracker.stop();
    }
    const stopped = tracker.latest();
    notifier.publish(change(stopped + 10));
    await bump();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(tracker.latest()).toBe(stopped);
  });

  it('keeps polling through database errors', async () => {
    await bump();
    const errors: unknown[] = [];
    let fail = true;
    const db = server.database.db;
    const real = db.selectFrom.bind(db);
    const spy = vi.spyOn(db, 'selectFrom').mockImplementation(((table: never) => {
      if (fail) throw new Error('database down');
      return real(table);
    }) as typeof db.selectFrom);
    const tracker = createRevisionTracker({ db, notifier: createLocalNotifier(), intervalMs: 20, onPollError: (e) => errors.push(e) });
    try {
      await tracker.start();
      expect(tracker.latest()).toBe(0);
      expect(errors.length).toBeGreaterThan(0);
      fail = false;
      await vi.waitFor(() => expect(tracker.latest()).toBeGreaterThan(0), { timeout: 2000, interval: 10 });
    } finally {
      tracker.stop();
      spy.mockRestore();
    }
  });
});
