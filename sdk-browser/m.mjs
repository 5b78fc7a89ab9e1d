import * as esbuild from 'esbuild';
import { gzipSync } from 'node:zlib';
const stub = { name: 'stub', setup(b) { b.onLoad({ filter: /model\/clause\.ts$/ }, () => ({ contents: `export const OPERATORS = {eq:1,neq:1,in:1,notIn:1,contains:1,startsWith:1,endsWith:1,matches:1,lt:1,lte:1,gt:1,gte:1,before:1,after:1,semverEq:1,semverLt:1,semverGt:1,inSegment:1};`, loader: 'ts' })); } };
for (const f of process.argv.slice(2)) {
  const r = await esbuild.build({ entryPoints: [f], bundle: true, minify: true, format: 'esm', platform: 'browser', target: 'es2020', write: false, metafile: true, conditions: ['switchyard-src'], plugins: [stub] });
  const out = r.outputFiles[0].contents;
  console.log(f, out.length, gzipSync(out, { level: 9 }).length);
  const o = Object.values(r.metafile.outputs)[0];
  const rows = Object.entries(o.inputs).map(([k, v]) => [v.bytesInOutput, k]).sort((a, b) => b[0] - a[0]).slice(0, 15);
  for (const [b, k] of rows) console.log('  ', b, k);
}
