// The dashboard in a real Chromium against the real lab server (SQLite on a temp dir, free port):
// both lanes clicked through, the lookups they show, replay, walkthrough links, the latency
// setting, accessibility, keyboard use, and both a laptop and a phone screen.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { startLab, type TestLab } from '../helpers.js';
import {
  artifactPath,
  buildClient,
  chromiumAvailable,
  deepActiveElement,
  inPage,
  launchChromium,
  seriousA11yViolations,
} from './browser.js';

type Flow = 'session' | 'jwt';

/** expect.poll with room for scrypt and a 200 ms store latency (its default gives up after 1 s). */
const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 5_000 });

const LAPTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

let clientDir: string;
let lab: TestLab;
let browser: Browser;

const lane = (page: Page, flow: Flow): Locator => page.locator(`flow-lane[flow=${flow}]`);

/** Opens the dashboard in a fresh context (its own cookies, so its own viewer) and waits for the live stream. */
async function openDashboard(viewport: { width: number; height: number }): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport });
  context.setDefaultTimeout(10_000); // fail fast: every step here takes well under a second
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(lab.url);
  await page.locator('connection-status [data-state=connected]').waitFor();
  expect(errors).toEqual([]);
  return { context, page };
}

/** The request the lane's timeline shows now, if any. */
async function shownRequestId(page: Page, flow: Flow): Promise<string | null> {
  const summary = lane(page, flow).locator('[data-testid=timeline-summary]');
  return (await summary.count()) > 0 ? summary.getAttribute('data-request-id') : null;
}

/** Clicks a lane button and waits until its request has answered and its whole trace has arrived. */
async function press(page: Page, flow: Flow, button: string | RegExp): Promise<Locator> {
  const before = await shownRequestId(page, flow);
  await lane(page, flow).getByRole('button', { name: button, exact: typeof button === 'string' }).click();
  return waitForRequest(page, flow, before);
}

async function waitForRequest(page: Page, flow: Flow, previousId: string | null): Promise<Locator> {
  const summary = lane(page, flow).locator('[data-testid=timeline-summary]');
  await poll(async () => {
    if ((await summary.count()) === 0) return false;
    const id = await summary.getAttribute('data-request-id');
    return id !== previousId && (await summary.getAttribute('data-complete')) === 'true';
  }).toBe(true);
  return summary;
}

async function logIn(page: Page, flow: Flow, username = 'alice', password = 'wonderland') {
  const before = await shownRequestId(page, flow);
  await lane(page, flow).getByLabel('Username').fill(username);
  await lane(page, flow).getByLabel('Password').fill(password);
  await lane(page, flow).getByRole('button', { name: 'Log in', exact: true }).click();
  await waitForRequest(page, flow, before);
  await poll(() => lane(page, flow).getByTestId('current-user').textContent()).toContain(`Logged in as ${username}`);
}

const answerStatus = (page: Page, flow: Flow) => lane(page, flow).locator('[data-testid=answer] [data-status]').getAttribute('data-status');

const lookups = (page: Page, flow: Flow, kind: string, op: 'reads' | 'writes', scope: 'request' | 'total' = 'request') =>
  lane(page, flow)
    .locator(`td[data-scope=${scope}][data-kind=${kind}][data-op=${op}]`)
    .textContent()
    .then(Number);

const stepDuration = (page: Page, flow: Flow, step: string) =>
  lane(page, flow).locator(`li[data-step="${step}"]`).first().getAttribute('data-duration').then(Number);

const available = chromiumAvailable();

describe.skipIf(!available)('the dashboard in Chromium', () => {
  beforeAll(async () => {
    [clientDir, lab, browser] = await Promise.all([buildClient(), Promise.resolve(null), launchChromium()]).then(
      async ([dir, , b]) => [dir, await startLab({}, { clientDir: dir }), b] as const,
    );
  });

  afterAll(async () => {
    await browser?.close();
    await lab?.stop();
    if (clientDir) rmSync(clientDir, { recursive: true, force: true });
  });

  describe('at 1280×800', () => {
    let context: BrowserContext;
    let page: Page;

    beforeAll(async () => {
      ({ context, page } = await openDashboard(LAPTOP));
    });
    afterAll(() => context?.close());

    it('renders both lanes side by side as Lit elements', async () => {
      await poll(() => page.locator('flow-lane').count()).toBe(2);
      await poll(() => lane(page, 'session').getByRole('heading', { name: 'Session cookie' }).isVisible()).toBe(true);
      await poll(() => lane(page, 'jwt').getByRole('heading', { name: 'JWT cookie' }).isVisible()).toBe(true);
      const session = await lane(page, 'session').boundingBox();
      const jwt = await lane(page, 'jwt').boundingBox();
      expect(jwt!.x).toBeGreaterThan(session!.x + session!.width - 1);
      expect(Math.abs(jwt!.y - session!.y)).toBeLessThan(2);
      await poll(() => page.getByTestId('store').textContent()).toBe('sqlite');
    });

    it('logs in on both lanes and shows the cookies: an opaque sid, a decoded JWT, neither readable by page JS', async () => {
      await logIn(page, 'session');
      await logIn(page, 'jwt', 'bob', 'builder');
      expect(await answerStatus(page, 'session')).toBe('200');
      expect(await answerStatus(page, 'jwt')).toBe('200');
      await poll(() => lane(page, 'session').getByTestId('cookie-state').textContent()).toMatch(/sid\s*=\s*\S+…/);
      await poll(() => lane(page, 'jwt').locator('cookie-inspector .parts').textContent()).toContain('"bob"');
      await poll(() => lane(page, 'jwt').getByTestId('exp-countdown').textContent()).toMatch(/Valid for \d+:\d\d/);
      for (const flow of ['session', 'jwt'] as const) {
        expect(await lane(page, flow).getByTestId('page-readable').textContent()).toMatch(/No: it is HttpOnly/);
      }
      expect(await inPage(page, 'document.cookie')).toBe('');
    });

    it('Who am I?: the session lane reads the session store, the JWT lane reads no store', async () => {
      const session = await press(page, 'session', 'Who am I?');
      const jwt = await press(page, 'jwt', 'Who am I?');
      expect(await session.textContent()).toContain('Who am I?');
      expect(await answerStatus(page, 'session')).toBe('200');
      expect(await answerStatus(page, 'jwt')).toBe('200');
      expect(await lookups(page, 'session', 'sessionStore', 'reads')).toBeGreaterThanOrEqual(1);
      for (const kind of ['sessionStore', 'userDb', 'denylist']) {
        expect(await lookups(page, 'jwt', kind, 'reads')).toBe(0);
        expect(await lookups(page, 'jwt', kind, 'writes')).toBe(0);
      }
      expect(await jwt.textContent()).toContain('Who am I?');
      // Store steps are marked with their store, operation, and read or write.
      const storeStep = lane(page, 'session').locator('li[data-step="session.store.get"]').first();
      expect(await storeStep.textContent()).toMatch(/Session store\s*·\s*get\s*·\s*read/);
      expect(await storeStep.textContent()).toContain('server/session/store.ts');
      // The totals count every request of the lane; the chart has a point per finished request.
      expect(await lookups(page, 'session', 'sessionStore', 'reads', 'total')).toBeGreaterThanOrEqual(1);
      expect(await page.locator('compare-chart tbody tr').count()).toBeGreaterThanOrEqual(2);
    });

    it('opens a step’s walkthrough section from its link', async () => {
      const link = lane(page, 'session').locator('li[data-step="session.store.get"] a').first();
      const href = await link.getAttribute('href');
      expect(href).toBe('#/docs/session-flow.md#read-the-session');
      await link.click();
      await poll(() => inPage(page, 'location.hash')).toBe(href);
      await poll(() => page.getByTestId('doc-target').textContent()).toContain('docs/session-flow.md');
      await page.getByRole('link', { name: 'Back to the lab' }).click();
      await poll(() => page.getByTestId('doc-target').count()).toBe(0);
    });

    it('logs out, then replays the old cookie: the session is gone (401), the JWT still works (200)', async () => {
      await press(page, 'session', 'Log out');
      await press(page, 'jwt', 'Log out');
      await poll(() => lane(page, 'session').getByTestId('current-user').textContent()).toContain('Not logged in');
      await poll(() => lane(page, 'jwt').getByTestId('current-user').textContent()).toContain('Not logged in');
      await poll(() => lane(page, 'session').getByTestId('cookie-state').textContent()).toContain('No sid cookie');

      await press(page, 'session', 'Replay my old cookie');
      await press(page, 'jwt', 'Replay my old cookie');
      expect(await answerStatus(page, 'session')).toBe('401');
      expect(await answerStatus(page, 'jwt')).toBe('200');
      expect(await lane(page, 'jwt').getByTestId('answer').textContent()).toContain('still works');
    });

    it('shows a past request again when it is chosen in the history', async () => {
      const first = lane(page, 'session').locator('request-history button').last();
      const id = await first.getAttribute('data-request-id');
      await first.click();
      await expect
        .poll(() => lane(page, 'session').locator('[data-testid=timeline-summary]').getAttribute('data-request-id'))
        .toBe(id);
      expect(await first.getAttribute('aria-pressed')).toBe('true');
    });

    it('jumps from the header to the lab settings below the lanes, focus included', async () => {
      await page.getByRole('navigation', { name: 'On this page' }).getByRole('button', { name: 'Lab settings' }).click();
      await poll(() => page.evaluate(() => document.querySelector('lab-app')?.shadowRoot?.activeElement?.id ?? null)).toBe('settings-title');
      await poll(() => page.getByRole('heading', { name: 'Lab settings' }).isVisible()).toBe(true);
      const box = await page.getByRole('heading', { name: 'Lab settings' }).boundingBox();
      expect(box!.y).toBeGreaterThanOrEqual(0);
      expect(box!.y).toBeLessThan(800);
      await page.evaluate(() => window.scrollTo(0, 0));
    });

    it('applies a store latency to the next request, and the store step takes that long', async () => {
      await logIn(page, 'session');
      await press(page, 'session', 'Who am I?');
      expect(await stepDuration(page, 'session', 'session.store.get')).toBeLessThan(150);

      const latency = page.locator('lab-settings #latency-ms');
      const saved = page.waitForResponse((r) => r.url().endsWith('/api/lab') && r.request().method() === 'PUT');
      await latency.fill('200');
      await latency.press('Tab');
      expect((await saved).status()).toBe(200);

      const summary = await press(page, 'session', 'Who am I?');
      expect(await stepDuration(page, 'session', 'session.store.get')).toBeGreaterThanOrEqual(195);
      expect(await summary.textContent()).toContain('store latency 200 ms');

      const reset = page.waitForResponse((r) => r.url().endsWith('/api/lab') && r.request().method() === 'PUT');
      await latency.fill('0');
      await latency.press('Tab');
      await reset;
    });

    it('says when the live stream drops, and reconnects by itself', async () => {
      // The reconnect can be quicker than a poll, so record every state the status element shows.
      await inPage(page, `(() => {
        const root = document.querySelector('lab-app').shadowRoot.querySelector('connection-status').shadowRoot;
        window.shownStates = [];
        new MutationObserver(() => window.shownStates.push(root.querySelector('[data-state]').dataset.state))
          .observe(root, { subtree: true, attributes: true, childList: true });
      })()`);
      lab.io.disconnectSockets(true);
      await poll(() => inPage<string[]>(page, 'window.shownStates')).toContain('reconnecting');
      await page.locator('connection-status [data-state=connected]').waitFor();
      await press(page, 'jwt', 'Who am I?'); // traces arrive again
    });

    it('takes a screenshot of each lane', async () => {
      await page.locator('flow-lane[flow=jwt]').screenshot({ path: artifactPath('laptop-jwt-lane.png') });
      await page.locator('flow-lane[flow=session]').screenshot({ path: artifactPath('laptop-session-lane.png') });
      await page.screenshot({ path: artifactPath('laptop-page.png'), fullPage: true });
    });

    it('has no serious or critical accessibility violations (axe-core)', async () => {
      await logIn(page, 'jwt');
      expect(await seriousA11yViolations(page)).toEqual([]);
    });
  });

  describe('by keyboard alone', () => {
    let context: BrowserContext;
    let page: Page;

    beforeAll(async () => {
      ({ context, page } = await openDashboard(LAPTOP));
    });
    afterAll(() => context?.close());

    /** Presses Tab until the focused element's text matches (the first match on the page); fails after `limit` presses. */
    async function tabTo(text: string | RegExp, limit = 80) {
      for (let i = 0; i < limit; i++) {
        await page.keyboard.press('Tab');
        const active = await deepActiveElement(page);
        if (active && (typeof text === 'string' ? active.text === text : text.test(active.text))) {
          expect(active.outline).not.toBe('none'); // the focus is visible
          return;
        }
      }
      throw new Error(`Tab never reached "${text}"`);
    }

    it('logs in, asks who I am, and reopens a past request without a mouse', async () => {
      await tabTo('alice / wonderland');
      await page.keyboard.press('Enter'); // fills the session form
      await tabTo('Log in');
      await page.keyboard.press('Enter');
      await poll(() => lane(page, 'session').getByTestId('current-user').textContent()).toContain('Logged in as alice');

      await tabTo('Who am I?');
      await page.keyboard.press(' ');
      await poll(() => lane(page, 'session').locator('request-history li').count()).toBe(2);
      await poll(() => answerStatus(page, 'session')).toBe('200');

      // Tab on to the history's older entry (the login) and open it.
      const older = lane(page, 'session').locator('request-history button').last();
      await tabTo(/^POST \/api\/session\/login Log in as alice/);
      await page.keyboard.press('Enter');
      await poll(() => older.getAttribute('aria-pressed')).toBe('true');
    });
  });

  describe('at 390×844 (a phone)', () => {
    let context: BrowserContext;
    let page: Page;

    beforeAll(async () => {
      ({ context, page } = await openDashboard(PHONE));
    });
    afterAll(() => context?.close());

    it('stacks the lanes and fits the screen width', async () => {
      await poll(() => page.locator('flow-lane').count()).toBe(2);
      const session = await lane(page, 'session').boundingBox();
      const jwt = await lane(page, 'jwt').boundingBox();
      expect(jwt!.y).toBeGreaterThanOrEqual(session!.y + session!.height);
      expect(session!.width).toBeLessThanOrEqual(PHONE.width);
      expect(await inPage<number>(page, 'document.documentElement.scrollWidth')).toBeLessThanOrEqual(PHONE.width);
    });

    it('works: log in and Who am I? on both lanes', async () => {
      await logIn(page, 'session');
      await logIn(page, 'jwt');
      await press(page, 'session', 'Who am I?');
      await press(page, 'jwt', 'Who am I?');
      expect(await lookups(page, 'session', 'sessionStore', 'reads')).toBeGreaterThanOrEqual(1);
      expect(await lookups(page, 'jwt', 'sessionStore', 'reads')).toBe(0);
      expect(await inPage<number>(page, 'document.documentElement.scrollWidth')).toBeLessThanOrEqual(PHONE.width);
      await lane(page, 'session').screenshot({ path: artifactPath('phone-session-lane.png') });
      await lane(page, 'jwt').screenshot({ path: artifactPath('phone-jwt-lane.png') });
    });

    it('has no serious or critical accessibility violations (axe-core)', async () => {
      expect(await seriousA11yViolations(page)).toEqual([]);
    });
  });
});
