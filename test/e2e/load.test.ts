// The "Run 1,000 requests" button in a real Chromium against the real lab: the run is fired by the
// server, the page shows its progress and lookups per request, and it stays responsive while the
// 1,000 traces arrive (the server batches them): no long task over 200 ms.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startLab, type TestLab } from '../helpers.js';
import { buildClient, chromiumAvailable, inPage, launchChromium } from './browser.js';

const available = chromiumAvailable();

describe.runIf(available)('dashboard load run', () => {
  let clientDir: string;
  let lab: TestLab;
  let browser: Browser;

  beforeAll(async () => {
    clientDir = await buildClient();
    lab = await startLab({}, { clientDir });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await lab?.stop();
    rmSync(clientDir, { recursive: true, force: true });
  });

  it.each(['session', 'jwt'] as const)('runs 1,000 %s requests from the server and shows them with no long task over 200 ms', async (flow) => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    try {
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(lab.url);
      await page.locator('connection-status [data-state=connected]').waitFor();
      await inPage(
        page,
        `(() => {
          window.__longTasks = [];
          new PerformanceObserver((list) => {
            for (const entry of list.getEntries()) window.__longTasks.push(Math.round(entry.duration));
          }).observe({ type: 'longtask' });
          return true;
        })()`,
      );

      const lane = page.locator(`flow-lane[flow=${flow}]`);
      const run = lane.locator('load-run');
      await run.getByRole('button', { name: 'Run 1,000 requests' }).click();
      await expect
        .poll(() => run.locator('[data-testid=load-status]').textContent().catch(() => ''), { timeout: 60_000 })
        .toMatch(/1,000 of 1,000 answered in/);
      expect(await run.locator('[data-testid=load-lookups]').textContent()).toBe(flow === 'session' ? '2.00' : '0.00');
      const longTasks = await inPage<number[]>(page, 'window.__longTasks');
      expect(longTasks.filter((ms) => ms > 200)).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
