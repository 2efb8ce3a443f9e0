/**
 * The depthwise kernel (kernels/conv_depthwise.ts, asm/depthwise.ts) against
 * the TypeScript im2col + gemm path, on random geometry: channel multipliers,
 * strides 1-3, dilation, padding, narrow and wide maps, batches, with and
 * without bias; and its gradient path (the backward is the general one).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { depthwiseApplies } from '../../src/kernels/conv_depthwise.js';
import { getConvPath, setConvPath } from '../../src/kernels/conv_fwd.js';
import { conv2d } from '../../src/ops/conv.js';
import { randn } from '../../src/tensor/creation.js';
import { noGrad } from '../../src/tensor/grad_mode.js';
import { manualSeed } from '../../src/tensor/random.js';
import '../../src/ops/methods.js';

const worst = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

test('depthwise convolutions equal the im2col + gemm path on every geometry', () => {
  assert.equal(getConvPath(), 'auto');
  assert.ok(depthwiseApplies({ N: 1, C: 4, Cout: 8, G: 4, g: { H: 5, W: 5, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1, outH: 5, outW: 5 } }));
  fc.assert(
    fc.property(
      fc.record({
        N: fc.integer({ min: 1, max: 2 }),
        C: fc.integer({ min: 2, max: 6 }),
        mult: fc.integer({ min: 1, max: 2 }),
        H: fc.integer({ min: 1, max: 19 }),
        W: fc.integer({ min: 1, max: 37 }),
        k: fc.integer({ min: 1, max: 5 }),
        s: fc.integer({ min: 1, max: 3 }),
        d: fc.integer({ min: 1, max: 2 }),
        p: fc.integer({ min: 0, max: 3 }),
        bias: fc.boolean(),
        seed: fc.integer({ min: 0, max: 1000 }),
      }).filter((r) => r.H + 2 * r.p >= r.d * (r.k - 1) + 1 && r.W + 2 * r.p >= r.d * (r.k - 1) + 1),
      (r) => {
        manualSeed(r.seed);
        const x = randn([r.N, r.C, r.H, r.W]);
        const w = randn([r.C * r.mult, 1, r.k, r.k]);
        const b = r.bias ? randn([r.C * r.mult]) : null;
        const opts = { stride: r.s, padding: r.p, dilation: r.d, groups: r.C };
        const got = noGrad(() => conv2d(x, w, b, opts)).data;
        setConvPath('js');
        try {
          const want = noGrad(() => conv2d(x, w, b, opts)).data;
          assert.ok(worst(got, want) <= 1e-5, `${JSON.stringify(r)}: ${worst(got, want)}`);
        } finally {
          setConvPath('auto');
        }
      },
    ),
    { seed: 23, numRuns: 300 },
  );
});

test('a depthwise layer trains: its forward through the kernel, the gradients as on the general path', () => {
  manualSeed(4);
  const x = randn([2, 3, 9, 11]).requiresGrad_();
  const w = randn([6, 1, 3, 3]).requiresGrad_();
  const run = () => {
    const y = conv2d(x, w, null, { stride: 2, padding: 1, groups: 3 });
    y.mul(y).sum().backward();
    const r = [Float32Array.from(y.data), Float32Array.from(x.grad!.data), Float32Array.from(w.grad!.data)];
    x.grad = null;
    w.grad = null;
    return r;
  };
  const got = run();
  setConvPath('js');
  try {
    const want = run();
    got.forEach((g, i) => assert.ok(worst(g, want[i]!) <= 1e-4, `part ${i}: ${worst(g, want[i]!)}`));
  } finally {
    setConvPath('auto');
  }
});

test('large planes go through the kernel a few channels at a time (several calls on one scratch): the same values', () => {
  // 150 x 150 planes: one 256 KB staging holds one plane, so each image takes one call per channel
  manualSeed(9);
  for (const [k, s, p] of [[3, 2, 1], [5, 1, 2], [3, 1, 0], [4, 3, 1]] as const) {
    const x = randn([2, 3, 150, 150]);
    const w = randn([6, 1, k, k]);
    const b = randn([6]);
    const opts = { stride: s, padding: p, groups: 3 };
    const got = noGrad(() => conv2d(x, w, b, opts)).data;
    setConvPath('js');
    try {
      const want = noGrad(() => conv2d(x, w, b, opts)).data;
      assert.ok(worst(got, want) <= 1e-5, `k${k} s${s} p${p}: ${worst(got, want)}`);
    } finally {
      setConvPath('auto');
    }
  }
});
