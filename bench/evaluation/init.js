// One cold store init of N flags, run in a fresh process by evaluation.js (node --expose-gc
// bench/evaluation/init.js N); prints one JSON line. Fresh processes make every repetition as cold as
// an SDK's start: nothing of the evaluator is optimised by the JIT yet, and the heap holds nothing else.
import { createFlagSet } from '@switchyard/core';
import { heapAfterGc as heap } from '../lib/harness.js';
import { isOn, makeMixedFlags } from './fixtures.js';
import { switchyardConfig } from './switchyard-config.js';

const count = Number(process.argv[2] ?? 10_000);
const specs = makeMixedFlags(count);
const snapshot = JSON.stringify({ flags: specs.map(switchyardConfig) });
const keys = specs.map((s) => s.key);
const ctx = { key: 'user-init-probe', country: 'NL' };

/** One init; everything stays alive until the last heap reading. */
function once() {
  const h0 = heap();
  const t0 = performance.now();
  const parsed = JSON.parse(snapshot);
  const t1 = performance.now();
  const h1 = heap();
  const t2 = performance.now();
  const set = createFlagSet({ flags: parsed.flags });
  const t3 = performance.now();
  const h2 = heap();
  const t4 = performance.now();
  let on = 0;
  for (let i = 0; i < keys.length; i++) on += isOn(set.evaluate(/** @type {string} */ (keys[i]), ctx, false).value);
  const t5 = performance.now();
  const h3 = heap();
  if (set.keys().length !== count || on < count * 0.2) throw new Error(`init: the store holds ${set.keys().length} flags, ${on} on`);
  return {
    parseMs: t1 - t0,
    createMs: t3 - t2,
    compileAllMs: t5 - t4,
    readyMs: t3 - t2 + (t5 - t4),
    configBytes: h1 - h0,
    indexBytes: h2 - h1,
    compiledBytes: h3 - h1,
    totalBytes: h3 - h0,
  };
}

/** The same init, timed only: no forced GCs in between (they would throw away optimised code). */
function timeOnly() {
  const t0 = performance.now();
  const parsed = JSON.parse(snapshot);
  const t1 = performance.now();
  const set = createFlagSet({ flags: parsed.flags });
  const t2 = performance.now();
  let on = 0;
  for (let i = 0; i < keys.length; i++) on += isOn(set.evaluate(/** @type {string} */ (keys[i]), ctx, false).value);
  const t3 = performance.now();
  if (on < count * 0.2) throw new Error('init: too few flags on');
  return { parseMs: t1 - t0, createMs: t2 - t1, compileAllMs: t3 - t2, readyMs: t3 - t1 };
}

const cold = once();
// Warm: five more inits in the same process; the median of the last three, for time only (heap
// deltas are only reliable in the first run, before earlier inits' garbage can be collected mid-way).
const warmRuns = [];
for (let i = 0; i < 5; i++) warmRuns.push(timeOnly());
const last = warmRuns.slice(2);
/** @param {keyof ReturnType<typeof timeOnly>} k */
const median = (k) => last.map((r) => r[k]).sort((a, b) => a - b)[1];
const warm = { parseMs: median('parseMs'), createMs: median('createMs'), compileAllMs: median('compileAllMs'), readyMs: median('readyMs') };
process.stdout.write(`${JSON.stringify({ flags: count, snapshotBytes: snapshot.length, cold, warm })}\n`);
