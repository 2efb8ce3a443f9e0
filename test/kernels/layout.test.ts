/**
 * permuteData (kernels/layout.ts) against the definition out[i_perm] = x[i]
 * on random shapes and permutations: the merged-dims walk and the tiled
 * 2-D transposes (NCHW <-> NHWC, [B, N, C] <-> [B, C, N]) it takes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { permuteData } from '../../src/kernels/layout.js';
import { numel, stridesOf } from '../../src/tensor/shape.js';

function reference(x: Float32Array, shape: number[], perm: number[]): Float32Array {
  const outShape = perm.map((p) => shape[p]!);
  const inStrides = stridesOf(shape);
  const out = new Float32Array(x.length);
  const idx = new Array<number>(shape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    out[o] = x[idx.reduce((s, v, k) => s + v * inStrides[perm[k]!]!, 0)]!;
    for (let d = outShape.length - 1; d >= 0; d--) {
      if (++idx[d]! < outShape[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}

test('permuteData equals the definition on every shape and permutation (sizes 0-70, ranks 1-5)', () => {
  const shapePerm = fc
    .array(fc.oneof(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 70 })), { minLength: 1, maxLength: 5 })
    .filter((s) => numel(s) <= 40000)
    .chain((shape) => fc.tuple(fc.constant(shape), fc.shuffledSubarray([...shape.keys()], { minLength: shape.length, maxLength: shape.length })));
  fc.assert(
    fc.property(shapePerm, ([shape, perm]) => {
      const x = Float32Array.from({ length: numel(shape) }, (_, i) => i + 0.5);
      assert.deepEqual(permuteData(x, shape, perm), reference(x, shape, perm), `[${shape}] by [${perm}]`);
    }),
    { seed: 21, numRuns: 400 },
  );
});

test('the layouts of real models: NCHW -> NHWC and back, attention head splits', () => {
  for (const [shape, perm] of [
    [[2, 96, 56, 56], [0, 2, 3, 1]],
    [[2, 56, 56, 96], [0, 3, 1, 2]],
    [[2, 17, 4, 16], [0, 2, 1, 3]],
    [[3, 2, 8, 4, 16], [2, 0, 3, 1, 4]],
    [[1, 1, 33, 1], [3, 2, 1, 0]],
  ] as [number[], number[]][]) {
    const x = Float32Array.from({ length: numel(shape) }, (_, i) => Math.sin(i));
    assert.deepEqual(permuteData(x, shape, perm), reference(x, shape, perm), `[${shape}] by [${perm}]`);
  }
});
