/**
 * The browser tests drive Debian's Chromium (`apt-get install chromium`,
 * /usr/bin/chromium; NORMKIT_CHROMIUM to use another) through puppeteer-core,
 * which never downloads a browser. Without Chromium they are skipped, with
 * the reason printed — unless NORMKIT_REQUIRE_PEERS=1 (.ci/run), where a
 * missing browser is an error, as a missing peer is.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'puppeteer-core';
import { missingPeers } from '../optional_peers.js';

export const CHROMIUM = process.env['NORMKIT_CHROMIUM'] ?? '/usr/bin/chromium';

/** null when the browser tests can run, else why they are skipped (throws under NORMKIT_REQUIRE_PEERS=1). */
export function missingBrowser(): string | null {
  const peers = missingPeers('puppeteer-core');
  if (peers !== null) return peers;
  if (existsSync(CHROMIUM)) return null;
  const reason = `Chromium not found at ${CHROMIUM} (apt-get install -y chromium, or set NORMKIT_CHROMIUM)`;
  if (process.env['NORMKIT_REQUIRE_PEERS'] === '1') throw new Error(`NORMKIT_REQUIRE_PEERS=1 but ${reason}`);
  return reason;
}

/** The repository root (tests run from dist/test/browser). */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Where screenshots and the rendered reports go (gitignored). */
export function artifactsDir(): string {
  const d = join(repoRoot, 'test-artifacts');
  mkdirSync(d, { recursive: true });
  return d;
}

export const launchArgs = [
  // Root in a container: Chromium's sandbox needs user namespaces it may not have.
  ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--font-render-hinting=none',
];

/** A page opened under guard: console errors, requests seen and requests blocked. */
export interface GuardedPage {
  page: Page;
  errors: string[];
  blocked: string[];
  requests: string[];
}

/**
 * Opens `url` at 1400x900 (dark: prefers-color-scheme dark), records console
 * errors and page errors, lets through only requests `allowed` takes (and
 * data: / blob: URLs), aborting and recording the rest, and waits until the
 * page says it is ready (body[data-ready="true"]).
 */
export async function openGuarded(browser: Browser, url: string, allowed: (u: string) => boolean, dark = false): Promise<GuardedPage> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 900 });
  if (dark) await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'dark' }]);
  const errors: string[] = [];
  const blocked: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.setRequestInterception(true);
  page.on('request', (r) => {
    const u = r.url();
    requests.push(u);
    if (allowed(u) || u.startsWith('data:') || u.startsWith('blob:')) void r.continue();
    else {
      blocked.push(u);
      void r.abort();
    }
  });
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="true"]', { timeout: 10_000 });
  return { page, errors, blocked, requests };
}
