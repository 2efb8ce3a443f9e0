/** Elementwise ops: values, broadcasting (shape rule and gradients), errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  RuntimeError, Tensor, TypeError, broadcastShapes, clamp, maximum, minimum, reciprocal, tensor, where,
} from '../../src/index.js';
import { assertClose, checkGradients } from '../helpers.js';
import { broadcastPairArb, seedArb, seeded, shapeArb } from './arbitraries.js';

test('arithmetic on hand-computable values', () => {
  const a = tensor([[1, 2], [3, 4]]);
  const b = tensor([[2, 4], [6, 8]]);
  assert.deepEqual(a.add(b).toArray(), [[3, 6], [9, 12]]);
  assert.deepEqual(b.sub(a).toArray(), [[1, 2], [3, 4]]);
  assert.deepEqual(a.mul(b).toArray(), [[2, 8], [18, 32]]);
  assert.deepEqual(b.div(a).toArray(), [[2, 2], [2, 2]]);
  assert.deepEqual(a.pow(2).toArray(), [[1, 4], [9, 16]]);
  assert.deepEqual(a.neg().toArray(), [[-1, -2], [-3, -4]]);
  assert.deepEqual(a.square().toArray(), [[1, 4], [9, 16]]);
  assertClose(tensor([1, 4, 16]).sqrt(), [1, 2, 4]);
  assertClose(tensor([1, 4, 16]).rsqrt(), [1, 0.5, 0.25]);
  assertClose(tensor([0, 1]).exp(), [1, Math.E]);
  assertClose(tensor([1, Math.E]).log(), [0, 1]);
  assertClose(tensor([-2, 0, 3]).abs(), [2, 0, 3]);
  assertClose(reciprocal(tensor([2, -4])), [0.5, -0.25]);
  assertClose(clamp(tensor([-2, 0.5, 3]), 0, 1), [0, 0.5, 1]);
  assertClose(maximum(tensor([1, 5, NaN]), tensor([3, 2, 0])), [3, 5, NaN]);
  assertClose(minimum(tensor([1, 5]), tensor([3, 2])), [1, 2]);
  assertClose(where(tensor([1, 0, 2]), tensor([10, 20, 30]), -1), [10, -1, 30]);
});

test('broadcasting: row, column, scalar, leading dims', () => {
  const m = tensor([[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual(m.add(tensor([10, 20, 30])).toArray(), [[11, 22, 33], [14, 25, 36]]);
  assert.deepEqual(m.mul(tensor([[1], [-1]])).toArray(), [[1, 2, 3], [-4, -5, -6]]);
  assert.deepEqual(m.sub(1).toArray(), [[0, 1, 2], [3, 4, 5]]);
  const outer = tensor([[1], [2]]).mul(tensor([[1, 10, 100]]));
  assert.deepEqual(outer.toArray(), [[1, 10, 100], [2, 20, 200]]);
  assert.deepEqual(tensor(2).mul(tensor([[[1, 2]]])).shape, [1, 1, 2]);
  assert.deepEqual(broadcastShapes([5, 1, 4], [3, 1]), [5, 3, 4]);
  assert.deepEqual(broadcastShapes([], [2, 3]), [2, 3]);
});

test('gradients of broadcast operands are summed back to their shapes', () => {
  const a = tensor([[1], [2]], { requiresGrad: true });
  const b = tensor([10, 20, 30], { requiresGrad: true });
  a.mul(b).sum().backward();
  assert.deepEqual(a.grad!.toArray(), [[60], [60]]);
  assert.deepEqual(b.grad!.toArray(), [3, 3, 3]);
  const s = tensor(3, { requiresGrad: true });
  tensor([[1, 2], [3, 4]]).mul(s).sum().backward();
  assert.equal(s.grad!.item(), 10);
  assert.deepEqual(s.grad!.shape, []);
});

test('gradients of the unary ops and pow at known points', () => {
  const x = tensor([1, 4], { requiresGrad: true });
  x.sqrt().sum().backward();
  assertClose(x.grad!, [0.5, 0.25]);
  const p = tensor([2, 3], { requiresGrad: true });
  const e = tensor([3, 2], { requiresGrad: true });
  p.pow(e).sum().backward();
  assertClose(p.grad!, [12, 6]); // e * p^(e-1)
  assertClose(e.grad!, [8 * Math.log(2), 9 * Math.log(3)]); // p^e ln p
  const c = tensor([-1, 0.5, 2], { requiresGrad: true });
  clamp(c, 0, 1).sum().backward();
  assertClose(c.grad!, [0, 1, 0]);
  const w = tensor([1, 2], { requiresGrad: true });
  where(tensor([1, 0]), w, 0).sum().backward();
  assertClose(w.grad!, [1, 0]);
});

test('bad broadcasts raise RuntimeError naming both sizes; non-tensors raise TypeError', () => {
  assert.throws(() => tensor([1, 2, 3]).add(tensor([1, 2])), (e) =>
    e instanceof RuntimeError && /size of tensor a \(3\) must match the size of tensor b \(2\) at non-singleton dimension 0/.test(e.message));
  assert.throws(() => tensor([[1, 2, 3]]).mul(tensor([[1], [2]]).reshape(1, 2)), RuntimeError);
  assert.throws(() => tensor([1]).add('2' as unknown as Tensor), TypeError);
});

test('property: the broadcast shape rule is symmetric, and a + b == b + a', () => {
  fc.assert(
    fc.property(broadcastPairArb, seedArb, ([sa, sb], seed) => {
      assert.deepEqual(broadcastShapes(sa, sb), broadcastShapes(sb, sa));
      const a = seeded(sa, seed);
      const b = seeded(sb, seed + 1);
      assert.deepEqual(a.add(b).toArray(), b.add(a).toArray());
    }),
    { numRuns: 60 },
  );
  fc.assert(
    fc.property(shapeArb(3, 4, 1), shapeArb(3, 4, 1), (sa, sb) => {
      const fails = (f: () => unknown) => { try { f(); return false; } catch (e) { assert.ok(e instanceof RuntimeError); return true; } };
      assert.equal(fails(() => broadcastShapes(sa, sb)), fails(() => broadcastShapes(sb, sa)));
    }),
    { numRuns: 100 },
  );
});

test('property: elementwise gradients equal finite differences, broadcasting included', () => {
  fc.assert(
    fc.property(broadcastPairArb, seedArb, fc.constantFrom('add', 'sub', 'mul', 'div', 'maximum'), ([sa, sb], seed, op) => {
      const a = seeded(sa, seed);
      const b = seeded(sb, seed + 7);
      if (op === 'div') b.data.forEach((v, i) => (b.data[i] = Math.sign(v || 1) * (Math.abs(v) + 1)));
      if (op === 'maximum') b.data.forEach((v, i) => (b.data[i] = v + 0.5)); // keep ties away from the kink
      const f = { add: (x: Tensor, y: Tensor) => x.add(y), sub: (x: Tensor, y: Tensor) => x.sub(y), mul: (x: Tensor, y: Tensor) => x.mul(y), div: (x: Tensor, y: Tensor) => x.div(y), maximum }[op];
      if (op === 'maximum') {
        fc.pre(Array.from(a.add(b.mul(0)).sub(b).data).every((d) => Math.abs(d) > 0.05));
      }
      checkGradients(f, [a, b]);
    }),
    { numRuns: 40 },
  );
  fc.assert(
    fc.property(shapeArb(3, 4), seedArb, fc.constantFrom('exp', 'log', 'sqrt', 'rsqrt', 'square', 'abs', 'neg'), (shape, seed, op) => {
      const x = seeded(shape, seed);
      if (op === 'log' || op === 'sqrt' || op === 'rsqrt') x.data.forEach((v, i) => (x.data[i] = Math.abs(v) + 0.5));
      if (op === 'abs') x.data.forEach((v, i) => (x.data[i] = v + Math.sign(v || 1) * 0.1));
      checkGradients((t) => (t[op] as () => Tensor).call(t), [x]);
    }),
    { numRuns: 40 },
  );
});
