import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlag } from '../helpers/flags.js';
import { createTestServer, type TestServer } from '../helpers/server.js';

// SQL-like, exotic and oversized input is stored exactly as sent or refused with a 4xx; it is never
// executed, never a 500, and the tables are all still there afterwards.
const ENV = 'production';
const HOSTILE = [
  `'; DROP TABLE flags; --`,
  `Robert'); DROP TABLE audit_log;--`,
  `" OR "1"="1`,
  `1; SELECT pg_sleep(10); --`,
  `$1 $2 ::text \\' \\\\`,
  `%s %d %n {{7*7}} \${7*7} <script>alert(1)</script>`,
  `ship it 🚀 — naïve café ﷽ שלום עולם 日本語 Ω≈ç√`,
  `zero\u200bwidth\u202eright-to-left\ufeffbom`,
  `e\u0301\u0301\u0301 combining`,
  'line\nbreak\ttab\r\nwindows',
];
const ALLOWED_REFUSALS = [400, 404, 409, 413, 422];
let server: TestServer;

beforeAll(async () => {
  server = await createTestServer();
  await createFlag(server, 'hostile-target');
});

afterAll(async () => server.close());

async function tablesIntact(): Promise<void> {
  const tables = await sql<{ n: string | number }>`SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = ${server.database.schema} AND table_name IN ('flags', 'audit_log', 'api_keys', 'flag_environments', 'segments')`.execute(server.database.db);
  expect(Number(tables.rows[0]?.n)).toBe(5);
  expect((await server.api('GET', '/api/v1/flags')).statusCode).toBe(200);
}

describe('hostile input', () => {
  it('stores SQL-like and exotic text verbatim in every free-text field', async () => {
    for (const [i, text] of HOSTILE.entries()) {
      const key = `hostile-${i}`;
      const created = await server.api('POST', '/api/v1/flags', { key, name: text, description: text, owner: text, kind: 'operational' });
      expect(created.statusCode, `${text}: ${created.body}`).toBe(201);
      const flag = (await server.api('GET', `/api/v1/flags/${key}`)).json() as { flag: { name: string; description: string; owner: string } };
      expect(flag.flag).toMatchObject({ name: text, description: text, owner: text.trim() });

      const put = await server.api('PUT', `/api/v1/flags/${key}/environments/${ENV}`, {
        enabled: true,
        offVariant: 'false',
        targets: [{ variant: 'true', values: [text] }],
        rules: [{ id: 'r', clauses: [{ attribute: text, op: 'in', values: [text] }], serve: { variant: 'true' } }],
        fallthrough: { variant: 'false' },
      });
      expect(put.statusCode, put.body).toBe(200);
      const { config } = (await server.api('GET', `/api/v1/flags/${key}/environments/${ENV}`)).json() as { config: { targets: { values: string[] }[]; rules: { clauses: { attribute: string; values: string[] }[] }[] } };
      expect(config.targets[0]?.values).toEqual([text]);
      expect(config.rules[0]?.clauses[0]).toMatchObject({ attribute: text, values: [text] });

      const kill = await server.api('POST', `/api/v1/flags/${key}/environments/${ENV}/kill`, { reason: text }, { headers: { 'x-switchyard-incident': text.replace(/[\r\n]/g, ' ').replace(/[^\x20-\x7e]/g, '?') } });
      expect(kill.statusCode, kill.body).toBe(200);
      const audit = await server.api('GET', `/api/v1/audit?flag=${encodeURIComponent(key)}&action=flag-environment.kill`);
      expect(audit.statusCode).toBe(200);
      expect(JSON.stringify(audit.json())).toContain(JSON.stringify(text).slice(1, -1));
    }
    await tablesIntact();
  });

  it('treats SQL-like keys, query parameters and path segments as data: not found, or refused', async () => {
    for (const text of HOSTILE) {
      const encoded = encodeURIComponent(text);
      for (const [method, url] of [
        ['GET', `/api/v1/flags/${encoded}`],
        ['GET', `/api/v1/flags/hostile-target/environments/${encoded}`],
        ['GET', `/api/v1/segments/${encoded}`],
        ['GET', `/api/v1/audit?actor=${encoded}&flag=${encoded}&env=${encoded}`],
        ['GET', `/api/v1/flags?owner=${encoded}&tag=${encoded}&search=${encoded}`],
        ['DELETE', `/api/v1/keys/${encoded}`],
      ] as const) {
        const res = await server.api(method, url);
        expect(res.statusCode < 500, `${method} ${url}: ${res.statusCode} ${res.body}`).toBe(true);
        expect([200, ...ALLOWED_REFUSALS], `${method} ${url}`).toContain(res.statusCode);
      }
      const created = await server.api('POST', '/api/v1/flags', { key: text, kind: 'operational', owner: 'sre' });
      expect(created.statusCode).toBe(400);
    }
    await tablesIntact();
  });

  it('refuses what it cannot store, and what is too big, with a 4xx', async () => {
    const long = 'x'.repeat(100_000);
    const cases: [string, unknown][] = [
      ['a 100k-character description', { key: 'long-1', kind: 'operational', owner: 'sre', description: long }],
      ['a 100k-character name', { key: 'long-2', kind: 'operational', owner: 'sre', name: long }],
      ['a 100k-character owner', { key: 'long-3', kind: 'operational', owner: long }],
      ['a NUL character', { key: 'nul-1', kind: 'operational', owner: 'sre', description: 'a\u0000b' }],
      ['a lone surrogate', { key: 'sur-1', kind: 'operational', owner: 'sre', description: 'a\ud800b' }],
      ['deep nesting', { key: 'deep-1', kind: 'operational', owner: 'sre', description: 'x', tags: JSON.parse(`${'['.repeat(200)}${']'.repeat(200)}`) as unknown }],
    ];
    for (const [what, body] of cases) {
      const res = await server.api('POST', '/api/v1/flags', body);
      if (res.statusCode === 201) {
        // Stored: then exactly as sent.
        const key = (body as { key: string }).key;
        const flag = (await server.api('GET', `/api/v1/flags/${key}`)).json() as { flag: Record<string, unknown> };
        for (const field of ['description', 'name', 'owner']) if (field in (body as object)) expect(flag.flag[field], what).toBe((body as Record<string, unknown>)[field]);
      } else expect(ALLOWED_REFUSALS, `${what}: ${res.statusCode} ${res.body}`).toContain(res.statusCode);
    }
    const huge = await server.api('PUT', `/api/v1/flags/hostile-target/environments/${ENV}`, {
      enabled: true,
      offVariant: 'false',
      targets: [{ variant: 'true', values: Array.from({ length: 50_000 }, (_, i) => `user-${i}-${'y'.repeat(20)}`) }],
      fallthrough: { variant: 'false' },
    });
    expect(huge.statusCode).toBe(413);
    const invalidJson = await server.api('POST', '/api/v1/flags', `{"key": "x'; DROP TABLE flags; --", `);
    expect(invalidJson.statusCode).toBe(400);
    await tablesIntact();
  });
});
