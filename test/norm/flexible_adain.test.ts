/** FlexibleInstanceNorm (never silent) and AdaIN. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertClose, checkGradients } from '../helpers.js';
import { randn, tensor } from '../../src/tensor/creation.js';
import { manualSeed } from '../../src/tensor/random.js';
import { RuntimeError, ValueError } from '../../src/errors.js';
import { FlexibleInstanceNorm } from '../../src/nn/flexible_instancenorm.js';
import { InstanceNorm2d } from '../../src/nn/instancenorm.js';
import { AdaIN } from '../../src/nn/adain.js';
import { onWarning, type NormkitWarning } from '../../src/nn/warnings.js';
import { adaptiveInstanceNorm } from '../../src/ops/norm/adain.js';

function collect(fn: () => void): NormkitWarning[] {
  const got: NormkitWarning[] = [];
  const stop = onWarning((w) => got.push(w));
  try {
    fn();
  } finally {
    stop();
  }
  return got;
}

test("FlexibleInstanceNorm 'wouldRaise' falls back exactly where InstanceNorm2d raises, and says so once", () => {
  manualSeed(1);
  const flex = new FlexibleInstanceNorm(3);
  const x = randn([2, 3, 1, 1]);
  const warnings = collect(() => {
    assert.equal(flex.call(x), x);
    flex.call(randn([2, 3, 1, 1]));
  });
  assert.equal(warnings.length, 1);
  assert.equal(warnings[0]!.code, 'NK_FLEXIBLE_FALLBACK');
  assert.deepEqual(warnings[0]!.inputSize, [2, 3, 1, 1]);
  assert.equal(flex.fallbackCount, 2);
  // 1x2 works for InstanceNorm, so no fallback under the default condition.
  const x2 = randn([2, 3, 1, 2]);
  const y = flex.call(x2);
  assert.equal(flex.fallbackCount, 2);
  assertClose(y, new InstanceNorm2d(3).call(x2).data);
});

test("FlexibleInstanceNorm 'allSpatialDimsGt1' is the write-up's stricter rule", () => {
  const flex = new FlexibleInstanceNorm(3, { condition: 'allSpatialDimsGt1' });
  collect(() => flex.call(randn([2, 3, 1, 4])));
  assert.equal(flex.fallbackCount, 1);
  flex.eval();
  collect(() => flex.call(randn([2, 3, 4, 1])));
  assert.equal(flex.fallbackCount, 2);
});

test('FlexibleInstanceNorm with tracked stats normalizes 1x1 inputs in eval mode (no fallback)', () => {
  const flex = new FlexibleInstanceNorm(3, { trackRunningStats: true }).eval();
  const x = randn([2, 3, 1, 1]);
  assertClose(flex.call(x), Array.from(x.data, (v) => v / Math.sqrt(1 + 1e-5)));
  assert.equal(flex.fallbackCount, 0);
});

test('AdaIN: content statistics replaced by the style ones (unbiased std)', () => {
  const content = tensor([[[[1, 3]]]]); // mean 2, unbiased var 2
  const style = tensor([[[[10, 14]]]]); // mean 12, unbiased var 8
  const y = new AdaIN().call(content, style);
  const cs = Math.sqrt(2 + 1e-5);
  const ss = Math.sqrt(8 + 1e-5);
  assertClose(y, [(-1 / cs) * ss + 12, (1 / cs) * ss + 12]);
});

test('AdaIN: gradients match finite differences; style may differ in size; errors', () => {
  manualSeed(5);
  checkGradients((c, s) => adaptiveInstanceNorm(c, s), [randn([2, 2, 3, 3]), randn([2, 2, 4, 2])], { eps: 1e-2, atol: 3e-2, rtol: 3e-2 });
  assert.throws(() => adaptiveInstanceNorm(randn([2, 3, 1, 1]), randn([2, 3, 4, 4])), (e: unknown) => e instanceof ValueError && e.message === 'Expected more than 1 spatial element when training, got input size [2, 3, 1, 1]');
  assert.throws(() => adaptiveInstanceNorm(randn([2, 3, 4, 4]), randn([2, 4, 4, 4])), RuntimeError);
});
