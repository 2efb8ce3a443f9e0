/** fast-check arbitraries shared by the tensor-core property tests (small shapes: tests stay fast). */
import fc from 'fast-check';
import { manualSeed, randn } from '../../src/index.js';
import type { Tensor } from '../../src/tensor/tensor.js';

/** A shape of rank 0..maxRank with sizes 1..maxSize. */
export const shapeArb = (maxRank = 3, maxSize = 4, minRank = 0): fc.Arbitrary<number[]> =>
  fc.array(fc.integer({ min: 1, max: maxSize }), { minLength: minRank, maxLength: maxRank });

export const seedArb = fc.integer({ min: 0, max: 1 << 20 });

/** A seeded standard-normal tensor (the seed makes failures reproducible). */
export function seeded(shape: readonly number[], seed: number): Tensor {
  manualSeed(seed);
  return randn(shape);
}

/** Two shapes that broadcast together: `b` is `a` with some dims set to 1 and some leading dims dropped. */
export const broadcastPairArb: fc.Arbitrary<[number[], number[]]> = shapeArb(4, 3, 1).chain((a) =>
  fc
    .tuple(fc.array(fc.boolean(), { minLength: a.length, maxLength: a.length }), fc.integer({ min: 0, max: a.length - 1 }), fc.boolean())
    .map(([ones, drop, swap]) => {
      const b = a.map((d, i) => (ones[i] ? 1 : d)).slice(drop);
      return swap ? [b, a] : [a, b];
    }),
);
