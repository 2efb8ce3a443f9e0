/** Autograd misuse: second backward passes, passes that throw midway, bad seeds (PyTorch 1.13's behaviour). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/tensor/methods.js';
import { RuntimeError, TypeError, ValueError } from '../../src/errors.js';
import { SECOND_BACKWARD_MESSAGE } from '../../src/autograd/backward.js';
import { record } from '../../src/autograd/record.js';
import { tensor, randn, zeros } from '../../src/tensor/creation.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { add, exp, mul } from '../../src/ops/elementwise.js';
import { sum } from '../../src/ops/reduce.js';
import * as F from '../../src/nn/functional.js';
import { BatchNorm2d } from '../../src/nn/batchnorm.js';
import { InstanceNorm2d } from '../../src/nn/instancenorm.js';

test('a second backward through ops that saved values raises PyTorch\'s RuntimeError; retainGraph allows it', () => {
  assert.ok(SECOND_BACKWARD_MESSAGE.startsWith('Trying to backward through the graph a second time (or directly access saved tensors'));
  const x = tensor([1, 2, 3], { requiresGrad: true });
  const y = sum(mul(x, x));
  y.backward();
  assert.deepEqual(Array.from(x.grad!.data), [2, 4, 6]);
  assert.throws(() => y.backward(), (e: unknown) => e instanceof RuntimeError && e.message === SECOND_BACKWARD_MESSAGE);
  assert.deepEqual(Array.from(x.grad!.data), [2, 4, 6], 'nothing accumulated');

  const x2 = tensor([1, 2, 3], { requiresGrad: true });
  const y2 = sum(exp(x2));
  y2.backward(undefined, { retainGraph: true });
  y2.backward(undefined, { retainGraph: true });
  y2.backward();
  assert.throws(() => y2.backward(), /second time/);
  const e = Array.from([1, 2, 3], (v) => 3 * Math.fround(Math.exp(v)));
  x2.grad!.data.forEach((g, i) => assert.ok(Math.abs(g - e[i]!) < 1e-4 * e[i]!));
});

test('ops that save nothing can be backpropagated again, as in PyTorch (add, sum, reshape)', () => {
  const x = tensor([1, 2, 3], { requiresGrad: true });
  const y = sum(add(x, 1).reshape(3, 1));
  y.backward();
  y.backward();
  assert.deepEqual(Array.from(x.grad!.data), [2, 2, 2]);
});

test('a backward pass that throws midway leaves every leaf gradient as it was', () => {
  const a = tensor([1, 2], { requiresGrad: true });
  const b = tensor([3, 4], { requiresGrad: true });
  // a reaches the root directly (its gradient is ready first); b goes through an op that throws.
  const broken = record(new Tensor(Float32Array.from(b.data), b.shape), [b], 'broken', () => {
    throw new RuntimeError('boom');
  });
  const y = sum(add(mul(a, 2), broken));
  assert.throws(() => y.backward(), /boom/);
  assert.equal(a.grad, null);
  assert.equal(b.grad, null);
  a.grad = tensor([10, 10]);
  assert.throws(() => y.backward(undefined, { retainGraph: true }), /boom/);
  assert.deepEqual(Array.from(a.grad.data), [10, 10]);
});

test("backward's gradient must be a tensor: PyTorch's TypeErrors", () => {
  const x = tensor([1, 2, 3], { requiresGrad: true });
  const y = mul(x, 2);
  const s = sum(y);
  const bad = (v: unknown, msg: string) =>
    assert.throws(() => y.backward(v as Tensor), (e: unknown) => e instanceof TypeError && e.message === msg && e.kind === 'argument');
  bad([1, 1, 1], 'gradients can be either Tensors or None, but got int');
  bad(3, "'int' object is not iterable");
  bad(1.5, "'float' object is not iterable");
  bad(true, "'bool' object is not iterable");
  bad('a', 'gradients can be either Tensors or None, but got str');
  s.backward(null, { retainGraph: true });
  assert.deepEqual(Array.from(x.grad!.data), [2, 2, 2]);
  y.backward([tensor([1, 0, 1])] as unknown as Tensor);
  assert.deepEqual(Array.from(x.grad!.data), [4, 2, 4]);
});

test('NaN or infinite eps and momentum are refused by the functional norms and by layers changed after construction', () => {
  const x = randn([2, 3, 4, 4]);
  for (const v of [NaN, Infinity, -Infinity]) {
    assert.throws(() => F.batchNorm(x, zeros([3]), zeros([3]).add(1), { training: true, momentum: v }), ValueError);
    assert.throws(() => F.batchNorm(x, null, null, { training: true, eps: v }), ValueError);
    assert.throws(() => F.instanceNorm(x, { eps: v }), ValueError);
    assert.throws(() => F.instanceNorm(x, { runningMean: zeros([3]), runningVar: zeros([3]), momentum: v }), ValueError);
    assert.throws(() => F.groupNorm(x, 3, { eps: v }), ValueError);
    assert.throws(() => F.layerNorm(x, [4], { eps: v }), ValueError);
    assert.throws(() => F.adaptiveInstanceNorm(x, x, v), ValueError);
  }
  const bn = new BatchNorm2d(3);
  bn.momentum = NaN;
  assert.throws(() => bn.call(x), (e: unknown) => e instanceof ValueError && e.message === 'momentum must be a finite number, got NaN');
  assert.deepEqual(Array.from(bn.runningMean!.data), [0, 0, 0]);
  assert.equal(bn.numBatchesTracked!.item(), 0, 'not counted either');
  const inorm = new InstanceNorm2d(3, { trackRunningStats: true });
  (inorm as { momentum: number }).momentum = Infinity;
  assert.throws(() => inorm.call(x), ValueError);
  assert.deepEqual(Array.from(inorm.runningVar!.data), [1, 1, 1]);
});
