/**
 * Both normalization backends — the WebAssembly SIMD kernels and the
 * TypeScript reference — against the PyTorch oracle, against the composed
 * definitions, and against each other bit for bit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import '../../src/ops/methods.js';
import { assertClose } from '../helpers.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { randn } from '../../src/tensor/creation.js';
import { manualSeed } from '../../src/tensor/random.js';
import { add, mul, rsqrt, sub } from '../../src/ops/elementwise.js';
import { mean, variance } from '../../src/ops/reduce.js';
import { reshape } from '../../src/ops/shape_ops.js';
import { batchNorm, groupNorm, instanceNorm, layerNorm } from '../../src/ops/norm/index.js';
import { defaultCasesDirs, loadCaseFiles, runCase } from '../../src/oracle/runner.js';
import * as be from '../../src/kernels/backend.js';
import type { NormLayout } from '../../src/kernels/norm.js';

const BACKENDS = ['js', 'wasm'] as const;
be.setNormThreads(1);

test('the WebAssembly kernels load here (else the wasm runs below would test the fallback twice)', () => {
  const info = be.normBackendInfo();
  assert.ok(info.wasmAvailable, `norm.wasm did not load: ${info.wasmError}`);
  assert.throws(() => be.setNormBackend('gpu' as 'js'), /unknown normalization backend/);
});

const normFiles = loadCaseFiles(defaultCasesDirs()).filter((f) => /(^|\/)norms_[^/]*\.json$/.test(f.label));

test('the norm oracle files are present', () => {
  assert.ok(normFiles.length >= 5, `found ${normFiles.length} norms_*.json files`);
});

for (const backend of BACKENDS) {
  for (const file of normFiles) {
    test(`oracle ${file.label} on the ${backend} kernels`, () => {
      be.setNormBackend(backend);
      const failures: string[] = [];
      for (const c of file.cases) {
        const r = runCase(c);
        if (r.status !== 'pass') failures.push(`${c.id}: ${r.status === 'fail' ? `${r.reason} (worst ${r.worst})` : r.reason}`);
      }
      assert.deepEqual(failures, []);
    });
  }
}

// ---- fused kernels against their composed definitions, on both backends ----

const EPS = 1e-5;

function composedNormalize(x: Tensor, view: number[], dims: number[]): Tensor {
  const v = reshape(x, view);
  const mu = mean(v, dims, { keepdim: true });
  const va = variance(v, dims, { keepdim: true, unbiased: false });
  return reshape(mul(sub(v, mu), rsqrt(add(va, EPS))), x.shape);
}

function channelAffine(y: Tensor, w: Tensor, b: Tensor): Tensor {
  const shape = [1, w.shape[0]!, ...new Array<number>(y.ndim - 2).fill(1)];
  return add(mul(y, reshape(w, shape)), reshape(b, shape));
}

type Fn = (x: Tensor, w: Tensor, b: Tensor) => Tensor;

function runWithGrads(f: Fn, x: Tensor, w: Tensor, b: Tensor): Tensor[] {
  const leaf = (t: Tensor) => new Tensor(Float32Array.from(t.data), t.shape).requiresGrad_();
  const [xs, ws, bs] = [leaf(x), leaf(w), leaf(b)];
  const out = f(xs, ws, bs);
  out.backward(new Tensor(Float32Array.from({ length: out.numel() }, (_, i) => Math.cos(i)), out.shape));
  return [out, xs.grad!, ws.grad!, bs.grad!];
}

const cases: { name: string; fused: Fn; composed: Fn; shape: number[]; affine: number }[] = [
  {
    name: 'instance norm',
    shape: [2, 3, 5, 7],
    affine: 3,
    fused: (x, w, b) => instanceNorm(x, { weight: w, bias: b }),
    composed: (x, w, b) => channelAffine(composedNormalize(x, [2, 3, 35], [2]), w, b),
  },
  {
    name: 'batch norm (training)',
    shape: [3, 4, 3, 5],
    affine: 4,
    fused: (x, w, b) => batchNorm(x, null, null, { weight: w, bias: b, training: true }),
    composed: (x, w, b) => channelAffine(composedNormalize(x.permute(1, 0, 2, 3), [4, 45], [1]).permute(1, 0, 2, 3), w, b),
  },
  {
    name: 'group norm',
    shape: [2, 6, 3, 3],
    affine: 6,
    fused: (x, w, b) => groupNorm(x, 3, { weight: w, bias: b }),
    composed: (x, w, b) => channelAffine(composedNormalize(x, [2, 3, 18], [2]), w, b),
  },
  {
    name: 'layer norm',
    shape: [3, 2, 11],
    affine: 11,
    fused: (x, w, b) => layerNorm(x, [11], { weight: w, bias: b }),
    composed: (x, w, b) => add(mul(composedNormalize(x, [6, 11], [1]), w), b),
  },
];

for (const backend of BACKENDS) {
  for (const c of cases) {
    test(`${c.name}: fused = composed on the ${backend} kernels (output and gradients)`, () => {
      be.setNormBackend(backend);
      manualSeed(7);
      const [x, w, b] = [randn(c.shape), randn([c.affine]), randn([c.affine])];
      const got = runWithGrads(c.fused, x, w, b);
      const want = runWithGrads(c.composed, x, w, b);
      ['output', 'grad input', 'grad weight', 'grad bias'].forEach((what, i) => assertClose(got[i]!, want[i]!.data, 1e-4, 1e-3, what));
    });
  }
}

// ---- the two kernel sets agree bit for bit ----

/** Runs `f` on each backend and returns both results. */
function onBoth<T>(f: () => T): [T, T] {
  try {
    be.setNormBackend('js');
    const a = f();
    be.setNormBackend('wasm');
    return [a, f()];
  } finally {
    be.setNormBackend('wasm');
  }
}

function assertSame(a: ArrayLike<number> | null, b: ArrayLike<number> | null, what: string): void {
  assert.equal(a === null, b === null, `${what}: null on one side only`);
  if (!a || !b) return;
  assert.equal(a.length, b.length, `${what}: lengths`);
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i])) assert.fail(`${what}[${i}]: js ${a[i]} vs wasm ${b[i]}`);
  }
}

/** Data with the cases that stress the arithmetic: offsets, constant planes, zeros of both signs. */
const dataArb = (n: number) =>
  fc.record({
    seed: fc.integer({ min: 0, max: 1 << 20 }),
    offset: fc.constantFrom(0, 1, -3.5, 1e4),
    scale: fc.constantFrom(1, 1e-3, 100),
    constant: fc.boolean(),
  }).map(({ seed, offset, scale, constant }) => {
    manualSeed(seed);
    const r = randn([n]).data;
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = constant && i % 3 !== 0 ? offset : offset + scale * r[i]!;
    if (n > 2) x[n - 1] = -0;
    return x;
  });

const layoutArb = fc
  .record({ N: fc.integer({ min: 1, max: 3 }), G: fc.integer({ min: 1, max: 3 }), gs: fc.integer({ min: 1, max: 3 }), S: fc.integer({ min: 1, max: 37 }) })
  .chain(({ N, G, gs, S }) => fc.tuple(fc.constant({ N, C: G * gs, S, gs }), dataArb(N * G * gs * S), dataArb(N * G * gs * S), dataArb(G * gs), dataArb(G * gs)));

test('channel norms: wasm and js kernels give identical statistics, outputs and gradients', () => {
  fc.assert(
    fc.property(layoutArb, fc.boolean(), ([{ N, C, S, gs }, x, dy, w, b], affine) => {
      const weight = affine ? w : null;
      const bias = affine ? b : null;
      const need = { input: true, weight: true, bias: true };
      const layouts: [string, NormLayout][] = [
        ['instance', { N, C, S, perSample: true, groupSize: 1 }],
        ['group', { N, C, S, perSample: true, groupSize: gs, groupNorm: true }],
        ['batch', { N, C, S, perSample: false, groupSize: 1 }],
      ];
      for (const [name, l] of layouts) {
        const [sj, sw] = onBoth(() => be.normStats(x, l));
        assertSame(sj.mean, sw.mean, `${name} mean`);
        assertSame(sj.variance, sw.variance, `${name} variance`);
        const rstd = sj.variance.map((v) => 1 / Math.sqrt(v + EPS));
        assertSame(sj.maxSq, sw.maxSq, `${name} bounds`);
        const [aj, aw] = onBoth(() => be.normApply(x, l, sj.mean, rstd, weight, bias));
        assertSame(aj, aw, `${name} apply`);
        // With the input's bounds: the float32 form where it is close enough (as batch norm in training).
        const bounds = { variance: sj.variance, eps: EPS, K: sj.K, maxSq: sj.maxSq };
        const [bj, bw] = onBoth(() => be.normApply(x, l, sj.mean, rstd, weight, bias, bounds));
        assertSame(bj, bw, `${name} apply with bounds`);
        if (l.perSample) {
          const [fj, fw] = onBoth(() => be.normForward(x, l, EPS, weight, bias));
          assertSame(fj.out, fw.out, `${name} fused forward`);
          assertSame(fj.mean, sj.mean, `${name} fused mean = normStats mean`);
          assertSame(fj.rstd, fw.rstd, `${name} fused rstd`);
        }
        for (const fromInput of l.perSample ? [true] : [true, false]) {
          const [gj, gw] = onBoth(() => be.normBackward(x, dy, l, sj.mean, rstd, weight, fromInput, need));
          assertSame(gj.gradInput, gw.gradInput, `${name} grad input (stats from input: ${fromInput})`);
          assertSame(gj.gradWeight, gw.gradWeight, `${name} grad weight`);
          assertSame(gj.gradBias, gw.gradBias, `${name} grad bias`);
        }
      }
    }),
    { numRuns: 60, seed: 5 },
  );
});

test('batch norm backward over several wasm chunks of channels (gathered [N][chunk][S]): wasm = js', () => {
  // 2 x 4 x 4096 floats of x and dy per channel: three channels per 384 KB chunk, so 7 channels take three chunks.
  const [N, C, S] = [4, 7, 4096];
  manualSeed(21);
  const x = randn([N * C * S]).data;
  const dy = randn([N * C * S]).data;
  const w = randn([C]).data;
  const l: NormLayout = { N, C, S, perSample: false, groupSize: 1 };
  const st = be.normStats(x, l);
  const rstd = st.variance.map((v) => 1 / Math.sqrt(v + EPS));
  for (const need of [{ input: true, weight: true, bias: true }, { input: false, weight: true, bias: false }]) {
    const [gj, gw] = onBoth(() => be.normBackward(x, dy, l, st.mean, rstd, w, true, need));
    assertSame(gj.gradInput, gw.gradInput, 'grad input');
    assertSame(gj.gradWeight, gw.gradWeight, 'grad weight');
    assertSame(gj.gradBias, gw.gradBias, 'grad bias');
  }
  // And against the formula, on one channel: dx = (dy - mean(dy) - (x - mean) * k) * rstd * w.
  const [g] = onBoth(() => be.normBackward(x, dy, l, st.mean, rstd, w, true, { input: true, weight: false, bias: false }));
  const c = 5;
  let sdy = 0;
  let sdx = 0;
  for (let n = 0; n < N; n++) for (let i = 0; i < S; i++) {
    const q = (n * C + c) * S + i;
    sdy += dy[q]!;
    sdx += (x[q]! - st.mean[c]!) * dy[q]!;
  }
  const m = N * S;
  const k = (sdx / m) * rstd[c]! * rstd[c]!;
  for (const q of [(0 * C + c) * S + 7, (3 * C + c) * S + 4095]) {
    const want = (dy[q]! - sdy / m - (x[q]! - st.mean[c]!) * k) * rstd[c]! * w[c]!;
    assert.ok(Math.abs(g.gradInput![q]! - want) <= 1e-5 * (1 + Math.abs(want)), `dx[${q}]: ${g.gradInput![q]} vs ${want}`);
  }
});

test('layer norm: wasm and js kernels give identical outputs and gradients', () => {
  const rowsArb = fc
    .record({ rows: fc.integer({ min: 1, max: 4 }), D: fc.integer({ min: 1, max: 45 }) })
    .chain(({ rows, D }) => fc.tuple(fc.constant({ rows, D }), dataArb(rows * D), dataArb(rows * D), dataArb(D), dataArb(D), fc.boolean()));
  fc.assert(
    fc.property(rowsArb, ([{ rows, D }, x, dy, w, b, affine]) => {
      const weight = affine ? w : null;
      const bias = affine ? b : null;
      const [fj, fw] = onBoth(() => be.layerNormForward(x, rows, D, EPS, weight, bias));
      assertSame(fj.out, fw.out, 'output');
      assertSame(fj.mean, fw.mean, 'mean');
      assertSame(fj.rstd, fw.rstd, 'rstd');
      const need = { input: true, weight: affine, bias: affine };
      const [gj, gw] = onBoth(() => be.layerNormBackward(x, dy, rows, D, fj.mean, fj.rstd, weight, need));
      assertSame(gj.gradInput, gw.gradInput, 'grad input');
      assertSame(gj.gradWeight, gw.gradWeight, 'grad weight');
      assertSame(gj.gradBias, gw.gradBias, 'grad bias');
    }),
    { numRuns: 60, seed: 6 },
  );
});

test('large planes (more than one wasm chunk) agree too', () => {
  manualSeed(3);
  const l: NormLayout = { N: 2, C: 3, S: 70_001, perSample: true, groupSize: 1 };
  const x = randn([2 * 3 * 70_001]).data;
  const [a, b] = onBoth(() => be.normForward(x, l, EPS, null, null));
  assertSame(a.out, b.out, 'output');
  const [ga, gb] = onBoth(() => be.normBackward(x, x, l, a.mean, a.rstd, null, true, { input: true, weight: false, bias: false }));
  assertSame(ga.gradInput, gb.gradInput, 'grad input');
});
