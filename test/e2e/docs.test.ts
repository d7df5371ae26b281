// The docs viewer in a real Chromium against the real lab: a step's Walkthrough link on the
// timeline opens its section (scrolled to and focused), in the doc of the flow that traced it, and
// links between docs work inside the app.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { startLab, type TestLab } from '../helpers.js';
import { buildClient, chromiumAvailable, deepActiveElement, inPage, launchChromium, seriousA11yViolations } from './browser.js';

type Flow = 'session' | 'jwt';

const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 5_000 });

const lane = (page: Page, flow: Flow): Locator => page.locator(`flow-lane[flow=${flow}]`);
const viewer = (page: Page): Locator => page.locator('docs-viewer');

/** True when the element's top edge is in the upper part of the window: it was scrolled to. */
const scrolledTo = (element: Locator) =>
  element.evaluate((el) => {
    const top = el.getBoundingClientRect().top;
    return top >= -1 && top < window.innerHeight / 2;
  });

async function logIn(page: Page, flow: Flow) {
  await lane(page, flow).getByLabel('Username').fill('alice');
  await lane(page, flow).getByLabel('Password').fill('wonderland');
  await lane(page, flow).getByRole('button', { name: 'Log in', exact: true }).click();
  await poll(() => lane(page, flow).getByTestId('current-user').textContent()).toContain('Logged in as alice');
}

/** Presses Who am I? and waits until the timeline shows that request's step. */
async function whoAmI(page: Page, flow: Flow, step: string): Promise<Locator> {
  await lane(page, flow).getByRole('button', { name: 'Who am I?', exact: true }).click();
  const summary = lane(page, flow).locator('[data-testid=timeline-summary]');
  await poll(async () => (await summary.textContent())?.includes('Who am I?') && (await summary.getAttribute('data-complete')) === 'true').toBe(true);
  return lane(page, flow).locator(`li[data-step="${step}"]`).first();
}

/** Clicks a step's Walkthrough link and checks the viewer landed on `doc`'s section. */
async function openStepDoc(page: Page, step: Locator, doc: string): Promise<Locator> {
  const [file, anchor] = doc.split('#');
  const link = step.getByRole('link', { name: /Walkthrough/ });
  expect(await link.getAttribute('href')).toBe(`#/${doc}`);
  await link.click();
  await poll(() => inPage(page, 'location.hash')).toBe(`#/${doc}`);
  const heading = viewer(page).locator(`article[data-doc="${file}"] [id="${anchor}"]`);
  await heading.waitFor();
  await poll(() => scrolledTo(heading)).toBe(true);
  const focused = await deepActiveElement(page);
  expect(focused?.text).toBe((await heading.textContent())?.trim());
  return heading;
}

const available = chromiumAvailable();

describe.skipIf(!available)('the docs viewer in Chromium', () => {
  let clientDir: string;
  let lab: TestLab;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    [clientDir, browser] = await Promise.all([buildClient(), launchChromium()]);
    lab = await startLab({}, { clientDir });
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    context.setDefaultTimeout(10_000);
    page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(lab.url);
    await page.locator('connection-status [data-state=connected]').waitFor();
    expect(errors).toEqual([]);
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await lab?.stop();
    if (clientDir) rmSync(clientDir, { recursive: true, force: true });
  });

  it("opens the session store read's section from the session timeline, with a table of contents", async () => {
    await logIn(page, 'session');
    const step = await whoAmI(page, 'session', 'session.store.get');
    const heading = await openStepDoc(page, step, 'docs/session-flow.md#read-the-session');
    expect(await heading.textContent()).toBe('Read the session');
    // The section quotes this project's code and the page has its contents listed.
    const toc = viewer(page).getByTestId('doc-toc');
    expect(await toc.getByRole('link', { name: 'Read the session' }).getAttribute('href')).toBe('#/docs/session-flow.md#read-the-session');
    expect(await viewer(page).locator('article pre code').first().textContent()).toBeTruthy();
    expect(await seriousA11yViolations(page)).toEqual([]);
  });

  it("opens a shared step's section in the doc of the flow that traced it", async () => {
    await page.getByRole('link', { name: 'Back to the lab' }).click();
    await poll(() => page.locator('docs-viewer').count()).toBe(0);
    await logIn(page, 'jwt');
    const step = await whoAmI(page, 'jwt', 'response.send');
    await openStepDoc(page, step, 'docs/jwt-cookie-flow.md#send-the-response');
    const verify = lane(page, 'jwt').locator('li[data-step="jwt.verify"]').first();
    await openStepDoc(page, verify, 'docs/jwt-cookie-flow.md#verify-the-token');
  });

  it('follows links between docs, to a page and to a section of it', async () => {
    await page.goto(`${lab.url}/#/docs/session-flow.md#delete-the-session`);
    await viewer(page).locator('[id="delete-the-session"]').waitFor();
    // "[the JWT flow's logout](jwt-cookie-flow.md#expire-the-cookie)" in the Markdown
    await viewer(page).locator('article a[href="#/docs/jwt-cookie-flow.md#expire-the-cookie"]').first().click();
    const target = viewer(page).locator('article[data-doc="docs/jwt-cookie-flow.md"] [id="expire-the-cookie"]');
    await target.waitFor();
    await poll(() => scrolledTo(target)).toBe(true);
    // The list of walkthroughs opens a doc at its title.
    await viewer(page).getByRole('navigation', { name: 'Walkthroughs' }).getByRole('link', { name: 'side-by-side.md' }).click();
    const title = viewer(page).locator('article[data-doc="docs/side-by-side.md"] h1');
    await poll(() => title.textContent()).toBe('Sessions and JWT cookies, side by side');
    // Source files are named, not linked: the app does not serve the repository.
    expect(await viewer(page).locator('article .source-path').count()).toBeGreaterThan(0);
    expect(await viewer(page).locator('article a[href^="../"]').count()).toBe(0);
  });

  it('says so when a link names a walkthrough that does not exist', async () => {
    await page.goto(`${lab.url}/#/docs/no-such-walkthrough.md`);
    await poll(() => viewer(page).getByRole('alert').textContent()).toContain('There is no walkthrough called docs/no-such-walkthrough.md');
  });
});
