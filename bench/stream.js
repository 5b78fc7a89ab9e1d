// Suite "stream": how long a write takes to reach N connected SDKs, beside a bare `ws` broadcast of the
// same bytes to the same number of sockets, and what each connection costs the server in RSS.
// See bench/README.md ("Suite `stream`") for the method.
//
// This process runs the server (PGlite in memory, or DATABASE_URL, in a throwaway schema) on a random
// loopback port, and a bare ws WebSocketServer beside it; the clients live in two forked children
// (bench/stream-clients.js: N SDK clients, N plain ws clients), so their CPU does not share the
// server's event loop. Latency of one change = when the last of N clients applied it (child's clock) −
// just before the HTTP write (or the bare send loop) started (this process's clock); both clocks are
// performance.timeOrigin + performance.now(), comparable across processes on one machine.
//
//   npm run bench -- stream                                   (through bench/run.js)
//   BENCH_STREAM_CLIENTS=1000 npm run bench -- stream         (one size)
//   BENCH_STREAM_PROFILE=/tmp/prof npm run bench -- stream    (CPU profiles of the measured rounds)
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { PROTOCOL_VERSION } from '@switchyard/core';
import { buildApp, connectDatabase, prepareDatabase } from '@switchyard/server';
import WebSocket, { WebSocketServer } from 'ws';
import { quantile } from './lib/harness.js';

export const description = 'change propagation: write → last of N SDK clients applied, vs a bare ws broadcast; server RSS per connection';

const here = dirname(fileURLToPath(import.meta.url));

/** Client counts; BENCH_STREAM_CLIENTS=1000 (comma-separated) narrows them while working on the suite. */
const SIZES = (process.env.BENCH_STREAM_CLIENTS ?? '1000,5000')
  .split(',')
  .map(Number)
  .filter((n) => Number.isInteger(n) && n > 0 && n <= 20_000);
const CHANGES = 20;
const WARMUP = 3;
const CHANGE_TIMEOUT_MS = 10_000;
/** Pause after each change: lets acks, writes and GC of the previous one drain before the next. */
const SETTLE_MS = 150;
const CONNECT_TIMEOUT_MS = 180_000;
const ENV = 'production';
const FLAG = 'bench-kill-switch';
const TARGET_RATIO = 1.5;

const now = () => performance.timeOrigin + performance.now();
const fmt = (/** @type {number} */ ms) => (Number.isFinite(ms) ? ms.toFixed(1) : '–');
const mb = (/** @type {number} */ bytes) => bytes / 1024 / 1024;

/**
 * @typedef {{ title: string, columns: string[], rows: string[][], notes?: string[] }} Table
 * @typedef {{ name: string, pass: boolean, detail: string }} Target
 * @typedef {{ latencies: number[], firsts: number[], failures: string[] }} Series
 */

/** Polls `condition` every 10 ms until true or `timeoutMs`; returns whether it became true. */
async function until(/** @type {() => boolean} */ condition, /** @type {number} */ timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await sleep(10);
  }
  return true;
}

/**
 * RSS and V8 heap + external after forced GCs, once RSS has settled: V8 and the allocator hand pages
 * back with a delay, so a reading right after a busy phase can be megabytes high. Bounded: 10 tries.
 */
async function rssAfterGc() {
  const gc = /** @type {any} */ (globalThis).gc;
  let last = NaN;
  for (let i = 0; i < 10; i++) {
    if (typeof gc === 'function') for (let k = 0; k < 4; k++) gc();
    const rss = process.memoryUsage().rss;
    if (Math.abs(rss - last) < 512 * 1024) break;
    last = rss;
    await sleep(250);
  }
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed + m.external };
}

/** The soft limit on open files of this process (what `ulimit -n` shows), from /proc on Linux. */
function openFileLimit() {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    return line?.split(/\s{2,}/)[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

// ------------------------------------------------------------------ server

async function startServer() {
  const schema = `bench_${randomBytes(6).toString('hex')}`;
  const databaseUrl = process.env.DATABASE_URL || undefined;
  /** @type {any} */
  let pglite;
  let database;
  if (databaseUrl !== undefined) {
    database = await connectDatabase({ databaseUrl, schema, poolSize: 10 });
  } else {
    const { PGlite } = await import('@electric-sql/pglite');
    pglite = await PGlite.create();
    database = await connectDatabase({ pglite, schema });
  }
  const adminToken = `sya_bench_${randomBytes(18).toString('base64url')}`;
  let app;
  try {
    await prepareDatabase(database, { adminToken });
    app = await buildApp({ database });
    await app.listen({ port: 0, host: '127.0.0.1' });
  } catch (error) {
    await app?.close().catch(() => undefined);
    await database.db.schema.dropSchema(schema).ifExists().cascade().execute().catch(() => undefined);
    await database.close();
    await pglite?.close();
    throw error;
  }
  const address = /** @type {import('node:net').AddressInfo} */ (app.server.address());
  const url = `http://127.0.0.1:${address.port}`;

  /** @param {string} method @param {string} path @param {unknown} [body] */
  const api = async (method, path, body) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(CHANGE_TIMEOUT_MS),
    });
    const json = /** @type {any} */ (await res.json().catch(() => null));
    if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(json)}`);
    return json;
  };

  return {
    app,
    url,
    api,
    database: database.kind === 'postgres' ? 'PostgreSQL (DATABASE_URL)' : 'PGlite (in memory)',
    /** Connections registered with the hub (they said hello and got their first message). */
    connections: () => app.services.stream.connections(ENV),
    async close() {
      try {
        await app.close();
      } finally {
        await database.db.schema.dropSchema(schema).ifExists().cascade().execute();
        await database.close();
        await pglite?.close();
      }
    },
  };
}

/** @typedef {Awaited<ReturnType<typeof startServer>>} Server */

/** An sdk-server key and one realistic kill-switch flag (a target list, a rule, a rollout). */
async function seed(/** @type {Server} */ server) {
  const key = await server.api('POST', '/api/v1/keys', { name: 'bench-stream', kind: 'sdk-server', environment: ENV });
  await server.api('POST', '/api/v1/flags', { key: FLAG, kind: 'kill-switch', owner: 'team-bench', description: 'stream benchmark' });
  await server.api('PUT', `/api/v1/flags/${FLAG}/environments/${ENV}`, {
    enabled: true,
    offVariant: 'false',
    targets: [{ variant: 'true', values: ['qa-1', 'qa-2', 'qa-3'] }],
    rules: [{ id: 'eu', clauses: [{ attribute: 'country', op: 'in', values: ['NL', 'DE', 'FR', 'BE'] }], serve: { variant: 'true' } }],
    fallthrough: { rollout: { variants: [{ variant: 'true', weight: 25_000 }, { variant: 'false', weight: 75_000 }] } },
  });
  return /** @type {string} */ (key.secret);
}

let writes = 0;

/** Kill or restore (alternating over the whole run, so every write changes the flag); returns the revision it committed. */
async function write(/** @type {Server} */ server) {
  const i = writes++;
  const action = i % 2 === 0 ? 'kill' : 'restore';
  const body = await server.api('POST', `/api/v1/flags/${FLAG}/environments/${ENV}/${action}`, { reason: `bench change ${i}` });
  if (typeof body?.revision !== 'number') throw new Error(`${action} answered no revision`);
  return /** @type {number} */ (body.revision);
}

/**
 * The real patch frames of a kill and a restore, as the server sends them, read by one raw protocol
 * client. Also warms the write and broadcast paths once. Leaves the flag restored.
 */
async function captureFrames(/** @type {Server} */ server, /** @type {string} */ sdkKey) {
  const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/api/v1/sdk/stream`, { headers: { authorization: `Bearer ${sdkKey}` }, perMessageDeflate: false });
  /** @type {Buffer[]} */
  const frames = [];
  ws.on('message', (data) => frames.push(/** @type {Buffer} */ (data)));
  ws.on('error', () => undefined);
  try {
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    ws.send(JSON.stringify({ type: 'hello', protocol: PROTOCOL_VERSION, sdk: { name: 'bench-capture', version: '0' }, revision: null }));
    if (!(await until(() => frames.length >= 1, CHANGE_TIMEOUT_MS))) throw new Error('no snapshot from the stream');
    /** @type {Buffer[]} */
    const patches = [];
    for (let i = 0; i < 2; i++) {
      const revision = await write(server);
      /** @type {Buffer | undefined} */
      let patch;
      const isPatch = (/** @type {Buffer} */ f) => {
        const m = JSON.parse(f.toString());
        return m.type === 'patch' && m.revision === revision;
      };
      if (!(await until(() => (patch = frames.find(isPatch)) !== undefined, CHANGE_TIMEOUT_MS))) throw new Error(`no patch of revision ${revision} from the stream`);
      patches.push(/** @type {Buffer} */ (patch));
    }
    return patches;
  } finally {
    ws.terminate();
    await until(() => server.connections().length === 0, 5_000);
  }
}

/**
 * BENCH_STREAM_PROFILE=<dir>: CPU profiles of the measured rounds only (warm-up and connecting left
 * out), of this process (the server and the bare broadcaster: <dir>/stream-<N>-server.cpuprofile) and
 * of both client processes (…-sdk-clients, …-ws-clients). Open them in Chrome DevTools.
 */
async function startProfile(/** @type {Clients[]} */ children) {
  const dir = process.env.BENCH_STREAM_PROFILE;
  if (dir === undefined || dir === '') return undefined;
  mkdirSync(dir, { recursive: true });
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  for (const c of children) c.send({ type: 'profile-start' });
  return {
    async stop(/** @type {number} */ n) {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      writeFileSync(join(dir, `stream-${n}-server.cpuprofile`), JSON.stringify(profile));
      for (const [i, c] of children.entries()) {
        c.send({ type: 'profile-stop', file: join(dir, `stream-${n}-${i === 0 ? 'sdk' : 'ws'}-clients.cpuprofile`) });
        await c.next('profiled', 10_000);
      }
    },
  };
}

// ------------------------------------------------------------------ clients (child process)

function forkClients() {
  // Own execArgv: never inherit --cpu-prof/--inspect of this process.
  const child = fork(join(here, 'stream-clients.js'), [], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  /** @type {Map<number, any>} */
  const applied = new Map();
  /** @type {any[]} */
  const inbox = [];
  /** @type {Set<() => void>} */
  const waiters = new Set();
  let exited = false;
  const wake = () => {
    for (const w of [...waiters]) w();
  };
  child.on('message', (/** @type {any} */ msg) => {
    if (msg?.type === 'applied') {
      applied.set(msg.key, msg);
      if (applied.size > 64) applied.delete(/** @type {number} */ (applied.keys().next().value));
    } else inbox.push(msg);
    wake();
  });
  child.on('exit', () => {
    exited = true;
    wake();
  });
  child.on('error', () => undefined);

  /** Resolves with pick()'s first non-undefined value, or undefined at the deadline or when the child exits. */
  const waitFor = (/** @type {() => any} */ pick, /** @type {number} */ deadline) =>
    new Promise((resolve) => {
      const check = () => {
        const value = pick();
        if (value !== undefined || exited || now() >= deadline) {
          clearTimeout(timer);
          waiters.delete(check);
          resolve(value);
        }
      };
      const timer = setTimeout(check, Math.max(0, deadline - now()) + 1);
      waiters.add(check);
      check();
    });
  const take = (/** @type {string} */ type) => () => {
    const i = inbox.findIndex((m) => m?.type === type || m?.type === 'fatal');
    if (i === -1) return undefined;
    const [m] = inbox.splice(i, 1);
    if (m.type === 'fatal') throw new Error(`client process: ${m.message}`);
    return m;
  };

  return {
    get exited() {
      return exited;
    },
    send: (/** @type {any} */ msg) => {
      if (!exited && child.connected) child.send(msg);
    },
    /** The next message of `type`, or undefined after `timeoutMs`. */
    next: (/** @type {string} */ type, /** @type {number} */ timeoutMs) => waitFor(take(type), now() + timeoutMs),
    /** The child's report that all clients applied `key`, or undefined at the deadline. */
    applied: (/** @type {number} */ key, /** @type {number} */ deadline) => waitFor(() => applied.get(key), deadline),
    async stop() {
      if (exited) return;
      this.send({ type: 'close' });
      await waitFor(() => (exited ? true : undefined), now() + 3_000);
      if (!exited) child.kill('SIGKILL');
      await waitFor(() => (exited ? true : undefined), now() + 2_000);
    },
  };
}

/** @typedef {ReturnType<typeof forkClients>} Clients */

/** Offset of the child's clock against ours (child − parent), and the round trip that bounds its error. */
async function clockCheck(/** @type {Clients} */ clients) {
  let best = { offset: NaN, rtt: Infinity };
  for (let i = 0; i < 5; i++) {
    const sent = now();
    clients.send({ type: 'clock', sent });
    const reply = await clients.next('clock', 2_000);
    const back = now();
    if (reply === undefined) continue;
    if (back - sent < best.rtt) best = { offset: reply.child - (sent + back) / 2, rtt: back - sent };
  }
  return best;
}

/** Starts N clients of `mode` in a fresh child and waits until `connected()` counts all of them. */
async function connect(/** @type {Clients} */ clients, /** @type {any} */ job, /** @type {() => number} */ connected) {
  clients.send({ type: 'start', ...job });
  const started = await clients.next('started', CONNECT_TIMEOUT_MS);
  if (started === undefined) throw new Error(`${job.mode}: the client process did not connect ${job.n} clients in time`);
  if (started.ok !== job.n) throw new Error(`${job.mode}: only ${started.ok} of ${job.n} clients connected`);
  if (!(await until(() => connected() === job.n, 30_000))) throw new Error(`${job.mode}: ${connected()} of ${job.n} connections registered`);
  return started;
}

/**
 * @typedef {object} Path  one of the two things measured
 * @property {Clients} clients
 * @property {(i: number) => Promise<{ key: number, t0: number }>} fire  sends change i; returns the key the
 *   child reports it under (a revision, or the broadcast's sequence number) and the time just before sending
 * @property {(key: number) => Promise<void>} settle  waits for the change's aftermath (acks)
 * @property {Series} out
 */

/** Sends one change on `path` and records when the last client applied it (or a failure). */
async function once(/** @type {Path} */ path, /** @type {number} */ i, /** @type {boolean} */ measured) {
  const label = `change ${i - WARMUP}`;
  let fired;
  try {
    fired = await path.fire(i);
  } catch (error) {
    if (measured) path.out.failures.push(`${label}: ${error instanceof Error ? error.message : String(error)}`);
    return;
  }
  const report = await path.clients.applied(fired.key, fired.t0 + CHANGE_TIMEOUT_MS);
  if (report === undefined) {
    path.clients.send({ type: 'status', key: fired.key });
    const status = await path.clients.next('status', 1_000);
    if (measured) path.out.failures.push(`${label}: ${status?.count ?? '?'} of ${status?.n ?? '?'} clients applied it within ${CHANGE_TIMEOUT_MS} ms`);
  } else if (measured) {
    path.out.latencies.push(report.last - fired.t0);
    path.out.firsts.push(report.first - fired.t0);
  }
  await path.settle(fired.key);
  await sleep(SETTLE_MS);
}

/**
 * N SDK clients on the server and N plain ws clients on a bare WebSocketServer, both connected at once;
 * then WARMUP + CHANGES rounds, each one Switchyard change and one bare broadcast, in alternating order,
 * so load from anything else on the machine falls on both alike; then WARMUP + CHANGES parse/ack broadcasts.
 */
async function measureSize(/** @type {Server} */ server, /** @type {string} */ sdkKey, /** @type {Buffer[]} */ frames, /** @type {number} */ n, /** @type {(line: string) => void} */ log) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, clientTracking: true, backlog: 1024 });
  wss.on('connection', (ws) => ws.on('error', () => undefined));
  wss.on('error', () => undefined);
  const sdkClients = forkClients();
  const bareClients = forkClients();
  try {
    await new Promise((resolve) => (wss.address() === null ? wss.once('listening', resolve) : resolve(undefined)));
    const { port } = /** @type {import('node:net').AddressInfo} */ (wss.address());

    const before = await rssAfterGc();
    const sdkStarted = await connect(sdkClients, { mode: 'sdk', url: server.url, sdkKey, n }, () => server.connections().length);
    const afterSdk = await rssAfterGc();
    log(`  n=${n}: ${n} SDK clients connected in ${(sdkStarted.ms / 1000).toFixed(1)} s`);
    const bareStarted = await connect(bareClients, { mode: 'bare', url: `ws://127.0.0.1:${port}`, n }, () => wss.clients.size);
    const afterBare = await rssAfterGc();
    log(`  n=${n}: ${n} plain ws clients connected in ${(bareStarted.ms / 1000).toFixed(1)} s`);
    const clock = await clockCheck(sdkClients);

    const writeMs = /** @type {number[]} */ ([]);
    /** @type {Path} */
    const switchyard = {
      clients: sdkClients,
      out: { latencies: [], firsts: [], failures: [] },
      async fire(i) {
        const t0 = now();
        const key = await write(server);
        if (i >= WARMUP) writeMs.push(now() - t0);
        return { key, t0 };
      },
      // Every connection acknowledged (bounded): the acks are part of the load of a change.
      async settle(revision) {
        await server.app.services.stream.waitForAcks([ENV], revision, 2_000);
      },
    };
    let sequence = 0;
    let acks = 0;
    wss.on('connection', (ws) =>
      ws.on('message', (data) => {
        JSON.parse(data.toString());
        acks++;
      }),
    );
    /** @param {boolean} parseAndAck @returns {Path} */
    const barePath = (parseAndAck) => ({
      clients: bareClients,
      out: { latencies: [], firsts: [], failures: [] },
      async fire(i) {
        bareClients.send({ type: 'mode', parseAndAck });
        if ((await bareClients.next('mode', 2_000)) === undefined) throw new Error('the ws client process did not switch modes');
        acks = 0;
        const frame = /** @type {Buffer} */ (frames[i % frames.length]);
        const t0 = now();
        for (const ws of wss.clients) ws.send(frame, { binary: false });
        return { key: ++sequence, t0 };
      },
      settle: async () => {
        if (parseAndAck) await until(() => acks >= n, 2_000);
      },
    });
    const bare = barePath(false);
    const floor = barePath(true);

    let profiler;
    // The two paths the target compares take turns. The floor runs afterwards, on its own: when it
    // took turns too, its N inline acks slowed what came next (at N = 1,000, five such runs gave
    // Switchyard/bare p50 ratios of 1.50-1.94x; with the floor apart, three gave 1.11-1.37x).
    const paths = [switchyard, bare];
    for (let i = 0; i < WARMUP + CHANGES; i++) {
      if (i === WARMUP) profiler = await startProfile([sdkClients, bareClients]);
      // Rotate the order every round.
      for (let k = 0; k < paths.length; k++) await once(/** @type {Path} */ (paths[(i + k) % paths.length]), i, i >= WARMUP);
    }
    for (let i = 0; i < WARMUP + CHANGES; i++) await once(floor, i, i >= WARMUP);
    await profiler?.stop(n);
    return {
      n,
      switchyard: { ...switchyard.out, writeMs, rssPer1000: ((afterSdk.rss - before.rss) / n) * 1000, heapPer1000: ((afterSdk.heap - before.heap) / n) * 1000, childRss: sdkStarted.rss, clock },
      bare: { ...bare.out, rssPer1000: ((afterBare.rss - afterSdk.rss) / n) * 1000, heapPer1000: ((afterBare.heap - afterSdk.heap) / n) * 1000, childRss: bareStarted.rss },
      floor: floor.out,
    };
  } finally {
    await Promise.all([sdkClients.stop(), bareClients.stop()]);
    for (const ws of wss.clients) ws.terminate();
    await new Promise((resolve) => wss.close(() => resolve(undefined)));
    await until(() => server.connections().length === 0, 10_000);
  }
}

// ------------------------------------------------------------------ suite

/**
 * @param {{ log: (line: string) => void, options: Record<string, number> }} io
 * @returns {Promise<{ tables: Table[], targets: Target[], data: unknown }>}
 */
export async function run({ log, options }) {
  void options;
  if (SIZES.length === 0) throw new Error('BENCH_STREAM_CLIENTS names no client counts');
  const fileLimit = openFileLimit();
  // This process holds the server's N sockets and the bare server's N; each child holds N.
  const needed = 2 * Math.max(...SIZES) + 200;
  if (fileLimit !== 'unknown' && fileLimit !== 'unlimited' && Number(fileLimit) < needed) {
    throw new Error(`ulimit -n is ${fileLimit}; ${Math.max(...SIZES)} clients need about ${needed} open files here (raise it in the shell; Node cannot)`);
  }
  const server = await startServer();
  /** @type {any[]} */
  const results = [];
  let frames;
  try {
    const sdkKey = await seed(server);
    frames = await captureFrames(server, sdkKey);
    log(`  server on ${server.url}, ${server.database}; patch frames ${frames.map((f) => f.length).join(' / ')} bytes; ulimit -n ${fileLimit}`);
    for (const n of SIZES) {
      const r = await measureSize(server, sdkKey, frames, n, log);
      for (const [name, x] of /** @type {[string, Series][]} */ ([['switchyard', r.switchyard], ['bare ws', r.bare], ['ws + parse/ack', r.floor]])) {
        log(`  n=${n} ${name}: p50 ${fmt(quantile(x.latencies, 0.5))} ms, p99 ${fmt(quantile(x.latencies, 0.99))} ms, ${x.failures.length} failed`);
      }
      results.push(r);
    }
  } finally {
    await server.close();
  }

  const stats = (/** @type {number[]} */ xs) => ({ p50: quantile(xs, 0.5), p99: quantile(xs, 0.99), max: xs.length === 0 ? NaN : Math.max(...xs) });
  const three = (/** @type {{ p50: number, p99: number, max: number }} */ x) => `${fmt(x.p50)} / ${fmt(x.p99)} / ${fmt(x.max)}`;
  const rows = results.map((r) => {
    const s = stats(r.switchyard.latencies);
    const b = stats(r.bare.latencies);
    const f = stats(r.floor.latencies);
    return { n: r.n, s, b, f, ratio50: s.p50 / b.p50, ratio99: s.p99 / b.p99, r };
  });
  const n = (/** @type {number} */ x) => x.toLocaleString('en-US');

  /** @type {Table} */
  const main = {
    title: `write → last of N clients applied, ${CHANGES} changes each (ms)`,
    columns: ['clients', 'switchyard p50 / p99 / max', 'bare ws p50 / p99 / max', `ratio p50 / p99 (≤ ${TARGET_RATIO}×)`, 'ws + parse/ack p50 / p99 / max', 'server RSS per 1,000 conns', 'failed'],
    rows: rows.map(({ n: count, s, b, f, ratio50, ratio99, r }) => [
      n(count),
      three(s),
      three(b),
      `${ratio50.toFixed(2)}× / ${ratio99.toFixed(2)}×`,
      three(f),
      `${mb(r.switchyard.rssPer1000).toFixed(1)} MB`,
      `${r.switchyard.failures.length} / ${r.bare.failures.length} / ${r.floor.failures.length}`,
    ]),
    notes: [
      'switchyard: POST kill/restore over HTTP (admin key, 127.0.0.1) → commit → stream patch → N @switchyard/sdk-node clients in one',
      "  child process; time = just before fetch() → when the last client applied it ('change' event), on the child's clock.",
      'bare ws: a plain ws WebSocketServer in the server process writes the captured patch frames (same bytes) to N plain ws clients',
      '  in another child process; time = before the send loop → when the last client received it.',
      'ws + parse/ack: the same bare broadcast, but each client also does what every SDK must: JSON.parse the patch, then send',
      '  an ack (read by the bare server). Time = → the last client parsed it. The floor for any server, with all N clients in one process.',
      `All are connected together. Switchyard and bare ws take turns, rotating the order each round; ws + parse/ack runs after them,`,
      `  on its own (its N inline acks slowed whatever came next). ${WARMUP} unmeasured rounds first; ${SETTLE_MS} ms pause after each`,
      `  change (after all acks are in). p99 of ${CHANGES} is close to the max. failed = changes not applied by every client within`,
      `  ${CHANGE_TIMEOUT_MS / 1000} s (switchyard / bare / parse+ack).`,
    ],
  };
  /** @type {Table} */
  const detail = {
    title: 'details',
    columns: ['clients', 'write → HTTP response p50', 'first client applied p50', 'server RSS / heap+ext per 1,000', 'bare server RSS / heap+ext per 1,000', 'client processes RSS (SDK / ws)', 'clock offset (± rtt/2)'],
    rows: rows.map(({ n: count, r }) => [
      n(count),
      `${fmt(quantile(r.switchyard.writeMs, 0.5))} ms`,
      `${fmt(quantile(r.switchyard.firsts, 0.5))} ms`,
      `${mb(r.switchyard.rssPer1000).toFixed(1)} / ${mb(r.switchyard.heapPer1000).toFixed(1)} MB`,
      `${mb(r.bare.rssPer1000).toFixed(1)} / ${mb(r.bare.heapPer1000).toFixed(1)} MB`,
      `${mb(r.switchyard.childRss).toFixed(0)} / ${mb(r.bare.childRss).toFixed(0)} MB`,
      `${r.switchyard.clock.offset.toFixed(3)} ms (± ${(r.switchyard.clock.rtt / 2).toFixed(3)})`,
    ]),
    notes: [
      `server: Fastify + ${server.database} in this process; patch frames ${frames?.map((f) => f.length).join(' / ') ?? '?'} bytes; ulimit -n ${fileLimit}.`,
      'RSS per 1,000 = (RSS after connecting N and forcing GC − RSS before) / N × 1,000; later sizes reuse pages freed by earlier',
      '  ones, so RSS understates them somewhat; heap+ext (V8 heap used + external memory) does not have that bias.',
      'client processes RSS: each child process as a whole (its Node baseline included), after connecting and a GC.',
    ],
  };

  /** @type {Target[]} */
  const targets = [];
  for (const { n: count, s, b, ratio50, ratio99, r } of rows) {
    targets.push({ name: `${n(count)} clients p50 vs bare ws`, pass: ratio50 <= TARGET_RATIO, detail: `${fmt(s.p50)} ms vs ${fmt(b.p50)} ms = ${ratio50.toFixed(2)}× (target ≤ ${TARGET_RATIO}×)` });
    targets.push({ name: `${n(count)} clients p99 vs bare ws`, pass: ratio99 <= TARGET_RATIO, detail: `${fmt(s.p99)} ms vs ${fmt(b.p99)} ms = ${ratio99.toFixed(2)}× (target ≤ ${TARGET_RATIO}×)` });
    const failures = [...r.switchyard.failures.map((/** @type {string} */ f) => `switchyard ${f}`), ...r.bare.failures.map((/** @type {string} */ f) => `bare ${f}`), ...r.floor.failures.map((/** @type {string} */ f) => `parse+ack ${f}`)];
    targets.push({ name: `${n(count)} clients: every change reached every client`, pass: failures.length === 0, detail: failures.length === 0 ? `${CHANGES} of ${CHANGES} changes, all three paths` : failures.slice(0, 3).join('; ') });
  }

  return {
    tables: [main, detail],
    targets,
    data: {
      settings: { sizes: SIZES, changes: CHANGES, warmup: WARMUP, changeTimeoutMs: CHANGE_TIMEOUT_MS, settleMs: SETTLE_MS, database: server.database, fileLimit, frameBytes: frames?.map((f) => f.length) },
      results,
    },
  };
}
