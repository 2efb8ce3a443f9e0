/**
 * Property tests: autograd through compositions of the primitives (the way the
 * norm layers are built) equals central finite differences, for random shapes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { cat, matmul } from '../../src/index.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { checkGradients } from '../helpers.js';
import { seedArb, seeded, shapeArb } from '../tensor/arbitraries.js';

test('property: a normalization composed of mean/var/sqrt has finite-difference gradients', () => {
  // [N, C, *spatial] with at least 3 spatial elements, so the variance is not tiny
  const arb = fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 }), shapeArb(2, 4, 1), seedArb);
  fc.assert(
    fc.property(arb, ([n, c, spatial, seed]) => {
      fc.pre(spatial.reduce((a, b) => a * b, 1) >= 3);
      const shape = [n, c, ...spatial];
      const dims = spatial.map((_, i) => i + 2);
      const norm = (x: Tensor, w: Tensor) => {
        const mu = x.mean(dims, { keepdim: true });
        const v = x.var(dims, { keepdim: true, unbiased: false });
        return x.sub(mu).div(v.add(1e-5).sqrt()).mul(w);
      };
      const w = seeded([c, ...spatial.map(() => 1)], seed + 1);
      checkGradients(norm, [seeded(shape, seed).mul(2).add(1), w], { atol: 3e-2, rtol: 3e-2 });
    }),
    { numRuns: 30, seed: 20261201 },
  );
});

test('property: softmax composed of exp/sum/div, and a two-layer matmul net', () => {
  fc.assert(
    fc.property(shapeArb(3, 4, 1), seedArb, (shape, seed) => {
      const last = shape.length - 1;
      const softmax = (x: Tensor) => {
        const e = x.sub(x.max(last, { keepdim: true }).detach()).exp();
        return e.div(e.sum(last, { keepdim: true }));
      };
      const x = seeded(shape, seed);
      checkGradients(softmax, [x]);
      const y = softmax(x);
      y.sum(last).data.forEach((s) => assert.ok(Math.abs(s - 1) < 1e-5));
    }),
    { numRuns: 30, seed: 20261202 },
  );
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }), seedArb, (b, h, o, seed) => {
      const net = (x: Tensor, w1: Tensor, w2: Tensor) => matmul(matmul(x, w1).clamp(0), w2);
      const x = seeded([b, 3], seed);
      const w1 = seeded([3, h], seed + 1);
      const w2 = seeded([h, o], seed + 2);
      // keep pre-activations away from relu's kink, where finite differences disagree
      fc.pre(Array.from(matmul(x, w1).data).every((v) => Math.abs(v) > 0.05));
      checkGradients(net, [x, w1, w2]);
    }),
    { numRuns: 30, seed: 20261203 },
  );
});

test('property: shape ops composed with reductions (cat, slice, permute, expand, mean)', () => {
  fc.assert(
    fc.property(shapeArb(3, 3, 2), seedArb, (shape, seed) => {
      const f = (x: Tensor) => {
        const p = x.permute([...shape.keys()].reverse());
        const both = cat([p, p.mul(p)], 0).slice(0, 1);
        return both.mean(0, { keepdim: true }).expand(2, ...both.shape.slice(1)).mul(both.slice(0, 0, 1));
      };
      checkGradients(f, [seeded(shape, seed)]);
    }),
    { numRuns: 30, seed: 20261204 },
  );
});
