// The minimal app of the browser e2e tests: renders every flag's value, re-renders on change.
import { createClient, type ClientOptions, type Detail, type ReadyResult, type SwitchyardClient } from '@switchyard/sdk-browser';

interface Render {
  readonly why: string;
  readonly at: number;
  readonly source: string;
  readonly revision: number;
  readonly values: Record<string, unknown>;
  readonly details: Record<string, Detail>;
}

declare global {
  interface Window {
    flags: SwitchyardClient;
    renders: Render[];
    readyResult?: ReadyResult;
  }
}

const config = JSON.parse(document.getElementById('config')?.textContent ?? '{}') as { options: ClientOptions; track?: string };
const flags = createClient(config.options);
window.flags = flags;
window.renders = [];

function render(why: string): void {
  const all = flags.all();
  const details = all.toJSON();
  const values: Record<string, unknown> = {};
  for (const key of all.keys()) values[key] = flags.detail(key).value;
  if (config.track !== undefined) flags.track(config.track, { latencyMs: 12 });
  const out: Render = { why, at: performance.now(), source: flags.source, revision: flags.revision, values, details };
  window.renders.push(out);
  const pre = document.getElementById('out');
  if (pre !== null) pre.textContent = JSON.stringify(out);
}

render('start');
flags.on('change', () => render('change'));
void flags.ready({ timeoutMs: 3000 }).then((result) => {
  window.readyResult = result;
  render('ready');
});
