/** Finite-difference checks of the fused norm gradients (input, weight, bias), and of the running-stat path. */
import { test } from 'node:test';
import { checkGradients } from '../helpers.js';
import { randn, rand } from '../../src/tensor/creation.js';
import { manualSeed } from '../../src/tensor/random.js';
import { batchNorm, groupNorm, instanceNorm, layerNorm } from '../../src/ops/norm/index.js';

const opts = { eps: 1e-2, atol: 3e-2, rtol: 3e-2 };

test('instance norm gradients match finite differences (input stats and running stats)', () => {
  manualSeed(21);
  checkGradients((x, w, b) => instanceNorm(x, { weight: w, bias: b }), [randn([2, 3, 2, 3]), randn([3]), randn([3])], opts);
  const rm = randn([3]);
  const rv = rand([3]).add(0.5);
  checkGradients((x, w, b) => instanceNorm(x, { weight: w, bias: b, runningMean: rm, runningVar: rv, useInputStats: false }), [randn([2, 3, 2, 2]), randn([3]), randn([3])], opts);
});

test('batch norm gradients match finite differences (training and eval)', () => {
  manualSeed(22);
  checkGradients((x, w, b) => batchNorm(x, null, null, { weight: w, bias: b, training: true }), [randn([3, 2, 2, 2]), randn([2]), randn([2])], opts);
  const rm = randn([2]);
  const rv = rand([2]).add(0.5);
  checkGradients((x, w, b) => batchNorm(x, rm, rv, { weight: w, bias: b, training: false }), [randn([3, 2, 2]), randn([2]), randn([2])], opts);
});

test('group and layer norm gradients match finite differences', () => {
  manualSeed(23);
  checkGradients((x, w, b) => groupNorm(x, 2, { weight: w, bias: b }), [randn([2, 4, 2, 2]), randn([4]), randn([4])], opts);
  checkGradients((x, w, b) => layerNorm(x, [2, 3], { weight: w, bias: b }), [randn([2, 2, 3]), randn([2, 3]), randn([2, 3])], opts);
});
