// Measurement harness shared by the benchmark suites.
//
// Method: every case gets its own freshly generated loop function (so each call site in the loop is
// monomorphic and no case pollutes another's type feedback), is calibrated to a batch size that takes
// about `batchMs`, warmed up, and then timed in batches with process.hrtime.bigint(). Cases of one
// scenario are interleaved batch by batch (rotating the order each round), so drift in CPU frequency,
// GC pressure and noisy neighbours spreads over all engines alike. We report the median ns/op over
// batches and the 90th percentile. Every result is folded into a sink that is checked at the end, so
// the JIT cannot drop the work.
//
// No forced GC between batches: a full collection makes V8 throw away optimised code that holds weak
// references to short-lived objects (flagd-core's, for one: "deoptimization, reason: weak objects"),
// so forcing one every batch would measure peers half-deoptimised. Engines share the heap, as they
// would in one application.

const now = process.hrtime.bigint;

/** @typedef {(ctx: any) => number} SyncFn */
/** @typedef {(ctx: any) => Promise<unknown>} AsyncFn */
/**
 * @typedef {object} Case
 * @property {string} engine
 * @property {SyncFn | AsyncFn} fn         called once per op with the next context
 * @property {boolean} [async]             fn returns a promise; the loop awaits each call
 * @property {(value: unknown) => number} [score]  async only: turns the resolved value into a number
 * @property {readonly any[]} contexts     prebuilt contexts in this engine's own shape, rotated
 */
/**
 * @typedef {object} Options
 * @property {number} rounds       timed batches per case
 * @property {number} batchMs      target duration of one batch
 * @property {number} warmupMs     warm-up time per case (bounded also by warmupBatches)
 * @property {number} warmupBatches
 * @property {number} maxOpsPerBatch
 * @property {number} scenarioBudgetMs  stop adding rounds after this much time (min 5 rounds)
 */

/** @type {Options} */
export const DEFAULT_OPTIONS = {
  rounds: 25,
  batchMs: 10,
  warmupMs: 300,
  warmupBatches: 40,
  maxOpsPerBatch: 200_000,
  scenarioBudgetMs: 30_000,
};

let sink = 0;

/** The accumulated sink; print or store it so the measured work is observable. */
export function sinkValue() {
  return sink;
}

function syncLoop() {
  // A new Function per case: a fresh SharedFunctionInfo, hence fresh inline caches.
  return /** @type {(fn: SyncFn, ctxs: readonly any[], start: number, n: number) => number} */ (
    new Function(
      'fn',
      'ctxs',
      'start',
      'n',
      `'use strict';
       let s = 0;
       const len = ctxs.length;
       let j = start;
       for (let i = 0; i < n; i++) {
         s += fn(ctxs[j]);
         if (++j === len) j = 0;
       }
       return s;`,
    )
  );
}

const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;

function asyncLoop() {
  return /** @type {(fn: AsyncFn, score: (v: unknown) => number, ctxs: readonly any[], start: number, n: number) => Promise<number>} */ (
    new AsyncFunction(
      'fn',
      'score',
      'ctxs',
      'start',
      'n',
      `'use strict';
       let s = 0;
       const len = ctxs.length;
       let j = start;
       for (let i = 0; i < n; i++) {
         s += score(await fn(ctxs[j]));
         if (++j === len) j = 0;
       }
       return s;`,
    )
  );
}

class Runner {
  /** @param {Case} c @param {Options} options */
  constructor(c, options) {
    this.case = c;
    this.options = options;
    this.cursor = 0;
    this.n = 1;
    /** @type {number[]} */
    this.samples = [];
    this.loop = c.async ? asyncLoop() : syncLoop();
  }

  /** Runs one batch of `n` ops and returns ns/op. */
  async batch(n) {
    const c = this.case;
    const start = this.cursor;
    let s;
    const t0 = now();
    if (c.async) s = await /** @type {any} */ (this.loop)(c.fn, c.score ?? Number, c.contexts, start, n);
    else s = /** @type {any} */ (this.loop)(c.fn, c.contexts, start, n);
    const t1 = now();
    sink = (sink + (s | 0)) | 0;
    this.cursor = (start + n) % c.contexts.length;
    return Number(t1 - t0) / n;
  }

  async calibrate() {
    const { batchMs, maxOpsPerBatch } = this.options;
    let n = 1;
    // Grow until one batch takes at least a tenth of the target (bounded: at most ~25 doublings).
    for (let i = 0; i < 25; i++) {
      const ns = await this.batch(n);
      if (ns * n >= batchMs * 1e5 || n >= maxOpsPerBatch) {
        this.n = Math.max(1, Math.min(maxOpsPerBatch, Math.round((batchMs * 1e6) / ns)));
        return;
      }
      n *= 2;
    }
    this.n = n;
  }

  async warmup() {
    const { warmupMs, warmupBatches } = this.options;
    const deadline = Date.now() + warmupMs;
    for (let i = 0; i < warmupBatches && Date.now() < deadline; i++) await this.batch(this.n);
    // Re-calibrate once warm: optimised code may be much faster than the first batches were.
    await this.calibrate();
  }
}

/**
 * Measures the cases of one scenario, interleaved.
 * @param {Case[]} cases
 * @param {Partial<Options>} [opts]
 * @returns {Promise<Map<string, { median: number, p90: number, min: number, batches: number, opsPerBatch: number }>>}
 */
export async function measure(cases, opts = {}) {
  const options = { ...DEFAULT_OPTIONS, ...opts };
  const runners = cases.map((c) => new Runner(c, options));
  for (const r of runners) {
    await r.calibrate();
    await r.warmup();
  }
  const started = Date.now();
  for (let round = 0; round < options.rounds; round++) {
    for (let k = 0; k < runners.length; k++) {
      const r = /** @type {Runner} */ (runners[(round + k) % runners.length]);
      r.samples.push(await r.batch(r.n));
    }
    if (round >= 4 && Date.now() - started > options.scenarioBudgetMs) break;
  }
  const out = new Map();
  for (const r of runners) {
    out.set(r.case.engine, {
      median: quantile(r.samples, 0.5),
      p90: quantile(r.samples, 0.9),
      min: Math.min(...r.samples),
      batches: r.samples.length,
      opsPerBatch: r.n,
    });
  }
  return out;
}

/** Quantile with linear interpolation. @param {number[]} xs @param {number} q */
export function quantile(xs, q) {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return /** @type {number} */ (s[lo]) + (/** @type {number} */ (s[hi]) - /** @type {number} */ (s[lo])) * (pos - lo);
}

/** Runs a full garbage collection (needs --expose-gc) and returns heap used in bytes. */
export function heapAfterGc() {
  const gc = /** @type {any} */ (globalThis).gc;
  if (typeof gc !== 'function') throw new Error('run with node --expose-gc (bench/run.js does this)');
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
}

/** A small seeded PRNG (mulberry32), so contexts and fixtures are the same on every run. @param {number} seed */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
