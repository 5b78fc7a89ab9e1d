// Child process of the "stream" suite (bench/stream.js forks it): opens N WebSocket clients and
// reports over IPC when the last of them applied (or received) a given change.
//
//   mode "sdk":  N real @switchyard/sdk-node clients (createClient, metrics off, silent logger). A client
//                has applied a change when its 'change' event fires (the rules are in place); it is
//                keyed by the revision the client then holds.
//   mode "bare": N plain `ws` clients; message k of every client is broadcast k. They only receive, or
//                (after {type:'mode', parseAndAck:true}) JSON.parse the patch and send an ack, as an SDK must.
//
// Timestamps are epoch milliseconds with sub-millisecond resolution (performance.timeOrigin +
// performance.now()), comparable with the parent's on one machine. Only the parent's messages drive
// this process; it exits when the parent says "close" or the IPC channel goes away.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { performance } from 'node:perf_hooks';
import { createClient, silentLogger } from '@switchyard/sdk-node';
import WebSocket from 'ws';

const now = () => performance.timeOrigin + performance.now();

/** Clients connecting at once; more makes the server's accept queue and the key lookups spike. */
const CONNECT_BATCH = 250;
const CONNECT_TIMEOUT_MS = 20_000;

/** @type {(msg: unknown) => void} */
const send = (msg) => {
  if (process.connected) process.send?.(msg);
};

/** @type {{ close(): unknown }[]} */
const clients = [];
/** @type {Session | undefined} BENCH_STREAM_PROFILE: the parent profiles the measured rounds only. */
let profiler;
let expected = 0;
/** key (revision or broadcast number) → how many clients applied it, and when the first and last did. */
const applied = new Map();

/** @param {number} key @param {number} t */
function record(key, t) {
  let entry = applied.get(key);
  if (entry === undefined) {
    entry = { count: 0, first: t, last: t };
    applied.set(key, entry);
    // Bounded: keep the last 64 keys only (each run has at most a few dozen changes).
    if (applied.size > 64) applied.delete(applied.keys().next().value);
  }
  entry.count++;
  entry.last = t;
  if (entry.count === expected) send({ type: 'applied', key, first: entry.first, last: t, count: entry.count });
}

/** @param {string} url @param {string} sdkKey */
function openSdkClient(url, sdkKey) {
  const client = createClient({ url, sdkKey, metricsIntervalMs: 0, logger: silentLogger });
  client.on('change', () => record(client.revision, now()));
  clients.push(client);
  return client.ready({ timeoutMs: CONNECT_TIMEOUT_MS }).then((r) => r.ok);
}

/** Bare clients only: also do the protocol work of an SDK (parse the patch, then acknowledge it). */
let parseAndAck = false;

/** @param {string} url */
function openBareClient(url) {
  const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: CONNECT_TIMEOUT_MS });
  let received = 0;
  ws.on('message', (data) => {
    const key = ++received;
    if (!parseAndAck) return record(key, now());
    const message = JSON.parse(data.toString());
    record(key, now());
    ws.send(JSON.stringify({ type: 'ack', revision: message.revision }));
  });
  ws.on('error', () => undefined);
  clients.push({ close: () => ws.terminate() });
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), CONNECT_TIMEOUT_MS);
    ws.once('open', () => {
      clearTimeout(timer);
      resolve(true);
    });
    ws.once('close', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

/** @param {{ mode: 'sdk' | 'bare', url: string, sdkKey?: string, n: number }} job */
async function start(job) {
  expected = job.n;
  const started = now();
  let ok = 0;
  for (let i = 0; i < job.n; i += CONNECT_BATCH) {
    const batch = [];
    for (let j = i; j < Math.min(job.n, i + CONNECT_BATCH); j++) {
      batch.push(job.mode === 'sdk' ? openSdkClient(job.url, /** @type {string} */ (job.sdkKey)) : openBareClient(job.url));
    }
    ok += (await Promise.all(batch)).filter(Boolean).length;
  }
  const gc = /** @type {any} */ (globalThis).gc;
  if (typeof gc === 'function') gc();
  send({ type: 'started', ok, n: job.n, ms: now() - started, rss: process.memoryUsage().rss });
}

process.on('message', (/** @type {any} */ msg) => {
  switch (msg?.type) {
    case 'start':
      start(msg).catch((error) => send({ type: 'fatal', message: String(error?.stack ?? error) }));
      break;
    case 'mode':
      parseAndAck = msg.parseAndAck === true;
      send({ type: 'mode' });
      break;
    case 'clock':
      send({ type: 'clock', sent: msg.sent, child: now() });
      break;
    case 'status': {
      const entry = applied.get(msg.key);
      send({ type: 'status', key: msg.key, count: entry?.count ?? 0, n: expected });
      break;
    }
    case 'profile-start':
      profiler = new Session();
      profiler.connect();
      void profiler
        .post('Profiler.enable')
        .then(() => profiler?.post('Profiler.setSamplingInterval', { interval: 200 }))
        .then(() => profiler?.post('Profiler.start'));
      break;
    case 'profile-stop':
      void (async () => {
        const result = /** @type {any} */ (await profiler?.post('Profiler.stop'));
        profiler?.disconnect();
        profiler = undefined;
        if (result !== undefined) writeFileSync(msg.file, JSON.stringify(result.profile));
        send({ type: 'profiled' });
      })().catch((error) => send({ type: 'fatal', message: String(error?.stack ?? error) }));
      break;
    case 'close':
      void Promise.allSettled(clients.map((c) => c.close())).then(() => process.exit(0));
      // Bounded: whatever is still open after a second goes with the process.
      setTimeout(() => process.exit(0), 1000).unref();
      break;
    default:
  }
});
process.on('disconnect', () => process.exit(0));
send({ type: 'hello' });
