/**
 * Proves the web timeline end to end in headless Chromium (Debian's, /usr/bin/chromium, driven by
 * playwright-core) against an executor on the real broker: the list page shows the workflows with live
 * counts, filters by status and name, opens a workflow by id, and a click on a row leads to its timeline,
 * which shows its three steps; a failed workflow's timeline shows its compensations; a workflow whose id
 * holds `<script>` renders inert (no dialog opens). Saves screenshots to test-artifacts/web-timeline.png (and web-list.png).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { held, trip } from '../fixtures/workflows/trips.js';
import { Engine } from '../support/engine.js';
import { uniqueNamespace } from '../support/kafka.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = 'test-artifacts/web-timeline.png';
const LIST_SCREENSHOT = 'test-artifacts/web-list.png';
const EVIL_ID = 'evil<script>alert(1)</script>';
const STEPS = ['reserveSeat', 'chargeCard', 'issueTicket'];

let engine: Engine;
let baseUrl: string;
/** The admin token: the browser presents it once (?token=) and then holds it as a cookie. */
const TOKEN = 'web-timeline-test-token-0123456789';
let browser: Browser | undefined;
let page: Page;
const dialogs: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}: install Debian's chromium (sudo apt-get install chromium); ` +
        'this test never downloads a browser',
    );
  engine = new Engine(uniqueNamespace('web'));
  const executor = await engine.executor({
    workflows: [trip, held],
    partitions: 2,
    adminPort: 0,
    adminToken: TOKEN,
  });
  baseUrl = executor.adminAddress?.url ?? '';
  const client = engine.client();
  const handles = await Promise.all([
    client.start(trip, { id: 'trip-ok-1', input: { fail: false } }),
    client.start(trip, { id: 'trip-ok-2', input: { fail: false } }),
    client.start(trip, { id: 'trip-bad-1', input: { fail: true } }),
    client.start(trip, { id: EVIL_ID, input: { fail: false, note: '<img src=x onerror=alert(2)>' } }),
  ]);
  await client.start(held, { id: 'held-web' });
  await Promise.allSettled(handles.map((h) => h.result({ timeout: '60s' })));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  }); // launch() gives the browser a fresh temporary user data dir, removed on close
  page = await browser.newPage({ viewport: { width: 1200, height: 1400 } });
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
});

afterAll(async () => {
  await browser?.close();
  await engine?.closeAll();
});

const rows = () => page.locator('[data-testid="workflow-row"]');

describe('web timeline', () => {
  it('asks for the token: 401 without it; ?token= once sets a cookie the later pages carry', async () => {
    expect((await fetch(`${baseUrl}/`)).status).toBe(401);
    const response = await page.goto(`${baseUrl}/?token=${TOKEN}`);
    expect(response?.status()).toBe(200);
    expect(new URL(page.url()).search).toBe(''); // redirected to the same page without the token
    const cookies = await page.context().cookies(baseUrl);
    expect(cookies.map((c) => [c.name, c.httpOnly])).toEqual([['logbook_admin_token', true]]);
  });

  it('lists the workflows with counts by status, and filters by status and name', async () => {
    await page.goto(`${baseUrl}/`);
    await expect.poll(() => rows().count()).toBe(5);
    expect(await page.locator('[data-count="completed"]').textContent()).toBe('3');
    expect(await page.locator('[data-count="failed"]').textContent()).toBe('1');
    expect(await page.locator('[data-count="running"]').textContent()).toBe('1');
    mkdirSync('test-artifacts', { recursive: true });
    await page.screenshot({ path: LIST_SCREENSHOT, fullPage: true });

    await page.locator('select[name="status"]').selectOption('failed');
    await page.locator('input[name="workflow"]').fill('trip');
    await page.locator('[data-testid="filter-form"] button').click();
    await page.waitForURL(/status=failed/);
    expect(await rows().evaluateAll((els) => els.map((e) => e.getAttribute('data-id')))).toEqual([
      'trip-bad-1',
    ]);
  });

  it('clicks through to a workflow’s timeline, which shows its three steps and outcome', async () => {
    await page.goto(`${baseUrl}/?status=completed`);
    await page.locator('[data-testid="workflow-row"][data-id="trip-ok-2"] a').click();
    await page.waitForURL(/\/workflows\/trip-ok-2$/);
    expect(await page.locator('[data-testid="workflow-id"]').textContent()).toBe('trip-ok-2');
    const completed = page.locator('[data-testid="timeline-entry"][data-kind="StepCompleted"]');
    expect(await completed.evaluateAll((els) => els.map((e) => e.getAttribute('data-step')))).toEqual(STEPS);
    for (const step of STEPS) expect(await completed.filter({ hasText: step }).count()).toBe(1);
    expect(await page.locator('[data-kind="StepStarted"]').count()).toBe(3);
    expect(await page.locator('[data-kind="WorkflowCompleted"]').count()).toBe(1);
    expect(await page.locator('[data-kind="StepCompleted"]').first().textContent()).toContain('attempt 1');
  });

  it('opens a failed workflow by id and shows its compensations; saves a screenshot', async () => {
    await page.goto(`${baseUrl}/`);
    await page.locator('[data-testid="open-form"] input[name="id"]').fill('trip-bad-1');
    await page.locator('[data-testid="open-form"] button').click();
    await page.waitForURL(/\/workflows\/trip-bad-1$/);
    expect(await page.locator('[data-kind="StepFailed"][data-step="issueTicket"]').textContent()).toContain(
      'no seats left on the plane',
    );
    expect(await page.locator('[data-kind="CompensationStarted"]').count()).toBe(1);
    const compensations = page.locator('[data-kind="StepCompleted"][data-compensation="true"]');
    expect(await compensations.evaluateAll((els) => els.map((e) => e.getAttribute('data-step')))).toEqual([
      'compensate:chargeCard',
      'compensate:reserveSeat',
    ]);
    expect(await page.locator('[data-kind="WorkflowFailed"]').count()).toBe(1);
    expect(await page.locator('[data-testid="summary"] [data-status="failed"]').count()).toBe(1);
    mkdirSync('test-artifacts', { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(existsSync(SCREENSHOT)).toBe(true);
  });

  it('renders a workflow whose id and payload hold markup as text: no script runs', async () => {
    await page.goto(`${baseUrl}/`);
    const row = page.locator('[data-testid="workflow-row"]').filter({ hasText: EVIL_ID });
    expect(await row.count()).toBe(1);
    await row.locator('a').click();
    await page.waitForURL(/\/workflows\/evil/);
    expect(await page.locator('[data-testid="workflow-id"]').textContent()).toBe(EVIL_ID);
    expect(await page.locator('main script, main img').count()).toBe(0);
    expect(await page.locator('[data-kind="WorkflowStarted"] pre').textContent()).toContain(
      '<img src=x onerror=alert(2)>',
    );
    expect(dialogs).toEqual([]);
  });
});
