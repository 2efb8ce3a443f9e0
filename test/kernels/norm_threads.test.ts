/**
 * The worker-thread path of the normalization kernels: same results as one
 * thread, outputs in shared memory, fallback when the pool is gone, and a
 * process that still exits by itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import '../../src/ops/methods.js';
import { randn } from '../../src/tensor/creation.js';
import { manualSeed } from '../../src/tensor/random.js';
import * as be from '../../src/kernels/backend.js';
import { jsKernels } from '../../src/kernels/norm_js.js';
import { NormPool } from '../../src/kernels/norm_pool.js';
import type { NormLayout } from '../../src/kernels/norm.js';

const EPS = 1e-5;

function data(n: number, seed: number): Float32Array {
  manualSeed(seed);
  return randn([n]).data;
}

function assertSame(a: ArrayLike<number> | null, b: ArrayLike<number> | null, what: string): void {
  assert.equal(a === null, b === null, `${what}: null on one side only`);
  if (!a || !b) return;
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) assert.fail(`${what}[${i}]: one thread ${a[i]} vs threads ${b[i]}`);
}

/** Runs `f` on one thread, then with the pool taking every call (and checks it did, unless `pooled` is false). */
function oneThenMany<T>(f: () => T, pooled = true): [T, T] {
  be.setNormThreads(1);
  const a = f();
  be.setNormThreads(2, { minElements: 0 });
  const before = be.normBackendInfo().threadedCalls;
  const b = f();
  if (pooled) assert.ok(be.normBackendInfo().threadedCalls > before, 'the call did not go through the worker pool');
  return [a, b];
}

test('threads: every driver gives the one-thread result, bit for bit', async () => {
  be.setNormThreads(2, { minElements: 0 });
  assert.ok(await be.warmNormThreads(), 'the worker pool did not start');
  for (const [backend, sharedOutputBytes] of [['wasm', 0], ['js', 1 << 30], ['wasm', 1 << 30]] as const) {
    // Outputs in shared memory (written by the workers) or in ordinary memory (copied back).
    be.setNormThreads(2, { sharedOutputBytes });
    be.setNormBackend(backend);
    const N = 3;
    const C = 6;
    const S = 131;
    const x = data(N * C * S, 1);
    const dy = data(N * C * S, 2);
    const w = data(C, 3);
    const b = data(C, 4);
    const need = { input: true, weight: true, bias: true };
    const layouts: [string, NormLayout][] = [
      ['instance', { N, C, S, perSample: true, groupSize: 1 }],
      ['group', { N, C, S, perSample: true, groupSize: 3, groupNorm: true }],
      ['batch', { N, C, S, perSample: false, groupSize: 1 }],
    ];
    for (const [name, l] of layouts) {
      const [s1, sn] = oneThenMany(() => be.normStats(x, l));
      assertSame(s1.mean, sn.mean, `${backend} ${name} mean`);
      const rstd = s1.variance.map((v) => 1 / Math.sqrt(v + EPS));
      const [a1, an] = oneThenMany(() => be.normApply(x, l, s1.mean, rstd, w, b));
      assertSame(a1, an, `${backend} ${name} apply`);
      const bounds = { variance: s1.variance, eps: EPS, K: s1.K, maxSq: s1.maxSq };
      const [b1, bn] = oneThenMany(() => be.normApply(x, l, s1.mean, rstd, w, b, bounds));
      assertSame(b1, bn, `${backend} ${name} apply with bounds`);
      assert.equal(an.buffer instanceof SharedArrayBuffer, sharedOutputBytes === 0, 'output memory kind');
      if (l.perSample) {
        const [f1, fn] = oneThenMany(() => be.normForward(x, l, EPS, w, b));
        assertSame(f1.out, fn.out, `${backend} ${name} fused forward`);
        assertSame(f1.variance, fn.variance, `${backend} ${name} fused variance`);
      }
      for (const fromInput of l.perSample ? [true] : [true, false]) {
        // Batch norm's backward with batch statistics runs a channel at a time, on this thread.
        const [g1, gn] = oneThenMany(() => be.normBackward(x, dy, l, s1.mean, rstd, w, fromInput, need), l.perSample || !fromInput);
        assertSame(g1.gradInput, gn.gradInput, `${backend} ${name} grad input`);
        assertSame(g1.gradWeight, gn.gradWeight, `${backend} ${name} grad weight`);
        assertSame(g1.gradBias, gn.gradBias, `${backend} ${name} grad bias`);
      }
    }
    const [l1, ln] = oneThenMany(() => be.layerNormForward(x, N * C, S, EPS, null, null));
    assertSame(l1.out, ln.out, `${backend} layer norm`);
    const [lg1, lgn] = oneThenMany(() => be.layerNormBackward(x, dy, N * C, S, l1.mean, l1.rstd, null, need));
    assertSame(lg1.gradInput, lgn.gradInput, `${backend} layer norm grad input`);
    // Weight/bias gradients add per-thread partial sums: equal up to float64 order, then float32.
    const lnw = data(S, 5);
    const [lw1, lwn] = oneThenMany(() => be.layerNormBackward(x, dy, N * C, S, l1.mean, l1.rstd, lnw, need));
    assertSame(lw1.gradInput, lwn.gradInput, `${backend} layer norm grad input (affine)`);
    for (let i = 0; i < S; i++) {
      const [u, v] = [lw1.gradWeight![i]!, lwn.gradWeight![i]!];
      assert.ok(Math.abs(u - v) <= 1e-6 * (1 + Math.abs(u)), `${backend} layer norm grad weight[${i}]: ${u} vs ${v}`);
    }
  }
  be.setNormBackend('wasm');
  be.setNormThreads(1, { minElements: 1 << 23, sharedOutputBytes: 32 << 20 });
});

/** A started one-worker pool, and a small planeSums call: fresh arguments for it, and its one-thread result. */
async function planeSumsCase(seed: number) {
  const pool = new NormPool(1);
  assert.ok(await pool.whenReady(), 'worker did not start');
  const S = 50;
  const x = data(4 * S, seed);
  const args = () => ({ x, S, planes: 4, shift: new Float64Array(4), s1: new Float64Array(4), s2: new Float64Array(4), mx: new Float64Array(4) });
  const ref = args();
  jsKernels.planeSums(ref);
  return { pool, args, ref };
}

test('a pool that is shut down computes everything on the calling thread', async () => {
  const { pool, args, ref } = await planeSumsCase(9);
  const viaPool = args();
  pool.run('planeSums', viaPool, jsKernels, 'js', 1e9);
  assertSame(viaPool.s1, ref.s1, 'pooled sums');
  pool.shutdown();
  assert.equal(pool.ready, false);
  const after = args();
  pool.run('planeSums', after, jsKernels, 'js', 1e9);
  assertSame(after.s1, ref.s1, 'sums after shutdown');
  assertSame(after.s2, ref.s2, 'squares after shutdown');
});

test('a worker waiting on its bell takes every call at once (Node: it reads its messages synchronously)', async () => {
  const { pool, args, ref } = await planeSumsCase(10);
  // A worker that missed its bell would sleep out its one-second wait on each call (the main thread waits for its share).
  const t0 = performance.now();
  for (let i = 0; i < 25; i++) {
    const viaPool = args();
    pool.run('planeSums', viaPool, jsKernels, 'js', 1e9);
    assertSame(viaPool.s1, ref.s1, `pooled sums, call ${i}`);
  }
  const ms = performance.now() - t0;
  assert.equal(pool.runs, 25, 'the calls did not all go through the worker');
  assert.ok(ms < 5000, `25 pooled calls took ${ms.toFixed(0)} ms: the worker is not woken by its bell`);
  pool.shutdown();
});

test('a process using the threads exits on its own (workers are unref\'d)', () => {
  const backend = fileURLToPath(new URL('../../src/kernels/backend.js', import.meta.url));
  const script = `
    const be = await import(${JSON.stringify(backend)});
    be.setNormThreads(2, { minElements: 0, sharedOutputBytes: 0 });
    if (!(await be.warmNormThreads())) throw new Error('no pool');
    const x = Float32Array.from({ length: 4096 }, (_, i) => Math.sin(i));
    const r = be.normForward(x, { N: 4, C: 4, S: 256, perSample: true, groupSize: 1 }, 1e-5, null, null);
    console.log(r.out.buffer.constructor.name, r.out[5].toFixed(4));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000, encoding: 'utf8' });
  assert.match(out.trim(), /^SharedArrayBuffer -?\d+\.\d{4}$/);
});

test('setNormThreads rejects nonsense', () => {
  assert.throws(() => be.setNormThreads(0), /positive integer/);
  assert.throws(() => be.setNormThreads(1.5), /positive integer/);
});
