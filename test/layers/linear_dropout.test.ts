/** Linear, Flatten, Dropout and init: values, gradients, errors, seeding, PyTorch's init bounds. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RuntimeError, ValueError } from '../../src/errors.js';
import { ones, randn, tensor, zeros } from '../../src/tensor/creation.js';
import { manualSeed } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { linear, linearOutputShape } from '../../src/ops/linear.js';
import { dropout } from '../../src/ops/dropout.js';
import { matmul } from '../../src/ops/matmul.js';
import { Linear } from '../../src/nn/linear.js';
import { Flatten } from '../../src/nn/flatten.js';
import { Dropout } from '../../src/nn/dropout.js';
import * as init from '../../src/nn/init.js';
import { assertClose, checkGradients } from '../helpers.js';

test('linear = x @ W^T + b over the last dim, any leading dims; gradients by finite differences', () => {
  manualSeed(41);
  const x = randn([2, 3, 4]);
  const w = randn([5, 4]);
  const b = randn([5]);
  const want = matmul(x, w.transpose(0, 1)).add(b);
  assertClose(linear(x, w, b), want.data);
  assert.deepEqual(linear(randn([4]), w).shape, [5]);
  checkGradients((xx, ww, bb) => linear(xx, ww, bb), [randn([3, 4]), randn([2, 4]), randn([2])]);
  // A broadcastable non-vector bias goes through broadcasting addition.
  checkGradients((xx, ww, bb) => linear(xx, ww, bb), [randn([3, 4]), randn([2, 4]), randn([3, 1])]);
});

test('linear errors and meta shapes', () => {
  assert.throws(
    () => linear(randn([2, 3, 4]), randn([2, 5])),
    (e: Error) => e instanceof RuntimeError && e.message === 'mat1 and mat2 shapes cannot be multiplied (6x4 and 5x2)',
  );
  assert.throws(() => linear(randn([2, 4]), randn([4])), RuntimeError);
  assert.deepEqual(linear(Tensor.meta([7, 2, 4]), Tensor.meta([3, 4])).shape, [7, 2, 3]);
  assert.deepEqual(linearOutputShape([4], [3, 4], [3]), [3]);
});

test('Linear module: PyTorch init bounds U(-1/sqrt(in), 1/sqrt(in)), no-bias variant, repr', () => {
  manualSeed(42);
  const m = new Linear(16, 8);
  assert.ok(m.weight.data.every((v) => Math.abs(v) <= 0.25));
  assert.ok(m.bias!.data.every((v) => Math.abs(v) <= 0.25));
  assert.equal(m.toString(), 'Linear(in_features=16, out_features=8, bias=True)');
  const nb = new Linear(4, 2, { bias: false });
  assert.equal(nb.bias, null);
  assert.deepEqual([...nb.stateDict().keys()], ['weight']);
  assert.deepEqual(nb.call(randn([3, 4])).shape, [3, 2]);
});

test('Flatten keeps the batch dim by default', () => {
  const f = new Flatten();
  assert.deepEqual(f.call(randn([2, 3, 4, 5])).shape, [2, 60]);
  assert.deepEqual(new Flatten({ startDim: 2 }).call(randn([2, 3, 4, 5])).shape, [2, 3, 20]);
  assert.equal(f.toString(), 'Flatten(start_dim=1, end_dim=-1)');
});

test('dropout: seeded mask, kept values scaled by 1/(1-p), gradient through the same mask; eval is identity', () => {
  manualSeed(43);
  const x = ones([4000], { requiresGrad: true });
  const y = dropout(x, 0.25);
  const kept = [...y.data].filter((v) => v !== 0);
  assert.ok(kept.every((v) => Math.abs(v - 4 / 3) < 1e-6));
  assert.ok(Math.abs(kept.length / 4000 - 0.75) < 0.03, `kept ${kept.length}`);
  y.backward(ones([4000]));
  assert.deepEqual([...x.grad!.data], [...y.data]);
  manualSeed(43);
  assert.deepEqual([...dropout(ones([4000]), 0.25).data], [...y.data], 'same seed, same mask');
  const m = new Dropout(0.5);
  const z = randn([3, 3]);
  m.eval();
  assert.equal(m.call(z), z);
  assert.deepEqual([...dropout(ones([5]), 1).data], [0, 0, 0, 0, 0]);
  assert.throws(() => new Dropout(1.5), (e: Error) => e instanceof ValueError && e.message === 'dropout probability has to be between 0 and 1, but got 1.5');
  assert.equal(m.toString(), 'Dropout(p=0.5, inplace=False)');
  // Meta: a training-mode mask breaks spatial constancy; eval keeps the facts.
  const c = Tensor.meta([1, 2, 4, 4], { spatiallyConstant: true });
  assert.equal(dropout(c, 0.5, true).facts.spatiallyConstant, undefined);
  assert.equal(dropout(c, 0.5, false).facts.spatiallyConstant, true);
});

test('init: fans, gains, kaiming/xavier bounds', () => {
  assert.deepEqual(init.calculateFanInAndFanOut([8, 3, 3, 3]), [27, 72]);
  assert.throws(() => init.calculateFanInAndFanOut([5]), ValueError);
  assert.equal(init.calculateGain('relu'), Math.SQRT2);
  assert.ok(Math.abs(init.calculateGain('leaky_relu', Math.sqrt(5)) - Math.sqrt(1 / 3)) < 1e-12);
  manualSeed(44);
  const w = zeros([64, 32]);
  init.kaimingUniform_(w, { nonlinearity: 'relu' });
  const bound = Math.SQRT2 * Math.sqrt(3 / 32);
  assert.ok(w.data.every((v) => Math.abs(v) <= bound) && w.data.some((v) => Math.abs(v) > 0.9 * bound));
  init.xavierUniform_(w);
  assert.ok(w.data.every((v) => Math.abs(v) <= Math.sqrt(6 / 96)));
  init.kaimingNormal_(w, { mode: 'fan_out' });
  const std = Math.sqrt([...w.data].reduce((s, v) => s + v * v, 0) / w.numel());
  assert.ok(Math.abs(std - Math.sqrt(2 / 64)) < 0.01, `std ${std}`);
  assert.deepEqual([...init.constant_(tensor([1, 2]), 3).data], [3, 3]);
});
