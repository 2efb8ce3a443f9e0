/**
 * The web app (dist/web, `normkit serve`) as a person uses it, in Debian's
 * Chromium through puppeteer-core: a spec and ONNX files dropped on the page
 * (a real drop event with a DataTransfer of Files, the path a drag from the
 * desktop takes) or picked with the file input, sizes typed for dynamic and
 * named inputs, and what one then sees — the verdict banner, the red node,
 * the cause chain, the fixes, a fix's edited model and verdict, a sweep's
 * plot — checked against `normkit check` run in Node on the same file. Every
 * page asserts no console error and no request leaving it (only the app's
 * own origin, data: and blob:); served, the page is cross-origin isolated
 * (normkit serve's headers), from file:// not. Also: the app from file://, bad files shown
 * as errors, the theme button, and the library itself (lib/demo.html)
 * switching to the WebAssembly kernels with initWasm(). Screenshots go to
 * test-artifacts/ (gitignored).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'puppeteer-core';
import { runCheck } from '../../src/cli/check.js';
import { startServer, type Serving } from '../../src/cli/serve.js';
import { artifactsDir, openGuarded, type GuardedPage, CHROMIUM, launchArgs, missingBrowser, repoRoot } from './browser.js';

// Run in the page (puppeteer serializes these callbacks); this tree compiles without DOM types.
declare const document: any;
declare const getComputedStyle: (e: unknown) => { backgroundColor: string; fill: string };

const skip = missingBrowser();
if (skip !== null) console.log(`# web app browser tests skipped: ${skip}`);

const out = artifactsDir();
const webRoot = join(repoRoot, 'dist', 'web');

/** `normkit check FILE --json` in Node: the truth the page must show. */
function cliCheck(file: string, extra: Record<string, string> = {}): any {
  let stdout = '';
  const code = runCheck(file, { json: true, ...extra }, { out: (s) => (stdout += s), err: () => undefined, color: false });
  assert.ok(code === 0 || code === 1, `${file}: exit ${code}: ${stdout}`);
  return JSON.parse(stdout);
}

const open = (browser: Browser, url: string, allowed: (u: string) => boolean): Promise<GuardedPage> => openGuarded(browser, url, allowed);

/** Drops a file on the page as a drag from the desktop does: dragenter, dragover, drop, with a DataTransfer holding the File. */
async function drop(page: Page, name: string, bytes: Buffer): Promise<void> {
  await page.evaluate(
    (name: string, b64: string) => {
      const w = globalThis as any;
      const bin = w.atob(b64);
      const data = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) data[i] = bin.charCodeAt(i);
      const dt = new w.DataTransfer();
      dt.items.add(new w.File([data], name, { type: name.endsWith('.json') ? 'application/json' : 'application/octet-stream' }));
      const target = document.querySelector('#intro:not([hidden])') ?? document.querySelector('#report') ?? document.body;
      for (const type of ['dragenter', 'dragover', 'drop']) target.dispatchEvent(new w.DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
    },
    name,
    bytes.toString('base64'),
  );
}

const checksDone = (page: Page, n: number) => page.waitForSelector(`body[data-checks="${n}"]`, { timeout: 20_000 });
const text = (page: Page, sel: string) => page.$eval(sel, (e: any) => e.textContent as string);
const texts = (page: Page, sel: string) => page.$$eval(sel, (els: any[]) => els.map((e) => e.textContent as string));

describe('the web app in Chromium', { skip: skip ?? false }, () => {
  let browser: Browser;
  let server: Serving;
  let origin = '';
  const ours = (u: string) => u.startsWith(origin);
  before(async () => {
    server = await startServer({ root: webRoot, port: 0 });
    origin = server.url.replace(/\/$/, '');
    const puppeteer = (await import('puppeteer-core')).default;
    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: launchArgs });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('collapsing-encoder.json dropped: the verdict, the red node, the cause chain, the fixes; fix 2 edits layer 13; a sweep plots the working sizes', async () => {
    const file = join(repoRoot, 'examples', 'collapsing-encoder.json');
    const truth = cliCheck(file, { sweep: '1..96' });
    const { page, errors, blocked } = await open(browser, server.url, ours);
    try {
      assert.equal(await page.evaluate(() => (globalThis as any).crossOriginIsolated), true, "normkit serve's headers isolate the app");
      await drop(page, 'collapsing-encoder.json', readFileSync(file));
      // The check file's input (2x3x32x32) and mode (train) are known: it checks at once.
      await checksDone(page, 1);
      assert.equal(await page.$eval('#in-0', (e: any) => e.value), '2x3x32x32');
      assert.equal(await text(page, '#banner'), 'Raises at 2x3x32x32: InstanceNorm2d at 13');
      assert.deepEqual(await texts(page, '#graph .node.verdict-raises .label'), ['13 InstanceNorm2d']);
      assert.deepEqual(await texts(page, '#graph .node.chain .label'), ['0 Conv2d', '3 Conv2d', '6 Conv2d', '9 Conv2d', '12 Conv2d']);
      assert.deepEqual(await texts(page, 'ol.chain li'), [
        '0 Conv2d: 32x32 -> 16x16 (stride 2)',
        '3 Conv2d: 16x16 -> 8x8 (stride 2)',
        '6 Conv2d: 8x8 -> 4x4 (stride 2)',
        '9 Conv2d: 4x4 -> 2x2 (stride 2)',
        '12 Conv2d: 2x2 -> 1x1 (stride 2)',
      ]);
      assert.match(await text(page, 'p.error'), /^ValueError: Expected more than 1 spatial element when training, got input size \[2, 128, 1, 1\]$/);
      assert.equal(await page.$$eval('#fixes li.fix', (e: any[]) => e.length), truth.fixes.length);
      assert.equal(truth.fixes.length, 7);
      assert.deepEqual(await texts(page, '#fixes li.fix button'), truth.fixes.map((f: any, k: number) => `${k + 1}. ${f.title}${f.caveat ?? ''}`));
      assert.match(await text(page, '#status'), /^collapsing-encoder\.json: raises ValueError; 7 verified fixes \(computed in this page in \d+ ms\)$/);
      await page.screenshot({ path: join(out, 'web-collapsing-encoder.png') });

      // Fix 2: GroupNorm at 13; the graph and the verdict change, and the edited spec is shown to download.
      await page.click('#fixes button[data-fix="1"]');
      const n13 = await page.$eval('#graph .node[data-id="13"]', (e: any) => ({ cls: e.getAttribute('class'), label: e.querySelector('.label').textContent }));
      assert.match(n13.cls, /verdict-ok/);
      assert.match(n13.cls, /changed/);
      assert.equal(n13.label, '13 GroupNorm');
      assert.equal(await page.$$eval('#graph .node.verdict-raises', (e: any[]) => e.length), 0);
      assert.match(await text(page, '#fix-result'), /Fix 2: verified result.*runs: input 2x3x32x32 -> output 2x10/s);
      assert.equal(await page.$eval('#fixed-spec', (e: any) => e.hidden), false);
      assert.equal(await text(page, '#fix-verdict'), 'Verified: runs: output 2x10');
      const edited = JSON.parse(await text(page, '#fixed-json'));
      assert.equal(edited.layers[13].module, 'GroupNorm');
      assert.equal(edited.layers[1].module, 'InstanceNorm2d');
      assert.equal(await page.$eval('#download-fix', (e: any) => e.getAttribute('download')), 'collapsing-encoder.fix2.json');
      await page.screenshot({ path: join(out, 'web-collapsing-encoder-fix2.png'), fullPage: true });
      await page.click('#fixes button[data-fix="base"]');
      assert.equal(await page.$eval('#fixed-spec', (e: any) => e.hidden), true);
      assert.deepEqual(await texts(page, '#graph .node.verdict-raises .label'), ['13 InstanceNorm2d']);

      // A sweep over 1..96: the plot, and the working sizes as the CLI gives them.
      await page.type('#sweep', '1..96');
      await page.click('#run-sweep');
      await checksDone(page, 2);
      assert.ok((await page.$$eval('.sweep-plot polyline[data-path="13"]', (e: any[]) => e.length)) >= 1);
      assert.equal(await page.$$eval('.sweep-plot ul.legend li, ul.legend li', (e: any[]) => e.length), truth.analysis.norms.length);
      const shaded = await page.$$eval('.sweep-plot rect.working', (e: any[]) => e.length);
      assert.ok(shaded >= 1, `${shaded} shaded runs`);
      assert.match(await text(page, 'section.sweep .hint'), new RegExp(`\\(${truth.sweep.summary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)`));
      assert.match(await text(page, '#status'), new RegExp(`swept 96 sizes: ${truth.sweep.summary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      await page.screenshot({ path: join(out, 'web-collapsing-encoder-sweep.png'), fullPage: true });
      assert.deepEqual(errors, []);
      assert.deepEqual(blocked, []);
    } finally {
      await page.close();
    }
  });

  test('an ONNX file with dynamic dims: the sizes must be typed; then the same verdict as normkit check', async () => {
    const file = join(repoRoot, 'test', 'fixtures', 'onnx', 'collapsing-encoder.op17.preserve.onnx');
    const truth = cliCheck(file, { input: '2x3x32x32' });
    const { page, errors, blocked } = await open(browser, server.url, ours);
    try {
      await drop(page, 'collapsing-encoder.op17.preserve.onnx', readFileSync(file));
      await page.waitForSelector('form#check:not([hidden])');
      assert.equal(await page.$eval('#in-0', (e: any) => e.value), '');
      assert.equal(await page.$eval('#in-0', (e: any) => e.placeholder), 'batch x 3 x height x width');
      assert.match(await text(page, 'label[for="in-0"]'), /\[batch, 3, height, width\]/);
      assert.equal(await text(page, '#status'), "Type the size of input 'input' (dynamic: batch, height, width), then Check.");
      assert.match(await text(page, '#file-info'), /^collapsing-encoder\.op17\.preserve\.onnx \(ONNX file from pytorch 1\.13\.0, IR 8, opset 17, 18 nodes\)$/);
      assert.equal(await page.$$eval('#graph', (e: any[]) => e.length), 0, 'no report before the sizes');
      // Checking without a size: a readable error, the field marked.
      await page.click('#run');
      assert.match(await text(page, '#app-error'), /UsageError: the input has dynamic dimensions 'batch', 'height', 'width' \(\[batch, 3, height, width\]\): type its size/);
      assert.equal(await page.$eval('#in-0', (e: any) => e.getAttribute('aria-invalid')), 'true');
      await page.type('#in-0', '2x3x32x32');
      await page.keyboard.press('Enter');
      await checksDone(page, 1);
      assert.equal(await page.$eval('#app-error', (e: any) => e.hidden), true);
      const f = truth.analysis.failure;
      assert.equal(await text(page, '#banner'), `Raises at 2x3x32x32: ${f.type} at ${f.path}`);
      assert.deepEqual(await texts(page, '#graph .node.verdict-raises .label'), [`${f.path} ${f.type}`]);
      assert.equal(await page.$$eval('ol.chain li', (e: any[]) => e.length), f.chain.length);
      assert.equal(await page.$$eval('#fixes li.fix', (e: any[]) => e.length), truth.fixes.length);
      // A fix of the input has nothing to write; one of the model offers the fixed ONNX file (what --apply 2 --out writes).
      await page.click('#fixes button[data-fix="0"]');
      assert.match(await text(page, '#fixed-spec'), /This fix changes the input, not the model: use input 2x3x33x33\./);
      await page.click('#fixes button[data-fix="1"]');
      assert.equal(await page.$eval('#download-fix', (e: any) => e.getAttribute('download')), 'collapsing-encoder.op17.preserve.fix2.onnx');
      assert.match(await text(page, '#fixed-onnx'), /^The ONNX file with the fix applied \(\d+\.\d KB\): the file's weights kept, its input and output names and dynamic dims\.$/);
      // Eval mode re-checks at once: an InstanceNorm without running statistics still uses each 1x1 map's own statistics.
      const evalTruth = cliCheck(file, { input: '2x3x32x32', mode: 'eval' });
      assert.equal(evalTruth.verdict, 'raises');
      await page.select('#mode', 'eval');
      await checksDone(page, 2);
      assert.match(await text(page, 'header h1'), /input 2x3x32x32, eval mode/);
      assert.equal(await text(page, '#banner'), `Raises at 2x3x32x32: ${evalTruth.analysis.failure.type} at ${evalTruth.analysis.failure.path}`);
      assert.equal(await page.$$eval('#fixes li.fix', (e: any[]) => e.length), evalTruth.fixes.length);
      await page.screenshot({ path: join(out, 'web-onnx-dynamic.png') });
      assert.deepEqual(errors, []);
      assert.deepEqual(blocked, []);
    } finally {
      await page.close();
    }
  });

  test('a two-input ONNX graph through the file picker: each input sized by name', async () => {
    const file = join(repoRoot, 'test', 'fixtures', 'onnx-graphs', 'spade-block.onnx');
    const truth = cliCheck(file, { input: 'x=1x4x1x1,seg=1x3x1x1' });
    const { page, errors, blocked } = await open(browser, server.url, ours);
    try {
      const picker = await page.$('#file');
      await picker!.uploadFile(file);
      await page.waitForSelector('form#check:not([hidden])');
      assert.deepEqual(await texts(page, '#inputs label b'), ['x', 'seg']);
      assert.equal(await text(page, '#status'), "Type the size of input 'x' (dynamic: batch, x_2, x_3) and input 'seg' (dynamic: batch, seg_2, seg_3), then Check.");
      await page.type('#in-0', '1x4x1x1');
      await page.type('#in-1', '1x3x1x1');
      await page.click('#run');
      await checksDone(page, 1);
      const f = truth.analysis.failure;
      assert.equal(await text(page, '#banner'), `Raises at x=1x4x1x1, seg=1x3x1x1: ${f.type} at ${f.path}`);
      assert.deepEqual(await texts(page, '#graph .node.verdict-raises .label'), [`${f.path} ${f.type}`]);
      assert.equal(await page.$$eval('#fixes li.fix', (e: any[]) => e.length), truth.fixes.length);
      // At a workable size: ok, as the CLI says.
      const okTruth = cliCheck(file, { input: 'x=2x4x16x16,seg=2x3x16x16' });
      assert.equal(okTruth.verdict, 'ok');
      await page.$eval('#in-0', (e: any) => (e.value = ''));
      await page.$eval('#in-1', (e: any) => (e.value = ''));
      await page.type('#in-0', '2x4x16x16');
      await page.type('#in-1', '2x3x16x16');
      await page.click('#run');
      await checksDone(page, 2);
      assert.equal(await text(page, '#banner'), 'ok at x=2x4x16x16, seg=2x3x16x16: every norm has usable statistics');
      assert.equal(await page.$$eval('#graph .node.verdict-ok', (e: any[]) => e.length), okTruth.analysis.norms.length);
      assert.deepEqual(errors, []);
      assert.deepEqual(blocked, []);
    } finally {
      await page.close();
    }
  });

  test('bad files are readable errors, not a blank page; a good file after them works', async () => {
    const { page, errors, blocked } = await open(browser, server.url, ours);
    try {
      await drop(page, 'broken.json', Buffer.from('{"module": "Sequential", "layers": ['));
      await page.waitForSelector('#app-error:not([hidden])');
      assert.match(await text(page, '#app-error'), /Cannot open broken\.json:\s*SpecError: broken\.json: invalid JSON/);
      assert.equal(await page.$eval('#intro', (e: any) => e.hidden), false, 'the introduction stays');
      await drop(page, 'typo.json', Buffer.from(JSON.stringify({ module: 'Sequential', layers: [{ module: 'Conv2d', args: { in_channels: 3, out_channels: 8, kernel_size: 3 } }, { module: 'InstanceNorm' }] })));
      await page.waitForFunction(() => /typo\.json/.test(document.querySelector('#app-error').textContent));
      assert.match(await text(page, '#app-error'), /SpecError: at 1: unknown module 'InstanceNorm'/);
      assert.match(await text(page, '#app-error'), /spec node: 1/);
      const onnx = readFileSync(join(repoRoot, 'test', 'fixtures', 'onnx', 'collapsing-encoder.op17.preserve.onnx'));
      await drop(page, 'cut.onnx', onnx.subarray(0, 400));
      await page.waitForFunction(() => /cut\.onnx/.test(document.querySelector('#app-error').textContent));
      assert.match(await text(page, '#app-error'), /OnnxError: /);
      await drop(page, 'empty.json', Buffer.alloc(0));
      await page.waitForFunction(() => /empty\.json/.test(document.querySelector('#app-error').textContent));
      assert.match(await text(page, '#app-error'), /UsageError: empty\.json is empty/);
      await page.screenshot({ path: join(out, 'web-bad-file.png') });
      // A bad size on a good model.
      await page.click('button[data-example="unet-level"]');
      await checksDone(page, 1);
      await page.$eval('#in-0', (e: any) => (e.value = '2x1xabc'));
      await page.click('#run');
      assert.match(await text(page, '#app-error'), /UsageError: the input must be sizes like 2x3x64x64 \(positive integers\), got '2x1xabc'/);
      assert.equal(await page.$$eval('#graph', (e: any[]) => e.length), 1, 'the last good report stays');
      assert.deepEqual(errors, []);
      assert.deepEqual(blocked, []);
    } finally {
      await page.close();
    }
  });

  test('every bundled example is one click away and matches normkit check; search, keyboard and the theme button work', async () => {
    const { page, errors, blocked } = await open(browser, server.url, ours);
    try {
      const names = await page.$$eval('.examples button[data-example]', (e: any[]) => e.map((b) => b.getAttribute('data-example')));
      const files = readdirSync(join(repoRoot, 'examples')).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
      assert.deepEqual(names, files);
      let n = 0;
      for (const name of names) {
        const truth = cliCheck(name);
        await page.click(`button[data-example="${name}"]`);
        await checksDone(page, ++n);
        assert.equal(await page.$eval(`button[data-example="${name}"]`, (e: any) => e.getAttribute('aria-current')), 'true');
        assert.equal(await page.$eval('#banner', (e: any) => e.className.replace('banner verdict-', '')), truth.verdict, name);
        assert.equal(await page.$$eval('#fixes li.fix', (e: any[]) => e.length), truth.fixes.length, name);
        // The failing node, drawn at the failure's module path and named as the CLI names it (a container raising in its own op: Concat, not cat).
        const raised = await texts(page, '#graph .node.failing .label');
        const f = truth.analysis.failure;
        assert.equal(raised.length, f ? 1 : 0, name);
        if (f) {
          assert.equal(raised[0], `${f.path} ${f.type}`, name);
          assert.ok((await text(page, '#banner')).includes(`${f.type} at ${f.path}`), name);
          assert.ok((await text(page, '#report p.error')).startsWith(`${f.error.type}: ${f.error.message}`), name);
        }
      }
      // Search by module path or class, then keyboard.
      await page.click('button[data-example="collapsing-encoder"]');
      await checksDone(page, ++n);
      await page.type('#search', 'InstanceNorm');
      assert.equal(await page.$$eval('#graph .node.match', (e: any[]) => e.length), 5);
      await page.keyboard.press('Enter');
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-id')), '1');
      await page.keyboard.press('Tab');
      await page.keyboard.press('Enter');
      assert.match(await text(page, '#details'), /class/);
      // Theme: auto -> light -> dark, the page and the graph alike (a plain node's fill).
      const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      const nodeFill = () => page.$eval('#graph .node[data-id="2"] rect.box', (e: any) => getComputedStyle(e).fill);
      assert.equal(await text(page, '#theme'), 'Theme: auto');
      await page.click('#theme');
      assert.equal(await page.evaluate(() => document.documentElement.getAttribute('data-theme')), 'light');
      assert.equal(await bg(), 'rgb(255, 255, 255)');
      assert.equal(await nodeFill(), 'rgb(243, 245, 248)');
      await page.click('#theme');
      assert.equal(await text(page, '#theme'), 'Theme: dark');
      assert.equal(await bg(), 'rgb(21, 25, 30)');
      assert.equal(await nodeFill(), 'rgb(35, 42, 51)');
      await page.screenshot({ path: join(out, 'web-dark.png') });
      await page.click('#theme');
      assert.equal(await page.evaluate(() => document.documentElement.getAttribute('data-theme')), null);
      assert.deepEqual(errors, []);
      assert.deepEqual(blocked, []);
    } finally {
      await page.close();
    }
  });

  test('from file://, offline: the page loads nothing and still checks', async () => {
    const url = pathToFileURL(join(webRoot, 'index.html')).href;
    const { page, errors, blocked, requests } = await open(browser, url, (u) => u === url);
    try {
      await page.click('button[data-example="resnet-generator"]');
      await checksDone(page, 1);
      assert.equal(await page.$eval('#banner', (e: any) => e.className), `banner verdict-${cliCheck('resnet-generator').verdict}`);
      assert.deepEqual(requests, [url], 'the page itself, nothing else');
      assert.equal(await page.evaluate(() => (globalThis as any).crossOriginIsolated), false, 'no headers from file://: not isolated (the library would stay on one thread)');
      assert.deepEqual(errors, []);
      assert.deepEqual(blocked, []);
    } finally {
      await page.close();
    }
  });

  test('the library in a page (lib/demo.html): TypeScript kernels first, the WebAssembly ones after initWasm(), same results', async () => {
    const { page, errors, blocked, requests } = await open(browser, `${origin}/lib/demo.html`, ours);
    try {
      const r = JSON.parse(await text(page, '#out'));
      assert.equal(r.before.backend, 'js');
      assert.match(r.before.wasmError, /asynchronously/);
      assert.equal(r.before.threads, false, 'single-threaded in a page');
      // Chromium validates relaxed SIMD: the fused-multiply-add gemm build.
      assert.deepEqual(r.init, { norm: 'wasm', gemm: 'wasm-simd', gemmVariant: 'relaxed-simd', normError: null, gemmError: null });
      assert.equal(r.after.backend, 'wasm');
      assert.equal(r.typeName, 'InstanceNorm2d', 'the minified bundle keeps the class names');
      assert.equal(r.repr, 'InstanceNorm2d(4, eps=1e-05, momentum=0.1, affine=True, track_running_stats=False)');
      assert.equal(r.normDiff, 0, 'both kernel sets give bit-identical results');
      assert.ok(r.convDiff < 1e-4, `conv: wasm vs scalar gemm differ by ${r.convDiff}`);
      assert.equal(r.convScalarAgain, 0);
      assert.ok(Math.abs(r.mean) < 1e-2, `normalized mean ${r.mean}`);
      assert.equal(r.raised, 'ValueError: Expected more than 1 spatial element when training, got input size [2, 4, 1, 1]');
      assert.deepEqual(requests.map((u) => u.slice(origin.length)).sort(), ['/lib/demo.html', '/lib/demo.js', '/lib/gemm_relaxed.wasm', '/lib/norm.wasm', '/lib/normkit.js']);
      assert.deepEqual(errors, []);
      assert.deepEqual(blocked, []);
    } finally {
      await page.close();
    }
  });
});
