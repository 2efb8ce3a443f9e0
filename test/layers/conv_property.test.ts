/**
 * Property tests of the convolution kernels: random geometries (kernel 1-5,
 * stride 1-3, padding 0-3, dilation 1-2, groups, odd sizes, batches) on every
 * path against the reference (JavaScript im2col on the scalar gemm):
 * conv2d forward, its input, weight and bias gradients, and conv_transpose2d
 * forward and gradients, within the oracle's single-layer tolerance scaled
 * to the output's magnitude (Winograd's rounding grows with it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import '../../src/ops/methods.js';
import { conv2d, convTranspose2d } from '../../src/ops/conv.js';
import { setConvPath, type ConvPathName } from '../../src/kernels/conv_fwd.js';
import { setGemmBackend, wasmGemm, type GemmBackendName } from '../../src/kernels/gemm.js';
import { randn } from '../../src/tensor/creation.js';
import { manualSeed } from '../../src/tensor/random.js';
import type { Tensor } from '../../src/tensor/tensor.js';

const PATHS: [Exclude<ConvPathName, 'auto'>, GemmBackendName][] = [
  ['wasm', 'wasm-simd'],
  ['direct', 'wasm-simd'],
  ['winograd', 'wasm-simd'],
];

function withPath<T>(path: Exclude<ConvPathName, 'auto'>, gemm: GemmBackendName, f: () => T): T {
  setGemmBackend(gemm);
  setConvPath(path);
  try {
    return f();
  } finally {
    setConvPath('auto');
    setGemmBackend(wasmGemm ? 'wasm-simd' : 'scalar');
  }
}

/** |a - b| <= 1e-5 * scale + 1e-4 * |b| elementwise, scale = max(1, max |b|). */
function close(a: Float32Array, b: Float32Array, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  let scale = 1;
  for (const v of b) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < a.length; i++) {
    assert.ok(Math.abs(a[i]! - b[i]!) <= 1e-5 * scale + 1e-4 * Math.abs(b[i]!), `${what}[${i}]: ${a[i]} vs ${b[i]} (scale ${scale})`);
  }
}

const geometry = fc
  .record({
    n: fc.integer({ min: 1, max: 2 }),
    groups: fc.constantFrom(1, 1, 2),
    cinPer: fc.integer({ min: 1, max: 9 }),
    coutPer: fc.integer({ min: 1, max: 9 }),
    k: fc.integer({ min: 1, max: 5 }),
    stride: fc.integer({ min: 1, max: 3 }),
    pad: fc.integer({ min: 0, max: 3 }),
    dil: fc.integer({ min: 1, max: 2 }),
    h: fc.integer({ min: 1, max: 13 }),
    w: fc.integer({ min: 1, max: 19 }),
    seed: fc.integer({ min: 0, max: 10_000 }),
  })
  .filter((g) => g.h + 2 * g.pad >= g.dil * (g.k - 1) + 1 && g.w + 2 * g.pad >= g.dil * (g.k - 1) + 1);

test('conv2d forward and gradients on every path equal the reference (random geometries)', () => {
  fc.assert(
    fc.property(geometry, (g) => {
      manualSeed(g.seed);
      const C = g.cinPer * g.groups;
      const Cout = g.coutPer * g.groups;
      const x = randn([g.n, C, g.h, g.w]);
      const w = randn([Cout, g.cinPer, g.k, g.k]).mul(0.3);
      const b = randn([Cout]);
      const gy = randn([1]);
      const opts = { stride: g.stride, padding: g.pad, dilation: g.dil, groups: g.groups };
      const run = (path: Exclude<ConvPathName, 'auto'>, gemm: GemmBackendName): Float32Array[] =>
        withPath(path, gemm, () => {
          const [xs, ws, bs] = [x, w, b].map((t) => randn(t.shape).mul(0).add(t).requiresGrad_()) as [Tensor, Tensor, Tensor];
          const y = conv2d(xs, ws, bs, opts);
          y.mul(y.detach().mul(0.5).add(gy)).sum().backward();
          return [y.data, xs.grad!.data, ws.grad!.data, bs.grad!.data];
        });
      const ref = run('js', 'scalar');
      for (const [path, gemm] of PATHS) {
        const got = run(path, gemm);
        ['output', 'grad input', 'grad weight', 'grad bias'].forEach((what, i) => close(got[i]!, ref[i]!, `${path} ${JSON.stringify(g)} ${what}`));
      }
    }),
    { numRuns: 40 },
  );
});

test('conv_transpose2d forward and gradients on the sub-pixel path equal the reference (random geometries)', () => {
  fc.assert(
    fc.property(geometry, fc.integer({ min: 0, max: 2 }), (g, op) => {
      const outputPadding = Math.min(op, Math.max(g.stride, g.dil) - 1);
      // PyTorch's condition on the padding: the output must be positive.
      const outH = (g.h - 1) * g.stride - 2 * g.pad + g.dil * (g.k - 1) + outputPadding + 1;
      const outW = (g.w - 1) * g.stride - 2 * g.pad + g.dil * (g.k - 1) + outputPadding + 1;
      fc.pre(outH > 0 && outW > 0);
      manualSeed(g.seed);
      const C = g.cinPer * g.groups;
      const Cout = g.coutPer * g.groups;
      const x = randn([g.n, C, g.h, g.w]);
      const w = randn([C, g.coutPer, g.k, g.k]).mul(0.3);
      const b = randn([Cout]);
      const opts = { stride: g.stride, padding: g.pad, dilation: g.dil, groups: g.groups, outputPadding };
      const run = (path: Exclude<ConvPathName, 'auto'>, gemm: GemmBackendName): Float32Array[] =>
        withPath(path, gemm, () => {
          const [xs, ws, bs] = [x, w, b].map((t) => randn(t.shape).mul(0).add(t).requiresGrad_()) as [Tensor, Tensor, Tensor];
          const y = convTranspose2d(xs, ws, bs, opts);
          y.mul(y.detach().mul(0.5)).sum().backward();
          return [y.data, xs.grad!.data, ws.grad!.data, bs.grad!.data];
        });
      const ref = run('js', 'scalar');
      for (const [path, gemm] of PATHS) {
        const got = run(path, gemm);
        ['output', 'grad input', 'grad weight', 'grad bias'].forEach((what, i) => close(got[i]!, ref[i]!, `${path} ${JSON.stringify({ ...g, outputPadding })} ${what}`));
      }
    }),
    { numRuns: 40 },
  );
});
