/** matmul: PyTorch's 1-D promotion rules, batched broadcasting, gradients, errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RuntimeError, arange, matmul, tensor } from '../../src/index.js';
import { matmulShape } from '../../src/ops/matmul.js';
import { checkGradients } from '../helpers.js';
import { seedArb, seeded } from './arbitraries.js';

test('2-D @ 2-D on hand-computable values', () => {
  const a = tensor([[1, 2, 3], [4, 5, 6]]);
  const b = tensor([[1, 0], [0, 1], [1, 1]]);
  assert.deepEqual(a.matmul(b).toArray(), [[4, 5], [10, 11]]);
});

test('1-D operands are promoted and the added dim removed', () => {
  const v = tensor([1, 2, 3]);
  const dot = matmul(v, v);
  assert.deepEqual(dot.shape, []);
  assert.equal(dot.item(), 14);
  const m = tensor([[1, 0, 0], [0, 1, 0]]);
  assert.deepEqual(matmul(m, v).toArray(), [1, 2]); // [2, 3] @ [3] -> [2]
  assert.deepEqual(matmul(tensor([1, 1]), m).toArray(), [1, 1, 0]); // [2] @ [2, 3] -> [3]
  assert.deepEqual(matmulShape([3], [4, 3, 5]), [4, 5]);
  assert.deepEqual(matmulShape([4, 5, 3], [3]), [4, 5]);
});

test('batch dims broadcast', () => {
  const a = arange(12).reshape(2, 2, 3);
  const b = tensor([[1], [1], [1]]);
  assert.deepEqual(matmul(a, b).toArray(), [[[3], [12]], [[21], [30]]]);
  assert.deepEqual(matmulShape([2, 1, 2, 3], [5, 3, 4]), [2, 5, 2, 4]);
  assert.deepEqual(matmul(arange(6).reshape(1, 2, 3), arange(12).reshape(2, 3, 2)).shape, [2, 2, 2]);
});

test('gradients: dA = G B^T, dB = A^T G', () => {
  const a = tensor([[1, 2], [3, 4]], { requiresGrad: true });
  const b = tensor([[5, 6], [7, 8]], { requiresGrad: true });
  a.matmul(b).backward(tensor([[1, 0], [0, 1]]));
  assert.deepEqual(a.grad!.toArray(), [[5, 7], [6, 8]]);
  assert.deepEqual(b.grad!.toArray(), [[1, 3], [2, 4]]);
  const v = tensor([1, 2], { requiresGrad: true });
  matmul(v, v).backward();
  assert.deepEqual(v.grad!.toArray(), [2, 4]);
});

test('errors: inner sizes, batch sizes, 0-d operands', () => {
  assert.throws(() => matmul(tensor([[1, 2, 3]]), tensor([[1, 2, 3]])), (e) => e instanceof RuntimeError && /\(1x3 and 1x3\)/.test(e.message));
  assert.throws(() => matmul(arange(12).reshape(2, 2, 3), arange(18).reshape(3, 3, 2)), RuntimeError);
  assert.throws(() => matmul(tensor(2), tensor([1])), /at least 1D/);
  assert.throws(() => matmul(tensor([1, 2]), tensor([1, 2, 3])), RuntimeError);
});

test('property: gradients equal finite differences for 1-D, 2-D and broadcast batched operands', () => {
  const dims = fc.integer({ min: 1, max: 3 });
  const arb = fc.record({ m: dims, k: dims, n: dims, batch: fc.constantFrom([], [2], [2, 1]), aVec: fc.boolean(), bVec: fc.boolean(), seed: seedArb });
  fc.assert(
    fc.property(arb, ({ m, k, n, batch, aVec, bVec, seed }) => {
      const aShape = aVec ? [k] : [...batch, m, k];
      const bShape = bVec ? [k] : [...batch.slice(0, 1).map(() => 1), k, n];
      const a = seeded(aShape, seed);
      const b = seeded(bShape, seed + 3);
      checkGradients(matmul, [a, b]);
    }),
    { numRuns: 40 },
  );
});
