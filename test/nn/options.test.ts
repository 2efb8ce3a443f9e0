/**
 * PyTorch habits in plain JavaScript: misspelled or snake_case option keys,
 * values of the wrong kind and PyTorch's positional forms either work as in
 * PyTorch or raise normkit's TypeError (kind 'argument') naming the option and
 * its right spelling — never a silently ignored option.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { F, NormkitError, TypeError, manualSeed, nn, ones, optim, rand, randn, tensor, zeros } from '../../src/index.js';
import '../../src/ops/methods.js';
import { js, loose, raises } from './options_helpers.js';
import { camelCase, checkOptions, editDistance, suggestKey } from '../../src/options.js';


test('the helper: camelCase, edit distance, suggestions', () => {
  assert.equal(camelCase('track_running_stats'), 'trackRunningStats');
  assert.equal(camelCase('eps'), 'eps');
  assert.equal(editDistance('affnie', 'affine'), 1);
  assert.equal(editDistance('kitten', 'sitting'), 3);
  const known = ['eps', 'momentum', 'affine', 'trackRunningStats'];
  assert.equal(suggestKey('track_running_stats', known), 'trackRunningStats');
  assert.equal(suggestKey('trackrunningstats', known), 'trackRunningStats');
  assert.equal(suggestKey('trackRuningStats', known), 'trackRunningStats');
  assert.equal(suggestKey('momentun', known), 'momentum');
  assert.equal(suggestKey('colour', known), undefined);
  assert.deepEqual(checkOptions('X', undefined, { a: 'number' }), {});
  raises(() => checkOptions('X', { a: null }, { a: 'number' }), /X: option 'a' must be a number, got null/);
  assert.deepEqual(checkOptions('X', { a: null }, { a: 'number|null' }), { a: null });
});

test("norm layers: PyTorch's snake_case keys and typos are refused with the right spelling", () => {
  raises(() => new nn.InstanceNorm2d(4, js({ track_running_stats: true })), /^InstanceNorm2d: unknown option 'track_running_stats' \(did you mean trackRunningStats\?\)/);
  raises(() => new nn.InstanceNorm1d(4, js({ afine: true })), /InstanceNorm1d: unknown option 'afine' \(did you mean affine\?\)/);
  raises(() => new nn.BatchNorm2d(4, js({ trackRunningStat: false })), /BatchNorm2d: unknown option 'trackRunningStat' \(did you mean trackRunningStats\?\)/);
  raises(() => new nn.GroupNorm(2, 4, js({ epsilon: 1e-3 })), /GroupNorm: unknown option 'epsilon' \(did you mean eps\?\)/);
  raises(() => new nn.LayerNorm([4], js({ elementwise_affine: false })), /LayerNorm: unknown option 'elementwise_affine' \(did you mean elementwiseAffine\?\)/);
  raises(() => new nn.FlexibleInstanceNorm(4, js({ conditon: 'wouldRaise' })), /FlexibleInstanceNorm: unknown option 'conditon' \(did you mean condition\?\)/);
  raises(() => new nn.AdaIN(js({ eps_: 1 })), /AdaIN: unknown option 'eps_' \(did you mean eps\?\)/);
  // The right spelling works, and what it says is what the layer does.
  assert.equal(new nn.InstanceNorm2d(4, { trackRunningStats: true }).trackRunningStats, true);
  assert.equal(new nn.FlexibleInstanceNorm(4, { condition: 'allSpatialDimsGt1', affine: true }).affine, true);
});

test('norm layers: values of the wrong kind and positional eps raise', () => {
  raises(() => new nn.InstanceNorm2d(4, js({ affine: 'yes' })), /InstanceNorm2d: option 'affine' must be a boolean, got the string "yes"/);
  raises(() => new nn.BatchNorm1d(4, js({ eps: '1e-5' })), /BatchNorm1d: option 'eps' must be a number, got the string "1e-5"/);
  raises(() => new nn.InstanceNorm2d(4, js(1e-3)), /InstanceNorm2d: argument 2 must be an options object .*got the number 0\.001 \(PyTorch's positional eps\? Pass it by name: \{ eps: 0\.001 \}\)/);
  raises(() => new nn.GroupNorm(2, 4, js(1e-3)), /GroupNorm: argument 3 .*\{ eps: 0\.001 \}/);
  // PyTorch's own errors are kept where PyTorch raises: InstanceNorm's momentum=None.
  assert.throws(() => new nn.InstanceNorm2d(4, { momentum: js(null) }), /instance_norm\(\): argument 'momentum' must be float, not None/);
  assert.equal(new nn.BatchNorm2d(4, { momentum: null }).momentum, null);
});

test('conv, pool, linear, dropout and upsample constructors check their options', () => {
  raises(() => new nn.Conv2d(3, 8, 3, js({ stride: 2, paddding: 1 })), /Conv2d: unknown option 'paddding' \(did you mean padding\?\)/);
  raises(() => new nn.Conv2d(3, 8, 3, js({ padding_mode: 'reflect' })), /Conv2d: unknown option 'padding_mode' \(did you mean paddingMode\?\)/);
  raises(() => new nn.Conv2d(3, 8, 3, js(2)), /Conv2d: argument 4 .*PyTorch's positional stride\? Pass it by name: \{ stride: 2 \}/);
  raises(() => new nn.Conv1d(3, 8, 3, js({ stride: '2' })), /Conv1d: option 'stride' must be an integer or an array of integers, got the string "2"/);
  raises(() => new nn.ConvTranspose2d(3, 8, 3, js({ output_padding: 1 })), /ConvTranspose2d: unknown option 'output_padding' \(did you mean outputPadding\?\)/);
  raises(() => new nn.MaxPool2d(2, js({ ceil_mode: true })), /MaxPool2d: unknown option 'ceil_mode' \(did you mean ceilMode\?\)/);
  raises(() => new nn.MaxPool2d(2, js({ return_indices: true })), /MaxPool2d: unknown option 'return_indices'/);
  raises(() => new nn.AvgPool2d(2, js({ count_include_pad: false })), /AvgPool2d: unknown option 'count_include_pad' \(did you mean countIncludePad\?\)/);
  raises(() => new nn.Linear(3, 4, js(false)), /Linear: argument 3 .*\{ bias: false \}/);
  raises(() => new nn.Linear(3, 4, js({ bais: false })), /Linear: unknown option 'bais' \(did you mean bias\?\)/);
  raises(() => new nn.Dropout(0.2, js({ in_place: true })), /Dropout: unknown option 'in_place' \(did you mean inplace\?\)/);
  raises(() => new nn.Upsample(js({ scale_factor: 2 })), /Upsample: unknown option 'scale_factor' \(did you mean scaleFactor\?\)/);
  raises(() => new nn.Upsample(js({ scaleFactor: 2, align_corners: true, mode: 'bilinear' })), /did you mean alignCorners\?/);
  raises(() => new nn.Upsample(js(2)), /Upsample: argument 1 .*\{ size: 2 \}/);
  // Right spellings work; Dropout also takes PyTorch's keyword p.
  assert.equal(new nn.Conv2d(3, 8, 3, { stride: 2, padding: 1, paddingMode: 'reflect' }).paddingMode, 'reflect');
  assert.equal(new nn.AvgPool2d(2, { countIncludePad: false }).countIncludePad, false);
  assert.equal(new nn.Dropout({ p: 0.2 }).p, 0.2);
  assert.equal(new nn.Dropout(0.3, { inplace: true }).p, 0.3);
  assert.equal(new nn.Upsample({ scaleFactor: 2, mode: 'bilinear', alignCorners: false }).mode, 'bilinear');
});

test("optimizers: PyTorch's positional lr works; unknown keys and further positional arguments raise", () => {
  const params = () => [ones([3]).requiresGrad_()];
  assert.equal(new optim.Adam(params(), 0.01).lr, 0.01);
  assert.equal(new optim.AdamW(params(), 0.02).lr, 0.02);
  assert.equal(new optim.AdamW(params(), 0.02).paramGroups[0]!.weightDecay, 1e-2);
  assert.equal(new optim.SGD(params(), 0.1).lr, 0.1);
  assert.equal(new optim.Adam(params()).lr, 1e-3);
  raises(() => new optim.Adam(params(), js({ weight_decay: 0.1 })), /^Adam: unknown option 'weight_decay' \(did you mean weightDecay\?\)/);
  raises(() => new optim.AdamW(params(), js({ lr: 0.1, beta: [0.9, 0.99] })), /AdamW: unknown option 'beta' \(did you mean betas\?\)/);
  raises(() => new optim.SGD(params(), js({ lr: 0.1, momentun: 0.9 })), /SGD: unknown option 'momentun' \(did you mean momentum\?\)/);
  raises(() => new optim.SGD(params(), js({ lr: '0.1' })), /SGD: option 'lr' must be a number, got the string "0\.1"/);
  raises(() => new (optim.Adam as unknown as new (...a: unknown[]) => unknown)(params(), 0.01, [0.9, 0.99]), /Adam: takes \(params, lr\) or \(params, options\).*got an array \[0\.9, 0\.99\] as argument 3/);
  raises(() => new optim.Adam([{ params: params(), weight_decay: 0.1 } as never]), /Adam parameter group: unknown option 'weight_decay' \(did you mean weightDecay\?\)/);
  // The decay given is the decay used: one step of Adam with weightDecay differs from one without.
  const step = (o: Partial<optim.AdamOptions>) => {
    const p = ones([3]).requiresGrad_();
    const opt = new optim.Adam([p], { ...o, lr: 0.1 });
    p.mul(0).sum().backward();
    opt.step();
    return Array.from(p.data);
  };
  assert.notDeepEqual(step({ weightDecay: 0.5 }), step({}));
});

test('zeros, ones, rand and randn take the sizes as separate arguments, as in PyTorch', () => {
  assert.deepEqual(randn(2, 3).shape, [2, 3]);
  assert.deepEqual(zeros(2, 3, 4).shape, [2, 3, 4]);
  assert.deepEqual(ones(5).shape, [5]);
  assert.deepEqual(zeros([2, 3]).shape, [2, 3]);
  assert.equal(rand(2, 2, { requiresGrad: true }).requiresGrad, true);
  manualSeed(3);
  const a = randn(2, 3).toArray();
  manualSeed(3);
  assert.deepEqual(randn([2, 3]).toArray(), a);
  raises(() => loose(randn)('2'), /randn\(\): size must be integers or an array of them, got the string "2"/);
  raises(() => loose(zeros)(2, 2.5), /^zeros\(\): argument 'size' must be tuple of SymInts, but found element of type float at pos 2$/);
  raises(() => loose(zeros)([2, 3], { requires_grad: true }), /zeros: unknown option 'requires_grad' \(did you mean requiresGrad\?\)/);
  raises(() => loose(zeros)([2, 3], 4), /zeros\(\): after the size comes an options object at most, got the number 4/);
});

test('sum, mean, max, min take positional keepdim; var and std positional (unbiased, keepdim)', () => {
  const x = tensor([[1, 2, 3], [4, 5, 9]]);
  assert.deepEqual(x.mean(1, true).shape, [2, 1]);
  assert.deepEqual(x.sum(1, true).toArray(), [[6], [18]]);
  assert.deepEqual(x.sum(0, false).shape, [3]);
  assert.deepEqual(x.max(1, true).toArray(), [[3], [9]]);
  assert.deepEqual(x.min(0, true).shape, [1, 3]);
  assert.deepEqual(x.mean([0, 1], { keepdim: true }).shape, [1, 1]);
  // torch.var(x, 1, False, True): biased, keepdim.
  const v = x.var(1, false, true);
  assert.deepEqual(v.shape, [2, 1]);
  assert.ok(Math.abs((v.toArray() as number[][])[0]![0]! - 2 / 3) < 1e-6);
  assert.ok(Math.abs((x.var(1, true).toArray() as number[])[0]! - 1) < 1e-6);
  assert.deepEqual(x.std(1, { unbiased: false }, true).shape, [2, 1]);
  raises(() => x.mean(1, js({ keep_dim: true })), /mean: unknown option 'keep_dim' \(did you mean keepdim\?\)/);
  raises(() => x.sum(1, js(1)), /sum: argument 2 must be an options object/);
});

test('losses, activations and Flatten check their options too', () => {
  raises(() => new nn.MSELoss(js({ reductio: 'sum' })), /MSELoss: unknown option 'reductio' \(did you mean reduction\?\)/);
  raises(() => new nn.L1Loss(js('sum')), /L1Loss: argument 1 .*\{ reduction: "sum" \}/);
  raises(() => new nn.CrossEntropyLoss(js({ label_smoothing: 0.1 })), /CrossEntropyLoss: unknown option 'label_smoothing' \(did you mean labelSmoothing\?\)/);
  raises(() => new nn.BCEWithLogitsLoss(js({ pos_weight: null })), /did you mean posWeight\?/);
  raises(() => new nn.ReLU(js(true)), /ReLU: argument 1 .*\{ inplace: true \}/);
  raises(() => new nn.LeakyReLU(0.2, js({ in_place: true })), /LeakyReLU: unknown option 'in_place' \(did you mean inplace\?\)/);
  raises(() => new nn.GELU(js('tanh')), /GELU: argument 1 .*\{ approximate: "tanh" \}/);
  raises(() => new nn.Flatten(js({ start_dim: 0 })), /Flatten: unknown option 'start_dim' \(did you mean startDim\?\)/);
  assert.equal(new nn.CrossEntropyLoss({ labelSmoothing: 0.1, reduction: 'sum' }).labelSmoothing, 0.1);
  assert.equal(new nn.GELU({ approximate: 'tanh' }).approximate, 'tanh');
  assert.equal(new nn.Flatten({ startDim: 0 }).startDim, 0);
});

test('the functional forms check their options: interpolate, convolutions, pooling, losses', () => {
  const x = randn(1, 2, 4, 4);
  raises(() => F.interpolate(x, js({ scale_factor: 2 })), /interpolate: unknown option 'scale_factor' \(did you mean scaleFactor\?\)/);
  raises(() => F.interpolate(x, js(8)), /interpolate: argument 2 .*\{ size: 8 \}/);
  raises(() => F.conv2d(x, randn(3, 2, 3, 3), null, js({ strides: 2 })), /conv2d: unknown option 'strides' \(did you mean stride\?\)/);
  raises(() => F.maxPool2d(x, 2, js({ ceil_mode: true })), /max_pool2d: unknown option 'ceil_mode' \(did you mean ceilMode\?\)/);
  raises(() => F.avgPool2d(x, 2, js({ count_include_pad: false })), /did you mean countIncludePad\?/);
  raises(() => F.mseLoss(x, x, js({ reducton: 'sum' })), /mse_loss: unknown option 'reducton' \(did you mean reduction\?\)/);
  raises(() => F.crossEntropy(randn(2, 3), tensor([0, 2]), js({ ignore_index: 1 })), /did you mean ignoreIndex\?/);
  assert.deepEqual(F.interpolate(x, { scaleFactor: 2 }).shape, [1, 2, 8, 8]);
  assert.deepEqual(F.maxPool2d(x, 2, { ceilMode: true }).shape, [1, 2, 2, 2]);
});
