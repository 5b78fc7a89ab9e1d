import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { SwitchyardClient } from '@switchyard/sdk-node';

/** How the example checkout service behaves. */
export interface CheckoutAppOptions {
  /** A Switchyard client (`createClient` from @switchyard/sdk-node). */
  readonly flags: Pick<SwitchyardClient, 'enabled' | 'track'>;
  /** The release flag guarding the new checkout. Default `new-checkout`. */
  readonly flag?: string;
  /** Share of new-checkout requests that fail (0–1): a bug to catch in the rollout. Default 0. */
  readonly failureRate?: number;
  /** Extra latency of the new checkout, in ms (to trip a p99 guard). Default 0. */
  readonly extraLatencyMs?: number;
  /** Source of randomness (tests make it deterministic). */
  readonly random?: () => number;
}

/** The running example: an HTTP server and knobs to break it. */
export interface CheckoutApp {
  readonly server: Server;
  /** Makes the new checkout fail this share of requests from now on. */
  setFailureRate(rate: number): void;
  /** Requests served so far, by variant and outcome. */
  readonly stats: { classic: number; new: number; failed: number };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/**
 * An HTTP service with one endpoint, `GET /checkout?user=<id>`: users in the `new-checkout` rollout
 * get the new checkout, everyone else the classic one, and every request's outcome (error, latency)
 * is reported with `track()`, which is what a guarded rollout compares. `POST /admin/failure-rate?rate=0.5`
 * breaks the new checkout on purpose; `GET /health` answers 200.
 * @example
 * const flags = createClient({ url, sdkKey });
 * const app = createCheckoutApp({ flags });
 * app.server.listen(3000);
 */
export function createCheckoutApp(options: CheckoutAppOptions): CheckoutApp {
  const { flags } = options;
  const flag = options.flag ?? 'new-checkout';
  const random = options.random ?? Math.random;
  let failureRate = options.failureRate ?? 0;
  const stats = { classic: 0, new: 0, failed: 0 };

  async function checkout(user: string, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const context = { key: user };
    const useNew = flags.enabled(flag, context);
    let failed = false;
    if (useNew) {
      stats.new++;
      if (options.extraLatencyMs) await sleep(options.extraLatencyMs);
      failed = random() < failureRate;
    } else {
      stats.classic++;
    }
    // The outcome feeds the rollout guards: error rate and p99 latency per variant.
    flags.track(flag, context, { error: failed, latencyMs: performance.now() - started });
    if (failed) {
      stats.failed++;
      send(res, 500, { error: 'payment provider rejected the new checkout', checkout: 'new' });
    } else {
      send(res, 200, { ok: true, checkout: useNew ? 'new' : 'classic' });
    }
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/checkout') {
      void checkout(url.searchParams.get('user') ?? 'anonymous', res);
    } else if (req.method === 'POST' && url.pathname === '/admin/failure-rate') {
      const rate = Number(url.searchParams.get('rate'));
      if (!Number.isFinite(rate) || rate < 0 || rate > 1) send(res, 400, { error: 'rate must be between 0 and 1' });
      else {
        failureRate = rate;
        send(res, 200, { failureRate });
      }
    } else if (req.method === 'GET' && url.pathname === '/health') {
      send(res, 200, { ok: true });
    } else {
      send(res, 404, { error: 'not found' });
    }
  });

  return {
    server,
    setFailureRate(rate) {
      failureRate = rate;
    },
    stats,
  };
}
