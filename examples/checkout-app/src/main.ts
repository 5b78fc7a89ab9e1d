// Runs the example checkout service:
//   SWITCHYARD_URL=http://127.0.0.1:4242 SWITCHYARD_SDK_KEY=sys_... PORT=3000 \
//   NEW_CHECKOUT_FAILURE_RATE=0 LOAD_RPS=50 node examples/checkout-app/dist/main.js
import { createClient } from '@switchyard/sdk-node';
import { createCheckoutApp } from './app.js';
import { startLoad } from './load.js';

const url = process.env.SWITCHYARD_URL ?? 'http://127.0.0.1:4242';
const sdkKey = process.env.SWITCHYARD_SDK_KEY;
if (sdkKey === undefined || sdkKey === '') {
  console.error('set SWITCHYARD_SDK_KEY to an sdk-server key of the environment to serve');
  process.exit(2);
}
const port = Number(process.env.PORT ?? 3000);
const flags = createClient({ url, sdkKey, metricsIntervalMs: 1000 });
const ready = await flags.ready({ timeoutMs: 5000 });
console.log(`flags: ${ready.ok ? `ready (${ready.source})` : 'not ready, serving defaults'}`);
const app = createCheckoutApp({ flags, failureRate: Number(process.env.NEW_CHECKOUT_FAILURE_RATE ?? 0), extraLatencyMs: Number(process.env.NEW_CHECKOUT_EXTRA_LATENCY_MS ?? 0) });
app.server.listen(port, () => console.log(`checkout app on http://127.0.0.1:${port}/checkout?user=user-1`));
const rps = Number(process.env.LOAD_RPS ?? 0);
const load = rps > 0 ? startLoad({ baseUrl: `http://127.0.0.1:${port}`, rps }) : undefined;

process.on('SIGTERM', () => {
  void (async () => {
    await load?.stop();
    app.server.close();
    await flags.close();
  })();
});
