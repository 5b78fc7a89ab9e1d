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

const cold = once();
// A second init in the same (now warm) process, for time only: its heap deltas are not reliable,
// because what the first one left behind may be collected in the middle of them.
const warm = once();
process.stdout.write(`${JSON.stringify({ flags: count, snapshotBytes: snapshot.length, cold, warm })}\n`);
