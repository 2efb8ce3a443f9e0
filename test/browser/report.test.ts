/**
 * The HTML report as a person uses it, in Debian's Chromium (headless,
 * through puppeteer-core): every bundled example's report opens with no
 * console error and no request leaving the page (only file: and data:), and
 * for the collapsing encoder what one sees — the red node, the five convs of
 * the cause chain, the fix list — and what clicking a fix, searching,
 * tabbing, collapsing a container, zooming and dark mode do. Screenshots go
 * to test-artifacts/ (gitignored).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'puppeteer-core';
import { listExamples, runCheck } from '../../src/cli/check.js';
import { artifactsDir, openGuarded, type GuardedPage, CHROMIUM, launchArgs, missingBrowser } from './browser.js';

// Run in the page (puppeteer serializes these callbacks); this tree compiles without DOM types.
declare const document: any;
declare const getComputedStyle: (e: unknown) => { stroke: string; backgroundColor: string };

const skip = missingBrowser();
if (skip !== null) console.log(`# browser tests skipped: ${skip}`);

const out = artifactsDir();

/** Renders an example's report with the CLI (as `normkit check NAME --html FILE` does). */
function renderExample(name: string, extra: Record<string, string> = {}): { html: string; json: any } {
  const html = join(out, `${name}.html`);
  let stdout = '';
  let stderr = '';
  const code = runCheck(name, { html, json: true, ...extra }, { out: (s) => (stdout += s), err: (s) => (stderr += s), color: false });
  assert.ok(code === 0 || code === 1, `${name}: exit ${code}: ${stderr}`);
  assert.match(stderr, /wrote .*\.html/);
  return { html, json: JSON.parse(stdout) };
}

/** A report file opened from disk: nothing but file: (and data:) URLs may load. */
const open = (browser: Browser, file: string, dark = false): Promise<GuardedPage> => openGuarded(browser, pathToFileURL(file).href, (u) => u.startsWith('file:'), dark);

describe('HTML report in Chromium', { skip: skip ?? false }, () => {
  let browser: Browser;
  before(async () => {
    const puppeteer = (await import('puppeteer-core')).default;
    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: launchArgs });
  });
  after(async () => {
    await browser?.close();
  });

  for (const name of listExamples()) {
    test(`${name}: opens with no console errors and no request leaving the page`, async () => {
      const { html } = renderExample(name);
      const { page, errors, blocked } = await open(browser, html);
      try {
        assert.deepEqual(errors, [], 'console errors');
        assert.deepEqual(blocked, [], 'requests that left the page');
        const nodes = await page.$$eval('#graph .node', (els) => els.length);
        assert.ok(nodes > 2, `${name}: ${nodes} nodes drawn`);
        // Every norm of the analysis is drawn with its verdict's colour.
        const verdictNodes = await page.$$eval('#graph .node[class*="verdict-"]', (els) => els.length);
        assert.ok(verdictNodes >= 1, `${name}: norms coloured by verdict`);
        await page.screenshot({ path: join(out, `${name}.png`) as `${string}.png` });
      } finally {
        await page.close();
      }
    });
  }

  test('collapsing-encoder: the red node, the five convs of the chain, the fixes, and fix 2 turning the node ok', async () => {
    const { html, json } = renderExample('collapsing-encoder', { sweep: '1..96' });
    const size = statSync(html).size;
    console.log(`# collapsing-encoder report: ${(size / 1024).toFixed(0)} KB`);
    assert.ok(!/https?:\/\//.test(readFileSync(html, 'utf8').replace(/http:\/\/www\.w3\.org\/[0-9]+\/svg/g, '')), 'no URL but the SVG namespace');
    const { page, errors, blocked } = await open(browser, html);
    try {
      const red = await page.$$eval('#graph .node.verdict-raises .label', (els) => els.map((e) => e.textContent));
      assert.deepEqual(red, ['13 InstanceNorm2d']);
      const fill = await page.$eval('#graph .node.verdict-raises rect.box', (e) => getComputedStyle(e).stroke);
      assert.equal(fill, 'rgb(224, 49, 49)', 'red outline');
      const chain = await page.$$eval('#graph .node.chain .label', (els) => els.map((e) => e.textContent));
      assert.deepEqual(chain, ['0 Conv2d', '3 Conv2d', '6 Conv2d', '9 Conv2d', '12 Conv2d']);
      const fixes = await page.$$eval('#fixes li.fix', (els) => els.length);
      assert.equal(fixes, json.fixes.length);
      assert.equal(fixes, 7);
      // The sweep plot: one line per norm, the working sizes shaded.
      assert.equal(await page.$$eval('.sweep-plot polyline[data-path="13"]', (e) => e.length) >= 1, true);
      assert.ok((await page.$$eval('.sweep-plot rect.working', (e) => e.length)) >= 1);
      await page.screenshot({ path: join(out, 'collapsing-encoder-sweep.png'), fullPage: true });

      await page.click('#fixes button[data-fix="1"]');
      const after = await page.$eval('#graph .node[data-id="13"]', (e) => ({ cls: e.getAttribute('class'), label: e.querySelector('.label')?.textContent, stroke: getComputedStyle(e.querySelector('rect.box')!).stroke }));
      assert.match(after.cls!, /verdict-ok/);
      assert.match(after.cls!, /changed/);
      assert.equal(after.label, '13 GroupNorm');
      assert.notEqual(after.stroke, 'rgb(224, 49, 49)');
      assert.equal(await page.$$eval('#graph .node.verdict-raises', (e) => e.length), 0);
      assert.match(await page.$eval('#fix-result', (e) => e.textContent!), /Fix 2: verified result.*runs/s);
      await page.screenshot({ path: join(out, 'collapsing-encoder-fix2.png') });
      // Back to the model as given.
      await page.click('#fixes button[data-fix="base"]');
      assert.equal(await page.$$eval('#graph .node.verdict-raises', (e) => e.length), 1);
      assert.deepEqual(errors, []);
      assert.deepEqual(blocked, []);
    } finally {
      await page.close();
    }
  });

  test('search, keyboard, zoom and pan', async () => {
    const { html } = renderExample('collapsing-encoder');
    const { page, errors } = await open(browser, html);
    try {
      await page.type('#search', 'InstanceNorm');
      assert.equal(await page.$$eval('#graph .node.match', (e) => e.length), 5);
      assert.match(await page.$eval('#search-info', (e) => e.textContent!), /5 matches/);
      await page.keyboard.press('Enter');
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-id')), '1');
      // Tab moves to the next node; Enter focuses it and shows its details.
      await page.keyboard.press('Tab');
      const next = await page.evaluate(() => document.activeElement?.getAttribute('data-id'));
      assert.ok(next !== null && next !== '1', `tab moved to ${next}`);
      await page.keyboard.press('Enter');
      assert.match(await page.$eval('#details', (e) => e.textContent!), /class/);
      const before = await page.$eval('#graph svg', (e) => e.getAttribute('viewBox'));
      await page.mouse.move(400, 400);
      await page.mouse.wheel({ deltaY: -400 });
      const zoomed = await page.$eval('#graph svg', (e) => e.getAttribute('viewBox')!.split(' ').map(Number));
      assert.ok(zoomed[2]! < Number(before!.split(' ')[2]), 'wheel zooms in');
      await page.mouse.down();
      await page.mouse.move(500, 450, { steps: 5 });
      await page.mouse.up();
      const panned = await page.$eval('#graph svg', (e) => e.getAttribute('viewBox')!.split(' ').map(Number));
      assert.ok(panned[0]! < zoomed[0]!, 'drag pans');
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });

  test('unet-level: containers collapse and expand', async () => {
    const { html } = renderExample('unet-level');
    const { page, errors } = await open(browser, html);
    try {
      const before = await page.$$eval('#graph .node', (e) => e.length);
      await page.$eval('#graph .cluster[data-cluster="3"]', (e: any) => e.focus());
      await page.keyboard.press('Enter');
      const collapsed = await page.$$eval('#graph .node', (e) => e.length);
      assert.ok(collapsed < before, `${collapsed} < ${before}`);
      assert.equal(await page.$$eval('#graph .node.collapsed[data-cluster="3"]', (e) => e.length), 1);
      await page.$eval('#graph .node.collapsed[data-cluster="3"]', (e: any) => e.focus());
      await page.keyboard.press('Enter');
      assert.equal(await page.$$eval('#graph .node', (e) => e.length), before);
      // By mouse: a container's header toggles it.
      await page.mouse.move(450, 500);
      await page.mouse.wheel({ deltaY: 600 }); // zoom out: the whole graph in view
      const r = await page.$eval('#graph .cluster[data-cluster="3.branches.1"] .cluster-label', (e: any) => {
        const b = e.getBoundingClientRect();
        return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
      });
      await page.mouse.click(r.x, r.y);
      assert.equal(await page.$$eval('#graph .node.collapsed[data-cluster="3.branches.1"]', (e) => e.length), 1);
      await page.screenshot({ path: join(out, 'unet-level-collapsed.png') });
      await page.click('#collapse-all');
      assert.equal(await page.$$eval('#graph .node.collapsed', (e) => e.length), 1);
      await page.click('#expand-all');
      assert.equal(await page.$$eval('#graph .node', (e) => e.length), before);
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });

  test('dark mode (prefers-color-scheme)', async () => {
    const { html } = renderExample('collapsing-encoder');
    const { page, errors } = await open(browser, html, true);
    try {
      const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      assert.equal(bg, 'rgb(21, 25, 30)');
      await page.screenshot({ path: join(out, 'collapsing-encoder-dark.png') });
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });
});
