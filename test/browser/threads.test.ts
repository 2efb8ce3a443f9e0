/**
 * The kernels on two threads in Chromium: dist/web/lib/threads.html, served
 * by `normkit serve`'s server (cross-origin isolated by its headers), runs the
 * library in a dedicated module Worker with setNumThreads(2) — an
 * InstanceNorm2d and a Conv2d forward split between that worker and a pool
 * worker — then on the page's main thread, which stays on one thread and
 * says why. Both outputs must be bit-identical to one thread's and to Node's
 * run of the same seeded job (src/web/threads_job.ts). The pool worker gets
 * the WebAssembly modules the library thread compiled, with its data
 * (initWasm() first) or by message (initWasm() after the pool started),
 * and fetches nothing itself. The same page from a server without the
 * headers runs single-threaded, with that reason, and the same bits.
 * Chromium validates relaxed SIMD, so the page runs gemm_relaxed.wasm (fused
 * multiply-adds): Node's bits for it come from a child process started with
 * --experimental-wasm-relaxed-simd (Node 20 does not validate it otherwise).
 *
 * Requests are recorded, not intercepted: puppeteer's request interception
 * stalls requests made by workers (puppeteer issue #4208). Every request the
 * browser reports must be to the server, and the server's own log must be
 * exactly the page's files.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join } from 'node:path';
import type { Browser, WebWorker } from 'puppeteer-core';
import { startServer, type Serving } from '../../src/cli/serve.js';
import { CHROMIUM, launchArgs, missingBrowser, repoRoot } from './browser.js';

const skip = missingBrowser();
if (skip !== null) console.log(`# browser thread tests skipped: ${skip}`);

const webRoot = join(repoRoot, 'dist', 'web');

interface Run {
  result: any;
  errors: string[];
  requests: string[];
  /** What the pool's workers report having loaded (workerKernels() of norm_worker.js). */
  poolKernels: unknown[];
}

/** Opens `url`, waits for the page's JSON, and asks each pool worker (still alive: the page keeps its worker) what kernels it has. */
async function run(browser: Browser, url: string): Promise<Run> {
  const page = await browser.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  const workers: WebWorker[] = [];
  page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('request', (r) => void requests.push(r.url()));
  page.on('workercreated', (w) => {
    workers.push(w);
    w.on('console', (m) => void (m.type() === 'error' && errors.push(`${w.url()}: ${m.text()}`)));
  });
  try {
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForSelector('body[data-ready]', { timeout: 120_000 });
    const text = await page.$eval('#out', (e) => e.textContent ?? '');
    assert.equal(await page.$eval('body', (e) => e.getAttribute('data-ready')), 'true', text);
    const poolKernels: unknown[] = [];
    for (const w of workers.filter((w) => w.url().endsWith('/norm_worker.js'))) {
      // In the worker, its own module again (the same instance: a module map entry).
      poolKernels.push(await w.evaluate(() => {
        const self = './norm_worker.js';
        return import(self).then((m: { workerKernels(): unknown }) => m.workerKernels());
      }));
    }
    return { result: JSON.parse(text), errors, requests, poolKernels };
  } finally {
    await page.close();
  }
}

/** The same files with none of normkit serve's headers (so not cross-origin isolated). */
/** The job's output bits from Node in a child process on the gemm build `variant` (NORMKIT_RELAXED_SIMD=0 for SIMD128), asserting it ran that build. */
function nodeTruth(variant: 'relaxed-simd' | 'simd128'): { norm: string; conv: string } {
  const job = new URL('../../src/web/threads_job.js', import.meta.url).href;
  const index = new URL('../../src/index.js', import.meta.url).href;
  const script = `const { runThreadsJob, bitsHash } = await import(${JSON.stringify(job)});
const { gemmInfo } = await import(${JSON.stringify(index)});
const r = runThreadsJob(6);
console.log(JSON.stringify({ variant: gemmInfo().variant, norm: bitsHash(r.norm), conv: bitsHash(r.conv) }));`;
  const env = { ...process.env, NORMKIT_RELAXED_SIMD: variant === 'simd128' ? '0' : '' };
  const p = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env });
  assert.equal(p.status, 0, p.stderr);
  const r = JSON.parse(p.stdout.trim().split('\n').pop()!) as { variant: string; norm: string; conv: string };
  assert.equal(r.variant, variant);
  return { norm: r.norm, conv: r.conv };
}

function plainServer(): Promise<{ server: Server; origin: string }> {
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' };
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (!/^\/lib\/[a-z_]+\.(html|js|wasm)$/.test(path)) return void res.writeHead(404).end();
    res.writeHead(200, { 'Content-Type': types[extname(path)]! }).end(readFileSync(join(webRoot, path)));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, origin: `http://127.0.0.1:${(server.address() as { port: number }).port}` })));
}

describe('the kernels on two threads in a page', { skip: skip ?? false }, () => {
  let browser: Browser;
  let serving: Serving;
  let origin = '';
  const served: string[] = [];
  // Node's run of the same job on the gemm build Chromium runs (relaxed SIMD, Node's default too): the bits every thread count and host must give.
  const truth = nodeTruth('relaxed-simd');
  // On the SIMD128 build: the convolution's bits differ (unfused products), the norm's do not.
  const simd128 = nodeTruth('simd128');
  test('Node with relaxed SIMD runs the fused gemm: the norm gives the same bits as SIMD128, the convolution other bits within float32 rounding', () => {
    assert.equal(truth.norm, simd128.norm);
    assert.notEqual(truth.conv, simd128.conv, 'the fused build is the one running');
  });

  before(async () => {
    serving = await startServer({ root: webRoot, port: 0 });
    origin = serving.url.replace(/\/$/, '');
    serving.server.on('request', (req) => void served.push(req.url ?? ''));
    const puppeteer = (await import('puppeteer-core')).default;
    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: launchArgs });
  });
  after(async () => {
    await browser?.close();
    await serving?.close();
  });

  for (const mode of ['initWasm() before the pool starts', 'initWasm() after the pool started'] as const) {
    const query = mode.includes('before') ? '' : '?wasm=late';
    test(`in a dedicated Worker, 2 threads, bit-identical to one thread and to Node; the main thread stays on one (${mode})`, async () => {
      served.length = 0;
      const r = await run(browser, `${origin}/lib/threads.html${query}`);
      const w = r.result.worker;
      assert.equal(w.ok, true, w.error);
      assert.equal(w.crossOriginIsolated, true);
      assert.equal(w.threadsPossible, true);
      assert.equal(w.threadsUnavailable, null);
      assert.equal(w.warmed, true, 'the pool started');
      assert.deepEqual(w.init, { norm: 'wasm', gemm: 'wasm-simd', gemmVariant: 'relaxed-simd', normError: null, gemmError: null });
      assert.equal(w.backend, 'wasm');
      assert.equal(w.threadsInUse, 2);
      assert.ok(w.threadedCalls.norm >= 1, `InstanceNorm2d split over the threads: ${JSON.stringify(w.threadedCalls)}`);
      assert.ok(w.threadedCalls.conv >= 1, `Conv2d split over the threads: ${JSON.stringify(w.threadedCalls)}`);
      assert.deepEqual(w.singleThreadedCalls, { norm: 0, conv: 0 }, 'setNumThreads(1): one thread');
      assert.deepEqual(w.identical, { norm: true, conv: true }, 'two threads give one thread\'s bits');
      assert.deepEqual(w.hash, truth, "and Node's");
      assert.deepEqual(r.poolKernels, [{ norm: 'wasm', gemm: 'wasm-simd', gemmVariant: 'relaxed-simd' }], 'the pool worker runs the WebAssembly kernels it was sent');

      const p = r.result.page;
      assert.equal(p.crossOriginIsolated, true);
      assert.equal(p.threads, 2, 'the cap is set, as in a Node worker thread');
      assert.equal(p.threadsPossible, false);
      assert.match(p.threadsUnavailable, /may not block in Atomics\.wait \(a window's main thread\): run normkit in a dedicated Worker/);
      assert.equal(p.threadsInUse, 1);
      assert.deepEqual(p.threadedCalls, { norm: 0, conv: 0 });
      assert.equal(p.backend, 'wasm');
      assert.deepEqual(p.hash, truth);

      assert.deepEqual(r.errors, []);
      assert.deepEqual(r.requests.filter((u) => !u.startsWith(`${origin}/`)), [], 'no request leaves the origin');
      // The library twice (page, worker), the wasm twice (initWasm on each): the pool worker fetches nothing but its script.
      const files = [`/lib/threads.html${query}`, '/lib/threads.js', '/lib/normkit.js', '/lib/threads_worker.js', '/lib/normkit.js', '/lib/norm.wasm', '/lib/gemm_relaxed.wasm', '/lib/norm_worker.js', '/lib/norm.wasm', '/lib/gemm_relaxed.wasm'];
      assert.deepEqual([...served].sort(), files.sort());
      assert.deepEqual(r.requests.map((u) => u.slice(origin.length)).sort(), [...served].sort());
    });
  }

  test('without the cross-origin isolation headers: one thread everywhere, with the reason, the same bits', async () => {
    const plain = await plainServer();
    try {
      const r = await run(browser, `${plain.origin}/lib/threads.html`);
      const w = r.result.worker;
      assert.equal(w.ok, true, w.error);
      assert.equal(w.crossOriginIsolated, false);
      assert.equal(w.threadsPossible, false);
      assert.match(w.threadsUnavailable, /not cross-origin isolated \(serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp/);
      assert.equal(w.warmed, false);
      assert.equal(w.threadsInUse, 1);
      assert.deepEqual(w.threadedCalls, { norm: 0, conv: 0 });
      assert.deepEqual(w.hash, truth);
      assert.equal(r.result.page.crossOriginIsolated, false);
      assert.match(r.result.page.threadsUnavailable, /not cross-origin isolated/);
      assert.deepEqual(r.result.page.hash, truth);
      assert.deepEqual(r.poolKernels, [], 'no pool worker');
      assert.deepEqual(r.errors, []);
      assert.deepEqual(r.requests.filter((u) => !u.startsWith(`${plain.origin}/`)), []);
    } finally {
      await new Promise((resolve) => {
        plain.server.close(resolve);
        plain.server.closeAllConnections();
      });
    }
  });
});
