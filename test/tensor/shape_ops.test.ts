/** Shape ops: reshape/view, permute, transpose, squeeze/unsqueeze, expand, cat, slice, flatten. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IndexError, RuntimeError, arange, cat, tensor } from '../../src/index.js';
import { checkGradients } from '../helpers.js';
import { seedArb, seeded, shapeArb } from './arbitraries.js';

test('reshape infers -1, and views share storage', () => {
  const x = arange(6);
  assert.deepEqual(x.reshape(2, -1).toArray(), [[0, 1, 2], [3, 4, 5]]);
  assert.deepEqual(x.reshape([3, 2]).shape, [3, 2]);
  const v = x.view(2, 3);
  v.data[0] = 42;
  assert.equal(x.data[0], 42);
  assert.deepEqual(arange(24).reshape(2, 3, 4).flatten(1).shape, [2, 12]);
  assert.deepEqual(arange(24).reshape(2, 3, 4).flatten().shape, [24]);
  assert.deepEqual(tensor(3).flatten().shape, [1]);
});

test('reshape errors are RuntimeErrors with the sizes', () => {
  assert.throws(() => arange(3).reshape(2, 2), (e) => e instanceof RuntimeError && /shape '\[2, 2\]' is invalid for input of size 3/.test(e.message));
  assert.throws(() => arange(6).reshape(-1, -1), /only one dimension can be inferred/);
  assert.throws(() => arange(6).reshape(4, -1), RuntimeError);
});

test('permute and transpose move values and gradients', () => {
  const x = arange(6).reshape(2, 3).requiresGrad_();
  const t = x.transpose(0, 1);
  assert.deepEqual(t.toArray(), [[0, 3], [1, 4], [2, 5]]);
  t.backward(tensor([[1, 2], [3, 4], [5, 6]]));
  assert.deepEqual(x.grad!.toArray(), [[1, 3, 5], [2, 4, 6]]);
  const y = arange(24).reshape(2, 3, 4);
  const p = y.permute(2, 0, 1);
  assert.deepEqual(p.shape, [4, 2, 3]);
  assert.equal((p.toArray() as number[][][])[3]![1]![2], 1 * 12 + 2 * 4 + 3); // p[i][j][k] = y[j][k][i]
  assert.throws(() => y.permute(0, 1), RuntimeError);
  assert.throws(() => y.permute(0, 1, 1), RuntimeError);
  assert.throws(() => y.permute(0, 1, 3), IndexError);
});

test('squeeze, unsqueeze', () => {
  const x = arange(3).reshape(1, 3, 1);
  assert.deepEqual(x.squeeze().shape, [3]);
  assert.deepEqual(x.squeeze(0).shape, [3, 1]);
  assert.deepEqual(x.squeeze(1).shape, [1, 3, 1]); // not size 1: unchanged
  assert.deepEqual(arange(3).unsqueeze(0).shape, [1, 3]);
  assert.deepEqual(arange(3).unsqueeze(-1).shape, [3, 1]);
  assert.throws(() => arange(3).unsqueeze(2), IndexError);
  assert.throws(() => x.squeeze(3), IndexError);
});

test('expand repeats size-1 dims; its gradient sums them back', () => {
  const x = tensor([[1], [2]], { requiresGrad: true });
  const e = x.expand(2, 3);
  assert.deepEqual(e.toArray(), [[1, 1, 1], [2, 2, 2]]);
  assert.deepEqual(tensor([5]).expand(3).toArray(), [5, 5, 5]);
  assert.deepEqual(x.expand(4, -1, 3).shape, [4, 2, 3]);
  e.backward(tensor([[1, 2, 3], [4, 5, 6]]));
  assert.deepEqual(x.grad!.toArray(), [[6], [15]]);
  assert.throws(() => x.expand(3, 3), (err) => err instanceof RuntimeError && /expanded size of the tensor \(3\) must match the existing size \(2\)/.test(err.message));
  assert.throws(() => x.expand(3), RuntimeError);
});

test('cat joins along a dim and splits the gradient back', () => {
  const a = tensor([[1, 2]], { requiresGrad: true });
  const b = tensor([[3, 4]], { requiresGrad: true });
  const c = cat([a, b], 0);
  assert.deepEqual(c.toArray(), [[1, 2], [3, 4]]);
  assert.deepEqual(cat([a, tensor([[9]])], -1).toArray(), [[1, 2, 9]]);
  c.backward(tensor([[1, 2], [3, 4]]));
  assert.deepEqual(a.grad!.toArray(), [[1, 2]]);
  assert.deepEqual(b.grad!.toArray(), [[3, 4]]);
  assert.throws(() => cat([a, tensor([[1, 2, 3]])], 0), /Sizes of tensors must match except in dimension 0/);
  assert.throws(() => cat([a, tensor([1, 2])], 0), /same number of dimensions/);
  assert.throws(() => cat([a], 2), IndexError);
  assert.throws(() => cat([], 0), RuntimeError);
});

test('slice clamps like Python, supports steps, and scatters the gradient', () => {
  const x = arange(6).requiresGrad_();
  assert.deepEqual(x.slice(0, -3).toArray(), [3, 4, 5]);
  assert.deepEqual(x.slice(0, 1, 100, 2).toArray(), [1, 3, 5]);
  assert.deepEqual(x.slice(0, 4, 2).toArray(), []);
  const s = x.slice(0, 0, 6, 3);
  s.backward(tensor([10, 20]));
  assert.deepEqual(x.grad!.toArray(), [10, 0, 0, 20, 0, 0]);
  const m = arange(12).reshape(3, 4);
  assert.deepEqual(m.slice(1, 1, 3).toArray(), [[1, 2], [5, 6], [9, 10]]);
  assert.throws(() => x.slice(0, 0, 2, 0), RuntimeError);
});

test('detach shares storage without the graph; clone copies with it', () => {
  const x = tensor([1, 2], { requiresGrad: true });
  const d = x.detach();
  assert.equal(d.requiresGrad, false);
  assert.equal(d.data, x.data);
  const c = x.clone();
  assert.notEqual(c.data, x.data);
  c.mul(3).sum().backward();
  assert.deepEqual(x.grad!.toArray(), [3, 3]);
});

test('property: reshape and permute round trips are the identity', () => {
  fc.assert(
    fc.property(shapeArb(4, 4, 1), seedArb, (shape, seed) => {
      const x = seeded(shape, seed);
      assert.deepEqual(x.flatten().reshape(shape).toArray(), x.toArray());
      assert.deepEqual(x.reshape(-1, 1).reshape(shape).toArray(), x.toArray());
    }),
    { numRuns: 50 },
  );
  fc.assert(
    fc.property(shapeArb(4, 4, 1).chain((s) => fc.tuple(fc.constant(s), fc.shuffledSubarray(s.map((_, i) => i), { minLength: s.length }))), seedArb, ([shape, perm], seed) => {
      const x = seeded(shape, seed);
      const inv = new Array<number>(perm.length);
      perm.forEach((p, i) => (inv[p] = i));
      const y = x.permute(perm);
      assert.deepEqual(y.shape, perm.map((p) => shape[p]));
      assert.deepEqual(y.permute(inv).toArray(), x.toArray());
    }),
    { numRuns: 50 },
  );
});

test('property: shape-op gradients equal finite differences', () => {
  const arb = shapeArb(3, 4, 1).chain((shape) =>
    fc.record({
      shape: fc.constant(shape),
      perm: fc.shuffledSubarray(shape.map((_, i) => i), { minLength: shape.length }),
      dim: fc.integer({ min: 0, max: shape.length - 1 }),
      start: fc.integer({ min: -4, max: 3 }),
      step: fc.integer({ min: 1, max: 2 }),
      rep: fc.integer({ min: 1, max: 3 }),
      seed: seedArb,
    }));
  fc.assert(
    fc.property(arb, ({ shape, perm, dim, start, step, rep, seed }) => {
      const x = seeded(shape, seed);
      checkGradients((t) => t.permute(perm).mul(t.permute(perm)), [x]);
      checkGradients((t) => t.reshape(-1).mul(2), [x]);
      checkGradients((t) => t.slice(dim, start, undefined, step).square(), [x]);
      checkGradients((t) => cat([t, t.mul(t)], dim), [x]);
      checkGradients((t) => t.unsqueeze(0).expand(rep, ...shape).mul(t), [x]);
    }),
    { numRuns: 30 },
  );
});
