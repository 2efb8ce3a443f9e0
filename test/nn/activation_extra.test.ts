/** ReLU6, SELU, SiLU, Hardswish, Softplus: values at the kinks, gradients, meta calls like real ones, facts kept. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Hardswish, ReLU6, SELU, SiLU, Softplus } from '../../src/nn/activation.js';
import type { Module } from '../../src/nn/module.js';
import { hardswish, relu6, selu, silu, softplus } from '../../src/ops/activation.js';
import { randn, tensor } from '../../src/tensor/creation.js';
import { manualSeed } from '../../src/tensor/random.js';
import { assertClose, checkGradients } from '../helpers.js';
import { assertMetaLikeReal, constantMeta } from './meta_helpers.js';

const makers: [string, () => Module][] = [
  ['ReLU6', () => new ReLU6()],
  ['SELU', () => new SELU()],
  ['SiLU', () => new SiLU()],
  ['Hardswish', () => new Hardswish()],
  ['Softplus', () => new Softplus(2, 5)],
];

test('each activation: a meta call has the real shape, for every rank; constant planes stay constant', () => {
  for (const [name, make] of makers) {
    for (const shape of [[], [7], [2, 3], [2, 3, 4, 5], [1, 2, 2, 3, 4]]) assertMetaLikeReal(make(), shape);
    const y = make().call(constantMeta([2, 3, 4, 4]));
    assert.equal(y.facts.spatiallyConstant, true, name);
    assert.equal(y.facts.constantSince, 'up', name);
  }
});

test('values at the kinks follow PyTorch: relu6 clips at 0 and 6, hardswish is 0 below -3 and x above 3', () => {
  const x = tensor([-6, -3, -1.5, 0, 1.5, 3, 6, 7]);
  assertClose(relu6(x), [0, 0, 0, 0, 1.5, 3, 6, 6]);
  assertClose(hardswish(x), [0, 0, -0.375, 0, 1.125, 3, 6, 7]);
  assertClose(silu(tensor([0, 1])), [0, 1 / (1 + Math.exp(-1))]);
  assertClose(selu(tensor([1, -1])), [1.0507009873554805, 1.0507009873554805 * 1.6732632423543772 * (Math.exp(-1) - 1)]);
  // beyond the threshold softplus is the identity; below it log1p(exp(beta x)) / beta
  assertClose(softplus(tensor([30, 1]), 1, 20), [30, Math.log1p(Math.E)]);
  assertClose(softplus(tensor([3, 2]), 2, 5), [3, Math.log1p(Math.exp(4)) / 2]);
});

test('gradients of the smooth activations match finite differences', () => {
  manualSeed(3);
  for (const f of [selu, silu, (t: Parameters<typeof softplus>[0]) => softplus(t, 1.5, 3)]) {
    checkGradients(f, [randn([3, 4]).mul(2)]);
  }
});
