/**
 * Empty batches must not poison running statistics (values checked in PyTorch 1.13;
 * the full matrix is in test/oracle/cases/norms_empty.json).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/tensor/methods.js';
import { IndexError } from '../../src/errors.js';
import { randn, zeros } from '../../src/tensor/creation.js';
import { BatchNorm2d } from '../../src/nn/batchnorm.js';
import { InstanceNorm2d } from '../../src/nn/instancenorm.js';
import { sum } from '../../src/ops/reduce.js';

for (const shape of [[0, 4, 3, 3], [2, 4, 0, 3]]) {
  test(`BatchNorm2d on ${JSON.stringify(shape)} leaves the running statistics alone and counts the batch`, () => {
    const bn = new BatchNorm2d(4);
    const x = zeros(shape, { requiresGrad: true });
    const y = bn.call(x);
    assert.deepEqual(y.shape, shape);
    assert.deepEqual(Array.from(bn.runningMean!.data), [0, 0, 0, 0]);
    assert.deepEqual(Array.from(bn.runningVar!.data), [1, 1, 1, 1]);
    assert.equal(bn.numBatchesTracked!.item(), 1);
    sum(y).backward();
    assert.deepEqual(Array.from(bn.weight!.grad!.data), [0, 0, 0, 0]);
    assert.deepEqual(Array.from(bn.bias!.grad!.data), [0, 0, 0, 0]);
    // the layer still works afterwards
    const z = bn.call(randn([2, 4, 3, 3]));
    assert.ok(z.data.every(Number.isFinite));
    assert.ok(bn.runningMean!.data.every(Number.isFinite));
  });
}

test('a tracked InstanceNorm2d with an empty spatial dim leaves its running statistics alone', () => {
  const m = new InstanceNorm2d(4, { trackRunningStats: true });
  m.runningMean!.data.fill(0.5);
  m.call(zeros([2, 4, 0, 3]));
  assert.deepEqual(Array.from(m.runningMean!.data), [0.5, 0.5, 0.5, 0.5]);
  assert.deepEqual(Array.from(m.runningVar!.data), [1, 1, 1, 1]);
  assert.equal(m.numBatchesTracked!.item(), 0);
});

test("a tracked InstanceNorm2d on a zero batch: PyTorch's NaN (mean over no instances), in any mode", () => {
  for (const training of [true, false]) {
    const m = new InstanceNorm2d(3, { trackRunningStats: true }).train(training);
    m.call(zeros([0, 3, 3, 3]));
    assert.ok(m.runningMean!.data.every(Number.isNaN));
    assert.ok(m.runningVar!.data.every(Number.isNaN));
  }
});

test("no channel planes with affine parameters: PyTorch's IndexError", () => {
  const msg = 'select(): index 0 out of range for tensor of size [0] at dimension 0';
  assert.throws(() => new InstanceNorm2d(3, { affine: true }).call(zeros([0, 3, 3, 3])), (e: unknown) => e instanceof IndexError && e.message === msg);
  assert.throws(() => new BatchNorm2d(0).call(zeros([2, 0, 3, 3])), (e: unknown) => e instanceof IndexError && e.message === msg);
  assert.deepEqual(new BatchNorm2d(0, { affine: false }).call(zeros([2, 0, 3, 3])).shape, [2, 0, 3, 3]);
});
