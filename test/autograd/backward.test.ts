/** backward(): accumulation, shared subgraphs, noGrad, detach, leaves, errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RuntimeError, isGradEnabled, noGrad, tensor, withGradMode } from '../../src/index.js';
import { assertClose } from '../helpers.js';

test('gradients accumulate into .grad across backward calls until reset', () => {
  const x = tensor([1, 2, 3], { requiresGrad: true });
  x.mul(2).sum().backward();
  assert.deepEqual(x.grad!.toArray(), [2, 2, 2]);
  x.mul(x).sum().backward();
  assert.deepEqual(x.grad!.toArray(), [4, 6, 8]);
  x.grad = null;
  x.sum().backward();
  assert.deepEqual(x.grad!.toArray(), [1, 1, 1]);
});

test('a tensor used twice gets the sum of both paths (x*x + x)', () => {
  const x = tensor([3, -1], { requiresGrad: true });
  const y = x.mul(x).add(x);
  y.backward(tensor([1, 10]));
  assert.deepEqual(x.grad!.toArray(), [7, -10]); // (2x + 1) * g
  // a diamond: a = 2x, b = a + 1, c = a * b -> dc/dx = 2(2a + 1)
  const z = tensor([1], { requiresGrad: true });
  const a = z.mul(2);
  a.mul(a.add(1)).backward(tensor([1]));
  assert.deepEqual(z.grad!.toArray(), [10]);
});

test('only leaves that require grad receive .grad; intermediates and constants do not', () => {
  const w = tensor([2], { requiresGrad: true });
  const c = tensor([5]);
  const h = w.mul(c);
  assert.equal(h.isLeaf, false);
  assert.equal(h.requiresGrad, true);
  h.sum().backward();
  assert.deepEqual(w.grad!.toArray(), [5]);
  assert.equal(c.grad, null);
  assert.equal(h.grad, null);
  assert.throws(() => h.requiresGrad_(false), RuntimeError);
});

test('noGrad records nothing and restores the mode, even after a throw', () => {
  const x = tensor([1, 2], { requiresGrad: true });
  const y = noGrad(() => x.mul(3));
  assert.equal(y.requiresGrad, false);
  assert.equal(y.gradNode, null);
  assert.equal(isGradEnabled(), true);
  assert.throws(() => noGrad(() => { throw new RuntimeError('boom'); }));
  assert.equal(isGradEnabled(), true);
  const z = noGrad(() => withGradMode(true, () => x.mul(3)));
  assert.equal(z.requiresGrad, true);
});

test('detach cuts the graph: no gradient flows through the detached branch', () => {
  const x = tensor([2, 3], { requiresGrad: true });
  const y = x.mul(x.detach()); // d/dx = x (the detached factor is a constant)
  y.sum().backward();
  assert.deepEqual(x.grad!.toArray(), [2, 3]);
});

test('errors: no grad_fn, implicit gradient of a non-scalar, gradient of the wrong shape', () => {
  assert.throws(() => tensor([1]).sum().backward(), (e) => e instanceof RuntimeError && /does not require grad/.test(e.message));
  const x = tensor([1, 2], { requiresGrad: true });
  assert.throws(() => x.mul(2).backward(), /grad can be implicitly created only for scalar outputs/);
  assert.throws(() => x.mul(2).backward(tensor([1, 2, 3])), /Mismatch in shape/);
});

test('a long chain does not overflow the stack', () => {
  const x = tensor([1], { requiresGrad: true });
  let y = x;
  for (let i = 0; i < 5000; i++) y = y.mul(1.0001);
  y.sum().backward();
  assertClose(x.grad!, [Math.pow(1.0001, 5000)], 1e-4, 1e-3);
});
