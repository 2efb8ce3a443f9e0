/** Spec builders of the network layers: every layer round-trips through toSpec/fromSpec; bad args fail typed. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpecError, ValueError } from '../../src/errors.js';
import { randn } from '../../src/tensor/creation.js';
import { manualSeed } from '../../src/tensor/random.js';
import { fromSpec, toSpec } from '../../src/spec/spec.js';
import { noGrad } from '../../src/tensor/grad_mode.js';
import { assertClose } from '../helpers.js';

const model = {
  module: 'Sequential',
  layers: [
    { module: 'ReflectionPad2d', args: { padding: [1, 1, 2, 0] } },
    { module: 'Conv2d', args: { in_channels: 3, out_channels: 4, kernel_size: [3, 2], stride: 1, padding: 'same', padding_mode: 'replicate', bias: false } },
    { module: 'LeakyReLU', args: { negative_slope: 0.2 } },
    { module: 'ZeroPad2d', args: { padding: 1 } },
    { module: 'MaxPool2d', args: { kernel_size: 3, stride: 2, padding: 1, ceil_mode: true } },
    { module: 'ConvTranspose2d', args: { in_channels: 4, out_channels: 2, kernel_size: 3, stride: 2, padding: 1, output_padding: 1 } },
    { module: 'GELU', args: { approximate: 'tanh' } },
    { module: 'AvgPool2d', args: { kernel_size: 2, count_include_pad: false, divisor_override: 3 } },
    { module: 'ELU', args: { alpha: 0.5 } },
    { module: 'AdaptiveMaxPool2d', args: { output_size: [2, null] } },
    { module: 'Tanh' },
    { module: 'AdaptiveAvgPool2d', args: { output_size: 1 } },
    { module: 'Sigmoid' },
    { module: 'Flatten', args: { start_dim: 1, end_dim: -1 } },
    { module: 'Dropout', args: { p: 0.1 } },
    { module: 'Linear', args: { in_features: 2, out_features: 3 } },
    { module: 'ReLU', args: { inplace: true } },
  ],
};

test('a model of every layer builds, runs, and round-trips through toSpec with the same state and output', () => {
  manualSeed(51);
  const m = fromSpec(model).eval();
  const x = randn([2, 3, 9, 8]);
  const y = noGrad(() => m.call(x));
  assert.deepEqual(y.shape, [2, 3]);
  const again = fromSpec(JSON.parse(JSON.stringify(toSpec(m))));
  again.loadStateDict(m.stateDict());
  assertClose(noGrad(() => again.eval().call(x)), y.data);
  assert.deepEqual(JSON.parse(JSON.stringify(toSpec(again))), JSON.parse(JSON.stringify(toSpec(m))));
  const conv1d = fromSpec({ module: 'Conv1d', args: { in_channels: 2, out_channels: 2, kernel_size: 3, groups: 2, dilation: 2 } });
  assert.deepEqual(conv1d.call(randn([1, 2, 9])).shape, [1, 2, 5]);
});

test("constructor checks keep PyTorch's ValueError and gain the node path; spec mistakes are SpecErrors", () => {
  const bad = { module: 'Sequential', layers: [{ module: 'ReLU' }, { module: 'Conv2d', args: { in_channels: 3, out_channels: 4, kernel_size: 3, groups: 2 } }] };
  assert.throws(
    () => fromSpec(bad),
    (e: Error) => e instanceof ValueError && e.message === 'in_channels must be divisible by groups' && (e as ValueError).modulePath === '1',
  );
  assert.throws(() => fromSpec({ module: 'Conv2d', args: { in_channels: 3, out_channels: 4, kernel_size: 3, padding_mode: 'mirror' } }), ValueError);
  assert.throws(() => fromSpec({ module: 'Conv2d', args: { in_channels: 3, out_channels: 4, kernel_size: 3, padding: 'full' } }), ValueError);
  assert.throws(() => fromSpec({ module: 'Conv2d', args: { in_channels: 3, out_channels: 4 } }), SpecError);
  assert.throws(() => fromSpec({ module: 'Linear', args: { in_features: 3, out_features: 4, bias: 1 } }), SpecError);
  assert.throws(() => fromSpec({ module: 'MaxPool2d', args: { kernel_size: 2, return_indices: true } }), SpecError);
  assert.throws(() => fromSpec({ module: 'ReLU', args: { negative_slope: 0.1 } }), /unknown argument 'negative_slope'/);
  assert.throws(() => fromSpec({ module: 'Dropout', args: { p: 2 } }), ValueError);
});
