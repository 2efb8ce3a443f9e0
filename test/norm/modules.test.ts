/** Norm modules: PyTorch's train/eval rule, checks and messages, running statistics, state names. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { assertClose } from '../helpers.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { randn, tensor } from '../../src/tensor/creation.js';
import { manualSeed } from '../../src/tensor/random.js';
import { NormkitError, RuntimeError, TypeError, ValueError } from '../../src/errors.js';
import { InstanceNorm1d, InstanceNorm2d, InstanceNorm3d } from '../../src/nn/instancenorm.js';
import { BatchNorm1d, BatchNorm2d } from '../../src/nn/batchnorm.js';
import { GroupNorm } from '../../src/nn/groupnorm.js';
import { LayerNorm } from '../../src/nn/layernorm.js';
import { Sequential } from '../../src/nn/container.js';

function throwsExactly(fn: () => unknown, cls: typeof NormkitError, message: string): void {
  assert.throws(fn, (e: unknown) => e instanceof cls && (e as Error).message === message);
}

test('InstanceNorm2d raises on one spatial element in training, with the input size', () => {
  const m = new InstanceNorm2d(64);
  throwsExactly(() => m.call(randn([2, 64, 1, 1])), ValueError, 'Expected more than 1 spatial element when training, got input size [2, 64, 1, 1]');
  try {
    m.call(randn([2, 64, 1, 1]));
  } catch (e) {
    assert.deepEqual((e as ValueError).inputSize, [2, 64, 1, 1]);
    assert.equal((e as ValueError).moduleType, 'InstanceNorm2d');
  }
});

test('the product of the spatial sizes counts, not each size', () => {
  const y = new InstanceNorm2d(2).call(tensor([[[[0, 2]], [[5, 1]]]]));
  // Two values per plane: mean in the middle, biased variance (d/2)^2, so they normalize to -+1 (up to eps).
  const s1 = 1 / Math.sqrt(1 + 1e-5);
  const s2 = 2 / Math.sqrt(4 + 1e-5);
  assertClose(y, [-s1, s1, s2, -s2]);
});

test('eval mode uses input statistics unless running stats are tracked', () => {
  const untracked = new InstanceNorm2d(3).eval();
  assert.throws(() => untracked.call(randn([2, 3, 1, 1])), ValueError);
  const tracked = new InstanceNorm2d(3, { trackRunningStats: true }).eval();
  const x = randn([2, 3, 1, 1]);
  // Fresh running stats: mean 0, var 1 -> y = x / sqrt(1 + eps).
  assertClose(tracked.call(x), Array.from(x.data, (v) => v / Math.sqrt(1 + 1e-5)));
  assert.equal(tracked.usesInputStats, false);
  tracked.train();
  assert.throws(() => tracked.call(x), ValueError);
});

test('property: InstanceNorm raises exactly when it uses input stats on one spatial element', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }),
      fc.integer({ min: 1, max: 3 }),
      fc.boolean(),
      fc.boolean(),
      (spatial, n, training, track) => {
        const cls = [InstanceNorm1d, InstanceNorm2d, InstanceNorm3d][spatial.length - 1]!;
        const m = new cls(2, { trackRunningStats: track });
        m.train(training);
        const S = spatial.reduce((a, b) => a * b, 1);
        const shouldRaise = (training || !track) && S === 1;
        let raised = false;
        try {
          m.call(randn([n, 2, ...spatial]));
        } catch (e) {
          raised = e instanceof ValueError && e.message.startsWith('Expected more than 1 spatial element');
        }
        return raised === shouldRaise;
      },
    ),
    { numRuns: 60, seed: 11 },
  );
});

test('unbatched input: the error reports the batched size, as PyTorch does', () => {
  throwsExactly(() => new InstanceNorm1d(3).call(randn([3, 1])), ValueError, 'Expected more than 1 spatial element when training, got input size [1, 3, 1]');
  const y = new InstanceNorm1d(3).call(randn([3, 5]));
  assert.deepEqual(y.shape, [3, 5]);
});

test('rank and channel checks', () => {
  throwsExactly(() => new InstanceNorm2d(3).call(randn([4, 3])), ValueError, 'expected 3D or 4D input (got 2D input)');
  throwsExactly(() => new BatchNorm2d(3).call(randn([3, 2, 2])), ValueError, 'expected 4D input (got 3D input)');
  throwsExactly(() => new InstanceNorm2d(3, { affine: true }).call(randn([2, 4, 3, 3])), RuntimeError, 'weight should contain 8 elements not 6');
  throwsExactly(() => new BatchNorm2d(3).call(randn([2, 4, 3, 3])), RuntimeError, 'running_mean should contain 4 elements not 3');
  throwsExactly(() => new LayerNorm([4]).call(randn([2, 4, 3, 3])), RuntimeError, 'Given normalized_shape=[4], expected input with shape [*, 4], but got input of size[2, 4, 3, 3]');
  throwsExactly(() => new GroupNorm(3, 4), ValueError, 'num_channels must be divisible by num_groups');
  assert.throws(() => new InstanceNorm2d(3).call([1, 2, 3] as unknown as Tensor), TypeError);
  assert.throws(() => new InstanceNorm2d(3, { eps: NaN }), ValueError);
});

test('BatchNorm: one value per channel raises; running stats use the unbiased variance', () => {
  const m = new BatchNorm1d(2);
  throwsExactly(() => m.call(randn([1, 2])), ValueError, 'Expected more than 1 value per channel when training, got input size [1, 2]');
  const bn = new BatchNorm1d(1, { momentum: 0.5 });
  bn.call(tensor([[1], [3]]));
  // mean 2, unbiased var 2: running_mean = 0.5 * 0 + 0.5 * 2, running_var = 0.5 * 1 + 0.5 * 2.
  assertClose(bn.runningMean!, [1]);
  assertClose(bn.runningVar!, [1.5]);
  assert.equal(bn.numBatchesTracked!.item(), 1);
  // As in PyTorch, the batch is counted before the size check raises.
  assert.equal(m.numBatchesTracked!.item(), 1);
  assertClose(m.runningMean!, [0, 0]);
});

test('BatchNorm momentum null is a cumulative moving average', () => {
  const bn = new BatchNorm1d(1, { momentum: null });
  bn.call(tensor([[0], [2]])); // mean 1, var 2
  bn.call(tensor([[4], [6]])); // mean 5, var 2
  assertClose(bn.runningMean!, [(0 * 0 + 1 + 5) / 2]);
  assertClose(bn.runningVar!, [2]);
  assert.equal(bn.numBatchesTracked!.item(), 2);
});

test('InstanceNorm running stats: batch average of per-instance statistics; never counts batches', () => {
  const m = new InstanceNorm1d(1, { trackRunningStats: true, momentum: 1 });
  m.call(tensor([[[0, 2]], [[4, 8]]]));
  // per instance: means 1 and 6, unbiased vars 2 and 8.
  assertClose(m.runningMean!, [3.5]);
  assertClose(m.runningVar!, [5]);
  assert.equal(m.numBatchesTracked!.item(), 0);
});

test('state dict names and repr follow PyTorch', () => {
  const net = new Sequential(new BatchNorm2d(2), new InstanceNorm2d(2, { affine: true }));
  assert.deepEqual([...net.stateDict().keys()], ['0.weight', '0.bias', '0.running_mean', '0.running_var', '0.num_batches_tracked', '1.weight', '1.bias']);
  assert.equal(new InstanceNorm2d(64).toString(), 'InstanceNorm2d(64, eps=1e-05, momentum=0.1, affine=False, track_running_stats=False)');
  assert.equal(new GroupNorm(2, 4).toString(), 'GroupNorm(2, 4, eps=1e-05, affine=True)');
  assert.equal(new LayerNorm([5]).toString(), 'LayerNorm((5,), eps=1e-05, elementwise_affine=True)');
});

test('an error inside a model names the module path; state is untouched', () => {
  manualSeed(3);
  const net = new Sequential(new InstanceNorm2d(2, { trackRunningStats: true }), new Sequential(new InstanceNorm2d(2)));
  const before = Float32Array.from(net.stateDict().get('0.running_mean')!.data);
  try {
    net.call(randn([2, 2, 1, 1]));
    assert.fail('should raise');
  } catch (e) {
    assert.ok(e instanceof ValueError);
    assert.equal(e.modulePath, '0');
  }
  assert.deepEqual(net.stateDict().get('0.running_mean')!.data, before);
});

test('GroupNorm with one value per group runs and outputs its bias (silent zeros, as PyTorch)', () => {
  const g = new GroupNorm(4, 4);
  const y = g.call(randn([2, 4, 1, 1]));
  for (const v of y.data) assert.ok(Math.abs(v) < 1e-4);
  assert.equal(g.statistics([2, 4, 1, 1]).valuesPerStatistic, 1);
});
