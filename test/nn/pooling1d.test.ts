/**
 * MaxPool1d, AvgPool1d, AdaptiveAvgPool1d: the 2-D kernels on a height-1 map,
 * PyTorch 1.13's 1-D checks and "Output size is too small" wording, meta calls
 * raising exactly what real calls raise.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { noGrad } from '../../src/autograd/grad_mode.js';
import { RuntimeError } from '../../src/errors.js';
import { AdaptiveAvgPool1d, AvgPool1d, MaxPool1d } from '../../src/nn/pooling1d.js';
import { maxPool1d } from '../../src/ops/pool1d.js';
import { randn, tensor } from '../../src/tensor/creation.js';
import { manualSeed } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { assertClose, checkGradients } from '../helpers.js';
import { assertMetaLikeReal, constantMeta } from './meta_helpers.js';

test('values: max, average (with and without padding counted) and adaptive windows over the last dim', () => {
  const x = tensor([[[1, 5, 2, 4, 3]]]);
  assertClose(new MaxPool1d(2).call(x), [5, 4]);
  assertClose(new MaxPool1d(3, { stride: 2, padding: 1 }).call(x), [5, 5, 4]);
  assertClose(new AvgPool1d(2).call(x), [3, 3]);
  assertClose(new AvgPool1d(3, { stride: 2, padding: 1 }).call(x), [2, 11 / 3, 7 / 3]);
  assertClose(new AvgPool1d(3, { stride: 2, padding: 1, countIncludePad: false }).call(x), [3, 11 / 3, 3.5]);
  assertClose(new AdaptiveAvgPool1d(2).call(x), [8 / 3, 3]);
  manualSeed(2);
  checkGradients((t) => new AvgPool1d(3, { stride: 2, padding: 1, ceilMode: true }).call(t), [randn([2, 3, 8])]);
  checkGradients((t) => new AdaptiveAvgPool1d(3).call(t), [randn([3, 7])]);
});

test('meta calls have the real shape, batched and unbatched', () => {
  for (const shape of [[2, 3, 8], [3, 7], [1, 2, 9]]) {
    assertMetaLikeReal(new MaxPool1d(3, { stride: 2, padding: 1, ceilMode: true }), shape);
    assertMetaLikeReal(new AvgPool1d(2, { ceilMode: true }), shape);
    assertMetaLikeReal(new AdaptiveAvgPool1d(3), shape);
  }
});

test('too-small inputs: the same "Output size is too small" (height-1 wording) from meta and real calls, kind kernel', () => {
  for (const m of [new MaxPool1d(3), new AvgPool1d(3)]) {
    const e = assertMetaLikeReal(m, [1, 2, 2], { kind: 'kernel' });
    assert.ok(e instanceof RuntimeError);
    assert.equal(e.message, 'Given input size: (2x1x2). Calculated output size: (2x1x0). Output size is too small');
    assert.deepEqual(e.inputSize, [1, 2, 2]);
    assertMetaLikeReal(m, [2, 2], { kind: 'kernel', message: /\(2x1x2\)\. Calculated output size: \(2x1x0\)/ });
  }
  assertMetaLikeReal(new MaxPool1d(5, { dilation: 3 }), [1, 2, 4], { kind: 'kernel', message: /\(2x1x-1\)/ });
});

test('wrong ranks and bad arguments raise the same error from meta and real calls', () => {
  assertMetaLikeReal(new MaxPool1d(3), [2], { kind: 'rank', message: /^max_pool1d: Expected 2D or 3D \(batch mode\)/ });
  assertMetaLikeReal(new MaxPool1d(3), [1, 2, 2, 3], { kind: 'rank' });
  assertMetaLikeReal(new MaxPool1d(3), [1, 0, 4], { kind: 'rank' });
  assertMetaLikeReal(new AvgPool1d(3), [1, 2, 2, 3], { kind: 'rank', message: /Expected 2 to 3 dimensions, but got 4-dimensional tensor/ });
  assertMetaLikeReal(new AdaptiveAvgPool1d(3), [2], { kind: 'rank', message: /adaptive_avg_pool1d/ });
  assertMetaLikeReal(new AdaptiveAvgPool1d(3), [1, 2, 0], { kind: 'rank', message: /dimension 3 being empty/ });
  assertMetaLikeReal(new MaxPool1d(3, { padding: 2 }), [1, 2, 5], { kind: 'argument', message: /pad should be at most half/ });
  assertMetaLikeReal(new MaxPool1d([2, 2]), [1, 2, 5], { kind: 'argument', message: /should contain one int \(got 2\)/ });
  assertMetaLikeReal(new AvgPool1d(0), [1, 2, 5], { kind: 'argument', message: /^stride should not be zero$/ });
  assertMetaLikeReal(new AdaptiveAvgPool1d([3, 2]), [1, 2, 5], { kind: 'argument' });
});

test('max_pool1d without grad is PyTorch 1.13 own kernel: an empty output where no window fits, its own messages', () => {
  const x = randn([1, 2, 2]);
  assert.deepEqual(maxPool1d(x, 3).shape, [1, 2, 0]);
  assert.throws(() => maxPool1d(x, 5, { dilation: 3 }), /^RuntimeError|max_pool1d\(\) Invalid computed output size: -2/);
  assert.throws(() => maxPool1d(x, 3, { padding: 2 }), /max_pool1d\(\) padding should be at most half of kernel size/);
  // under noGrad the meta call takes the same path as the real one
  noGrad(() => assert.deepEqual(maxPool1d(Tensor.meta([1, 2, 2]), 3).shape, [1, 2, 0]));
  assertMetaLikeReal(new MaxPool1d(3), [1, 2, 2], { requiresGrad: true, kind: 'kernel' });
});

test('facts: max pooling keeps constant planes constant; a length-1 output is constant whatever its input', () => {
  assert.equal(new MaxPool1d(2).call(constantMeta([1, 2, 8])).facts.spatiallyConstant, true);
  assert.equal(new AvgPool1d(2).call(constantMeta([1, 2, 8])).facts.spatiallyConstant, true);
  assert.equal(new AvgPool1d(3, { padding: 1 }).call(constantMeta([1, 2, 8])).facts.spatiallyConstant, undefined);
  assert.equal(new AdaptiveAvgPool1d(1).call(Tensor.meta([1, 2, 8])).facts.spatiallyConstant, true);
});
