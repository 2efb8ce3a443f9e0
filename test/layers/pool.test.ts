/** Pooling: PyTorch's output-size rules (ceil mode), values against definitions, gradients, errors, meta facts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RuntimeError, ValueError } from '../../src/errors.js';
import { randn, tensor } from '../../src/tensor/creation.js';
import { manualSeed } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { adaptiveAvgPool2d, adaptiveMaxPool2d, avgPool2d, maxPool2d, maxPool2dOutputShape, poolOutputSize } from '../../src/ops/pool.js';
import { AdaptiveAvgPool2d, AvgPool2d, MaxPool2d } from '../../src/nn/pooling.js';
import { assertClose, checkGradients } from '../helpers.js';
import { refMaxPool2d } from './reference.js';

test('pool output size: floor rule, ceil rule with the last window starting inside input or left padding', () => {
  assert.equal(poolOutputSize(5, 2, 0, 2, 1, false), 2);
  assert.equal(poolOutputSize(5, 2, 0, 2, 1, true), 3);
  // ceil((5 + 2 - 2) / 2) + 1 = 4, but the 4th window would start at 3*2 - 1 = 5, in the right padding: 3.
  assert.equal(poolOutputSize(5, 2, 1, 2, 1, true), 3);
  assert.equal(poolOutputSize(6, 3, 1, 2, 1, true), 4);
  assert.equal(poolOutputSize(7, 3, 1, 2, 1, true), 4);
  assert.equal(poolOutputSize(1, 2, 0, 2, 1, false), 0);
  assert.throws(() => poolOutputSize(5, 3, 2, 1, 1, false), /pad should be at most half of kernel size/);
});

test('max_pool2d matches the definition; meta shape == real shape; too-small inputs raise RuntimeError', () => {
  const arb = fc.record({
    h: fc.integer({ min: 1, max: 8 }),
    w: fc.integer({ min: 1, max: 8 }),
    k: fc.integer({ min: 1, max: 4 }),
    s: fc.integer({ min: 1, max: 3 }),
    p: fc.integer({ min: 0, max: 2 }),
    d: fc.integer({ min: 1, max: 2 }),
    ceil: fc.boolean(),
    seed: fc.integer({ min: 0, max: 1 << 20 }),
  });
  fc.assert(
    fc.property(arb, (a) => {
      manualSeed(a.seed);
      const x = randn([2, 2, a.h, a.w]);
      const opts = { stride: a.s, padding: a.p, dilation: a.d, ceilMode: a.ceil };
      if (a.p > Math.floor(a.k / 2)) {
        assert.throws(() => maxPool2d(x, a.k, opts), RuntimeError);
        return;
      }
      const oh = poolOutputSize(a.h, a.k, a.p, a.s, a.d, a.ceil);
      const ow = poolOutputSize(a.w, a.k, a.p, a.s, a.d, a.ceil);
      if (oh < 1 || ow < 1) {
        assert.throws(() => maxPool2d(Tensor.meta(x.shape), a.k, opts), /Output size is too small/);
        assert.throws(() => maxPool2d(x, a.k, opts), RuntimeError);
        return;
      }
      const y = maxPool2d(x, a.k, opts);
      assert.deepEqual(y.shape, [2, 2, oh, ow]);
      assert.deepEqual(maxPool2d(Tensor.meta(x.shape), a.k, opts).shape, y.shape);
      assert.deepEqual(maxPool2dOutputShape(x.shape, a.k, opts), [...y.shape]);
      // Exact (a max copies a value); a window whose dilated taps all miss the input is -inf, as in PyTorch.
      assert.deepEqual([...y.data], [...refMaxPool2d(x, a.k, a.s, a.p, a.d, oh, ow).data]);
    }),
    { numRuns: 100 },
  );
});

test("pooling errors: PyTorch's message with the sizes", () => {
  assert.throws(
    () => maxPool2d(randn([1, 2, 1, 1]), 2),
    (e: Error) => e instanceof RuntimeError && e.message === 'Given input size: (2x1x1). Calculated output size: (2x0x0). Output size is too small',
  );
  assert.throws(() => avgPool2d(randn([8, 1, 1]), 2), /Given input size: \(8x1x1\)\. Calculated output size: \(8x0x0\)/);
  assert.throws(() => maxPool2d(randn([2, 3]), 2), RuntimeError);
  assert.throws(() => maxPool2d(randn([1, 1, 4, 4]), [2, 2, 2]), /kernel_size must either be a single int, or a tuple of two ints/);
  assert.throws(() => avgPool2d(randn([1, 1, 4, 4]), 2, { divisorOverride: 0 }), /divisor must be not zero/);
  assert.throws(() => adaptiveAvgPool2d(randn([4, 4]), 2), /Expected 3D or 4D tensor/);
  assert.throws(() => adaptiveMaxPool2d(randn([1, 2, 0, 4]), 2), /dimension 2 being empty/);
});

test('max pooling: NaN wins, ties send the gradient to the first maximum, padding never wins', () => {
  const x = tensor([[[[1, NaN], [3, 2]]]]);
  assert.ok(Number.isNaN(maxPool2d(x, 2).item()));
  const t = tensor([[[[5, 5], [1, 5]]]], { requiresGrad: true });
  maxPool2d(t, 2).backward(tensor([[[[1]]]]));
  assert.deepEqual([...t.grad!.data], [1, 0, 0, 0]);
  const neg = tensor([[[[-3, -4], [-5, -6]]]]);
  assert.deepEqual([...maxPool2d(neg, 3, { stride: 1, padding: 1 }).data], [-3, -3, -3, -3]);
});

test('avg_pool2d: count_include_pad, divisor_override, ceil-mode windows clipped to the padded input', () => {
  const x = tensor([[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]]);
  // Corner window covers 4 real values and 5 padded zeros.
  assertClose(avgPool2d(x, 3, { stride: 1, padding: 1 }).slice(2, 0, 1).slice(3, 0, 1), [12 / 9]);
  assertClose(avgPool2d(x, 3, { stride: 1, padding: 1, countIncludePad: false }).slice(2, 0, 1).slice(3, 0, 1), [3]);
  assertClose(avgPool2d(x, 2, { divisorOverride: 2 }), [6]);
  // ceil mode: the last window [2, 4) is clipped to the 3 columns and divided by its real size.
  assertClose(avgPool2d(x, 2, { ceilMode: true }), [3, 4.5, 7.5, 9]);
});

test('adaptive pooling windows are [floor(i*in/out), ceil((i+1)*in/out))', () => {
  const x = tensor([[[[0, 1, 2, 3, 4]]]]);
  // 5 -> 3: windows [0,2), [1,4), [3,5)
  assertClose(adaptiveAvgPool2d(x, [1, 3]), [0.5, 2, 3.5]);
  assertClose(adaptiveMaxPool2d(x, [1, 3]), [1, 3, 4]);
  assert.deepEqual(adaptiveAvgPool2d(randn([2, 3, 5, 7]), [null, 2]).shape, [2, 3, 5, 2]);
  assert.deepEqual(adaptiveAvgPool2d(randn([3, 5, 7]), 1).shape, [3, 1, 1]);
});

test('pooling gradients match finite differences', () => {
  manualSeed(11);
  checkGradients((x) => maxPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true }), [randn([1, 2, 5, 6])]);
  checkGradients((x) => maxPool2d(x, 2, { dilation: 2 }), [randn([1, 1, 5, 5])]);
  checkGradients((x) => avgPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }), [randn([2, 1, 6, 5])]);
  checkGradients((x) => avgPool2d(x, [2, 3], { stride: [1, 2], divisorOverride: 4 }), [randn([1, 2, 4, 5])]);
  checkGradients((x) => adaptiveAvgPool2d(x, [2, 3]), [randn([1, 2, 5, 7])]);
  checkGradients((x) => adaptiveMaxPool2d(x, 2), [randn([1, 2, 5, 5])]);
});

test('pooling modules: defaults as PyTorch (stride = kernel), repr, output-size validation', () => {
  const m = new MaxPool2d(2);
  assert.equal(m.toString(), 'MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)');
  assert.deepEqual(m.call(randn([1, 1, 5, 4])).shape, [1, 1, 2, 2]);
  assert.equal(new AvgPool2d([3, 2], { stride: 1 }).toString(), 'AvgPool2d(kernel_size=(3, 2), stride=1, padding=0)');
  assert.equal(new AdaptiveAvgPool2d([2, null]).toString(), 'AdaptiveAvgPool2d(output_size=(2, None))');
  assert.throws(() => new AdaptiveAvgPool2d(-1), ValueError);
});

test('meta facts: max/adaptive pooling keep constancy, padded averages counting zeros do not, 1x1 is constant', () => {
  const c = Tensor.meta([2, 4, 8, 8], { spatiallyConstant: true });
  assert.equal(maxPool2d(c, 3, { stride: 2, padding: 1 }).facts.spatiallyConstant, true);
  assert.equal(avgPool2d(c, 3, { stride: 2, padding: 1 }).facts.spatiallyConstant, undefined);
  assert.equal(avgPool2d(c, 3, { stride: 2, padding: 1, countIncludePad: false }).facts.spatiallyConstant, true);
  assert.equal(adaptiveAvgPool2d(c, 3).facts.spatiallyConstant, true);
  const any = Tensor.meta([2, 4, 8, 8]);
  assert.equal(maxPool2d(any, 2).facts.spatiallyConstant, undefined);
  assert.equal(adaptiveAvgPool2d(any, 1).facts.spatiallyConstant, true);
  assert.equal(adaptiveMaxPool2d(any, [1, 1]).facts.spatiallyConstant, true);
});
