/** Printing matches PyTorch's `repr` (default print options). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, arange, tensor, zeros } from '../../src/index.js';

test('integer-valued, fixed-point and scientific formats', () => {
  assert.equal(String(tensor([[1, 2], [3, 4]])), 'tensor([[1., 2.],\n        [3., 4.]])');
  assert.equal(String(tensor([1.5, -0.25])), 'tensor([ 1.5000, -0.2500])');
  assert.equal(String(tensor([100, 0.5])), 'tensor([100.0000,   0.5000])');
  assert.equal(String(tensor(3)), 'tensor(3.)');
  assert.equal(String(tensor([1e-5, 1])), 'tensor([1.0000e-05, 1.0000e+00])');
  assert.equal(String(tensor([0.5, 0.0004])), 'tensor([5.0000e-01, 4.0000e-04])'); // max/min > 1000
  assert.equal(String(tensor([1, 2000])), 'tensor([1.0000e+00, 2.0000e+03])');
  assert.equal(String(tensor([0, 1e9])), 'tensor([0.0000e+00, 1.0000e+09])');
  assert.equal(String(tensor([1, -Infinity, NaN])), 'tensor([1., -inf, nan])');
  assert.equal(String(tensor([0.5, NaN])), 'tensor([0.5000,    nan])');
});

test('3-D tensors separate blocks with a blank line', () => {
  assert.equal(String(zeros([2, 1, 2])), 'tensor([[[0., 0.]],\n\n        [[0., 0.]]])');
});

test('long rows wrap at 80 columns; large tensors are summarized', () => {
  assert.equal(
    String(arange(20)),
    'tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.,\n        14., 15., 16., 17., 18., 19.])',
  );
  assert.equal(
    String(arange(2000)),
    'tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n        1.9990e+03])',
  );
  assert.equal(String(arange(1001).reshape(7, 143).slice(1, 0, 1)), 'tensor([[  0.],\n        [143.],\n        [286.],\n        [429.],\n        [572.],\n        [715.],\n        [858.]])');
  const big = String(arange(1008).reshape(144, 7).add(10)); // max/min < 1000: integer format, width 5
  assert.match(big, /^tensor\(\[\[  10\.,   11\.,   12\.,  \.\.\.,   14\.,   15\.,   16\.\],\n {8}\[  17\./);
  assert.match(big, /\],\n {8}\.\.\.,\n {8}\[ 997\.,/);
});

test('suffixes: requires_grad, grad_fn, empty and meta tensors', () => {
  const x = tensor([1, 2], { requiresGrad: true });
  assert.equal(String(x), 'tensor([1., 2.], requires_grad=True)');
  assert.equal(String(x.mul(2)), 'tensor([2., 4.], grad_fn=<MulBackward0>)');
  assert.equal(String(zeros([0])), 'tensor([])');
  assert.equal(String(zeros([0, 3])), 'tensor([], size=(0, 3))');
  assert.equal(String(Tensor.meta([2, 3])), "tensor(..., device='meta', size=(2, 3))");
  assert.equal(String(Tensor.meta([5])), "tensor(..., device='meta', size=(5,))");
});
