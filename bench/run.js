// Benchmark runner: `npm run bench` runs every suite; `npm run bench -- evaluation` runs one.
//
//   node bench/run.js [suite...] [--rounds=N] [--batch-ms=N] [--warmup-ms=N] [--strict] [--list]
//
// Each suite runs in its own child process (`node --expose-gc`, NODE_ENV=production unless set), so
// suites do not share JIT state or heap, and heap can be measured after forced GCs. The child prints
// the suite's tables and targets and writes bench/results/<suite>.json. Exit code: 1 when a suite
// fails (for instance an engine that serves the wrong variants), 0 otherwise; with --strict a missed
// target also exits 1.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Suites in the order they run. Add new suites here: name → module exporting `description` and `run`. */
const SUITES = {
  evaluation: './evaluation.js',
  stream: './stream.js',
  bundle: './bundle-size.js',
  server: './server.js',
};

const here = dirname(fileURLToPath(import.meta.url));
const EXIT_MISSED = 3;

function parseArgs(argv) {
  const suites = [];
  /** @type {Record<string, number>} */
  const options = {};
  const flags = new Set();
  for (const arg of argv) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (m === null) {
      suites.push(arg);
      continue;
    }
    const [, name, value] = m;
    const key = { rounds: 'rounds', 'batch-ms': 'batchMs', 'warmup-ms': 'warmupMs' }[/** @type {string} */ (name)];
    if (key !== undefined && value !== undefined && Number.isFinite(Number(value)) && Number(value) > 0) options[key] = Number(value);
    else if (value === undefined) flags.add(name);
    else throw new Error(`unknown option ${arg}`);
  }
  return { suites, options, flags };
}

/** @param {string[]} columns @param {string[][]} rows */
function formatTable(columns, rows) {
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (/** @type {string[]} */ cells) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? `-${'-'.repeat(w)}-` : `-${'-'.repeat(w)}:`)).join('|')}|`;
  return [line(columns), rule, ...rows.map(line)].join('\n');
}

function environment() {
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform} ${process.arch}`,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    nodeEnv: process.env.NODE_ENV,
    execArgv: process.execArgv,
  };
}

async function child(name, options) {
  const file = /** @type {Record<string, string>} */ (SUITES)[name];
  if (file === undefined) throw new Error(`unknown suite ${name}`);
  const suite = await import(pathToFileURL(join(here, file)).href);
  const started = Date.now();
  console.log(`\n## ${name}: ${suite.description}`);
  const env = environment();
  console.log(`   ${env.node}, V8 ${env.v8}, ${env.cpu}, ${env.cores} cores, NODE_ENV=${env.nodeEnv}`);
  const result = await suite.run({ log: (/** @type {string} */ line) => console.log(line), options });
  for (const table of result.tables) {
    console.log(`\n### ${table.title}\n`);
    console.log(formatTable(table.columns, table.rows));
    for (const note of table.notes ?? []) console.log(`  ${note}`);
  }
  console.log('\n### Targets\n');
  for (const t of result.targets) console.log(`${t.pass ? 'PASS' : 'MISS'}  ${t.name}: ${t.detail}`);
  const seconds = (Date.now() - started) / 1000;
  mkdirSync(join(here, 'results'), { recursive: true });
  const out = join(here, 'results', `${name}.json`);
  writeFileSync(out, `${JSON.stringify({ suite: name, date: new Date().toISOString(), seconds, environment: env, options, ...result }, null, 2)}\n`);
  console.log(`\n(${seconds.toFixed(1)} s; results in ${out})`);
  return result.targets.every((/** @type {{ pass: boolean }} */ t) => t.pass) ? 0 : EXIT_MISSED;
}

async function main() {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') {
    const { options } = parseArgs(argv.slice(2));
    const code = await child(/** @type {string} */ (argv[1]), options);
    // Exit explicitly: a peer SDK's leftover timer or socket must not keep the benchmark alive.
    process.exit(code);
  }
  const { suites, flags } = parseArgs(argv);
  if (flags.has('list')) {
    for (const name of Object.keys(SUITES)) console.log(name);
    return;
  }
  const selected = suites.length > 0 ? suites : Object.keys(SUITES);
  const unknown = selected.filter((s) => !(s in SUITES));
  if (unknown.length > 0) {
    console.error(`unknown suite(s): ${unknown.join(', ')}; known: ${Object.keys(SUITES).join(', ')}`);
    process.exitCode = 1;
    return;
  }
  const passthrough = argv.filter((a) => a.startsWith('--') && a !== '--strict');
  let failed = false;
  let missed = false;
  for (const name of selected) {
    const r = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--child', name, ...passthrough], {
      stdio: 'inherit',
      timeout: 30 * 60 * 1000,
      env: { NODE_ENV: 'production', ...process.env },
    });
    if (r.status === EXIT_MISSED) missed = true;
    else if (r.status !== 0) {
      failed = true;
      console.error(`suite ${name} failed (exit ${r.status ?? r.signal})`);
    }
  }
  if (failed || (missed && flags.has('strict'))) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
});
