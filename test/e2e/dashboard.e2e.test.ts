/**
 * The dashboard in a real browser: Debian's Chromium (scripts/install-chromium.sh) driven by
 * playwright-core, against the real medic (in-process) supervising the demo gateway. An operator
 * signs in with the link `clawmedic dashboard` prints, sees the target and an earlier incident,
 * watches a new incident open and its timeline grow live (server-sent events, no reload), approves
 * the question by a click, and the ladder acts on it. Someone without a session is refused.
 * Screenshots at a phone's width and a desktop's: .cache/test-artifacts/, and docs/ with UPDATE_SCREENSHOTS=1.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { waitFor } from '../fixtures/gateways.js';
import { E2eWorld, healthyAndCalm } from './harness.js';

const CHROMIUM = '/usr/bin/chromium';
const inCi = Boolean(process.env.CI) && process.env.CI !== 'false' && process.env.CI !== '0';
const skipReason = !existsSync(CHROMIUM) && !inCi ? `${CHROMIUM} is absent and CI is not set: run scripts/install-chromium.sh to run this test` : null;
/**
 * Where the screenshots go: a test artefact under .cache/ (ignored by git) at every run, and docs/
 * (the README's pictures) when UPDATE_SCREENSHOTS=1, so a test run leaves the work tree as it was.
 */
const SHOTS = [new URL('../../.cache/test-artifacts/', import.meta.url), ...(process.env.UPDATE_SCREENSHOTS === '1' ? [new URL('../../docs/', import.meta.url)] : [])];
async function screenshot(page: Page, name: string, fullPage: boolean): Promise<void> {
  const image = await page.screenshot({ fullPage });
  for (const dir of SHOTS) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(new URL(name, dir), image);
  }
}

const world = new E2eWorld();
let context: BrowserContext | null = null;
const profiles: string[] = [];
afterEach(async () => {
  await context?.close();
  context = null;
  await world.cleanup();
});
afterAll(() => {
  for (const dir of profiles) rmSync(dir, { recursive: true, force: true });
});

/** Chromium with a fresh profile, headless, nothing reaching out to the network on its own. */
async function launchBrowser(): Promise<BrowserContext> {
  const profile = mkdtempSync(join(tmpdir(), 'clawmedic-chromium-'));
  profiles.push(profile);
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
  });
}

/** Console errors and page errors (a CSP violation is one), collected for the end of the test. */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

async function oneTimeLink(env: NodeJS.ProcessEnv, apiPort: number, name: string): Promise<string> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['dashboard', '--url', `http://127.0.0.1:${apiPort}`, '--name', name], env, { out: (t) => out.push(t), err: (t) => err.push(t), width: undefined });
  expect(err).toEqual([]);
  expect(code).toBe(0);
  return /http:\/\/\S+#login=\S+/.exec(out.join('\n'))![0];
}

if (skipReason) console.warn(`dashboard.e2e.test.ts skipped: ${skipReason}`);

describe('dashboard in a real browser', () => {
  const name = 'sign in by link, see the target and an incident, watch a timeline live, approve by a click; no session, no access';
  it.skipIf(skipReason !== null)(skipReason ? `${name} (skipped: ${skipReason})` : name, async () => {
    const m = await world.start({ mode: 'ok' });
    const first = await m.waitStatus('healthy', healthyAndCalm);
    const knownGood = join(m.env.MEDIC_DATA_DIR!, 'targets', 'gw', 'known-good');
    await waitFor(() => existsSync(knownGood) && readdirSync(knownGood).length > 0, { what: 'a known-good snapshot' });
    // An earlier incident for the history: the gateway killed and restarted.
    process.kill(first.pid!, 'SIGKILL');
    await m.waitStatus('recovered from the kill', (t) => healthyAndCalm(t) && t.pid !== first.pid);

    context = await launchBrowser();
    const page = await context.newPage();
    const errors = watchErrors(page);
    const link = await oneTimeLink(m.env, m.apiPort, 'alice');
    await page.goto(link);
    const card = page.locator('article.target[data-target="gw"]');
    await card.waitFor().catch(async (err: unknown) => {
      // What the page showed instead, and why: its errors and its HTML.
      throw new Error(`no target card: ${(err as Error).message}\nerrors: ${errors.join('; ')}\n${await page.content()}`);
    });
    await expect.poll(() => card.locator('.badge').first().textContent()).toBe('healthy');
    expect(await page.locator('#who').textContent()).toContain('dashboard:alice');
    expect(page.url()).toBe(`http://127.0.0.1:${m.apiPort}/`); // the link's secret left the address bar
    await page.locator('#live.on').waitFor();

    await page.click('nav a[href="#/incidents"]');
    const earlier = page.locator('li.incident-row', { hasText: 'gateway was killed by SIGKILL' });
    await earlier.waitFor();
    expect(await earlier.textContent()).toContain('resolved');
    await page.click('nav a[href="#/"]');
    await card.waitFor();

    // The page is not reloaded from here on: what changes arrives over the event stream.
    await page.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 42));
    writeFileSync(m.configPath, '{ "gateway": { "port": 1 } }');
    const question = page.locator('section.approval');
    await question.waitFor({ timeout: 20_000 });
    const incidentId = (await page.locator('article.incident').getAttribute('data-incident'))!;
    const approvalId = (await question.getAttribute('data-approval'))!;
    expect(approvalId).toBe(`${incidentId}-a1`);
    await page.locator(`ol.timeline[data-incident="${incidentId}"] li`, { hasText: 'approval needed' }).waitFor();

    // Screenshots of the open question: a desktop's width and a phone's.
    await screenshot(page, 'dashboard-desktop.png', true);
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'dashboard-phone.png', false);
    const overflow = await page.evaluate(() => {
      const root = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document.documentElement;
      return root.scrollWidth - root.clientWidth;
    });
    expect(overflow).toBe(0); // nothing wider than the phone

    // The incident's own page; the answer is a click there, and its timeline grows live.
    await page.click(`article.incident h3 a`);
    await page.locator('header.incident-head').waitFor();
    const timeline = page.locator(`ol.timeline[data-incident="${incidentId}"]`);
    const before = await timeline.locator('li').count();
    await page.click('section.approval button[data-action="approve"]');
    await timeline.locator('li', { hasText: 'dashboard:alice approved: restore the last-known-good config' }).waitFor();
    await page.locator('header.incident-head .badge', { hasText: 'resolved' }).waitFor({ timeout: 20_000 });
    expect(await timeline.locator('li').count()).toBeGreaterThan(before);
    await screenshot(page, 'dashboard-incident-phone.png', true);
    expect(await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker)).toBe(42);

    // The ladder got it: the config is restored, the incident resolved, who is on the record.
    await m.waitStatus('resolved', (t) => t.incident === null);
    const found = await m.incident(incidentId);
    expect(found.incident).toMatchObject({ state: 'resolved', outcome: 'fixed by restore-config' });
    expect(found.timeline.map((r) => r.text)).toContain('dashboard:alice approved: restore the last-known-good config');
    const audit = await m.running.store.listAudit({ limit: 100 });
    expect(audit.find((r) => r.text === `dashboard:alice: approve ${approvalId}`)).toMatchObject({ kind: 'operator', by: 'dashboard:alice', target: 'gw', incidentId });
    expect(audit.find((r) => r.text === 'dashboard:alice: signed in to the dashboard with a one-time link')).toBeDefined();

    // Without a session: the sign-in form, a wrong token refused, the spent link refused, the API closed.
    const stranger = await context.newPage();
    const strangerErrors = watchErrors(stranger);
    await stranger.goto(`http://127.0.0.1:${m.apiPort}/`);
    await stranger.locator('form.signin').waitFor();
    expect(await stranger.locator('article.target').count()).toBe(0);
    await stranger.fill('input[name="token"]', 'not-the-api-token-0000000000');
    await stranger.click('form.signin button[type="submit"]');
    await expect.poll(() => stranger.locator('form.signin .error').textContent()).toContain('wrong API token');
    await stranger.goto(link);
    await expect.poll(() => stranger.locator('form.signin .error').textContent()).toContain('this sign-in link is not valid');
    const refused = await stranger.evaluate(async (target) => {
      const res = await fetch('/dashboard/api/approve', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ target, approval: 'x', approved: true }) });
      return res.status;
    }, 'gw');
    expect(refused).toBe(401);
    // The browser's own 401 lines for the refused requests are expected; nothing else (no CSP violation).
    expect(strangerErrors.filter((e) => !/status of 401/.test(e))).toEqual([]);
    expect(errors).toEqual([]);
  });
});
