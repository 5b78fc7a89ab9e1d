/** A running load generator. */
export interface Load {
  /** Stops sending and resolves with the counts. */
  stop(): Promise<{ sent: number; ok: number; failed: number }>;
}

/**
 * Sends `GET /checkout?user=user-<n>` to `baseUrl` about `rps` times a second, spread over `users`
 * distinct users, until stopped: traffic for the rollout guards to judge.
 * @example const load = startLoad({ baseUrl: 'http://127.0.0.1:3000', rps: 50 }); ...; await load.stop();
 */
export function startLoad(options: { baseUrl: string; rps: number; users?: number }): Load {
  const users = options.users ?? 10_000;
  const counts = { sent: 0, ok: 0, failed: 0 };
  const pending = new Set<Promise<void>>();
  const tickMs = 20;
  const perTick = options.rps * (tickMs / 1000);
  let credit = 0;
  const timer = setInterval(() => {
    credit += perTick;
    for (; credit >= 1; credit--) {
      const user = `user-${Math.floor(Math.random() * users)}`;
      counts.sent++;
      const request = fetch(`${options.baseUrl}/checkout?user=${user}`)
        .then(async (res) => {
          await res.arrayBuffer();
          if (res.ok) counts.ok++;
          else counts.failed++;
        })
        .catch(() => {
          counts.failed++;
        })
        .finally(() => pending.delete(request));
      pending.add(request);
    }
  }, tickMs);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all(pending);
      return { ...counts };
    },
  };
}
