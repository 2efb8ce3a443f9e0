/** Convolutions: values against a naive reference, gradients by finite differences, shape rules, errors, meta facts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RuntimeError, ValueError } from '../../src/errors.js';
import { randn } from '../../src/tensor/creation.js';
import { manualSeed } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { conv1d, conv2d, conv2dOutputShape, convTranspose2d, convTranspose2dOutputShape } from '../../src/ops/conv.js';
import { pad } from '../../src/ops/pad.js';
import { Conv1d, Conv2d, ConvTranspose2d } from '../../src/nn/conv.js';
import { assertClose, checkGradients } from '../helpers.js';
import { refConv2d, refConvTranspose2d } from './reference.js';

const convArb = fc.record({
  n: fc.integer({ min: 1, max: 2 }),
  groups: fc.integer({ min: 1, max: 2 }),
  cig: fc.integer({ min: 1, max: 3 }),
  cog: fc.integer({ min: 1, max: 3 }),
  h: fc.integer({ min: 1, max: 7 }),
  w: fc.integer({ min: 1, max: 7 }),
  kh: fc.integer({ min: 1, max: 4 }),
  kw: fc.integer({ min: 1, max: 4 }),
  sh: fc.integer({ min: 1, max: 3 }),
  sw: fc.integer({ min: 1, max: 3 }),
  ph: fc.integer({ min: 0, max: 2 }),
  pw: fc.integer({ min: 0, max: 2 }),
  dh: fc.integer({ min: 1, max: 2 }),
  dw: fc.integer({ min: 1, max: 2 }),
  bias: fc.boolean(),
  seed: fc.integer({ min: 0, max: 1 << 20 }),
});

test('conv2d matches the naive definition; meta shape == real shape; too-small inputs raise RuntimeError', () => {
  fc.assert(
    fc.property(convArb, (a) => {
      manualSeed(a.seed);
      const x = randn([a.n, a.cig * a.groups, a.h, a.w]);
      const w = randn([a.cog * a.groups, a.cig, a.kh, a.kw]);
      const b = a.bias ? randn([a.cog * a.groups]) : null;
      const opts = { stride: [a.sh, a.sw], padding: [a.ph, a.pw], dilation: [a.dh, a.dw], groups: a.groups };
      const fits = a.h + 2 * a.ph >= a.dh * (a.kh - 1) + 1 && a.w + 2 * a.pw >= a.dw * (a.kw - 1) + 1;
      if (!fits) {
        assert.throws(() => conv2d(x, w, b, opts), RuntimeError);
        assert.throws(() => conv2d(Tensor.meta(x.shape), w, b, opts), /Kernel size can't be greater than actual input size/);
        return;
      }
      const y = conv2d(x, w, b, opts);
      const want = refConv2d(x, w, b, { stride: [a.sh, a.sw], padding: [a.ph, a.pw], dilation: [a.dh, a.dw], groups: a.groups });
      assert.deepEqual(y.shape, want.shape);
      assertClose(y, want.data, 1e-4, 1e-4);
      assert.deepEqual(conv2d(Tensor.meta(x.shape), w, b, opts).shape, y.shape);
      assert.deepEqual(conv2dOutputShape(x.shape, w.shape, opts), [...y.shape]);
    }),
    { numRuns: 60 },
  );
});

test('conv_transpose2d matches the scatter definition, and its meta shape the real one', () => {
  const arb = fc.record({
    groups: fc.integer({ min: 1, max: 2 }),
    cig: fc.integer({ min: 1, max: 2 }),
    cog: fc.integer({ min: 1, max: 3 }),
    h: fc.integer({ min: 1, max: 4 }),
    w: fc.integer({ min: 1, max: 4 }),
    k: fc.integer({ min: 1, max: 4 }),
    s: fc.integer({ min: 1, max: 3 }),
    p: fc.integer({ min: 0, max: 2 }),
    d: fc.integer({ min: 1, max: 2 }),
    op: fc.integer({ min: 0, max: 2 }),
    seed: fc.integer({ min: 0, max: 1 << 20 }),
  });
  fc.assert(
    fc.property(arb, (a) => {
      manualSeed(a.seed);
      const x = randn([2, a.cig * a.groups, a.h, a.w]);
      const w = randn([a.cig * a.groups, a.cog, a.k, a.k]);
      const b = randn([a.cog * a.groups]);
      const opts = { stride: a.s, padding: a.p, dilation: a.d, outputPadding: a.op, groups: a.groups };
      const out = (a.h - 1) * a.s - 2 * a.p + a.d * (a.k - 1) + a.op + 1;
      if (a.op >= a.s && a.op >= a.d) {
        assert.throws(() => convTranspose2d(x, w, b, opts), /output padding must be smaller than either stride or dilation/);
        return;
      }
      const outW = (a.w - 1) * a.s - 2 * a.p + a.d * (a.k - 1) + a.op + 1;
      if (out < 1 || outW < 1) {
        assert.throws(() => convTranspose2dOutputShape(x.shape, w.shape, opts), /Output size is too small/);
        return;
      }
      const y = convTranspose2d(x, w, b, opts);
      const want = refConvTranspose2d(x, w, b, { stride: [a.s, a.s], padding: [a.p, a.p], dilation: [a.d, a.d], groups: a.groups, outputPadding: [a.op, a.op] });
      assert.deepEqual(y.shape, want.shape);
      assertClose(y, want.data, 1e-4, 1e-4);
      assert.deepEqual(convTranspose2d(Tensor.meta(x.shape), w, b, opts).shape, y.shape);
    }),
    { numRuns: 40 },
  );
});

test('conv2d gradients (stride, padding, dilation, groups, bias) match finite differences', () => {
  manualSeed(3);
  const x = randn([2, 4, 5, 6]);
  const w = randn([6, 2, 3, 2]);
  const b = randn([6]);
  checkGradients((xx, ww, bb) => conv2d(xx, ww, bb, { stride: [2, 1], padding: [1, 2], dilation: [1, 2], groups: 2 }), [x, w, b]);
  // The 1x1 fast path (no im2col) has its own gradient code.
  checkGradients((xx, ww) => conv2d(xx, ww), [randn([2, 3, 3, 2]), randn([4, 3, 1, 1])]);
});

test('conv1d and conv_transpose2d gradients match finite differences', () => {
  manualSeed(4);
  checkGradients((xx, ww, bb) => conv1d(xx, ww, bb, { stride: 2, padding: 1 }), [randn([2, 2, 7]), randn([3, 2, 3]), randn([3])]);
  checkGradients(
    (xx, ww, bb) => convTranspose2d(xx, ww, bb, { stride: 2, padding: 1, outputPadding: 1, groups: 2 }),
    [randn([1, 4, 3, 2]), randn([4, 1, 3, 3]), randn([2])],
  );
});

test("padding='same' keeps the size (extra padding after for even kernels); 'valid' is no padding", () => {
  manualSeed(5);
  const x = randn([1, 2, 5, 6]);
  const w = randn([3, 2, 4, 3]);
  const y = conv2d(x, w, null, { padding: 'same', dilation: [1, 2] });
  assert.deepEqual(y.shape, [1, 3, 5, 6]);
  // total padding d*(k-1): height 3 -> (1 before, 2 after), width 4 -> (2, 2)
  const want = conv2d(pad(x, [2, 2, 1, 2]), w, null, { dilation: [1, 2] });
  assertClose(y, want.data);
  assert.deepEqual(conv2d(x, w, null, { padding: 'valid' }).shape, [1, 3, 2, 4]);
  assert.throws(() => conv2d(x, w, null, { padding: 'same', stride: 2 }), /not supported for strided convolutions/);
});

test('conv errors name the sizes, with PyTorch wording', () => {
  const w = randn([8, 3, 3, 3]);
  assert.throws(
    () => conv2d(randn([2, 4, 8, 8]), w),
    (e: Error) =>
      e instanceof RuntimeError &&
      e.message === 'Given groups=1, weight of size [8, 3, 3, 3], expected input[2, 4, 8, 8] to have 3 channels, but got 4 channels instead',
  );
  assert.throws(
    () => conv2d(randn([1, 3, 2, 2]), w),
    (e: Error) =>
      e instanceof RuntimeError &&
      e.message === "Calculated padded input size per channel: (2 x 2). Kernel size: (3 x 3). Kernel size can't be greater than actual input size",
  );
  assert.throws(
    () => conv2d(randn([3, 8]), w),
    (e: Error) => e instanceof RuntimeError && e.message === 'Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [3, 8]',
  );
  assert.throws(() => conv1d(randn([1, 2, 3, 4]), randn([2, 2, 1])), /Expected 2D \(unbatched\) or 3D \(batched\) input to conv1d/);
  assert.throws(() => conv2d(randn([1, 3, 4, 4]), w, randn([7])), /expected bias to be 1-dimensional with 8 elements/);
  assert.throws(() => conv2d(randn([1, 4, 4, 4]), randn([6, 2, 1, 1]), null, { groups: 4 }), /expected weight to be divisible by 4/);
  assert.throws(() => conv2d(randn([1, 3, 4, 4]), w, null, { stride: 0 }), /non-positive stride/);
  assert.throws(() => conv2d(randn([1, 3, 4, 4]), w, null, { padding: -1 }), /negative padding/);
  assert.throws(() => conv2d(randn([1, 3, 4, 4]), w, null, { stride: [1, 1, 1] }), /list of 2 values/);
});

test('unbatched input gives the batched result without the batch dim', () => {
  manualSeed(6);
  const conv = new Conv2d(3, 4, 3, { padding: 1, stride: 2 });
  const x = randn([3, 5, 5]);
  const y = conv.call(x);
  assert.deepEqual(y.shape, [4, 3, 3]);
  assertClose(y, conv.call(x.unsqueeze(0)).data);
  const c1 = new Conv1d(2, 3, 3);
  assert.deepEqual(c1.call(randn([2, 6])).shape, [3, 4]);
});

test('Conv2d modules: parameters, PyTorch init bounds, padding modes, constructor errors, repr', () => {
  manualSeed(7);
  const conv = new Conv2d(4, 6, 3, { groups: 2 });
  assert.deepEqual(conv.weight.shape, [6, 2, 3, 3]);
  const bound = 1 / Math.sqrt(2 * 9);
  assert.ok(conv.weight.data.every((v) => Math.abs(v) <= bound));
  assert.ok(conv.bias!.data.every((v) => Math.abs(v) <= bound));
  assert.ok(conv.weight.data.some((v) => Math.abs(v) > bound / 2), 'weights spread over the bound');
  assert.deepEqual([...conv.stateDict().keys()], ['weight', 'bias']);
  const reflect = new Conv2d(2, 3, 3, { padding: 1, paddingMode: 'reflect' });
  const x = randn([1, 2, 4, 5]);
  assertClose(reflect.call(x), conv2d(pad(x, [1, 1, 1, 1], 'reflect'), reflect.weight, reflect.bias).data);
  const circ = new Conv2d(2, 3, [3, 2], { padding: 'same', paddingMode: 'circular', bias: false });
  assertClose(circ.call(x), conv2d(pad(x, [0, 1, 1, 1], 'circular'), circ.weight).data);
  assert.throws(() => new Conv2d(3, 4, 3, { groups: 2 }), (e: Error) => e instanceof ValueError && e.message === 'in_channels must be divisible by groups');
  assert.throws(() => new Conv2d(4, 3, 3, { groups: 2 }), /out_channels must be divisible by groups/);
  assert.throws(() => new Conv2d(4, 4, 3, { padding: 'same', stride: 2 }), ValueError);
  assert.throws(() => new Conv2d(4, 4, 3, { paddingMode: 'mirror' as never }), ValueError);
  assert.throws(() => new ConvTranspose2d(4, 4, 3, { paddingMode: 'reflect' as never }), ValueError);
  assert.equal(conv.toString(), 'Conv2d(4, 6, kernel_size=(3, 3), stride=(1, 1), groups=2)');
  assert.equal(
    new ConvTranspose2d(3, 2, 3, { stride: 2, padding: 1, outputPadding: 1, bias: false }).toString(),
    'ConvTranspose2d(3, 2, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), output_padding=(1, 1), bias=False)',
  );
});

test('meta execution: shapes only, and which convolutions keep a map spatially constant', () => {
  const w3 = randn([4, 3, 3, 3]);
  const w1 = randn([4, 3, 1, 1]);
  const constant = Tensor.meta([2, 3, 8, 8], { spatiallyConstant: true, constantSince: '3' });
  const y1 = conv2d(constant, w1);
  assert.ok(y1.isMeta);
  assert.deepEqual(y1.facts, { spatiallyConstant: true, constantSince: '3' });
  // A valid (unpadded) window sees the same values everywhere; zero padding breaks that at the borders.
  assert.equal(conv2d(constant, w3).facts.spatiallyConstant, true);
  assert.equal(conv2d(constant, w3, null, { padding: 1 }).facts.spatiallyConstant, undefined);
  assert.equal(conv2d(Tensor.meta([2, 3, 8, 8]), w3).facts.spatiallyConstant, undefined);
  // Shrinking to 1x1 gives a trivially constant map.
  assert.equal(conv2d(Tensor.meta([2, 3, 3, 3]), w3).facts.spatiallyConstant, true);
  assert.equal(convTranspose2d(constant, randn([3, 2, 3, 3]), null, { stride: 2 }).facts.spatiallyConstant, undefined);
});

/** sum(a * b) in float64. */
function dot(a: Tensor, b: Tensor): number {
  let s = 0;
  for (let i = 0; i < a.numel(); i++) s += a.data[i]! * b.data[i]!;
  return s;
}

test('large maps run in several chunks of output rows: values and adjoint (dot-product) gradient identities hold', () => {
  manualSeed(8);
  // 32 channels x 9x9 taps = 2592 column rows: a 16-wide output is split into chunks of 6 rows.
  const x = randn([2, 32, 24, 24]);
  const w = randn([2, 32, 9, 9]).mul(0.05);
  const b = randn([2]);
  const y = conv2d(x, w, b, { padding: 0, dilation: 1 });
  assertClose(y, refConv2d(x, w, b, { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1 }).data, 1e-4, 1e-4);
  const g = randn(y.shape);
  x.requiresGrad = true;
  w.requiresGrad = true;
  conv2d(x, w, b).backward(g);
  const dx = randn(x.shape);
  const dw = randn(w.shape);
  // y is linear in x and in w: <dL/dx, dx> = <conv(dx, w), g>, <dL/dw, dw> = <conv(x, dw), g>.
  const rel = (a: number, c: number) => Math.abs(a - c) / Math.max(1, Math.abs(c));
  assert.ok(rel(dot(x.grad!, dx), dot(conv2d(dx, w.detach()), g)) < 1e-4);
  assert.ok(rel(dot(w.grad!, dw), dot(conv2d(x.detach(), dw), g)) < 1e-4);

  // More than 1024 positions: gemm's column blocks split the output rows mid-row.
  const xw = randn([1, 3, 42, 42]);
  const ww = randn([2, 3, 3, 3]);
  assertClose(conv2d(xw, ww), refConv2d(xw, ww, null, { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1 }).data, 1e-4, 1e-4);
  xw.requiresGrad = true;
  ww.requiresGrad = true;
  const gw2 = randn([1, 2, 40, 40]);
  conv2d(xw, ww).backward(gw2);
  const dxw = randn(xw.shape);
  const dww = randn(ww.shape);
  assert.ok(rel(dot(xw.grad!, dxw), dot(conv2d(dxw, ww.detach()), gw2)) < 1e-4);
  assert.ok(rel(dot(ww.grad!, dww), dot(conv2d(xw.detach(), dww), gw2)) < 1e-4);

  const xt = randn([1, 4, 16, 16]);
  const wt = randn([4, 32, 9, 9]).mul(0.05);
  const yt = convTranspose2d(xt, wt, null, { stride: 2, padding: 3 });
  assertClose(yt, refConvTranspose2d(xt, wt, null, { stride: [2, 2], padding: [3, 3], dilation: [1, 1], groups: 1, outputPadding: [0, 0] }).data, 1e-4, 1e-4);
  const gt = randn(yt.shape);
  xt.requiresGrad = true;
  wt.requiresGrad = true;
  convTranspose2d(xt, wt, null, { stride: 2, padding: 3 }).backward(gt);
  const dxt = randn(xt.shape);
  const dwt = randn(wt.shape);
  assert.ok(rel(dot(xt.grad!, dxt), dot(convTranspose2d(dxt, wt.detach(), null, { stride: 2, padding: 3 }), gt)) < 1e-4);
  assert.ok(rel(dot(wt.grad!, dwt), dot(convTranspose2d(xt.detach(), dwt, null, { stride: 2, padding: 3 }), gt)) < 1e-4);
});
