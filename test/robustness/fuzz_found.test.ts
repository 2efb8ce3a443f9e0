/**
 * What the long fuzz campaign (`npm run fuzz`, FUZZ_SEED=7, 100,000 calls)
 * found, kept as cases: an optimizer option written as `undefined` takes its
 * default (JavaScript's "not given"), and an upsampling of an empty batch to
 * an axis longer than an index table can be raises PyTorch's allocator error
 * instead of a RangeError.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RuntimeError } from '../../src/errors.js';
import { Upsample } from '../../src/nn/upsample.js';
import { Adam } from '../../src/optim/adam.js';
import { AdamW } from '../../src/optim/adamw.js';
import { SGD } from '../../src/optim/sgd.js';
import { ones, zeros } from '../../src/tensor/creation.js';
import '../../src/ops/methods.js';
import { maxPool2d } from '../../src/ops/pool.js';
import { conv2d } from '../../src/ops/conv.js';
import { pad } from '../../src/ops/pad.js';
import { relu } from '../../src/ops/activation.js';
import { Sequential } from '../../src/nn/container.js';
import { Conv2d } from '../../src/nn/conv.js';
import { ReLU } from '../../src/nn/activation.js';
import { ReflectionPad2d } from '../../src/nn/padding.js';
import { noGrad } from '../../src/tensor/grad_mode.js';
import { randn } from '../../src/tensor/creation.js';

test('optimizer options given as undefined keep their defaults (constructor and parameter groups)', () => {
  const p = ones([2]).requiresGrad_();
  const adam = new Adam([p], { lr: 0.1, betas: undefined, eps: undefined });
  assert.deepEqual(adam.paramGroups[0]!.betas, [0.9, 0.999]);
  assert.equal(adam.paramGroups[0]!.eps, 1e-8);
  const q = ones([2]).requiresGrad_();
  adam.addParamGroup({ params: [q], lr: undefined } as never);
  assert.equal(adam.paramGroups[1]!.lr, 0.1);
  assert.equal(new AdamW([ones([1]).requiresGrad_()], { weightDecay: undefined }).paramGroups[0]!.weightDecay, 1e-2);
  assert.equal(new SGD([ones([1]).requiresGrad_()], { lr: 0.5, momentum: undefined }).paramGroups[0]!.momentum, 0);
  p.mul(p).sum().backward();
  adam.step();
  assert.ok(p.data.every((v) => Math.abs(v - 0.9) < 1e-6));
});

test('upsampling an empty batch to an axis past 2^31 - 1 raises the allocator error', () => {
  const up = new Upsample({ scaleFactor: 2147483649, mode: 'linear' });
  assert.throws(() => up.call(zeros([0, 1, 2])), (e: unknown) => e instanceof RuntimeError && /DefaultCPUAllocator: can't allocate memory: you tried to allocate 34359738384 bytes/.test(e.message));
});

test('max pooling and depthwise convolution with strides past 32 bits run (the SIMD kernels step aside)', () => {
  const x = ones([1, 4, 4]);
  const y = maxPool2d(x, 3, { stride: 9007199254740992, padding: 1 });
  assert.deepEqual(y.shape, [1, 1, 1]);
  assert.equal(y.data[0], 1);
  const z = conv2d(ones([1, 2, 5, 5]), ones([2, 1, 3, 3]), null, { stride: 2 ** 40, groups: 2 });
  assert.deepEqual(Array.from(z.data), [9, 9]);
});

test('a fused ReflectionPad2d -> Conv2d -> ReLU whose geometry the wasm offsets cannot hold runs padded first, as unfused', () => {
  const seq = new Sequential([new ReflectionPad2d(1), new Conv2d(2, 3, 3, { stride: 2 ** 40 }), new ReLU()]);
  const x = randn([1, 2, 4, 4]);
  const fused = noGrad(() => seq.call(x));
  const conv = seq.at(1) as Conv2d;
  const want = noGrad(() => relu(conv2d(pad(x, [1, 1, 1, 1], 'reflect'), conv.weight, conv.bias, { stride: 2 ** 40 })));
  assert.deepEqual(fused.shape, want.shape);
  assert.deepEqual(Array.from(fused.data), Array.from(want.data));
});
