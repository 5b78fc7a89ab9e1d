import { evaluate, type ConfigSnapshot, type FlagConfig, type Segment } from '@switchyard/core';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMITTED_FLAGS, type Change } from '../../plugins/changes.js';
import { auditCount, createFlag, errorOf, putConfig, revisionOf } from '../../../../test/helpers/flags.js';
import { createTestServer, type TestServer } from '../../../../test/helpers/server.js';

let server: TestServer;
let sdkKey: string;
beforeAll(async () => {
  server = await createTestServer();
  sdkKey = await server.createKey('sdk-server', 'production');
});
afterAll(async () => server.close());

const url = (key: string, env = 'production', action = ''): string => `/api/v1/flags/${key}/environments/${env}${action}`;
const ON = { enabled: true, offVariant: 'false', fallthrough: { variant: 'true' } };

async function snapshot(): Promise<ConfigSnapshot> {
  const res = await server.api('GET', '/api/v1/sdk/config', undefined, { token: sdkKey });
  expect(res.statusCode).toBe(200);
  return res.json() as ConfigSnapshot;
}

function evaluator(snap: ConfigSnapshot): (key: string, context: Record<string, string>) => ReturnType<typeof evaluate> {
  const flags = new Map<string, FlagConfig>(snap.flags.map((f) => [f.key, f]));
  const segments = new Map<string, Segment>(snap.segments.map((s) => [s.key, s]));
  return (key, context) => evaluate(flags.get(key), context, { flags, segments, defaultValue: null });
}

describe('environment configs', () => {
  it('reads a config with its version and summary; 404s name what is missing', async () => {
    await createFlag(server, 'env-read');
    const res = await server.api('GET', url('env-read'));
    expect(res.statusCode).toBe(200);
    expect(res.headers.etag).toBe('"1"');
    expect(res.json()).toMatchObject({ flag: 'env-read', environment: 'production', version: 1, enabled: false, killed: null, state: 'off', config: { enabled: false, offVariant: 'false' } });
    expect(errorOf(await server.api('GET', url('env-read', 'moon'))).code).toBe('ENVIRONMENT_NOT_FOUND');
    expect(errorOf(await server.api('GET', url('env-read', 'Not_An_Env'))).code).toBe('ENVIRONMENT_NOT_FOUND');
    expect(errorOf(await server.api('GET', url('no-such-flag'))).code).toBe('FLAG_NOT_FOUND');
    expect(errorOf(await server.api('PUT', url('no-such-flag'), ON)).code).toBe('FLAG_NOT_FOUND');
    expect(errorOf(await server.api('PUT', url('env-read', 'moon'), ON)).code).toBe('ENVIRONMENT_NOT_FOUND');
  });

  it('replaces a config: new version, revision on the row, audit before → after, a change notification', async () => {
    await createFlag(server, 'env-put');
    const changes: Change[] = [];
    const unsubscribe = server.app.services.notifier.subscribe((c) => changes.push(c));
    try {
      const config = { ...ON, targets: [{ variant: 'false', values: ['qa-1'] }], rules: [{ id: 'nl', clauses: [{ attribute: 'country', op: 'in', values: ['NL'] }], serve: { variant: 'true' } }] };
      const res = await server.api('PUT', url('env-put'), config, { headers: { 'if-match': '"1"', 'x-switchyard-deploy': 'deploy-77' } });
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json() as { revision: number; version: number; state: string; config: unknown; updatedRevision: number };
      expect(body).toMatchObject({ version: 2, state: 'on', updatedRevision: body.revision, config: { ...config, prerequisites: [] } });
      expect(res.headers.etag).toBe('"2"');
      expect(changes).toEqual([{ revision: body.revision, environments: ['production'], kind: 'flag', keys: ['env-put'], [COMMITTED_FLAGS]: expect.any(Array) }]);
      // What the local stream hub sends without reading: exactly what SDKs read at that revision, and
      // nothing that JSON (Redis, the admin event stream) would carry out of the process.
      const sdk = await snapshot();
      expect(sdk.revision).toBe(body.revision);
      expect(changes[0]?.[COMMITTED_FLAGS]?.map((c) => c.config)).toEqual(sdk.flags.filter((f) => f.key === 'env-put'));
      expect(changes[0]?.[COMMITTED_FLAGS]?.[0]?.previous).toMatchObject({ key: 'env-put', version: 1, enabled: false, rules: [] });
      expect(JSON.parse(JSON.stringify(changes[0]))).toEqual({ revision: body.revision, environments: ['production'], kind: 'flag', keys: ['env-put'] });
      expect(server.app.services.revisions.latest()).toBeGreaterThanOrEqual(body.revision);
      const audit = await server.database.db.selectFrom('audit_log').selectAll().where('resource_key', '=', 'env-put').where('action', '=', 'flag-environment.update').executeTakeFirstOrThrow();
      expect(audit).toMatchObject({ resource_type: 'flag-environment', environment: 'production', deploy_id: 'deploy-77', actor: 'bootstrap-admin' });
      expect(audit.request_id).toEqual(expect.any(String));
      expect(Number(audit.revision)).toBe(body.revision);
      expect(audit.before).toMatchObject({ version: 1, config: { enabled: false } });
      expect(audit.after).toMatchObject({ version: 2, config: { enabled: true } });
    } finally {
      unsubscribe();
    }
  });

  it('answers 400 with body paths: unknown variants, unsafe regex, bad clause values, unknown segments', async () => {
    await createFlag(server, 'env-invalid');
    const cases: [Record<string, unknown>, string][] = [
      [{ ...ON, fallthrough: { variant: 'maybe' } }, 'fallthrough.variant'],
      [{ ...ON, offVariant: 'nope' }, 'offVariant'],
      [{ ...ON, rules: [{ id: 'r', clauses: [], serve: { variant: 'nope' } }] }, 'rules[0].serve.variant'],
      [{ ...ON, fallthrough: { rollout: { variants: [{ variant: 'true', weight: 50000 }, { variant: 'huh', weight: 50000 }] } } }, 'fallthrough.rollout.variants[1].variant'],
      [{ ...ON, fallthrough: { rollout: { variants: [{ variant: 'true', weight: 5 }] } } }, 'fallthrough.rollout.variants'],
      [{ ...ON, fallthrough: { variant: 7 } }, 'fallthrough.variant'],
      [
        {
          ...ON,
          rules: [{ id: 'r', clauses: [{ attribute: 'email', op: 'endsWith', values: ['@acme.io'] }, { attribute: 'email', op: 'matches', values: ['(a+)+$'] }], serve: { variant: 'true' } }],
        },
        'rules[0].clauses[1].values[0]',
      ],
      [{ ...ON, rules: [{ id: 'r', clauses: [{ attribute: 'age', op: 'gt', values: ['old'] }], serve: { variant: 'true' } }] }, 'rules[0].clauses[0].values[0]'],
      [{ ...ON, rules: [{ id: 'r', clauses: [{ attribute: 'key', op: 'inSegment', values: ['no-such-segment'] }], serve: { variant: 'true' } }] }, 'rules[0].clauses[0].values[0]'],
      [{ ...ON, targets: [{ variant: 'true', values: 'qa-1' }] }, 'targets[0].values'],
      // Reserved for the hashed key browsers receive (core's clientView).
      [{ ...ON, rules: [{ id: 'r', clauses: [{ attribute: '#key', op: 'eq', values: ['x'] }], serve: { variant: 'true' } }] }, 'rules[0].clauses[0].attribute'],
      [{ ...ON, prerequisites: [{ flag: 'ghost', variant: 'true' }] }, 'prerequisites[0].flag'],
      [{ ...ON, prerequisites: [{ flag: 'env-invalid', variant: 'true' }] }, 'prerequisites[0].flag'],
      [{ ...ON, colour: 'red' }, ''],
    ];
    const revision = await revisionOf(server);
    const audits = await auditCount(server);
    for (const [body, path] of cases) {
      const res = await server.api('PUT', url('env-invalid'), body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      const error = errorOf(res);
      expect(error.code).toBe('VALIDATION_FAILED');
      expect(error.details.map((d) => d.path), JSON.stringify(error)).toContain(path);
    }
    // Rejected writes leave neither a revision nor an audit row.
    expect(await revisionOf(server)).toBe(revision);
    expect(await auditCount(server)).toBe(audits);
  });

  it('accepts an existing segment and refuses a prerequisite cycle across two flags', async () => {
    const segment = await server.api('POST', '/api/v1/segments', { key: 'beta-testers', name: 'Beta testers', included: ['u1'] });
    expect(segment.statusCode, segment.body).toBe(201);
    await createFlag(server, 'cyc-a');
    await createFlag(server, 'cyc-b');
    await putConfig(server, 'cyc-a', 'production', { ...ON, rules: [{ id: 'beta', clauses: [{ attribute: 'key', op: 'inSegment', values: ['beta-testers'] }], serve: { variant: 'true' } }] });
    await putConfig(server, 'cyc-a', 'production', { ...ON, prerequisites: [{ flag: 'cyc-b', variant: 'true' }] });
    const cycle = await server.api('PUT', url('cyc-b'), { ...ON, prerequisites: [{ flag: 'cyc-a', variant: 'true' }] });
    expect(cycle.statusCode).toBe(400);
    expect(errorOf(cycle).details).toEqual([{ path: 'prerequisites', message: 'prerequisite cycle: cyc-b → cyc-a → cyc-b' }]);
    // The same edge in another environment is fine: prerequisites are per environment.
    await putConfig(server, 'cyc-b', 'staging', { ...ON, prerequisites: [{ flag: 'cyc-a', variant: 'true' }] });
    const wrongVariant = await server.api('PUT', url('cyc-b', 'development'), { ...ON, prerequisites: [{ flag: 'cyc-a', variant: 'maybe' }] });
    expect(errorOf(wrongVariant).details[0]?.path).toBe('prerequisites[0].variant');
  });

  it('leaves neither the change, nor a revision, nor an audit row when the transaction fails late', async () => {
    await createFlag(server, 'env-atomic');
    const revision = await revisionOf(server);
    const audits = await auditCount(server);
    const changes: Change[] = [];
    const unsubscribe = server.app.services.notifier.subscribe((c) => changes.push(c));
    // Make the last statement of the write (the audit insert) fail, after the revision bump and the update.
    await sql`ALTER TABLE audit_log ADD CONSTRAINT test_no_env_update CHECK (action <> 'flag-environment.update') NOT VALID`.execute(server.database.db);
    try {
      const res = await server.api('PUT', url('env-atomic'), ON);
      expect(res.statusCode).toBe(500);
      expect(errorOf(res).code).toBe('INTERNAL');
    } finally {
      await sql`ALTER TABLE audit_log DROP CONSTRAINT test_no_env_update`.execute(server.database.db);
      unsubscribe();
    }
    expect(await revisionOf(server)).toBe(revision);
    expect(await auditCount(server)).toBe(audits);
    expect(changes).toEqual([]);
    const row = await server.api('GET', url('env-atomic'));
    expect(row.json()).toMatchObject({ version: 1, enabled: false });
  });
});

describe('the rollout slider', () => {
  it('keeps users sticky when the percentage rises, evaluated from the SDK payload', async () => {
    await createFlag(server, 'slider', { kind: 'release', expiresAt: '2027-01-01T00:00:00Z' });
    await putConfig(server, 'slider', 'production', { ...ON, fallthrough: { variant: 'false' } });
    const users = Array.from({ length: 4000 }, (_, i) => `user-${i}`);

    const at5 = await server.api('POST', url('slider', 'production', '/rollout'), { percentage: 5 });
    expect(at5.statusCode, at5.body).toBe(200);
    expect(at5.json()).toMatchObject({ state: 'rollout', rolloutPercentage: 5, version: 3, config: { fallthrough: { rollout: { variants: [{ variant: 'true', weight: 5000 }, { variant: 'false', weight: 95000 }] } } } });
    expect((at5.json() as { warnings?: string[] }).warnings).toBeUndefined();
    const eval5 = evaluator(await snapshot());
    const in5 = users.filter((key) => eval5('slider', { key }).value === true);
    expect(in5.length).toBeGreaterThan(120);
    expect(in5.length).toBeLessThan(290);

    expect((await server.api('POST', url('slider', 'production', '/rollout'), { percentage: 25 })).statusCode).toBe(200);
    const eval25 = evaluator(await snapshot());
    const in25 = users.filter((key) => eval25('slider', { key }).value === true);
    for (const key of in5) expect(eval25('slider', { key }).value).toBe(true);
    expect(in25.length).toBeGreaterThan(880);
    expect(in25.length).toBeLessThan(1120);

    const audit = await server.database.db.selectFrom('audit_log').select(['action']).where('resource_key', '=', 'slider').where('action', '=', 'flag-environment.rollout').execute();
    expect(audit).toHaveLength(2);
  });

  it('keeps salt, bucketBy and slice order of an existing rollout, and warns when the flag is off', async () => {
    await createFlag(server, 'slider-salt', { type: 'string', variants: [{ key: 'old', value: 'old' }, { key: 'new', value: 'new' }, { key: 'off', value: 'off' }] });
    await putConfig(server, 'slider-salt', 'staging', {
      enabled: false,
      offVariant: 'old',
      fallthrough: { rollout: { variants: [{ variant: 'old', weight: 90000 }, { variant: 'new', weight: 10000 }], salt: 'shared-salt', bucketBy: 'accountId' } },
    });
    const res = await server.api('POST', url('slider-salt', 'staging', '/rollout'), { percentage: 30.125 });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { config: { enabled: boolean; fallthrough: unknown }; warnings: string[]; rolloutPercentage: number };
    expect(body.config.fallthrough).toEqual({ rollout: { variants: [{ variant: 'old', weight: 69875 }, { variant: 'new', weight: 30125 }], salt: 'shared-salt', bucketBy: 'accountId' } });
    expect(body.config.enabled).toBe(false);
    expect(body.rolloutPercentage).toBe(30.125);
    expect(body.warnings).toEqual(['flag is off in staging']);

    const other = await server.api('POST', url('slider-salt', 'development', '/rollout'), { percentage: 50, variant: 'new' });
    expect(other.json()).toMatchObject({ config: { fallthrough: { rollout: { variants: [{ variant: 'new', weight: 50000 }, { variant: 'off', weight: 50000 }] } } } });
  });

  it('refuses bad percentages and variants', async () => {
    await createFlag(server, 'slider-bad');
    const cases: [unknown, string][] = [
      [{ percentage: 101 }, 'percentage'],
      [{ percentage: -1 }, 'percentage'],
      [{ percentage: 0.0005 }, 'percentage'],
      [{ percentage: '25' }, 'percentage'],
      [{}, 'percentage'],
      [{ percentage: 5, variant: 'nope' }, 'variant'],
      [{ percentage: 5, variant: 'false' }, 'variant'],
      [{ percentage: 5, extra: true }, ''],
    ];
    for (const [body, path] of cases) {
      const res = await server.api('POST', url('slider-bad', 'production', '/rollout'), body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(errorOf(res).details.map((d) => d.path)).toContain(path);
    }
    for (const percentage of [0, 0.001, 99.999, 100]) expect((await server.api('POST', url('slider-bad', 'production', '/rollout'), { percentage })).statusCode).toBe(200);
  });
});

describe('kill and restore', () => {
  it('lets a responder kill with a reason and an incident id; answers the new revision; SDKs see KILLED', async () => {
    await createFlag(server, 'payments-v2');
    await putConfig(server, 'payments-v2', 'production', ON);
    const responder = await server.createKey('responder');
    const res = await server.api('POST', url('payments-v2', 'production', '/kill'), { reason: 'INC-4711 error rate' }, { token: responder, headers: { 'x-switchyard-incident': 'INC-4711' } });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { revision: number; flag: string; environment: string; enabled: boolean; killed: Record<string, unknown>; version: number };
    expect(body.revision).toBe(await revisionOf(server));
    expect(body).toMatchObject({ flag: 'payments-v2', environment: 'production', enabled: false, version: 3 });
    expect(body.killed).toMatchObject({ reason: 'INC-4711 error rate', actor: expect.stringMatching(/^responder-/), revision: body.revision, previousEnabled: true, incidentId: 'INC-4711', at: expect.any(String) });

    const audit = await server.database.db.selectFrom('audit_log').selectAll().where('resource_key', '=', 'payments-v2').where('action', '=', 'flag-environment.kill').executeTakeFirstOrThrow();
    expect(audit).toMatchObject({ reason: 'INC-4711 error rate', incident_id: 'INC-4711', environment: 'production', actor: body.killed.actor });
    expect(Number(audit.revision)).toBe(body.revision);

    const detail = evaluator(await snapshot())('payments-v2', { key: 'u1' });
    expect(detail).toMatchObject({ value: false, reason: 'KILLED' });
    expect((await server.api('GET', url('payments-v2'))).json()).toMatchObject({ state: 'killed', enabled: false });

    // Killing again changes nothing and says so.
    const again = await server.api('POST', url('payments-v2', 'production', '/kill'), { reason: 'second responder' }, { token: responder });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ alreadyKilled: true, revision: body.revision, killed: { reason: 'INC-4711 error rate' } });
    expect(await revisionOf(server)).toBe(body.revision);

    // Enabling through PUT would bypass the restore and its reason.
    const enable = await server.api('PUT', url('payments-v2'), ON);
    expect(enable.statusCode).toBe(409);
    expect(errorOf(enable).code).toBe('FLAG_KILLED');
    // Other edits while killed are fine and keep the kill.
    const edit = await server.api('PUT', url('payments-v2'), { ...ON, enabled: false, rules: [] });
    expect(edit.json()).toMatchObject({ state: 'killed' });
    const slider = await server.api('POST', url('payments-v2', 'production', '/rollout'), { percentage: 10 });
    expect(slider.json()).toMatchObject({ warnings: ['flag is killed in production'], state: 'killed' });
    // ...and the kill they keep is the one recorded: same reason, actor and revision, not the edit's.
    expect((await server.api('GET', url('payments-v2'))).json()).toMatchObject({ killed: { reason: 'INC-4711 error rate', revision: body.revision } });

    const restore = await server.api('POST', url('payments-v2', 'production', '/restore'), { reason: 'INC-4711 mitigated' }, { token: responder });
    expect(restore.statusCode, restore.body).toBe(200);
    expect(restore.json()).toMatchObject({ flag: 'payments-v2', environment: 'production', enabled: true, killed: null, revision: await revisionOf(server) });
    const restoredAudit = await server.database.db.selectFrom('audit_log').selectAll().where('resource_key', '=', 'payments-v2').where('action', '=', 'flag-environment.restore').executeTakeFirstOrThrow();
    expect(restoredAudit.reason).toBe('INC-4711 mitigated');
    expect(evaluator(await snapshot())('payments-v2', { key: 'u1' })).toMatchObject({ reason: 'FALLTHROUGH' });

    const notKilled = await server.api('POST', url('payments-v2', 'production', '/restore'), { reason: 'again' });
    expect(notKilled.statusCode).toBe(409);
    expect(errorOf(notKilled).code).toBe('NOT_KILLED');
  });

  it('takes one revision and one audit row for ten responders killing at once, and as many for ten restoring at once', async () => {
    await createFlag(server, 'kill-race');
    await putConfig(server, 'kill-race', 'production', ON);
    const revisionBefore = await revisionOf(server);
    const auditBefore = await auditCount(server);
    const kills = await Promise.all(Array.from({ length: 10 }, (_, i) => server.api('POST', url('kill-race', 'production', '/kill'), { reason: `responder ${i}` })));
    expect(kills.map((r) => r.statusCode)).toEqual(Array(10).fill(200));
    const bodies = kills.map((r) => r.json() as { revision: number; alreadyKilled?: boolean; killed: { reason: string } });
    expect(bodies.filter((b) => b.alreadyKilled !== true)).toHaveLength(1);
    // Everyone is told the same kill: its revision and its reason.
    expect(new Set(bodies.map((b) => b.revision))).toEqual(new Set([revisionBefore + 1]));
    expect(new Set(bodies.map((b) => b.killed.reason)).size).toBe(1);
    expect(await revisionOf(server)).toBe(revisionBefore + 1);
    expect(await auditCount(server)).toBe(auditBefore + 1);

    const restores = await Promise.all(Array.from({ length: 10 }, () => server.api('POST', url('kill-race', 'production', '/restore'), { reason: 'recovered' })));
    expect(restores.map((r) => r.statusCode).sort()).toEqual([200, ...Array(9).fill(409)]);
    expect(await revisionOf(server)).toBe(revisionBefore + 2);
    expect(await auditCount(server)).toBe(auditBefore + 2);
    expect((await server.api('GET', url('kill-race'))).json()).toMatchObject({ state: 'on', enabled: true, killed: null });
  });

  it('restores the state before the kill: a flag killed while off stays off', async () => {
    await createFlag(server, 'killed-while-off');
    expect((await server.api('POST', url('killed-while-off', 'production', '/kill'), { reason: 'precaution' })).json()).toMatchObject({ enabled: false, killed: { previousEnabled: false } });
    expect((await server.api('POST', url('killed-while-off', 'production', '/restore'), { reason: 'ok' })).json()).toMatchObject({ enabled: false, killed: null });
  });

  it('refuses readers and sdk keys (403) and requires a reason', async () => {
    await createFlag(server, 'kill-perms');
    const reader = await server.createKey('reader');
    for (const token of [reader, sdkKey]) {
      const res = await server.api('POST', url('kill-perms', 'production', '/kill'), { reason: 'x' }, { token });
      expect(res.statusCode).toBe(403);
      expect(errorOf(res).code).toBe('FORBIDDEN');
    }
    const responder = await server.createKey('responder');
    expect((await server.api('PUT', url('kill-perms'), ON, { token: responder })).statusCode).toBe(403);
    expect((await server.api('POST', url('kill-perms', 'production', '/rollout'), { percentage: 5 }, { token: responder })).statusCode).toBe(403);
    for (const body of [{}, { reason: '' }, { reason: '   ' }, { reason: 'x'.repeat(501) }, undefined]) {
      const res = await server.api('POST', url('kill-perms', 'production', '/kill'), body, { token: responder });
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
    }
    const writer = await server.createKey('writer');
    expect((await server.api('POST', url('kill-perms', 'production', '/kill'), { reason: 'writer may' }, { token: writer })).statusCode).toBe(200);
  });
});

describe('optimistic concurrency', () => {
  it('lets exactly one of 20 concurrent writers with the same If-Match win', async () => {
    await createFlag(server, 'contended');
    const revisionBefore = await revisionOf(server);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        server.api('PUT', url('contended'), { ...ON, rules: [{ id: `writer-${i}`, clauses: [], serve: { variant: 'true' } }] }, { headers: { 'if-match': '"1"' } }),
      ),
    );
    const codes = results.map((r) => r.statusCode).sort();
    expect(codes.filter((c) => c === 200)).toHaveLength(1);
    expect(codes.filter((c) => c === 409)).toHaveLength(19);
    for (const r of results.filter((x) => x.statusCode === 409)) expect(errorOf(r)).toMatchObject({ code: 'VERSION_CONFLICT', details: [{ currentVersion: 2, changedBy: 'bootstrap-admin' }] });
    const audits = await server.database.db.selectFrom('audit_log').select('id').where('resource_key', '=', 'contended').where('action', '=', 'flag-environment.update').execute();
    expect(audits).toHaveLength(1);
    // The losers' optimistic writes took no revision either.
    expect(await revisionOf(server)).toBe(revisionBefore + 1);
  });

  it('applies every one of 10 concurrent unconditional writers once: one version, revision and audit row each', async () => {
    await createFlag(server, 'contended-free');
    const revisionBefore = await revisionOf(server);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        i % 2 === 0
          ? server.api('PUT', url('contended-free'), { ...ON, rules: [{ id: `writer-${i}`, clauses: [], serve: { variant: 'true' } }] })
          : server.api('POST', url('contended-free', 'production', '/rollout'), { percentage: i * 10 }),
      ),
    );
    for (const r of results) expect(r.statusCode, r.body).toBe(200);
    expect(new Set(results.map((r) => (r.json() as { revision: number }).revision)).size).toBe(10);
    expect(results.map((r) => (r.json() as { version: number }).version).sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => i + 2));
    expect(await revisionOf(server)).toBe(revisionBefore + 10);
    const audits = await server.database.db.selectFrom('audit_log').select(['revision', 'after']).where('resource_key', '=', 'contended-free').where('resource_type', '=', 'flag-environment').where('environment', '=', 'production').execute();
    expect(audits).toHaveLength(10);
  });

  it('never writes from what it remembers of a row another replica changed since', async () => {
    const replica = await createTestServer({ database: server.database, adminUiDir: null });
    try {
      // "c" is neither first nor last: the other environments' default configs do not use it.
      await createFlag(server, 'two-replicas', { type: 'string', variants: [{ key: 'a', value: 'a' }, { key: 'c', value: 'c' }, { key: 'b', value: 'b' }] });
      const rule = (variant: string) => [{ id: 'r', clauses: [{ attribute: 'country', op: 'in', values: ['NL'] }], serve: { variant } }];
      // This server writes the row twice: the second write starts from what it remembers.
      await putConfig(server, 'two-replicas', 'production', { enabled: true, offVariant: 'a', fallthrough: { variant: 'a' }, rules: rule('b') });
      await putConfig(server, 'two-replicas', 'production', { enabled: true, offVariant: 'a', fallthrough: { variant: 'a' }, rules: rule('c') });
      // The other replica changes the row, then this one writes again, conditionally and not.
      const other = await putConfig(replica, 'two-replicas', 'production', { enabled: false, offVariant: 'a', fallthrough: { variant: 'b' }, rules: rule('c') });
      const stale = await server.api('PUT', url('two-replicas'), { enabled: true, offVariant: 'a', fallthrough: { variant: 'a' } }, { headers: { 'if-match': `"${Number(other.version) - 1}"` } });
      expect(stale.statusCode).toBe(409);
      expect(errorOf(stale).details).toMatchObject([{ currentVersion: other.version }]);
      const slider = await server.api('POST', url('two-replicas', 'production', '/rollout'), { percentage: 30, variant: 'c' }, { headers: { 'if-match': `"${String(other.version)}"` } });
      expect(slider.statusCode, slider.body).toBe(200);
      // The other replica's change is the base of this one (enabled stays false, its rules stay).
      expect(slider.json()).toMatchObject({ version: Number(other.version) + 1, enabled: false, config: { enabled: false, rules: [{ id: 'r', serve: { variant: 'c' } }] }, warnings: ['flag is off in production'] });
      const audit = await server.database.db
        .selectFrom('audit_log')
        .select(['before', 'action'])
        .where('resource_key', '=', 'two-replicas')
        .where('resource_type', '=', 'flag-environment')
        .where('environment', '=', 'production')
        .orderBy('id', 'desc')
        .executeTakeFirstOrThrow();
      expect(audit.action).toBe('flag-environment.rollout');
      expect(audit.before).toMatchObject({ version: other.version, config: { enabled: false, fallthrough: { variant: 'b' } } });
      // This server writes a config without "c" and remembers the flag it validated it against (with
      // "c"); the other replica then drops "c", which changes no config, only the flag. A config naming
      // "c" must be refused.
      await putConfig(server, 'two-replicas', 'production', { enabled: false, offVariant: 'a', fallthrough: { variant: 'b' } });
      const dropped = await replica.api('PATCH', '/api/v1/flags/two-replicas', { variants: [{ key: 'a', value: 'a' }, { key: 'b', value: 'b' }] });
      expect(dropped.statusCode, dropped.body).toBe(200);
      const refused = await server.api('PUT', url('two-replicas'), { enabled: true, offVariant: 'a', fallthrough: { variant: 'c' } });
      expect(refused.statusCode).toBe(400);
      expect(errorOf(refused).details).toEqual([{ path: 'fallthrough.variant', message: 'unknown variant "c"' }]);
    } finally {
      await replica.app.close();
    }
  });

  it('lets exactly one of 20 concurrent metadata writers with the same If-Match win', async () => {
    await createFlag(server, 'contended-meta');
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => server.api('PATCH', '/api/v1/flags/contended-meta', { owner: `owner-${i}` }, { headers: { 'if-match': '1' } })));
    expect(results.filter((r) => r.statusCode === 200)).toHaveLength(1);
    expect(results.filter((r) => r.statusCode === 409)).toHaveLength(19);
  });

  it('validates against variants changed by a metadata write that committed while it waited for the row', async () => {
    await createFlag(server, 'race-variants', { type: 'string', variants: [{ key: 'a', value: 'a' }, { key: 'b', value: 'b' }, { key: 'grid', value: 'grid' }] });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const holding = new Promise<void>((resolve) => (locked = resolve));
    // What PATCH does, paused before commit: lock the flag and its rows, drop "grid", touch the rows.
    const patch = server.database.db.transaction().execute(async (trx) => {
      await sql`SELECT key FROM flags WHERE key = 'race-variants' FOR UPDATE`.execute(trx);
      await sql`SELECT flag_key FROM flag_environments WHERE flag_key = 'race-variants' FOR UPDATE`.execute(trx);
      const rev = await sql<{ revision: string }>`UPDATE revision_counter SET revision = revision + 1 WHERE id = 1 RETURNING revision`.execute(trx);
      await sql`UPDATE flags SET variants = ${JSON.stringify([{ key: 'a', value: 'a' }, { key: 'b', value: 'b' }])}::jsonb, version = version + 1 WHERE key = 'race-variants'`.execute(trx);
      await sql`UPDATE flag_environments SET updated_revision = ${rev.rows[0]?.revision} WHERE flag_key = 'race-variants'`.execute(trx);
      locked();
      await gate;
    });
    await holding;
    const put = server.api('PUT', url('race-variants'), { enabled: true, offVariant: 'a', fallthrough: { variant: 'grid' } });
    await new Promise((resolve) => setTimeout(resolve, 150));
    release();
    await patch;
    const res = await put;
    expect(res.statusCode, res.body).toBe(400);
    expect(errorOf(res).details).toEqual([{ path: 'fallthrough.variant', message: 'unknown variant "grid"' }]);
  });

  it('records one kill when 20 responders kill at once, and mixed writers never deadlock', async () => {
    await createFlag(server, 'stampede');
    await putConfig(server, 'stampede', 'production', ON);
    const kills = await Promise.all(Array.from({ length: 20 }, (_, i) => server.api('POST', url('stampede', 'production', '/kill'), { reason: `responder ${i}` })));
    expect(kills.map((r) => r.statusCode)).toEqual(Array(20).fill(200));
    expect(kills.filter((r) => (r.json() as { alreadyKilled?: boolean }).alreadyKilled !== true)).toHaveLength(1);

    const mixed = await Promise.all([
      ...Array.from({ length: 5 }, (_, i) => server.api('PATCH', '/api/v1/flags/stampede', { description: `d${i}` })),
      // enabled: false, because the kill below may commit first and a killed flag cannot be enabled by PUT.
      ...Array.from({ length: 5 }, () => server.api('PUT', url('stampede', 'staging'), { ...ON, enabled: false })),
      ...Array.from({ length: 5 }, (_, i) => server.api('POST', url('stampede', 'staging', '/rollout'), { percentage: i * 10 })),
      server.api('POST', url('stampede', 'production', '/restore'), { reason: 'done' }),
      server.api('POST', url('stampede', 'staging', '/kill'), { reason: 'race' }),
    ]);
    for (const r of mixed) expect(r.statusCode, r.body).toBe(200);
  });
});
