/** Reductions: sum/mean/var/std/max/min/argmax over dims, keepdim, unbiased; gradients; errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IndexError, RuntimeError, manualSeed, randn, tensor, zeros } from '../../src/index.js';
import { assertClose, checkGradients } from '../helpers.js';
import { seedArb, seeded, shapeArb } from './arbitraries.js';

const m = () => tensor([[1, 2, 3], [4, 5, 6]]);

test('sum and mean over all dims, one dim, several dims, negative dims, keepdim', () => {
  assert.equal(m().sum().item(), 21);
  assert.deepEqual(m().sum().shape, []);
  assert.deepEqual(m().sum(0).toArray(), [5, 7, 9]);
  assert.deepEqual(m().sum(-1).toArray(), [6, 15]);
  assert.deepEqual(m().sum(1, { keepdim: true }).toArray(), [[6], [15]]);
  assert.deepEqual(m().sum([0, 1], { keepdim: true }).shape, [1, 1]);
  assert.deepEqual(m().mean(0).toArray(), [2.5, 3.5, 4.5]);
  assert.deepEqual(m().mean(1).toArray(), [2, 5]);
  const x = tensor([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]);
  assert.deepEqual(x.sum([0, 2]).toArray(), [1 + 2 + 5 + 6, 3 + 4 + 7 + 8]);
  assert.deepEqual(x.mean([-1, -2], { keepdim: true }).toArray(), [[[2.5]], [[6.5]]]);
  assert.equal(tensor(5).sum(0).item(), 5); // a 0-d tensor accepts dim 0
});

test('var and std: unbiased by default, population with unbiased=false or correction=0', () => {
  assertClose(m().var(1), [1, 1]);
  assertClose(m().var(1, { unbiased: false }), [2 / 3, 2 / 3]);
  assertClose(m().var(1, { correction: 0, keepdim: true }), [2 / 3, 2 / 3]);
  assert.deepEqual(m().var(1, { keepdim: true }).shape, [2, 1]);
  assertClose(m().var(0), [4.5, 4.5, 4.5]);
  assertClose(m().var(), [3.5]);
  assertClose(m().std(), [Math.sqrt(3.5)]);
  assertClose(m().std(1, { unbiased: false }), [Math.sqrt(2 / 3), Math.sqrt(2 / 3)]);
  assert.ok(Number.isNaN(tensor([1]).var().item())); // one value, N - 1 = 0
});

test('var is numerically stable for mean 1e4 plus unit noise', () => {
  manualSeed(5);
  const noise = randn([2000]);
  const shifted = noise.add(1e4);
  // float32 storage of 1e4 + noise keeps ~1e-3 absolute precision: the variance must survive it
  assertClose(shifted.var(), [noise.var().item()], 2e-3, 1e-3);
  assertClose(shifted.std(0, { unbiased: false }), [noise.std(0, { unbiased: false }).item()], 2e-3, 1e-3);
});

test('max, min and argmax values along dims', () => {
  const x = tensor([[1, 7, 3], [9, 0, 2]]);
  assert.deepEqual(x.max(1).toArray(), [7, 9]);
  assert.deepEqual(x.min(0).toArray(), [1, 0, 2]);
  assert.deepEqual(x.max(0, { keepdim: true }).toArray(), [[9, 7, 3]]);
  assert.equal(x.max().item(), 9);
  assert.equal(x.min().item(), 0);
  assert.deepEqual(x.argmax(1).toArray(), [1, 0]);
  assert.ok(Number.isNaN(tensor([1, NaN, 3]).max().item()));
});

test('gradients: sum/mean spread, var 2(x - mean)/(N - 1), max routes to the arg-max', () => {
  const x = tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
  x.mean(1).sum().backward();
  assertClose(x.grad!, Array(6).fill(1 / 3));
  const v = tensor([[1, 2, 3], [4, 6, 8]], { requiresGrad: true });
  v.var(1).sum().backward();
  assertClose(v.grad!, [-1, 0, 1, -2, 0, 2]);
  const a = tensor([[1, 7, 3], [9, 0, 2]], { requiresGrad: true });
  a.max(1).backward(tensor([10, 20]));
  assert.deepEqual(a.grad!.toArray(), [[0, 10, 0], [20, 0, 0]]);
  const b = tensor([[1, 7, 3], [9, 0, 2]], { requiresGrad: true });
  b.min(0).backward(tensor([1, 2, 3]));
  assert.deepEqual(b.grad!.toArray(), [[1, 0, 0], [0, 2, 3]]);
});

test('max()/min() over everything split the gradient evenly among ties, as PyTorch', () => {
  const x = tensor([1, 5, 5, 2], { requiresGrad: true });
  x.max().backward();
  assert.deepEqual(x.grad!.toArray(), [0, 0.5, 0.5, 0]);
  const y = tensor([[0, 3], [0, 0]], { requiresGrad: true });
  y.min().mul(6).backward();
  assert.deepEqual(y.grad!.toArray(), [[2, 0], [2, 2]]);
});

test('errors: IndexError for bad dims, RuntimeError for repeated dims and empty reductions', () => {
  assert.throws(() => m().sum(2), (e) => e instanceof IndexError && /range of \[-2, 1\], but got 2/.test(e.message));
  assert.throws(() => m().mean(-3), IndexError);
  assert.throws(() => m().var([0, 0]), RuntimeError);
  assert.throws(() => m().max(5), IndexError);
  assert.throws(() => zeros([0]).max(), RuntimeError);
  assert.throws(() => zeros([2, 0]).max(1), RuntimeError);
});

test('property: reduction gradients equal finite differences over random dims', () => {
  const dimsArb = shapeArb(3, 4, 1).chain((shape) =>
    fc.tuple(fc.constant(shape), fc.subarray(shape.map((_, i) => i), { minLength: 1 }), fc.boolean()));
  fc.assert(
    fc.property(dimsArb, seedArb, fc.constantFrom('sum', 'mean', 'var', 'std', 'varPop'), ([shape, dims, keepdim], seed, op) => {
      const n = dims.reduce((p, d) => p * shape[d]!, 1);
      fc.pre(!(op === 'var' || op === 'std') || n > 1);
      fc.pre(op !== 'std' || n > 2); // std's gradient blows up where the variance is near 0
      const x = seeded(shape, seed);
      checkGradients((t) => {
        if (op === 'varPop') return t.var(dims, { keepdim, unbiased: false });
        return t[op](dims, { keepdim });
      }, [x], { atol: 3e-2, rtol: 3e-2 });
    }),
    { numRuns: 60 },
  );
});

test('property: keepdim only inserts size-1 dims; sum over all dims equals sum of sums', () => {
  fc.assert(
    fc.property(shapeArb(4, 4, 1), seedArb, (shape, seed) => {
      const x = seeded(shape, seed);
      const last = shape.length - 1;
      const kept = x.sum(last, { keepdim: true });
      assert.deepEqual(kept.shape, [...shape.slice(0, -1), 1]);
      assert.deepEqual(Array.from(kept.data), Array.from(x.sum(last).data));
      assertClose(x.sum(), [Array.from(x.data).reduce((a, b) => a + b, 0)], 1e-4, 1e-4);
    }),
    { numRuns: 50 },
  );
});
