import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { spawnTracked, type Spawned } from './processes.js';

/** What the fleet reports (see sdk-fleet.mjs). */
export interface FleetStatus {
  readonly clients: number;
  readonly evaluations: number;
  /** Evaluations of existing flags that came back ERROR or FLAG_NOT_FOUND. */
  readonly errors: number;
  readonly errorSamples: unknown[];
  readonly minRevision: number;
  readonly maxRevision: number;
  /** Clients below maxRevision. */
  readonly behind: number;
  readonly sources: Record<string, number>;
  readonly changes: number;
}

/** Real sdk-node clients in a child process (the built SDK, as an application gets it). */
export interface SdkFleet {
  readonly process: Spawned;
  status(): Promise<FleetStatus>;
  /** Closes every client and ends the process; the final status. */
  close(): Promise<FleetStatus>;
}

const SCRIPT = fileURLToPath(new URL('./sdk-fleet.mjs', import.meta.url));
const SDK_DIST = fileURLToPath(new URL('../../sdk-node/dist/index.js', import.meta.url));

export async function startFleet(options: { url: string; sdkKey: string; clients: number; flags: readonly string[]; lifetimeMs?: number; readyTimeoutMs?: number }): Promise<SdkFleet> {
  if (!existsSync(SDK_DIST)) throw new Error(`${SDK_DIST} is missing: build with \`npx tsc -b\` first (npm test does)`);
  const spawned = spawnTracked(process.execPath, [SCRIPT], {
    env: {
      PATH: process.env.PATH ?? '',
      SWITCHYARD_URL: options.url,
      SDK_KEY: options.sdkKey,
      CLIENTS: String(options.clients),
      FLAGS: options.flags.join(','),
      LIFETIME_MS: String(options.lifetimeMs ?? 120_000),
    },
  });
  const waiting: ((message: Record<string, unknown>) => void)[] = [];
  let buffered = '';
  spawned.child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    let newline = buffered.indexOf('\n');
    while (newline !== -1) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      newline = buffered.indexOf('\n');
      try {
        const message = JSON.parse(line) as Record<string, unknown>;
        waiting.shift()?.(message);
      } catch {
        // Not a message.
      }
    }
  });
  const next = (timeoutMs: number): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`SDK fleet did not answer within ${timeoutMs} ms: ${spawned.stderr().slice(-2000)}`)), timeoutMs);
      const onExit = (): void => reject(new Error(`SDK fleet exited: ${spawned.stderr().slice(-2000)}`));
      spawned.child.once('exit', onExit);
      waiting.push((message) => {
        clearTimeout(timer);
        spawned.child.off('exit', onExit);
        resolve(message);
      });
    });
  const ready = await next(options.readyTimeoutMs ?? 40_000);
  if (ready.type !== 'ready' || ready.ok !== options.clients) {
    await spawned.kill();
    throw new Error(`SDK fleet not ready: ${JSON.stringify(ready)}`);
  }
  const ask = async (command: string): Promise<FleetStatus> => {
    const answer = next(10_000);
    spawned.child.stdin?.write(`${command}\n`);
    return (await answer) as unknown as FleetStatus;
  };
  return {
    process: spawned,
    status: () => ask('status'),
    async close() {
      const final = await ask('close');
      await Promise.race([spawned.exited, new Promise((r) => setTimeout(r, 5000))]);
      await spawned.kill();
      return final;
    },
  };
}
