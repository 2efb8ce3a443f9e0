/** Tensor creation and the seeded generator. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RuntimeError, Tensor, arange, full, linspace, manualSeed, ones, rand, randn, tensor, zeros } from '../../src/index.js';

test('tensor() infers shapes from nested arrays and checks ragged input', () => {
  assert.deepEqual(tensor([[1, 2, 3], [4, 5, 6]]).shape, [2, 3]);
  assert.deepEqual(tensor(7).shape, []);
  assert.deepEqual(tensor([1, 2, 3, 4], [2, 2]).toArray(), [[1, 2], [3, 4]]);
  assert.deepEqual(tensor(new Float32Array([1, 2, 3, 4, 5, 6]), [3, 2]).shape, [3, 2]);
  assert.throws(() => tensor([[1, 2], [3]]), RuntimeError);
  assert.throws(() => tensor([1, 2, 3], [2, 2]), RuntimeError);
  assert.throws(() => new Tensor(new Float32Array(3), [2, 2]), RuntimeError);
  assert.equal(tensor([1], { requiresGrad: true }).requiresGrad, true);
});

test('zeros, ones, full, arange, linspace', () => {
  assert.deepEqual(zeros([2]).toArray(), [0, 0]);
  assert.deepEqual(ones([1, 2]).toArray(), [[1, 1]]);
  assert.deepEqual(full([2], 3.5).toArray(), [3.5, 3.5]);
  assert.deepEqual(arange(4).toArray(), [0, 1, 2, 3]);
  assert.deepEqual(arange(1, 2, 0.25).toArray(), [1, 1.25, 1.5, 1.75]);
  assert.deepEqual(linspace(0, 1, 5).toArray(), [0, 0.25, 0.5, 0.75, 1]);
  assert.throws(() => arange(0, 1, 0), RuntimeError);
  assert.throws(() => zeros([2, -1]), RuntimeError);
});

test('manualSeed makes rand/randn reproducible; randn is roughly standard normal', () => {
  manualSeed(42);
  const a = randn([1000]);
  const u = rand([3]);
  manualSeed(42);
  assert.deepEqual(Array.from(randn([1000]).data), Array.from(a.data));
  assert.deepEqual(Array.from(rand([3]).data), Array.from(u.data));
  assert.ok(Math.abs(a.mean().item()) < 0.1);
  assert.ok(Math.abs(a.std().item() - 1) < 0.1);
  assert.ok(u.data.every((v) => v >= 0 && v < 1));
});

test('item() and size()', () => {
  assert.equal(tensor([[2.5]]).item(), 2.5);
  assert.throws(() => tensor([1, 2]).item(), /a Tensor with 2 elements cannot be converted to Scalar/);
  assert.deepEqual(zeros([2, 3]).size(), [2, 3]);
  assert.equal(zeros([2, 3]).size(-1), 3);
  assert.throws(() => Tensor.meta([2]).data, RuntimeError);
});
