// Suite "bundle": what a browser SDK costs a page. The same minimal app (create the client, evaluate
// one flag) for Switchyard and four browser peers, bundled by esbuild with the flags of issue #5
// (--bundle --minify --format=esm --platform=browser --target=es2020); bytes minified and gzip -9.
// See bench/README.md for the method.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

export const description = 'minified and gzip -9 bytes of a minimal browser app, Switchyard vs. peers';

const here = dirname(fileURLToPath(import.meta.url));

/** Gzip bytes (kB = 1000 bytes) the Switchyard app must stay at or under. */
const TARGET_GZIP_BYTES = 5000;

/**
 * @typedef {{ id: string, pkg: string, locallyEvaluates: boolean, source: string }} App
 * @typedef {{ title: string, columns: string[], rows: string[][], notes?: string[] }} Table
 */

/** The minimal apps: create a client the way each SDK's README does, evaluate one flag. */
/** @type {App[]} */
const APPS = [
  {
    id: 'switchyard',
    pkg: '@switchyard/sdk-browser',
    locallyEvaluates: true,
    source: `import { createClient } from '@switchyard/sdk-browser';
const flags = createClient({ url: 'https://flags.example.com', clientKey: 'key', context: { key: 'user-42' } });
console.log(flags.enabled('new-checkout'));`,
  },
  {
    id: 'unleash-proxy-client',
    pkg: 'unleash-proxy-client',
    locallyEvaluates: false,
    source: `import { UnleashClient } from 'unleash-proxy-client';
const client = new UnleashClient({ url: 'https://flags.example.com/proxy', clientKey: 'key', appName: 'app' });
client.start();
console.log(client.isEnabled('new-checkout'));`,
  },
  {
    id: 'flagsmith',
    pkg: 'flagsmith',
    locallyEvaluates: false,
    source: `import flagsmith from 'flagsmith';
flagsmith.init({ environmentID: 'key' }).then(() => console.log(flagsmith.hasFeature('new-checkout')));`,
  },
  {
    id: 'growthbook',
    pkg: '@growthbook/growthbook',
    locallyEvaluates: true,
    source: `import { GrowthBook } from '@growthbook/growthbook';
const gb = new GrowthBook({ apiHost: 'https://flags.example.com', clientKey: 'key', attributes: { id: 'user-42' } });
gb.init({ streaming: true }).then(() => console.log(gb.isOn('new-checkout')));`,
  },
  {
    id: 'launchdarkly',
    pkg: 'launchdarkly-js-client-sdk',
    locallyEvaluates: false,
    source: `import { initialize } from 'launchdarkly-js-client-sdk';
const client = initialize('key', { kind: 'user', key: 'user-42' });
client.waitForInitialization().then(() => console.log(client.variation('new-checkout', false)));`,
  },
];

/** The evaluator alone (what the SDK carries from core: evaluateCompact() over Maps, and hashTargetKey), to attribute Switchyard's bytes. */
const EVALUATOR_ONLY = `import { evaluateCompact, hashTargetKey } from '@switchyard/core/evaluate';
const flags = new Map();
console.log(evaluateCompact(flags.get('new-checkout'), { key: 'user-42' }, { flags, segments: new Map(), defaultValue: false, targetKey: hashTargetKey('salt', 'user-42') }).value);`;

/** @param {string} name */
function installedVersion(name) {
  for (let dir = here; ; dir = dirname(dir)) {
    const file = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(file)) return /** @type {string} */ (JSON.parse(readFileSync(file, 'utf8')).version);
    if (dirname(dir) === dir) return 'unknown';
  }
}

/** Bundles `source` as issue #5 prescribes; returns sizes and esbuild's metafile inputs. @param {string} source */
async function bundle(source) {
  const result = await build({
    stdin: { contents: source, resolveDir: here, sourcefile: 'app.js', loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const bytes = result.outputFiles[0]?.contents ?? new Uint8Array();
  const output = Object.values(result.metafile.outputs)[0];
  /** @type {Record<string, number>} */
  const inputs = {};
  for (const [path, info] of Object.entries(output?.inputs ?? {})) inputs[path] = info.bytesInOutput;
  return { minified: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length, inputs };
}

const kb = (/** @type {number} */ bytes) => `${(bytes / 1000).toFixed(1)} kB`;
const int = (/** @type {number} */ n) => n.toLocaleString('en-US');

/** Which part of Switchyard's bundle a module belongs to. @param {string} path */
function partOf(path) {
  if (path.includes('sdk-browser/')) return 'sdk-browser (client, stream, poll, cache, metrics)';
  if (path.includes('core/')) return '@switchyard/core evaluator (evaluateCompact, operators, murmur3, semver, dates)';
  return path.includes('node_modules') ? `dependency ${path}` : 'the app itself';
}

/** @param {{ log: (line: string) => void }} _ */
export async function run({ log }) {
  const results = [];
  for (const app of APPS) {
    log(`  bundling ${app.id}…`);
    results.push({ ...app, version: installedVersion(app.pkg), ...(await bundle(app.source)) });
  }
  const ours = results[0];
  if (ours === undefined) throw new Error('no switchyard result');
  const foreign = Object.keys(ours.inputs).filter((p) => p.includes('node_modules'));
  // zod (or any dependency) in the browser bundle is a packaging bug, not a size to report.
  if (foreign.length > 0) throw new Error(`the Switchyard bundle pulls in dependencies: ${foreign.join(', ')}`);
  const evaluator = await bundle(EVALUATOR_ONLY);

  /** @type {Table} */
  const sizes = {
    title: 'Minimal app: create the client, evaluate one flag (esbuild --bundle --minify --format=esm --platform=browser --target=es2020)',
    columns: ['app', 'package', 'version', 'evaluates locally', 'minified', 'gzip -9', 'gzip vs Switchyard'],
    rows: results.map((r) => [
      r.id,
      r.pkg,
      r.version,
      r.locallyEvaluates ? 'yes' : 'no',
      `${int(r.minified)} B`,
      `${int(r.gzip)} B (${kb(r.gzip)})`,
      r === ours ? '—' : `${(r.gzip / ours.gzip).toFixed(2)}×`,
    ]),
    notes: ['kB = 1000 bytes. "evaluates locally": the SDK carries the rules and an evaluator, as Switchyard does; the others ask a server for values.'],
  };

  /** @type {Map<string, number>} */
  const parts = new Map();
  for (const [path, bytes] of Object.entries(ours.inputs)) parts.set(partOf(path), (parts.get(partOf(path)) ?? 0) + bytes);
  /** @type {Table} */
  const breakdown = {
    title: 'Where Switchyard\'s bytes go (esbuild metafile, minified bytes per part; gzip of the evaluator alone measured separately)',
    columns: ['part', 'minified'],
    rows: [...parts].sort((a, b) => b[1] - a[1]).map(([part, bytes]) => [part, `${int(bytes)} B`]),
    notes: [
      `evaluator alone (evaluateCompact + hashTargetKey from @switchyard/core/evaluate): ${int(evaluator.minified)} B minified, ${int(evaluator.gzip)} B gzip -9`,
      `so the SDK adds ${int(ours.gzip - evaluator.gzip)} B gzip on top of the evaluator`,
      ...Object.entries(ours.inputs)
        .sort((a, b) => b[1] - a[1])
        .map(([path, bytes]) => `  ${int(bytes).padStart(6)} B  ${path}`),
    ],
  };

  const targets = [{ name: `Switchyard app ≤ ${kb(TARGET_GZIP_BYTES)} gzip`, pass: ours.gzip <= TARGET_GZIP_BYTES, detail: `${int(ours.gzip)} B gzip -9 (${kb(ours.gzip)}), of which the evaluator alone is ${int(evaluator.gzip)} B` }];
  for (const peer of results.slice(1)) {
    targets.push({ name: `smaller than ${peer.id}`, pass: ours.gzip < peer.gzip, detail: `${kb(ours.gzip)} vs ${kb(peer.gzip)} gzip (${peer.pkg} ${peer.version})` });
  }
  return {
    tables: [sizes, breakdown],
    targets,
    data: { results, evaluatorOnly: evaluator, targetGzipBytes: TARGET_GZIP_BYTES },
  };
}
