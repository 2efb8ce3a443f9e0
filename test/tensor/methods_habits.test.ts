/** The tensor methods PyTorch users reach for first; expected values printed by PyTorch 1.13. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IndexError, RuntimeError, arange, noGrad, onWarning, stack, tensor, type NormkitWarning } from '../../src/index.js';
import { inspect } from 'node:util';
import { assertClose } from '../helpers.js';

test('stack joins along a new dim with gradients, and raises PyTorch\'s errors', () => {
  const a = tensor([[1, 2], [3, 4]]).requiresGrad_();
  const b = tensor([[5, 6], [7, 8]]).requiresGrad_();
  const s = stack([a, b], 1);
  assert.deepEqual(s.tolist(), [[[1, 2], [5, 6]], [[3, 4], [7, 8]]]);
  s.mul(arange(8).reshape(2, 2, 2)).sum().backward();
  assert.deepEqual(a.grad!.tolist(), [[0, 1], [4, 5]]);
  assert.deepEqual(b.grad!.tolist(), [[2, 3], [6, 7]]);
  assert.deepEqual(stack([a, b]).shape, [2, 2, 2]);
  assert.deepEqual(stack([a, b], -1).tolist(), [[[1, 5], [2, 6]], [[3, 7], [4, 8]]]);
  assert.throws(() => stack([arange(6).reshape(2, 3), arange(8).reshape(2, 4)]), (e) => e instanceof RuntimeError && e.message === 'stack expects each tensor to be equal size, but got [2, 3] at entry 0 and [2, 4] at entry 1');
  assert.throws(() => stack([]), (e) => e instanceof RuntimeError && e.message === 'stack expects a non-empty TensorList');
  assert.throws(() => stack([a, a], 3), (e) => e instanceof IndexError && /expected to be in range of \[-3, 2\], but got 3/.test(e.message));
});

test('x.T transposes a matrix, keeps 0-d/1-d, and reverses other ranks with PyTorch\'s warning', () => {
  assert.deepEqual(arange(6).reshape(2, 3).T.tolist(), [[0, 3], [1, 4], [2, 5]]);
  assert.deepEqual(arange(2).T.tolist(), [0, 1]);
  const seen: NormkitWarning[] = [];
  const off = onWarning((w) => seen.push(w));
  try {
    const t = arange(24).reshape(2, 3, 4).T;
    assert.deepEqual(t.shape, [4, 3, 2]);
    assert.equal((t.tolist() as number[][][])[3]![2]![1], 1 * 12 + 2 * 4 + 3);
  } finally { off(); }
  // Warned once per process, as PyTorch's TORCH_WARN_ONCE (another test may have triggered it first).
  assert.ok(seen.length <= 1);
  if (seen.length === 1) assert.match(seen[0]!.message, /^The use of `x.T` on tensors of dimension other than 2 to reverse their shape is deprecated/);
  const g = arange(6).reshape(2, 3).requiresGrad_();
  g.T.mul(tensor([[1, 2], [3, 4], [5, 6]])).sum().backward();
  assert.deepEqual(g.grad!.tolist(), [[1, 3, 5], [2, 4, 6]]);
});

test('dim() and ndimension() are methods as in PyTorch, ndim stays a property', () => {
  const x = arange(24).reshape(2, 3, 4);
  assert.equal(x.dim(), 3);
  assert.equal(x.ndimension(), 3);
  assert.equal(x.ndim, 3);
  assert.equal(tensor(3).dim(), 0);
});

test('tolist gives nested arrays, a number for 0-d', () => {
  assert.equal(tensor(3).tolist(), 3);
  assert.deepEqual(arange(4).reshape(2, 2).tolist(), [[0, 1], [2, 3]]);
  assert.deepEqual(arange(0).tolist(), []);
});

test('softmax and logSoftmax methods match PyTorch', () => {
  const x = tensor([[1, 2, 3], [0, 0, 1]]);
  assertClose(x.softmax(1), [0.09003057330846786, 0.2447284758090973, 0.6652409434318542, 0.21194155514240265, 0.21194155514240265, 0.5761168599128723]);
  assertClose(x.logSoftmax(0), [-0.31326165795326233, -0.12692804634571075, -0.12692804634571075, -1.31326162815094, -2.1269280910491943, -2.1269280910491943]);
});

test('in-place add_/mul_/clamp_/fill_/zero_ write into the storage and return the tensor', () => {
  const t = tensor([[1, 1], [1, 1]]);
  const v = t.view(4);
  assert.equal(t.add_(tensor([1, 2]), 3), t);
  assert.deepEqual(t.tolist(), [[4, 7], [4, 7]]);
  assert.deepEqual(t.mul_(2).clamp_(0, 9).tolist(), [[8, 9], [8, 9]]);
  assert.deepEqual(v.tolist(), [8, 9, 8, 9]); // views share the storage
  assert.deepEqual(t.add_(1).tolist(), [[9, 10], [9, 10]]);
  assert.throws(() => t.add_(arange(8).reshape(2, 2, 2)), (e) => e instanceof RuntimeError && e.message === "output with shape [2, 2] doesn't match the broadcast shape [2, 2, 2]");
  assert.deepEqual(t.fill_(2.5).tolist(), [[2.5, 2.5], [2.5, 2.5]]);
  assert.deepEqual(t.zero_().tolist(), [[0, 0], [0, 0]]);
});

test('in-place ops on a leaf that requires grad: PyTorch\'s error with grad on, allowed under noGrad', () => {
  const w = tensor([1, 1]).requiresGrad_();
  const msg = 'a leaf Variable that requires grad is being used in an in-place operation.';
  for (const f of [() => w.add_(1), () => w.mul_(2), () => w.zero_(), () => w.fill_(1), () => w.clamp_(0, 1)]) {
    assert.throws(f, (e) => e instanceof RuntimeError && e.message === msg);
  }
  assert.deepEqual(w.tolist(), [1, 1]);
  noGrad(() => w.mul_(3).add_(tensor([1, 2])));
  assert.deepEqual(w.tolist(), [4, 5]);
  assert.equal(w.requiresGrad, true);
  // A non-leaf in a graph: normkit refuses (no version counters) rather than give wrong gradients.
  assert.throws(() => w.mul(2).add_(1), (e) => e instanceof RuntimeError && /not supported by normkit/.test(e.message));
});

test('console.log(tensor) prints PyTorch\'s repr', () => {
  assert.equal(inspect(tensor([1, 2])), 'tensor([1., 2.])');
  assert.equal(inspect(tensor([[1.5, 2], [3, 4]]).requiresGrad_()), 'tensor([[1.5000, 2.0000],\n        [3.0000, 4.0000]], requires_grad=True)');
  assert.equal(inspect(tensor([1, 2]).requiresGrad_().mul(2)), 'tensor([2., 4.], grad_fn=<MulBackward0>)');
});
