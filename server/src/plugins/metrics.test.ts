import { createClient, silentLogger, type SwitchyardClient } from '@switchyard/sdk-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlag } from '../../../test/helpers/flags.js';
import { createTestServer, usingPostgres, type TestServer } from '../../../test/helpers/server.js';

const METRICS_TOKEN = 'metrics-token-0123456789';
let server: TestServer;
let url: string;
let client: SwitchyardClient | undefined;

/** One sample's value from the Prometheus text format, or undefined when the series is absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const have = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(match[3]);
  }
  return undefined;
}

async function scrape(token: string | null = METRICS_TOKEN): Promise<string> {
  const res = await server.api('GET', '/metrics', undefined, { token });
  expect(res.statusCode).toBe(200);
  return res.body;
}

beforeAll(async () => {
  server = await createTestServer({ metricsToken: METRICS_TOKEN });
  url = await server.listen();
  await createFlag(server, 'metered');
});

afterAll(async () => {
  await client?.close();
  await server.close();
});

describe('GET /metrics', () => {
  it('needs the METRICS_TOKEN when one is configured, and never an API key', async () => {
    expect((await server.api('GET', '/metrics', undefined, { token: null })).statusCode).toBe(401);
    const wrong = await server.api('GET', '/metrics', undefined, { token: 'metrics-token-wrong-wrong' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    expect((await server.api('GET', '/metrics', undefined, { token: server.adminToken })).statusCode).toBe(401);
  });

  it('answers the Prometheus text format with HELP and TYPE for every family', async () => {
    const res = await server.api('GET', '/metrics', undefined, { token: METRICS_TOKEN });
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = res.body;
    for (const [name, type] of [
      ['http_request_duration_seconds', 'histogram'],
      ['switchyard_sdk_connections', 'gauge'],
      ['switchyard_sdk_revision_lag', 'gauge'],
      ['switchyard_stream_messages_total', 'counter'],
      ['switchyard_revision_latest', 'gauge'],
      ['switchyard_revision_database', 'gauge'],
      ['switchyard_revision_lag', 'gauge'],
      ['switchyard_database_up', 'gauge'],
      ['switchyard_rollout_plans', 'gauge'],
      ['switchyard_draining', 'gauge'],
      ['process_cpu_seconds_total', 'counter'],
      ['nodejs_eventloop_lag_seconds', 'gauge'],
    ]) {
      expect(text, name).toContain(`# HELP ${name} `);
      expect(text, name).toContain(`# TYPE ${name} ${type}`);
    }
    // Every sample line is `name{labels} value`.
    for (const line of text.split('\n').filter((l) => l !== '' && !l.startsWith('#'))) {
      expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.e+-]+|nan|[+-]inf)$/i);
    }
    expect(sample(text, 'switchyard_database_up')).toBe(1);
    expect(sample(text, 'switchyard_draining')).toBe(0);
    expect(sample(text, 'switchyard_rollout_plans', { state: 'running' })).toBe(0);
    if (usingPostgres) {
      expect(sample(text, 'switchyard_db_pool_max')).toBeGreaterThan(0);
      expect(sample(text, 'switchyard_db_pool_connections')).toBeGreaterThanOrEqual(1);
    } else expect(text).not.toContain('switchyard_db_pool_connections');
  });

  it('times requests by route pattern, never by raw URL', async () => {
    for (const key of ['metered', 'no-such-flag-1', 'no-such-flag-2']) await server.api('GET', `/api/v1/flags/${key}`);
    const text = await scrape();
    expect(sample(text, 'http_request_duration_seconds_count', { method: 'GET', route: '/api/v1/flags/:key', status_code: '200' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'http_request_duration_seconds_count', { method: 'GET', route: '/api/v1/flags/:key', status_code: '404' })).toBeGreaterThanOrEqual(2);
    expect(text).not.toContain('no-such-flag');
  });

  it('exposes the latency histogram as Prometheus expects: cumulative buckets up to +Inf, sum and count', async () => {
    for (let i = 0; i < 3; i++) await server.api('GET', '/api/v1/environments');
    const text = await scrape();
    const labels = { method: 'GET', route: '/api/v1/environments', status_code: '200' };
    const count = sample(text, 'http_request_duration_seconds_count', labels) ?? 0;
    expect(count).toBeGreaterThanOrEqual(3);
    const bounds = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '30', '+Inf'];
    const buckets = bounds.map((le) => sample(text, 'http_request_duration_seconds_bucket', { ...labels, le }));
    expect(buckets.every((b) => b !== undefined)).toBe(true);
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]).toBeGreaterThanOrEqual(buckets[i - 1] ?? 0);
    expect(buckets.at(-1)).toBe(count);
    const sum = sample(text, 'http_request_duration_seconds_sum', labels) ?? -1;
    expect(sum).toBeGreaterThan(0);
    expect(sum).toBeLessThan(count * 30);
    expect(text).toContain('# TYPE http_request_duration_seconds histogram');
    expect(text).toContain('# HELP http_request_duration_seconds HTTP request latency by method, route pattern and status code');
  });

  it('counts connected SDKs, stream frames and revisions', async () => {
    const sdkKey = await server.createKey('sdk-server', 'production');
    client = createClient({ url, sdkKey, logger: silentLogger, metricsIntervalMs: 0 });
    await client.ready({ timeoutMs: 3000 });
    const deadline = Date.now() + 3000;
    // Registered and greeted: the first frame went out.
    while (!server.app.services.stream.connections('production').some((c) => c.sentRevision > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const before = await scrape();
    expect(sample(before, 'switchyard_sdk_connections', { environment: 'production', audience: 'server' })).toBe(1);
    // The SDK fetched the config first, so its hello resumed from that revision: a patch, not a snapshot.
    const greeted = (sample(before, 'switchyard_stream_messages_total', { type: 'snapshot' }) ?? 0) + (sample(before, 'switchyard_stream_messages_total', { type: 'patch' }) ?? 0);
    expect(greeted).toBeGreaterThanOrEqual(1);

    const kill = await server.api('POST', '/api/v1/flags/metered/environments/production/kill?waitForSdks=3000', { reason: 'metrics test' });
    expect(kill.statusCode).toBe(200);
    const revision = (kill.json() as { revision: number }).revision;
    const after = await scrape();
    expect(sample(after, 'switchyard_stream_messages_total', { type: 'patch' })).toBeGreaterThan(sample(before, 'switchyard_stream_messages_total', { type: 'patch' }) ?? 0);
    expect(sample(after, 'switchyard_revision_latest')).toBe(revision);
    expect(sample(after, 'switchyard_revision_database')).toBe(revision);
    expect(sample(after, 'switchyard_revision_lag')).toBe(0);
    expect(sample(after, 'switchyard_sdk_revision_lag', { environment: 'production', audience: 'server' })).toBe(0);
  });
});

describe('GET /metrics without a METRICS_TOKEN', () => {
  it('is open, like /health (restrict it by network)', async () => {
    const open = await createTestServer({ database: server.database });
    try {
      const res = await open.api('GET', '/metrics', undefined, { token: null });
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('switchyard_sdk_connections');
    } finally {
      await open.app.close();
    }
  });
});
