/**
 * Bad input never escapes as an untyped crash and never corrupts a layer's
 * state: random ranks, channel counts, sizes, options and non-tensors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { NormkitError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { zeros } from '../../src/tensor/creation.js';
import { InstanceNorm1d, InstanceNorm2d, InstanceNorm3d } from '../../src/nn/instancenorm.js';
import { BatchNorm1d, BatchNorm2d, BatchNorm3d } from '../../src/nn/batchnorm.js';
import { GroupNorm } from '../../src/nn/groupnorm.js';
import { LayerNorm } from '../../src/nn/layernorm.js';
import { FlexibleInstanceNorm } from '../../src/nn/flexible_instancenorm.js';
import type { Module } from '../../src/nn/module.js';
import { onWarning } from '../../src/nn/warnings.js';

const builders: ((c: number, o: { affine: boolean; track: boolean }) => Module)[] = [
  (c, o) => new InstanceNorm1d(c, { affine: o.affine, trackRunningStats: o.track }),
  (c, o) => new InstanceNorm2d(c, { affine: o.affine, trackRunningStats: o.track }),
  (c, o) => new InstanceNorm3d(c, { affine: o.affine, trackRunningStats: o.track }),
  (c, o) => new BatchNorm1d(c, { affine: o.affine, trackRunningStats: o.track }),
  (c, o) => new BatchNorm2d(c, { affine: o.affine, trackRunningStats: o.track }),
  (c, o) => new BatchNorm3d(c, { affine: o.affine, trackRunningStats: o.track }),
  (c, o) => new GroupNorm(1, c, { affine: o.affine }),
  (c, o) => new LayerNorm([c], { elementwiseAffine: o.affine }),
  (c, o) => new FlexibleInstanceNorm(c, { affine: o.affine, trackRunningStats: o.track }),
];

function snapshot(m: Module): number[][] {
  return [...m.stateDict().values()].map((t) => Array.from(t.data));
}

test('property: norm layers either run or throw a typed error; failed calls leave running stats alone', () => {
  const stop = onWarning(() => {});
  try {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: builders.length - 1 }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 0, maxLength: 6 }),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        (which, c, shape, affine, track, training) => {
          const m = builders[which]!(c, { affine, track });
          m.train(training);
          const before = snapshot(m);
          try {
            const y = m.call(zeros(shape).add(1));
            assert.deepEqual(y.shape, shape);
          } catch (e) {
            assert.ok(e instanceof NormkitError, `untyped ${(e as Error).name}: ${(e as Error).message}`);
            const after = snapshot(m);
            // BatchNorm counts the batch before its size check, as PyTorch does; nothing else may change.
            const keys = [...m.stateDict().keys()];
            keys.forEach((k, i) => {
              if (!k.endsWith('num_batches_tracked')) assert.deepEqual(after[i], before[i], `${k} changed by a failed call`);
            });
          }
        },
      ),
      { numRuns: 300, seed: 5 },
    );
  } finally {
    stop();
  }
});

test('non-tensors and non-finite options are typed errors', () => {
  const m = new InstanceNorm2d(3);
  for (const bad of [null, undefined, 3, 'x', [1, 2], { shape: [1] }]) {
    assert.throws(() => m.call(bad as unknown as Tensor), (e: unknown) => e instanceof NormkitError && e.type === 'TypeError');
  }
  for (const eps of [NaN, Infinity]) assert.throws(() => new BatchNorm2d(3, { eps }), NormkitError);
  assert.throws(() => new BatchNorm2d(3, { momentum: NaN }), NormkitError);
  assert.throws(() => new InstanceNorm2d(-1), NormkitError);
  assert.throws(() => new GroupNorm(0, 4), NormkitError);
});
