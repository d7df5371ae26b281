// Browser-test helpers: Debian's Chromium driven by playwright-core, and the dashboard built into a
// temp dir (so a parallel test never sees dist/client half-written).
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';

export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = resolve('test-artifacts');

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Whether the browser tests can run here. Without Chromium they are skipped with a notice, except
 * in CI (CI=true), where a missing browser must fail the run rather than pass it silently.
 */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing: CI must install chromium (see .ci/run).`);
  console.warn(`\n*** Browser tests SKIPPED: ${CHROMIUM} is missing (apt-get install chromium). ***\n`);
  return false;
}

/**
 * Launches Chromium. playwright-core gives every launch a fresh temporary profile
 * (--user-data-dir) and removes it on close, so no state leaks between runs.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}

/** Builds the dashboard with the project's vite.config.ts into a new temp dir; returns that dir. */
export async function buildClient(): Promise<string> {
  const outDir = mkdtempSync(join(tmpdir(), 'lab-client-'));
  await build({ configFile: resolve('vite.config.ts'), logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  return outDir;
}

// The functions below run in the page; they are strings because this project's Node tsconfig has
// no DOM types (and must not: the server's code would then type-check against browser globals).

/** axe-core's serious and critical violations on the page as it is now (shadow roots included). */
export async function seriousA11yViolations(page: Page): Promise<string[]> {
  const require = createRequire(import.meta.url);
  await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  return page.evaluate<string[]>(`(async () => {
    const { violations } = await window.axe.run(document);
    return violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => v.impact + ' ' + v.id + ': ' + v.help + ' (' + v.nodes.map((n) => n.target.join(' ')).join(', ') + ')');
  })()`);
}

/** The focused element, looking through shadow roots: its tag, text and outline style. */
export function deepActiveElement(page: Page): Promise<{ tag: string; text: string; outline: string } | null> {
  return page.evaluate(`(() => {
    let active = document.activeElement;
    while (active && active.shadowRoot && active.shadowRoot.activeElement) active = active.shadowRoot.activeElement;
    if (!active || active === document.body) return null;
    return {
      tag: active.tagName.toLowerCase(),
      text: (active.textContent || '').trim().replace(/\\s+/g, ' '),
      outline: getComputedStyle(active).outlineStyle,
    };
  })()`);
}

/** Evaluates a page expression, e.g. 'location.hash'. */
export function inPage<T>(page: Page, expression: string): Promise<T> {
  return page.evaluate<T>(expression);
}

export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, name);
}
