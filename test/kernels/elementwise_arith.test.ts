/**
 * mapBinary's arithmetic runs (kernels/elementwise.ts: add, sub, mul, div in
 * loops of their own along broadcast runs) against its general walk calling
 * the op per element: the same float32 values, bit for bit, on random
 * broadcast shapes (a [N, C, 1, 1] scale, a bias over rows, scalars, both ways).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mapBinary, mapUnary, unaryLoop, type Arith, type UnaryOp } from '../../src/kernels/elementwise.js';
import { clamp } from '../../src/ops/elementwise.js';
import { gemmBackend } from '../../src/kernels/gemm.js';
import { tensor } from '../../src/tensor/creation.js';
import { broadcastShapes, numel } from '../../src/tensor/shape.js';

const F: Record<Arith, (x: number, y: number) => number> = { add: (x, y) => x + y, sub: (x, y) => x - y, mul: (x, y) => x * y, div: (x, y) => x / y };

test('the arithmetic runs equal the per-element walk on every broadcast', () => {
  const shapes = fc
    .array(fc.integer({ min: 1, max: 6 }), { minLength: 0, maxLength: 5 })
    .chain((out) =>
      fc.tuple(
        fc.constant(out),
        fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }),
        fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }),
        fc.integer({ min: 0, max: out.length }),
        fc.integer({ min: 0, max: out.length }),
      ),
    )
    .map(([out, ka, kb, da, db]) => [out.slice(da).map((d, i) => (ka[i + da] ? 1 : d)), out.slice(db).map((d, i) => (kb[i + db] ? 1 : d))] as const);
  fc.assert(
    fc.property(shapes, fc.constantFrom<Arith>('add', 'sub', 'mul', 'div'), fc.boolean(), ([as, bs], op, swap) => {
      const [aShape, bShape] = swap ? [bs, as] : [as, bs];
      const out = broadcastShapes(aShape, bShape);
      const a = Float32Array.from({ length: numel(aShape) }, (_, i) => Math.sin(i + 1) * 3);
      const b = Float32Array.from({ length: numel(bShape) }, (_, i) => (i % 7 === 3 ? 0 : Math.cos(i) * 2));
      const want = mapBinary(a, aShape, b, bShape, out, F[op]);
      const got = mapBinary(a, aShape, b, bShape, out, F[op], op);
      assert.equal(got.length, want.length);
      for (let i = 0; i < want.length; i++) assert.ok(Object.is(got[i], want[i]) || (Number.isNaN(got[i]) && Number.isNaN(want[i])), `${op} [${aShape}] [${bShape}] at ${i}: ${got[i]} vs ${want[i]}`);
    }),
    { seed: 9, numRuns: 1500 },
  );
});

const SPECIALS = [NaN, Infinity, -Infinity, 0, -0, 1e-40, -3.5];

/** x (of xShape) op v and v op x for a v of vShape (specials among its values), every op, against the per-element walk bit for bit. */
function bothOrdersEveryOp(xShape: number[], x: Float32Array, vShape: number[]): void {
  const n = x.length;
  const v = Float32Array.from({ length: numel(vShape) }, (_, i) => (i % 4 === 1 ? SPECIALS[i % SPECIALS.length]! : Math.cos(i) * 2 + 0.5));
  for (const op of ['add', 'sub', 'mul', 'div'] as const) {
    for (const [aS, a, bS, b] of [[xShape, x, vShape, v], [vShape, v, xShape, x]] as const) {
      const want = mapBinary(a, aS, b, bS, xShape, F[op]);
      const got = mapBinary(a, aS, b, bS, xShape, F[op], op);
      for (let i = 0; i < n; i++) assert.ok(Object.is(got[i], want[i]) || (Number.isNaN(got[i]) && Number.isNaN(want[i])), `${op} [${aS}] [${bS}] at ${i}: ${got[i]} vs ${want[i]}`);
    }
  }
}

test('a per-channel value over whole planes (an SE block\'s scale: wasm heldRuns) equals the per-element walk bit for bit, both operand orders, every op, tails, NaN, infinities and signed zeros', () => {
  assert.equal(gemmBackend, 'wasm-simd', 'the wasm kernels run (else this tests the TypeScript loops twice)');
  for (const [N, C, H, W] of [[2, 3, 5, 10], [1, 5, 8, 8], [3, 2, 7, 9], [1, 40, 100, 100]] as const) {
    const xShape = [N, C, H, W];
    const n = N * C * H * W;
    const x = Float32Array.from({ length: n }, (_, i) => (i % 13 === 0 ? SPECIALS[(i / 13) % SPECIALS.length]! : Math.sin(i) * 4));
    for (const vShape of [[N, C, 1, 1], [1, C, 1, 1], [C, 1, 1]]) bothOrdersEveryOp(xShape, x, vShape);
  }
});

test('a [C] vector over [..., C] (ConvNeXt\'s layer scale: wasm cycRuns) equals the per-element walk bit for bit, both operand orders, every op, tails, NaN, infinities and signed zeros', () => {
  assert.equal(gemmBackend, 'wasm-simd', 'the wasm kernels run (else this tests the TypeScript loops twice)');
  for (const xShape of [[2, 5, 17], [1, 7, 9, 32], [3, 16], [1, 300, 1000]]) {
    const C = xShape[xShape.length - 1]!;
    const n = numel(xShape);
    const x = Float32Array.from({ length: n }, (_, i) => (i % 13 === 0 ? SPECIALS[(i / 13) % SPECIALS.length]! : Math.sin(i) * 4));
    for (const vShape of [[C], [1, C], xShape.map((d, i) => (i === xShape.length - 1 ? d : 1))]) bothOrdersEveryOp(xShape, x, vShape);
  }
});

test('the unary loops equal mapUnary of the same function, bit for bit', () => {
  const F: Record<UnaryOp, (v: number) => number> = { neg: (v) => -v, exp: Math.exp, log: Math.log, sqrt: Math.sqrt, rsqrt: (v) => 1 / Math.sqrt(v), abs: Math.abs, reciprocal: (v) => 1 / v };
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.float({ noNaN: false }), fc.constantFrom(0, -0, Infinity, -Infinity, NaN)), { maxLength: 50 }), (xs) => {
      const x = Float32Array.from(xs);
      for (const op of Object.keys(F) as UnaryOp[]) {
        const want = mapUnary(x, F[op]);
        const got = unaryLoop(op, x);
        for (let i = 0; i < x.length; i++) assert.ok(Object.is(got[i], want[i]) || (Number.isNaN(got[i]) && Number.isNaN(want[i])), `${op}(${x[i]})`);
      }
    }),
    { seed: 13, numRuns: 300 },
  );
});

test('clamp: min(max(x, lo), hi) as PyTorch (NaN kept; all of it max when min > max; one bound alone)', () => {
  const x = tensor([-3, -0.5, 0, 0.5, 3, NaN]);
  assert.deepEqual(Array.from(clamp(x, -1, 1).data).map(String), ['-1', '-0.5', '0', '0.5', '1', 'NaN']);
  assert.deepEqual(Array.from(clamp(x, 2, 1).data).map(String), ['1', '1', '1', '1', '1', 'NaN']);
  assert.deepEqual(Array.from(clamp(x, 0).data).map(String), ['0', '0', '0', '0.5', '3', 'NaN']);
  assert.deepEqual(Array.from(clamp(x, undefined, 0).data).map(String), ['-3', '-0.5', '0', '0', '0', 'NaN']);
  const big = clamp(tensor(Float32Array.from({ length: 5000 }, (_, i) => i / 500 - 5)), -1, 2).data;
  for (let i = 0; i < big.length; i++) assert.equal(big[i], Math.min(Math.max(Math.fround(i / 500 - 5), -1), 2));
});
