import { PROTOCOL_VERSION, type PatchMessage } from '@switchyard/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createFlag } from '../../../../test/helpers/flags.js';
import { createTestServer, type TestServer } from '../../../../test/helpers/server.js';
import { currentRevision } from '../../db/revision.js';
import { createStreamSource } from './stream.source.js';

// The stream reads a patch in one statement (one database snapshot) between a commit and the fan-out;
// these check it carries exactly what was committed, on PGlite and on Postgres (DATABASE_URL).
const ENV = 'production';
const ON = { enabled: true, offVariant: 'false', fallthrough: { variant: 'true' } };
let server: TestServer;
let url: string;
let sdkKey: string;

beforeAll(async () => {
  server = await createTestServer();
  url = await server.listen();
  sdkKey = await server.createKey('sdk-server', ENV);
  for (const key of ['src-a', 'src-b', 'src-gone']) {
    await createFlag(server, key);
    expect((await server.api('PUT', `/api/v1/flags/${key}/environments/${ENV}`, ON)).statusCode).toBe(200);
  }
});

afterAll(async () => server.close());

const source = () => createStreamSource({ db: server.database.db, sdkConfig: server.app.services.sdkConfig });

describe('the stream source', () => {
  it('reads what changed since a revision, at the revision that includes it', async () => {
    const since = await currentRevision(server.database.db);
    const kill = await server.api('POST', `/api/v1/flags/src-a/environments/${ENV}/kill`, { reason: 'test' });
    expect(kill.statusCode).toBe(200);
    const killedAt = (kill.json() as { revision: number }).revision;

    const patch = await source().changesSince(ENV, 'server', since);
    expect(patch).toMatchObject({ type: 'patch', revision: killedAt, removed: [], segments: [], removedSegments: [] });
    expect(patch.flags.map((f) => [f.key, f.killed, f.enabled])).toEqual([['src-a', true, false]]);
    // Exactly the FlagConfig the snapshot serves for that flag.
    const config = (await server.api('GET', '/api/v1/sdk/config', undefined, { token: sdkKey })).json() as { flags: PatchMessage['flags'] };
    expect(patch.flags[0]).toEqual(config.flags.find((f) => f.key === 'src-a'));

    expect(await source().changesSince(ENV, 'server', killedAt)).toEqual({ type: 'patch', revision: killedAt, flags: [], removed: [], segments: [], removedSegments: [] });
  });

  it('gives browser keys the changed client-side flags with hashed target lists, and nothing else', async () => {
    await createFlag(server, 'src-public', { clientSide: true });
    const since = await currentRevision(server.database.db);
    expect((await server.api('PUT', `/api/v1/flags/src-public/environments/${ENV}`, { ...ON, targets: [{ variant: 'true', values: ['user-9'] }] })).statusCode).toBe(200);
    expect((await server.api('POST', `/api/v1/flags/src-b/environments/${ENV}/kill`, { reason: 'test' })).statusCode).toBe(200);
    const latest = await currentRevision(server.database.db);

    const patch = await source().changesSince(ENV, 'client', since);
    expect(patch).toMatchObject({ revision: latest, removed: [], segments: [] });
    expect(patch.flags.map((f) => f.key)).toEqual(['src-public']);
    const values = patch.flags[0]?.targets[0]?.values ?? [];
    expect(values).toHaveLength(1);
    expect(values[0]).not.toBe('user-9');
    expect(JSON.stringify(patch)).not.toContain('src-b');
    expect((await source().changesSince(ENV, 'server', since)).flags.map((f) => f.key).sort()).toEqual(['src-b', 'src-public']);
  });

  it('names archived flags as removed and sends changed segments whole', async () => {
    const since = await currentRevision(server.database.db);
    expect((await server.api('DELETE', '/api/v1/flags/src-gone')).statusCode).toBeLessThan(300);
    const segment = { key: 'src-staff', name: 'Staff', included: ['u-1'], rules: [{ clauses: [{ attribute: 'email', op: 'endsWith', values: ['@acme.io'] }] }] };
    expect((await server.api('POST', '/api/v1/segments', segment)).statusCode).toBe(201);
    const latest = await currentRevision(server.database.db);

    const patch = await source().changesSince(ENV, 'server', since);
    expect(patch.revision).toBe(latest);
    expect(patch.flags).toEqual([]);
    expect(patch.removed).toEqual(['src-gone']);
    expect(patch.segments).toEqual([expect.objectContaining({ key: 'src-staff', name: 'Staff', included: ['u-1'], excluded: [] })]);
    // Browser keys see neither: the archived flag was never client-side, segments go with their flags.
    expect(await source().changesSince(ENV, 'client', since)).toMatchObject({ revision: latest, flags: [], removed: [], segments: [] });
  });

  it('brings SDKs resuming from the same revision up to date, and each gets later changes (whole flags for protocol 1, updates for 2)', async () => {
    const revision = await currentRevision(server.database.db);
    const sockets = await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const protocol = i % 2 === 0 ? 1 : PROTOCOL_VERSION;
        const ws = new WebSocket(`${url.replace('http', 'ws')}/api/v1/sdk/stream`, { headers: { authorization: `Bearer ${sdkKey}` } });
        const frames: { type: string; revision: number; flags?: { key: string; killed: boolean }[]; updates?: unknown[] }[] = [];
        ws.on('message', (data) => frames.push(JSON.parse(String(data)) as (typeof frames)[number]));
        await new Promise((resolve, reject) => {
          ws.once('open', resolve);
          ws.once('error', reject);
        });
        ws.send(JSON.stringify({ type: 'hello', protocol, sdk: { name: 'test', version: '0' }, revision: revision - 1 }));
        return { ws, frames, protocol };
      }),
    );
    const until = async (condition: () => boolean): Promise<void> => {
      const deadline = Date.now() + 5000;
      while (!condition()) {
        if (Date.now() > deadline) throw new Error('timed out');
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    await until(() => sockets.every((s) => s.frames.length >= 1));
    for (const s of sockets) expect(s.frames[0]).toMatchObject({ type: 'patch', revision });
    const restore = await server.api('POST', `/api/v1/flags/src-a/environments/${ENV}/restore`, { reason: 'test' });
    const { revision: restoredAt, version } = restore.json() as { revision: number; version: number };
    await until(() => sockets.every((s) => s.frames.some((f) => f.revision === restoredAt)));
    for (const s of sockets) {
      const frame = s.frames.find((f) => f.revision === restoredAt);
      if (s.protocol === 1) {
        expect(frame?.flags?.map((f) => [f.key, f.killed])).toEqual([['src-a', false]]);
        expect(frame).not.toHaveProperty('updates');
      } else {
        // The restore's changed fields only, over the version before it.
        expect(frame).toMatchObject({ flags: [], updates: [{ key: 'src-a', from: version - 1, version, killed: false, enabled: true }] });
        expect(Object.keys((frame?.updates?.[0] ?? {}) as object).sort()).toEqual(['enabled', 'from', 'key', 'killed', 'version']);
      }
      s.ws.terminate();
    }
  });
});
