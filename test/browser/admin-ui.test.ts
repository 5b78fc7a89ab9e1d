// The admin UI end to end in Debian's Chromium: a user's flows, selected by role and accessible name,
// against a real server (with a connected Node SDK for the kill confirmation). Needs the built UI
// (`npm run build`; `npm test` builds it first). Screenshots the main pages: into a temporary folder, or
// into docs/screenshots/ with UPDATE_SCREENSHOTS=1 (so that a test run leaves the tracked images alone).
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, silentLogger, type SwitchyardClient } from '@switchyard/sdk-node';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../helpers/server.js';
import { CHROMIUM, CHROMIUM_ARGS, skipBrowser } from './harness.js';

const DIST = fileURLToPath(new URL('../../admin-ui/dist/index.html', import.meta.url));
const UPDATE_SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1';
const SHOTS = UPDATE_SCREENSHOTS ? fileURLToPath(new URL('../../docs/screenshots/', import.meta.url)) : `${mkdtempSync(join(tmpdir(), 'switchyard-shots-'))}/`;
const DESKTOP = { width: 1280, height: 800 };
const NARROW = { width: 390, height: 844 };

let server: TestServer;
let url: string;
let browser: Browser;
let sdk: SwitchyardClient;
let writerKey: string;
let readerKey: string;
const contexts: BrowserContext[] = [];
const pageErrors: string[] = [];

/** Polls an assertion until it passes (UI updates arrive asynchronously). */
async function eventually(assertion: () => Promise<void> | void, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  for (;;) {
    try {
      await assertion();
      return;
    } catch (error) {
      if (Date.now() - started > timeoutMs) throw error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

async function visible(locator: Locator, timeout = 10_000): Promise<Locator> {
  await locator.waitFor({ state: 'visible', timeout });
  return locator;
}

async function open(viewport = DESKTOP): Promise<Page> {
  const context = await browser.newContext({ viewport });
  contexts.push(context);
  const page = await context.newPage();
  page.on('console', (m) => {
    // Expected API errors (400/403/409) are part of the flows; anything else is a bug in the page.
    if (m.type() === 'error' && !/status of (400|403|409)/.test(m.text())) pageErrors.push(m.text());
  });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.setDefaultTimeout(10_000);
  return page;
}

async function signIn(page: Page, token: string, path = '/'): Promise<void> {
  await page.goto(`${url}${path}`);
  await page.getByRole('textbox', { name: 'API key' }).fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await visible(page.getByRole('navigation', { name: 'Main' }));
}

/** Controls without an accessible name (no label, aria-label(ledby) or text): none allowed. */
async function unnamedControls(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('input, select, textarea, button, a[href]')]
      .filter((el) => {
        if ((el.getAttribute('aria-label') ?? '').trim() !== '' || el.hasAttribute('aria-labelledby')) return false;
        const labels = (el as HTMLInputElement).labels;
        if (labels !== undefined && labels !== null && [...labels].some((l) => (l.textContent ?? '').trim() !== '')) return false;
        return !((el.tagName === 'BUTTON' || el.tagName === 'A') && (el.textContent ?? '').trim() !== '');
      })
      .map((el) => el.outerHTML.slice(0, 160)),
  );
}

/** Saves a screenshot of the page, after checking every control on it has an accessible name. */
async function shot(page: Page, name: string, fullPage = false): Promise<void> {
  expect(await unnamedControls(page), `unnamed controls on the ${name} page`).toEqual([]);
  // Relative times and the live dot settle first; the caret would blink into the image.
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.screenshot({ path: `${SHOTS}${name}.png`, fullPage, animations: 'disabled' });
}

async function envConfig(flag: string, env = 'production'): Promise<{ rolloutPercentage?: number; state: string; config: Record<string, unknown> }> {
  const res = await server.api('GET', `/api/v1/flags/${flag}/environments/${env}`);
  return res.json() as { rolloutPercentage?: number; state: string; config: Record<string, unknown> };
}

async function seed(): Promise<void> {
  const post = async (path: string, body: unknown): Promise<void> => {
    const res = await server.api('POST', path, body);
    if (res.statusCode !== 201 && res.statusCode !== 200) throw new Error(`${path}: ${res.statusCode} ${res.body}`);
  };
  const put = async (path: string, body: unknown): Promise<void> => {
    const res = await server.api('PUT', path, body);
    if (res.statusCode !== 200) throw new Error(`${path}: ${res.statusCode} ${res.body}`);
  };
  await post('/api/v1/segments', { key: 'beta-testers', name: 'Beta testers', included: ['user-7', 'user-9'], rules: [{ clauses: [{ attribute: 'plan', op: 'in', values: ['beta'] }] }] });
  await post('/api/v1/flags', { key: 'search-v2', name: 'Search v2', kind: 'release', owner: 'team-search', expiresAt: '2027-03-31T00:00:00Z', tags: ['search'] });
  await put('/api/v1/flags/search-v2/environments/staging', { enabled: true, offVariant: 'false', fallthrough: { variant: 'true' } });
  await post('/api/v1/flags/search-v2/environments/production/rollout', { percentage: 12.5 });
  await put('/api/v1/flags/search-v2/environments/production', {
    enabled: true,
    offVariant: 'false',
    rules: [{ id: 'beta', clauses: [{ attribute: 'key', op: 'inSegment', values: ['beta-testers'] }], serve: { variant: 'true' } }],
    fallthrough: { rollout: { variants: [{ variant: 'true', weight: 12500 }, { variant: 'false', weight: 87500 }] } },
  });
  await post('/api/v1/flags', { key: 'dark-mode', kind: 'operational', owner: 'team-web', clientSide: true, tags: ['ui'] });
  for (const env of ['development', 'staging', 'production']) await put(`/api/v1/flags/dark-mode/environments/${env}`, { enabled: true, offVariant: 'false', fallthrough: { variant: 'true' } });
  await post('/api/v1/flags', { key: 'payments-circuit', name: 'Payments provider circuit', kind: 'kill-switch', owner: 'team-payments' });
  await put('/api/v1/flags/payments-circuit/environments/production', { enabled: true, offVariant: 'false', fallthrough: { variant: 'true' } });
  await post('/api/v1/flags/payments-circuit/environments/production/kill', { reason: 'INC-4690 provider timeouts' });
  await post('/api/v1/flags', {
    key: 'pricing-layout',
    kind: 'experiment',
    owner: 'team-growth',
    expiresAt: '2026-12-31T00:00:00Z',
    type: 'string',
    variants: [
      { key: 'control', value: 'table' },
      { key: 'cards', value: 'cards' },
    ],
  });
  await post('/api/v1/flags', { key: 'old-banner', name: 'Spring sale banner', kind: 'release', owner: 'team-growth', expiresAt: '2025-04-30T00:00:00Z', tags: ['marketing'] });
}

beforeAll(async () => {
  if (!existsSync(DIST)) throw new Error(`The admin UI is not built (${DIST} is missing): run \`npm run build\` first (npm test does).`);
  mkdirSync(SHOTS, { recursive: true });
  server = await createTestServer();
  url = await server.listen();
  writerKey = await server.createKey('writer');
  readerKey = await server.createKey('reader');
  await seed();
  sdk = createClient({ url, sdkKey: await server.createKey('sdk-server', 'production'), logger: silentLogger, metricsIntervalMs: 0 });
  expect((await sdk.ready({ timeoutMs: 5000 })).ok).toBe(true);
  await eventually(() => expect(server.app.services.stream.connections('production')).toHaveLength(1));
  if (!skipBrowser) browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 20_000 });
});

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
  await browser?.close();
  await sdk?.close();
  await server?.close();
  if (!UPDATE_SCREENSHOTS) rmSync(SHOTS, { recursive: true, force: true });
});

describe.skipIf(skipBrowser)('admin UI in Chromium', () => {
  let admin: Page;
  let writer: Page;

  it('signs in with an API key kept in sessionStorage, and lists flags with their state per environment', async () => {
    admin = await open();
    await signIn(admin, server.adminToken);
    await visible(admin.getByRole('heading', { name: 'Flags', level: 1 }));
    expect(await admin.evaluate(() => sessionStorage.getItem('switchyard.apiKey'))).toBe(server.adminToken);
    const killedRow = admin.getByRole('row').filter({ hasText: 'payments-circuit' });
    expect(await killedRow.getAttribute('class')).toContain('killed');
    const overdue = admin.getByRole('row').filter({ hasText: 'old-banner' }).getByRole('cell', { name: /overdue/ });
    await visible(overdue);
    await shot(admin, 'flags');

    // Filters: by kind, and by environment state.
    await admin.getByRole('combobox', { name: 'Kind' }).selectOption('kill-switch');
    await eventually(async () => expect(await admin.getByRole('link', { name: 'search-v2' }).count()).toBe(0));
    await admin.getByRole('combobox', { name: 'Kind' }).selectOption('');
    await admin.getByRole('combobox', { name: 'Environment' }).selectOption('production');
    await admin.getByRole('combobox', { name: 'State' }).selectOption('rollout');
    await eventually(async () => expect(await admin.getByRole('link', { name: /^(search-v2|dark-mode|payments-circuit)$/ }).allTextContents()).toEqual(['search-v2']));
    await admin.getByRole('combobox', { name: 'State' }).selectOption('');
  });

  it('creates a flag with an owner and an expiry, showing API errors next to their field', async () => {
    await admin.getByRole('link', { name: 'New flag' }).click();
    await admin.getByRole('textbox', { name: 'Key' }).fill('New Checkout');
    await admin.getByRole('textbox', { name: 'Owner' }).fill('team-checkout');
    await admin.getByLabel('Expires').fill('2027-06-30');
    await admin.getByRole('button', { name: 'Create flag' }).click();
    const key = admin.getByRole('textbox', { name: 'Key' });
    await eventually(async () => expect(await key.getAttribute('aria-invalid')).toBe('true'));
    const describedBy = (await key.getAttribute('aria-describedby')) ?? '';
    expect(await admin.locator(`[id="${describedBy.split(' ').pop() ?? ''}"]`).textContent()).toContain('must match');
    await key.fill('new-checkout');
    await admin.getByRole('button', { name: 'Create flag' }).click();
    await visible(admin.getByRole('heading', { name: 'new-checkout', level: 1 }));
    const flag = (await server.api('GET', '/api/v1/flags/new-checkout')).json() as { flag: { owner: string; expiresAt: string; kind: string } };
    expect(flag.flag).toMatchObject({ owner: 'team-checkout', expiresAt: '2027-06-30T00:00:00.000Z', kind: 'release' });
    expect(await admin.getByRole('tab', { name: /Production/ }).getAttribute('aria-selected')).toBe('true');

    // Metadata edits go through Settings (PATCH with If-Match).
    await admin.getByText('Settings: owner, expiry, tags, variants…').click();
    const settings = admin.getByRole('form', { name: 'Flag settings' });
    await settings.getByRole('textbox', { name: 'Tags' }).fill('checkout, q3');
    await settings.getByRole('button', { name: 'Save settings' }).click();
    await visible(settings.getByText('Settings saved.'));
    expect(((await server.api('GET', '/api/v1/flags/new-checkout')).json() as { flag: { tags: string[]; version: number } }).flag).toMatchObject({ tags: ['checkout', 'q3'], version: 2 });
    await admin.getByText('Settings: owner, expiry, tags, variants…').click();
  });

  it('sets a 25% rollout, then switches it on; a second person sees both live', async () => {
    writer = await open();
    await signIn(writer, writerKey, '/flags/new-checkout?env=production');
    await visible(writer.getByRole('heading', { name: /Rollout in Production: 100%/ }));

    await admin.getByRole('spinbutton', { name: 'Rollout percentage (exact)' }).fill('25');
    const slider = admin.getByRole('slider', { name: 'Rollout percentage' });
    expect(await slider.inputValue()).toBe('25');
    // Keyboard: arrows move the slider in 0.1% steps.
    await slider.focus();
    await admin.keyboard.press('ArrowLeft');
    await eventually(async () => expect(await admin.getByRole('button', { name: 'Set rollout to 24.9%' }).count()).toBe(1));
    await admin.keyboard.press('ArrowRight');
    expect(await slider.inputValue()).toBe('25');
    await visible(admin.getByText(/evaluations|No evaluations reported/));
    await admin.getByRole('button', { name: 'Set rollout to 25%' }).click();
    await visible(admin.getByText('Rollout in Production set to 25%'));
    await admin.getByRole('switch', { name: 'Enabled in Production' }).check();
    await visible(admin.getByText('new-checkout is now on in Production'));
    expect(await envConfig('new-checkout')).toMatchObject({ state: 'rollout', rolloutPercentage: 25, config: { enabled: true } });

    // Without reloading: the writer's page follows.
    await visible(writer.getByRole('heading', { name: 'Rollout in Production: 25%' }));
    await eventually(async () => expect(await writer.getByRole('switch', { name: 'Enabled in Production' }).isChecked()).toBe(true));
  });

  it('adds a rule; a concurrent edit is surfaced as "changed by X since you opened it", never overwritten', async () => {
    await admin.getByRole('button', { name: 'Add rule' }).click();
    const rule = admin.getByRole('group', { name: 'Rule 1', exact: true });
    await rule.getByRole('textbox', { name: 'Attribute' }).fill('country');
    await rule.getByRole('combobox', { name: 'Operator' }).selectOption('in');
    await rule.getByRole('textbox', { name: 'Values (one per line)' }).fill('NL\nDE');
    await rule.getByRole('group', { name: 'Rule 1 serves' }).getByRole('combobox', { name: 'Variant' }).selectOption('true');

    // Meanwhile the writer pins a QA account and saves first.
    await writer.getByRole('textbox', { name: 'Serve true to these context keys (one per line)' }).fill('qa-1');
    await writer.getByRole('button', { name: 'Save changes' }).click();
    await visible(writer.getByText('Saved the targeting of new-checkout in Production'));

    await visible(admin.getByText(/Someone changed new-checkout in Production since you opened it/));
    await admin.getByRole('button', { name: 'Save changes' }).click();
    const conflict = await visible(admin.getByRole('alert', { name: 'Edit conflict' }));
    const writerName = ((await server.api('GET', '/api/v1/keys/current', undefined, { token: writerKey })).json() as { key: { name: string } }).key.name;
    expect(await conflict.getByRole('heading').textContent()).toMatch(new RegExp(`^Changed by ${writerName} at .+ since you opened it — review and retry$`));
    // Their version is fetched after the alert shows ("Loading their version…" until then).
    await eventually(async () => expect(await conflict.textContent()).toContain('qa-1'));
    await shot(admin, 'conflict');
    // Nothing was written over the writer's change.
    expect((await envConfig('new-checkout')).config).toMatchObject({ rules: [], targets: [{ variant: 'true', values: ['qa-1'] }] });

    await conflict.getByRole('button', { name: 'Put my changes on top of theirs' }).click();
    await admin.getByRole('button', { name: 'Save changes' }).click();
    await visible(admin.getByText('Saved the targeting of new-checkout in Production'));
    expect((await envConfig('new-checkout')).config).toMatchObject({
      enabled: true,
      targets: [{ variant: 'true', values: ['qa-1'] }],
      rules: [{ clauses: [{ attribute: 'country', op: 'in', values: ['NL', 'DE'] }], serve: { variant: 'true' } }],
      fallthrough: { rollout: { variants: [{ variant: 'true', weight: 25000 }, { variant: 'false', weight: 75000 }] } },
    });
    await shot(admin, 'flag', true);
  });

  it('kills with a reason and shows "applied by 1 of 1 connected SDKs"; killed flags stand out everywhere', async () => {
    await writer.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Flags', exact: true }).click();
    await visible(writer.getByRole('link', { name: 'new-checkout' }));

    await admin.getByRole('button', { name: 'Kill switch' }).click();
    const dialog = await visible(admin.getByRole('dialog', { name: 'Kill new-checkout in Production' }));
    await dialog.getByRole('textbox', { name: 'Reason' }).fill('INC-4711');
    await shot(admin, 'kill-dialog');
    await dialog.getByRole('button', { name: 'Kill flag' }).click();
    await visible(admin.getByText('Kill applied by 1 of 1 connected SDK in Production'));
    expect(sdk.detail('new-checkout', { key: 'user-1', country: 'NL' })).toMatchObject({ value: false, reason: 'KILLED' });
    await visible(admin.getByRole('region', { name: 'Killed in Production' }));
    expect(await admin.getByRole('tab', { name: /Production/ }).getAttribute('class')).toContain('killed');
    await shot(admin, 'killed');

    // The other person's flag list marks it killed, live.
    await eventually(async () => expect(await writer.getByRole('row').filter({ hasText: 'new-checkout' }).getAttribute('class')).toContain('killed'));
  });

  it('restores with a reason, confirmed the same way', async () => {
    await admin.getByRole('region', { name: 'Killed in Production' }).getByRole('button', { name: 'Restore' }).click();
    const dialog = await visible(admin.getByRole('dialog', { name: 'Restore new-checkout in Production' }));
    await dialog.getByRole('textbox', { name: 'Reason' }).fill('INC-4711 resolved');
    await dialog.getByRole('button', { name: 'Restore flag' }).click();
    await visible(admin.getByText('Restore applied by 1 of 1 connected SDK in Production'));
    expect(sdk.detail('new-checkout', { key: 'user-1', country: 'NL' })).toMatchObject({ value: true, reason: 'RULE_MATCH' });
    expect(await admin.getByRole('region', { name: 'Killed in Production' }).count()).toBe(0);
    expect(await envConfig('new-checkout')).toMatchObject({ state: 'rollout', config: { enabled: true } });
  });

  it('finds the kill in the audit log, with its before → after diff', async () => {
    await admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).click();
    await admin.getByRole('textbox', { name: 'Flag' }).fill('new-checkout');
    await admin.getByRole('combobox', { name: 'Environment' }).selectOption('production');
    await admin.getByRole('button', { name: 'Apply filters' }).click();
    const kill = await visible(admin.getByRole('listitem').filter({ hasText: 'killed new-checkout in production' }));
    expect(await kill.textContent()).toContain('Reason: INC-4711');
    await kill.getByRole('button', { name: 'Show changes' }).click();
    const diff = await visible(kill.getByRole('table'));
    const enabled = diff.getByRole('row').filter({ has: admin.getByRole('rowheader', { name: 'config.enabled' }) });
    expect(await enabled.getByRole('cell').allTextContents()).toEqual(['true', 'false']);
    await visible(diff.getByRole('rowheader', { name: 'killed.reason' }));
    await eventually(async () => expect(await admin.getByRole('listitem').filter({ hasText: 'search-v2' }).count()).toBe(0));
    await shot(admin, 'audit');
  });

  it('lists stale flags with their owners', async () => {
    await admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Stale flags' }).click();
    const group = await visible(admin.getByRole('region', { name: /team-growth/ }));
    const row = group.getByRole('row').filter({ hasText: 'old-banner' });
    expect(await row.textContent()).toMatch(/expired .* ago/);
    expect(await admin.getByRole('link', { name: 'new-checkout' }).count()).toBe(0);
    await shot(admin, 'stale');
  });

  it('edits a segment, and creates an API key whose secret is shown once, then revokes it', async () => {
    await admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Segments' }).click();
    await admin.getByRole('link', { name: 'beta-testers' }).click();
    const included = admin.getByRole('textbox', { name: 'Included context keys (one per line)' });
    await eventually(async () => expect(await included.inputValue()).toBe('user-7\nuser-9'));
    await included.fill(`${await included.inputValue()}\nuser-11`);
    await admin.getByRole('button', { name: 'Save segment' }).click();
    await visible(admin.getByText(/^Segment saved/));
    expect(((await server.api('GET', '/api/v1/segments/beta-testers')).json() as { segment: { included: string[] } }).segment.included).toEqual(['user-7', 'user-9', 'user-11']);
    await shot(admin, 'segment', true);

    await admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API keys' }).click();
    await admin.getByRole('textbox', { name: 'Name' }).fill('ci-pipeline');
    await admin.getByRole('combobox', { name: 'Kind' }).selectOption('responder');
    await admin.getByRole('button', { name: 'Create key' }).click();
    const secret = await visible(admin.getByRole('textbox', { name: 'New API key secret' }));
    const value = await secret.inputValue();
    expect((await server.api('GET', '/api/v1/keys/current', undefined, { token: value })).json()).toMatchObject({ key: { name: 'ci-pipeline', kind: 'responder' } });
    await admin.getByRole('button', { name: 'I have stored it' }).click();
    expect(await admin.getByRole('textbox', { name: 'New API key secret' }).count()).toBe(0);
    expect(await admin.content()).not.toContain(value);
    await shot(admin, 'keys');
    await admin.getByRole('button', { name: 'Revoke ci-pipeline' }).click();
    await admin.getByRole('dialog', { name: 'Revoke ci-pipeline?' }).getByRole('button', { name: 'Revoke key' }).click();
    await eventually(async () => expect(await admin.getByRole('row').filter({ hasText: 'ci-pipeline' }).textContent()).toContain('revoked'));
    expect((await server.api('GET', '/api/v1/keys/current', undefined, { token: value })).statusCode).toBe(401);
  });

  it('gives a reader key disabled controls, and the API refuses it too', async () => {
    const reader = await open();
    await signIn(reader, readerKey, '/flags/new-checkout?env=production');
    await visible(reader.getByRole('heading', { name: 'new-checkout', level: 1 }));
    await visible(reader.getByText('Signed in with a reader key: read-only.'));
    // Reading is keyboard-driven too: arrow keys move between environment tabs.
    await reader.getByRole('tab', { name: /Production/ }).focus();
    await reader.keyboard.press('ArrowLeft');
    await eventually(async () => expect(await reader.getByRole('tab', { name: /Staging/ }).getAttribute('aria-selected')).toBe('true'));
    await reader.keyboard.press('ArrowRight');
    await eventually(async () => expect(await reader.getByRole('tab', { name: /Production/ }).getAttribute('aria-selected')).toBe('true'));
    expect(await reader.getByRole('button', { name: 'Kill switch' }).isDisabled()).toBe(true);
    expect(await reader.getByRole('switch', { name: 'Enabled in Production' }).isDisabled()).toBe(true);
    expect(await reader.getByRole('slider', { name: 'Rollout percentage' }).isDisabled()).toBe(true);
    expect(await reader.getByRole('button', { name: 'Add rule' }).isDisabled()).toBe(true);
    expect(await reader.getByRole('button', { name: 'Save changes' }).count()).toBe(0);
    const status = await reader.evaluate(async (token) => {
      const res = await fetch('/api/v1/flags/new-checkout/environments/production/kill', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ reason: 'should not work' }),
      });
      return res.status;
    }, readerKey);
    expect(status).toBe(403);
    await reader.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Flags', exact: true }).click();
    await visible(reader.getByRole('heading', { name: 'Flags', level: 1 }));
    expect(await reader.getByRole('link', { name: 'New flag' }).count()).toBe(0);
    expect((await envConfig('new-checkout')).state).toBe('rollout');
  });

  it('works on a narrow screen', async () => {
    const phone = await open(NARROW);
    await signIn(phone, server.adminToken);
    await visible(phone.getByRole('link', { name: 'search-v2' }));
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(NARROW.width);
    await shot(phone, 'flags-narrow');
    await phone.getByRole('link', { name: 'search-v2' }).click();
    await visible(phone.getByRole('button', { name: 'Kill switch' }));
    // Nothing sticks out sideways, except inside the scrolling tab and navigation strips.
    const wide = await phone.evaluate(
      (w) =>
        [...document.querySelectorAll('body *')]
          .filter((el) => el.getBoundingClientRect().right > w + 1 && el.closest('.tabs, nav') === null)
          .map((el) => `${el.tagName}.${el.className}`),
      NARROW.width,
    );
    expect(wide).toEqual([]);
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(NARROW.width);
    await shot(phone, 'flag-narrow');
  });

  it('raised no script errors and no unexpected failed requests on any page', () => {
    expect(pageErrors).toEqual([]);
  });
});
