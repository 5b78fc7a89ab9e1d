// Runs the published test vectors inside the browser: evaluation files through the SDK's public
// client, bucketing files through core's bucket() (murmur3 on the browser's own JS engine).
import { bucket, type Context, type FlagConfig, type JsonValue, type Segment } from '@switchyard/core/evaluate';
import { createClient, type Detail } from '@switchyard/sdk-browser';

export interface VectorRun {
  readonly flags?: readonly FlagConfig[];
  readonly segments?: readonly Segment[];
  readonly keyHashSalt?: string;
  readonly evaluations?: readonly (readonly [name: string, flag: string, context: Context, defaultValue: JsonValue])[];
  readonly buckets?: readonly (readonly [name: string, salt: string, value: string])[];
}

declare global {
  interface Window {
    runVectors(run: VectorRun): Record<string, Detail | number>;
  }
}

window.runVectors = (run) => {
  const results: Record<string, Detail | number> = {};
  for (const [name, salt, value] of run.buckets ?? []) results[name] = bucket(salt, value);
  if (run.evaluations !== undefined) {
    const bootstrap = run.keyHashSalt === undefined ? { flags: run.flags ?? [], segments: run.segments ?? [] } : { flags: run.flags ?? [], segments: run.segments ?? [], keyHashSalt: run.keyHashSalt };
    const flags = createClient({ url: '', clientKey: '', offline: true, cache: false, metricsIntervalMs: 0, bootstrap });
    for (const [name, key, context, defaultValue] of run.evaluations) {
      flags.setContext(context);
      results[name] = flags.detail(key, defaultValue);
    }
    void flags.close();
  }
  return results;
};
