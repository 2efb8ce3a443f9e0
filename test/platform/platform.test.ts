/**
 * The host seam (#platform): the browser implementation, exercised in Node
 * (settings from globalThis.NORMKIT_ENV, no synchronous files, no workers
 * outside a cross-origin-isolated page, warnings to console.warn, no file
 * system), the Node one (its worker side too), and the one WebAssembly loader
 * both kernel families use (sync and async, its reasons when a module cannot
 * load, the compiled modules it keeps for the pool's workers). Node keeps its behaviour: NORMKIT_NO_WASM and
 * NORMKIT_GEMM in a child process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { platform as browser } from '../../src/platform/browser.js';
import { platform as node } from '../../src/platform/node.js';
import { compiledWasm, instantiateWasm, instantiateWasmModule, instantiateWasmSync } from '../../src/kernels/wasm_load.js';
import { initWasm } from '../../src/kernels/wasm_init.js';
import { onWarning, emitWarning } from '../../src/nn/warnings.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const normWasm = () => new URL('../../src/kernels/norm.wasm', import.meta.url);

test('browser host: settings from NORMKIT_ENV, asynchronous files only, single-threaded, console warnings', async () => {
  const g = globalThis as { NORMKIT_ENV?: Record<string, unknown> };
  assert.equal(browser.name, 'browser');
  assert.equal(browser.env('NORMKIT_THREADS'), undefined);
  g.NORMKIT_ENV = { NORMKIT_THREADS: 3, NORMKIT_NO_WASM: '1' };
  try {
    assert.equal(browser.env('NORMKIT_THREADS'), '3');
    assert.equal(browser.env('NORMKIT_NO_WASM'), '1');
  } finally {
    delete g.NORMKIT_ENV;
  }
  assert.ok(browser.cores() >= 1);
  // Node is no cross-origin-isolated page (the browser tests see the other cases: test/browser/threads.test.ts).
  assert.equal(browser.canUseWorkers, false);
  assert.match(browser.workersUnavailable!, /^the page is not cross-origin isolated \(serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp/);
  assert.equal(browser.readAssetSync(normWasm()), null);
  assert.throws(() => browser.startWorker(new URL('file:///x.js'), {}, () => undefined), /normkit runs single-threaded here: the page is not cross-origin isolated/);
  await assert.rejects(browser.workerPort(), /not a worker/);
  assert.throws(() => browser.readFile('/etc/hostname'), /no file system in a browser/);
  assert.throws(() => browser.writeFile('/tmp/x', new Uint8Array(1)), /no file system in a browser/);
  // Assets are fetched (Node's fetch has no file: URLs, so here it fails the way a missing file would).
  await assert.rejects(browser.readAsset(normWasm()), /fetch failed/);
  const seen: unknown[][] = [];
  const warn = console.warn;
  console.warn = (...a: unknown[]) => void seen.push(a);
  try {
    browser.warn('layer 3 falls back', 'NK_FLEXIBLE_FALLBACK');
  } finally {
    console.warn = warn;
  }
  assert.deepEqual(seen, [['NormkitWarning [NK_FLEXIBLE_FALLBACK]: layer 3 falls back']]);
});

test('node host: the process environment, files beside the code, worker threads', async () => {
  assert.equal(node.name, 'node');
  process.env['NORMKIT_TEST_SETTING'] = 'x';
  try {
    assert.equal(node.env('NORMKIT_TEST_SETTING'), 'x');
  } finally {
    delete process.env['NORMKIT_TEST_SETTING'];
  }
  assert.equal(node.canUseWorkers, true);
  assert.equal(node.workersUnavailable, null);
  await assert.rejects(node.workerPort(), /not a worker thread/);
  // In a worker thread: no pool of its own, and it says why; its port gives the data, then the messages.
  const w = new Worker(
    `import('${pathToFileURL(join(ROOT, 'dist/src/platform/node.js')).href}').then(async ({ platform }) => {
      const port = await platform.workerPort();
      port.onMessage((m) => require('node:worker_threads').parentPort.postMessage({ data: port.data, m, can: platform.canUseWorkers, why: platform.workersUnavailable }));
    });`,
    { eval: true, workerData: { n: 7 } },
  );
  try {
    w.postMessage('hello');
    const [r] = (await once(w, 'message')) as [{ data: unknown; m: unknown; can: boolean; why: string }];
    assert.deepEqual(r, { data: { n: 7 }, m: 'hello', can: false, why: 'this is a worker thread: normkit starts its workers from the main thread only' });
  } finally {
    await w.terminate();
  }
  const bytes = node.readAssetSync(normWasm());
  assert.ok(bytes !== null);
  assert.deepEqual([...bytes.subarray(0, 4)], [0, 0x61, 0x73, 0x6d]);
});

test('the WebAssembly loader: sync and async give the same module; a missing file or a bad URL is a reason, not a throw', async () => {
  const s = instantiateWasmSync<{ heapBase(): number }>(normWasm);
  assert.equal(s.error, null);
  const a = await instantiateWasm<{ heapBase(): number }>(normWasm);
  assert.equal(a.error, null);
  assert.equal(s.exports!.heapBase(), a.exports!.heapBase());
  const missing = instantiateWasmSync(() => new URL('../../src/kernels/none.wasm', import.meta.url));
  assert.equal(missing.exports, null);
  assert.match(missing.error!, /ENOENT/);
  const noBase = instantiateWasmSync(() => new URL('./norm.wasm', undefined as unknown as string));
  assert.match(noBase.error!, /Invalid URL/);
  // Node 20 without --experimental-wasm-relaxed-simd: refused first, then the platform turns V8's flag on and the relaxed build loads.
  assert.deepEqual(await initWasm(), { norm: 'wasm', gemm: 'wasm-simd', gemmVariant: 'relaxed-simd', normError: null, gemmError: null });
  assert.equal(node.allowRelaxedSimd(), false, 'on already: nothing to do');
  assert.equal(browser.allowRelaxedSimd(), false, 'browsers have no switch');
  // Kept for the workers, which instantiate them (structured-cloneable) rather than compile their own.
  const kept = compiledWasm();
  assert.deepEqual(Object.keys(kept).sort(), ['gemm_relaxed.wasm', 'norm.wasm']);
  const again = instantiateWasmModule<{ heapBase(): number }>(kept['norm.wasm']!);
  assert.equal(again.exports!.heapBase(), s.exports!.heapBase());
  assert.match(instantiateWasmModule({}).error!, /Argument 0 must be a WebAssembly.Module|WebAssembly\.Module/);
});

test('warnings with no listener go to the host sink; with one, only to it', () => {
  const got: string[] = [];
  const off = onWarning((w) => got.push(`${w.code}: ${w.message}`));
  emitWarning({ code: 'NK_TEST', message: 'm', module: 'X' });
  off();
  assert.deepEqual(got, ['NK_TEST: m']);
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `const { emitWarning } = await import(${JSON.stringify(join(ROOT, 'dist/src/nn/warnings.js'))}); emitWarning({ code: 'NK_TEST', message: 'to stderr', module: 'X' });`], { encoding: 'utf8' });
  assert.match(r.stderr, /NormkitWarning: to stderr/);
});

test('Node behaviour kept: NORMKIT_NO_WASM=1 and NORMKIT_GEMM=js pick the JavaScript kernels, and initWasm() respects them', () => {
  const probe = `const m = await import(${JSON.stringify(join(ROOT, 'dist/src/index.js'))}); const i = m.normBackendInfo(); console.log(JSON.stringify({ backend: i.backend, error: i.wasmError, threads: i.threads, init: await m.initWasm() }));`;
  const run = (env: Record<string, string>) => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8', env: { ...process.env, ...env } });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout);
  };
  assert.deepEqual(run({ NORMKIT_NO_WASM: '1', NORMKIT_THREADS: '3' }), { backend: 'js', error: 'disabled by NORMKIT_NO_WASM=1', threads: 3, init: { norm: 'js', gemm: 'scalar', gemmVariant: 'relaxed-simd', normError: 'disabled by NORMKIT_NO_WASM=1', gemmError: null } });
  assert.deepEqual(run({ NORMKIT_GEMM: 'js', NORMKIT_THREADS: '1' }), { backend: 'wasm', error: null, threads: 1, init: { norm: 'wasm', gemm: 'scalar', gemmVariant: 'relaxed-simd', normError: null, gemmError: null } });
});

test('sameBytes (both hosts): bit for bit (-0 is not +0, a NaN equals its own bits), at any offsets and lengths', () => {
  for (const host of [node, browser]) {
    const a = Float32Array.from({ length: 1031 }, (_, i) => Math.sin(i));
    a[7] = NaN;
    const b = Float32Array.from(a);
    assert.equal(host.sameBytes(a, b), true, host.name);
    assert.equal(host.sameBytes(a.subarray(3), b.subarray(3)), true, `${host.name}: views`);
    assert.equal(host.sameBytes(a, b.subarray(1)), false, `${host.name}: lengths`);
    b[1030] = -b[1030]!;
    assert.equal(host.sameBytes(a, b), false, `${host.name}: the last value`);
    b[1030] = a[1030]!;
    a[0] = 0;
    b[0] = -0;
    assert.equal(host.sameBytes(a, b), false, `${host.name}: -0 against +0`);
    const u = new Uint8Array(11).fill(9);
    const v = new Uint8Array(12).fill(9).subarray(1);
    assert.equal(host.sameBytes(u, v), true, `${host.name}: unaligned bytes`);
    v[10] = 8;
    assert.equal(host.sameBytes(u, v), false, `${host.name}: unaligned bytes differ`);
  }
});
