// Many real @switchyard/sdk-node clients in one child process, for failure tests: a test process that
// also runs servers cannot hold hundreds of sockets and evaluation loops without distorting timings.
//
// Environment: SWITCHYARD_URL, SDK_KEY, CLIENTS (count), FLAGS (comma-separated keys that exist),
// LIFETIME_MS (hard stop). Reads commands from stdin, one per line: `status`, `close`.
// Writes JSON lines to stdout: {type:'ready'}, {type:'status', ...}, {type:'closed'}.
import { createInterface } from 'node:readline';
import { createClient, silentLogger } from '@switchyard/sdk-node';

const url = process.env.SWITCHYARD_URL ?? '';
const sdkKey = process.env.SDK_KEY ?? '';
const count = Number(process.env.CLIENTS ?? '1');
const flags = (process.env.FLAGS ?? '').split(',').filter((f) => f !== '');
const lifetimeMs = Number(process.env.LIFETIME_MS ?? '120000');

const emit = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);

// Bounded however the parent behaves.
setTimeout(() => {
  emit({ type: 'error', message: `fleet lifetime of ${lifetimeMs} ms is over` });
  process.exit(3);
}, lifetimeMs).unref();

const clients = Array.from({ length: count }, () =>
  createClient({ url, sdkKey, logger: silentLogger, metricsIntervalMs: 0, pollIntervalMs: 2000, requestTimeoutMs: 3000, backoff: { initialMs: 200, maxMs: 2000 } }),
);

let evaluations = 0;
let errors = 0;
const errorSamples = [];
let rounds = 0;
let changes = 0;
for (const client of clients) client.on('change', () => changes++);

const ready = await Promise.all(clients.map((c) => c.ready({ timeoutMs: 30_000 })));
emit({ type: 'ready', ok: ready.filter((r) => r.ok).length, total: count });

// Every client evaluates every flag every 50 ms, for a rotating user: an evaluation error is any
// ERROR or FLAG_NOT_FOUND for a flag that exists.
const evaluate = setInterval(() => {
  rounds++;
  for (const client of clients) {
    for (const key of flags) {
      const detail = client.detail(key, { key: `user-${rounds % 997}` });
      evaluations++;
      if (detail.reason === 'ERROR' || detail.reason === 'FLAG_NOT_FOUND') {
        errors++;
        if (errorSamples.length < 5) errorSamples.push({ key, reason: detail.reason, errorCode: detail.errorCode, revision: client.revision, source: client.source });
      }
    }
  }
}, 50);

function status() {
  let min = Infinity;
  let max = 0;
  const sources = {};
  for (const client of clients) {
    min = Math.min(min, client.revision);
    max = Math.max(max, client.revision);
    sources[client.source] = (sources[client.source] ?? 0) + 1;
  }
  const behind = clients.filter((c) => c.revision < max).length;
  return { type: 'status', clients: count, evaluations, errors, errorSamples, minRevision: min, maxRevision: max, behind, sources, changes };
}

const lines = createInterface({ input: process.stdin });
lines.on('line', async (line) => {
  if (line === 'status') emit(status());
  else if (line === 'close') {
    clearInterval(evaluate);
    const final = status();
    await Promise.all(clients.map((c) => c.close()));
    emit({ ...final, type: 'closed' });
    process.exit(0);
  }
});
// The parent went away: stop.
lines.on('close', () => process.exit(0));
