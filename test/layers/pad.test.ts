/** F.pad modes and the padding layers: values, cropping, gradients, errors, meta facts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

// Deterministic: every property runs on the same draws each time.
fc.configureGlobal({ seed: 20261201 });
import { NotImplementedError, RuntimeError } from '../../src/errors.js';
import { arange, randn } from '../../src/tensor/creation.js';
import { manualSeed } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { pad, padOutputShape, type PadMode } from '../../src/ops/pad.js';
import { ReflectionPad2d, ReplicationPad1d, ZeroPad2d, ConstantPad2d } from '../../src/nn/padding.js';
import { checkGradients } from '../helpers.js';

const row = arange(4).reshape([1, 1, 4]); // [0, 1, 2, 3]

test('each mode along one dim', () => {
  assert.deepEqual([...pad(row, [2, 3], 'reflect').data], [2, 1, 0, 1, 2, 3, 2, 1, 0]);
  assert.deepEqual([...pad(row, [2, 3], 'replicate').data], [0, 0, 0, 1, 2, 3, 3, 3, 3]);
  assert.deepEqual([...pad(row, [2, 3], 'circular').data], [2, 3, 0, 1, 2, 3, 0, 1, 2]);
  assert.deepEqual([...pad(row, [2, 1], 'constant', 7).data], [7, 7, 0, 1, 2, 3, 7]);
  assert.deepEqual([...pad(row, [-1, 1]).data], [1, 2, 3, 0]);
  assert.deepEqual([...pad(row, [-1, -2]).data], [1]);
});

test('2-D padding: (left, right, top, bottom), last dim first', () => {
  const x = arange(6).reshape([1, 1, 2, 3]);
  const y = new ZeroPad2d([1, 0, 0, 1]).call(x);
  assert.deepEqual(y.shape, [1, 1, 3, 4]);
  assert.deepEqual([...y.data], [0, 0, 1, 2, 0, 3, 4, 5, 0, 0, 0, 0]);
  const r = new ReflectionPad2d([0, 0, 1, 1]).call(x);
  assert.deepEqual([...r.data], [3, 4, 5, 0, 1, 2, 3, 4, 5, 0, 1, 2]);
  assert.deepEqual(new ConstantPad2d(1, 2.5).call(x).shape, [1, 1, 4, 5]);
  assert.deepEqual(new ReplicationPad1d([0, 2]).call(row).shape, [1, 1, 6]);
  // Constant padding works on any dims, here the channel dim too.
  assert.deepEqual(pad(x, [0, 0, 0, 0, 1, 1]).shape, [1, 3, 2, 3]);
});

test('pad gradients match finite differences for every mode', () => {
  manualSeed(21);
  for (const mode of ['constant', 'reflect', 'replicate', 'circular'] as PadMode[]) {
    checkGradients((x) => pad(x, [2, 1, 1, 2], mode), [randn([1, 2, 3, 4])]);
  }
  checkGradients((x) => pad(x, [-1, 2, 1, -1]), [randn([1, 1, 3, 4])]);
});

test("pad errors: reflect padding must be smaller than the size, PyTorch's wording", () => {
  assert.throws(
    () => new ReflectionPad2d(3).call(randn([1, 2, 4, 3])),
    (e: Error) =>
      e instanceof RuntimeError &&
      e.message === 'Argument #4: Padding size should be less than the corresponding input dimension, but got: padding (3, 3) at dimension 3 of input 4',
  );
  assert.throws(() => new ReflectionPad2d([0, 0, 2, 0]).call(randn([1, 2, 2, 5])), /Argument #6: .* padding \(2, 0\) at dimension 2 of input 4/);
  assert.throws(() => pad(randn([1, 1, 2]), [3, 0], 'circular'), /wrapping around more than once/);
  assert.throws(() => pad(randn([2, 3]), [1, 1, 1, 1], 'reflect'), NotImplementedError);
  assert.throws(() => pad(randn([2, 3]), [1, 1, 1]), /divisible by 2/);
  assert.throws(() => pad(randn([2, 3]), [1, 1, 1, 1, 1, 1]), /Padding length too large/);
  assert.throws(() => pad(randn([1, 1, 2]), [1, 1], 'reflect', 0), /doesn't take in value argument/);
  assert.throws(() => pad(randn([1, 1, 2]), [-3, 1]), /negative output size/);
});

test('padOutputShape agrees with execution (meta and real) and raises the same errors', () => {
  const arb = fc.record({
    h: fc.integer({ min: 1, max: 5 }),
    w: fc.integer({ min: 1, max: 5 }),
    p: fc.array(fc.integer({ min: -2, max: 5 }), { minLength: 4, maxLength: 4 }),
    mode: fc.constantFrom<PadMode>('constant', 'reflect', 'replicate', 'circular'),
  });
  fc.assert(
    fc.property(arb, ({ h, w, p, mode }) => {
      const x = randn([1, 2, h, w]);
      let shape: number[] | null = null;
      try {
        shape = padOutputShape(x.shape, p, mode);
      } catch (e) {
        assert.ok(e instanceof RuntimeError);
        assert.throws(() => pad(x, p, mode), RuntimeError);
        assert.throws(() => pad(Tensor.meta(x.shape), p, mode), RuntimeError);
        return;
      }
      assert.deepEqual(pad(x, p, mode).shape, shape);
      assert.deepEqual(pad(Tensor.meta(x.shape), p, mode).shape, shape);
    }),
    { numRuns: 150 },
  );
});

test('meta facts: reflect/replicate padding keeps a constant map constant, zero padding does not', () => {
  const c = Tensor.meta([1, 3, 4, 4], { spatiallyConstant: true, constantSince: '2' });
  assert.deepEqual(pad(c, [1, 1, 1, 1], 'reflect').facts, { spatiallyConstant: true, constantSince: '2' });
  assert.equal(pad(c, [1, 1, 1, 1], 'replicate').facts.spatiallyConstant, true);
  assert.equal(pad(c, [1, 1, 1, 1]).facts.spatiallyConstant, undefined);
  assert.equal(pad(Tensor.meta([1, 3, 4, 4]), [1, 1, 1, 1], 'reflect').facts.spatiallyConstant, undefined);
});
