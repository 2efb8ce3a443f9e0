/**
 * Statistics that overflowed or planes that were constant: PyTorch's numbers,
 * plus one warning per layer (or functional op) and code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/tensor/methods.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { full, randn } from '../../src/tensor/creation.js';
import { manualSeed } from '../../src/tensor/random.js';
import { onWarning, type NormkitWarning } from '../../src/nn/warnings.js';
import { BatchNorm2d } from '../../src/nn/batchnorm.js';
import { InstanceNorm2d } from '../../src/nn/instancenorm.js';
import { GroupNorm } from '../../src/nn/groupnorm.js';
import { LayerNorm } from '../../src/nn/layernorm.js';
import * as F from '../../src/nn/functional.js';
import { Upsample } from '../../src/nn/upsample.js';

function collect<T>(fn: () => T): { value: T; warnings: NormkitWarning[] } {
  const warnings: NormkitWarning[] = [];
  const stop = onWarning((w) => warnings.push(w));
  try {
    return { value: fn(), warnings };
  } finally {
    stop();
  }
}

/** [1, 2, 8, 8]: channel 0 uniform in +-scale, channel 1 constant 7. */
function input(scale: number): Tensor {
  manualSeed(3);
  const x = randn([1, 2, 8, 8]);
  for (let i = 0; i < 64; i++) x.data[i] = x.data[i]! * scale;
  x.data.fill(7, 64);
  return x;
}

test('a constant plane: the output is the bias alone (pytorch#19250), and each layer says so once', () => {
  const norm = new InstanceNorm2d(2, { affine: true });
  norm.bias!.data.set([0.25, -0.5]);
  const { value: y, warnings } = collect(() => {
    const out = norm.call(input(1));
    norm.call(input(2));
    return out;
  });
  // PyTorch's numbers: (x - mean) is not exactly 0 in float32 arithmetic, the output is within 1e-4 of the bias
  for (let i = 64; i < 128; i++) assert.ok(Math.abs(y.data[i]! + 0.5) < 1e-4, `${y.data[i]}`);
  assert.equal(warnings.length, 1);
  assert.equal(warnings[0]!.code, 'NK_CONSTANT_PLANE');
  assert.equal(warnings[0]!.module, 'InstanceNorm2d');
  assert.deepEqual(warnings[0]!.inputSize, [1, 2, 8, 8]);
  assert.match(warnings[0]!.message, /1 of its 2 statistics over constant values \(variance exactly 0 over 64 values\)/);
  // another layer warns for itself
  assert.equal(collect(() => new InstanceNorm2d(2).call(input(1))).warnings.length, 1);
  // nearest upsampling of a 1x1 map: the classic way to get constant planes
  const up = new Upsample({ scaleFactor: 4, mode: 'nearest' });
  const w2 = collect(() => new BatchNorm2d(3).call(up.call(randn([1, 3, 1, 1])))).warnings;
  assert.deepEqual(w2.map((w) => w.code), ['NK_CONSTANT_PLANE']);
});

test('every norm with input statistics warns on constant planes; one value per statistic or running statistics do not', () => {
  const x = input(1);
  for (const [m, want] of [
    [new BatchNorm2d(2), 1],
    [new GroupNorm(2, 2), 1],
    [new LayerNorm([8, 8]), 1],
    [new BatchNorm2d(2).eval(), 0],
    [new InstanceNorm2d(2, { trackRunningStats: true }).eval(), 0],
    [new GroupNorm(2, 2), 0],
  ] as const) {
    const arg = want === 0 && m instanceof GroupNorm ? randn([2, 2, 1, 1]) : x; // GroupNorm(2, 2) on 1x1: one value per group
    assert.equal(collect(() => m.call(arg)).warnings.length, want, m.toString());
  }
  // the functional ops warn once per op
  const f = collect(() => {
    F.instanceNorm(x);
    F.instanceNorm(x);
    F.groupNorm(x, 1);
    return null;
  }).warnings;
  assert.ok(f.filter((w) => w.module === 'F.instance_norm').length <= 1);
});

test('statistics that overflow float32 (finite input near 1e19): the output no longer depends on the input, and a warning says so', () => {
  manualSeed(5);
  const x = randn([1, 1, 64, 64]).mul(1e19);
  assert.ok(x.data.every(Number.isFinite));
  const norm = new InstanceNorm2d(1);
  const { value: y, warnings } = collect(() => norm.call(x));
  assert.ok(y.data.every((v) => v === 0), 'zeros, like PyTorch');
  assert.deepEqual(warnings.map((w) => w.code), ['NK_STATS_OVERFLOW']);
  assert.match(warnings[0]!.message, /overflowed float32/);
  // non-finite input is not an overflow: NaN in, NaN out, no warning
  const bad = full([1, 1, 4, 4], 1);
  bad.data[3] = NaN;
  assert.equal(collect(() => new InstanceNorm2d(1).call(bad)).warnings.length, 0);
  // ordinary inputs never warn
  assert.equal(collect(() => new BatchNorm2d(4).call(randn([4, 4, 8, 8]))).warnings.length, 0);
});
