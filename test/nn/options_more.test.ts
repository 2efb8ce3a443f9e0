/**
 * Options checks on the functional norms (F.instanceNorm, F.batchNorm,
 * F.groupNorm, F.layerNorm, F.adaptiveInstanceNorm), the layers of #9
 * (PReLU, PixelShuffle/PixelUnshuffle, the 1-d pools, Conv3d,
 * ConvTranspose1d/3d, ReLU6/SELU/SiLU/Hardswish, Softplus, Dropout2d) and the
 * rest of the public API a sweep found silent: each misspelled or snake_case
 * key, value of the wrong kind and PyTorch positional form either works as
 * in PyTorch (with the value it says) or raises normkit's TypeError (kind
 * 'argument') naming the option.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { F, NormkitError, TypeError, ValueError, analyze, full, importOnnx, manualSeed, nn, ones, optim, randn, tensor, toOnnx, zeros, zerosLike, onesLike } from '../../src/index.js';
import '../../src/ops/methods.js';
import { js, loose, raises } from './options_helpers.js';

const same = (a: { data: Float32Array }, b: { data: Float32Array }) => assert.deepEqual(Array.from(a.data), Array.from(b.data));
const close = (a: { data: Float32Array }, b: { data: Float32Array }) => a.data.forEach((v, i) => assert.ok(Math.abs(v - b.data[i]!) <= 1e-6 * Math.max(1, Math.abs(v)), `${v} vs ${b.data[i]}`));

test('F.instanceNorm: keys by name, PyTorch\'s positional running_mean refused with the spelling to use', () => {
  const x = randn(2, 3, 4, 4);
  raises(() => F.instanceNorm(x, js({ use_input_stats: false })), /^instance_norm: unknown option 'use_input_stats' \(did you mean useInputStats\?\)/);
  raises(() => F.instanceNorm(x, js({ epsilon: 1e-3 })), /instance_norm: unknown option 'epsilon' \(did you mean eps\?\)/);
  raises(() => F.instanceNorm(x, js({ eps: '1e-3' })), /instance_norm: option 'eps' must be a number, got the string "1e-3"/);
  raises(() => F.instanceNorm(x, js(zeros(3))), /instance_norm: argument 2 must be an options object .*got an object \(Tensor\) \(PyTorch's positional runningMean\? Pass it by name: \{ runningMean: tensor \}\)/);
  // the right spelling does what it says: running statistics instead of the input's
  const rm = full([3], 0.5);
  const rv = full([3], 4);
  const y = F.instanceNorm(x, { runningMean: rm, runningVar: rv, useInputStats: false });
  assert.ok(Math.abs(y.data[0]! - (x.data[0]! - 0.5) / Math.sqrt(4 + 1e-5)) < 1e-5);
});

test('F.batchNorm, F.groupNorm, F.layerNorm, F.adaptiveInstanceNorm check their options and kinds', () => {
  const x = randn(2, 4, 3, 3);
  raises(() => F.batchNorm(x, zeros(4), ones(4), js({ trainning: true })), /batch_norm: unknown option 'trainning' \(did you mean training\?\)/);
  raises(() => F.batchNorm(x, zeros(4), ones(4), js({ training: 1 })), /batch_norm: option 'training' must be a boolean, got the number 1/);
  raises(() => F.batchNorm(x, zeros(4), ones(4), js(ones(4))), /batch_norm: argument 4 .*PyTorch's positional weight\? Pass it by name: \{ weight: tensor \}/);
  raises(() => F.groupNorm(x, 2, js({ epsilon: 1e-3 })), /group_norm: unknown option 'epsilon' \(did you mean eps\?\)/);
  raises(() => F.groupNorm(x, 2, js(ones(4))), /group_norm: argument 3 .*\{ weight: tensor \}/);
  raises(() => F.layerNorm(x, [3], js({ elementwise_affine: true })), /layer_norm: unknown option 'elementwise_affine'/);
  raises(() => F.layerNorm(x, [3], js(1e-3)), /layer_norm: argument 3 .*\{ weight: 0\.001 \}/);
  raises(() => F.adaptiveInstanceNorm(x, x, js('1e-5')), /adaptive_instance_norm: eps must be a number, got the string "1e-5"/);
  // PyTorch's own words for a tensor of the wrong kind are kept
  assert.throws(() => F.groupNorm(x, 2, { weight: js([1, 1, 1, 1]) }), /group_norm\(\): argument 'weight' must be Tensor, not list/);
  // and the right spellings work
  const g = F.groupNorm(x, 2, { weight: full([4], 2), eps: 1e-5 });
  close(g, F.groupNorm(x, 2).mul(2));
  close(F.batchNorm(x, zeros(4), ones(4), { training: false, eps: 0 }), x);
});

test('PReLU, PixelShuffle, PixelUnshuffle: positional (as PyTorch) or keyword objects; wrong kinds raise', () => {
  assert.equal(new nn.PReLU(3).numParameters, 3);
  assert.deepEqual(Array.from(new nn.PReLU(3, 0.1).weight.data), [0.1, 0.1, 0.1].map(Math.fround));
  const k = new nn.PReLU({ numParameters: 2, init: 0.5 });
  assert.deepEqual([k.numParameters, k.init], [2, 0.5]);
  raises(() => new nn.PReLU(js({ num_parameters: 2 })), /PReLU: unknown option 'num_parameters' \(did you mean numParameters\?\)/);
  raises(() => new nn.PReLU(js('3')), /PReLU: num_parameters must be an integer, got the string "3"/);
  raises(() => new nn.PReLU(2.5), /PReLU: num_parameters must be an integer, got the number 2\.5/);
  raises(() => new nn.PReLU(3, js('x')), /PReLU: init must be a number, got the string "x"/);
  assert.equal(new nn.PixelShuffle({ upscaleFactor: 3 }).upscaleFactor, 3);
  assert.equal(new nn.PixelUnshuffle(2).downscaleFactor, 2);
  raises(() => new nn.PixelShuffle(js({ upscale_factor: 2 })), /PixelShuffle: unknown option 'upscale_factor' \(did you mean upscaleFactor\?\)/);
  raises(() => new nn.PixelUnshuffle(js('2')), /PixelUnshuffle: downscale_factor must be a number, got the string "2"/);
  // PyTorch checks int-ness when the layer runs
  assert.throws(() => new nn.PixelShuffle(1.5).call(randn(1, 4, 2, 2)), /pixel_shuffle\(\): argument 'upscale_factor' \(position 2\) must be int, not float/);
});

test('the 1-d pools check their keys and kinds; the adaptive pools take PyTorch\'s keyword too', () => {
  raises(() => new nn.MaxPool1d(2, js({ ceil_mode: true })), /MaxPool1d: unknown option 'ceil_mode' \(did you mean ceilMode\?\)/);
  raises(() => new nn.MaxPool1d(2, js({ return_indices: true })), /MaxPool1d: unknown option 'return_indices'/);
  raises(() => new nn.MaxPool1d(2, js(1)), /MaxPool1d: argument 2 .*PyTorch's positional stride\? Pass it by name: \{ stride: 1 \}/);
  raises(() => new nn.MaxPool1d(js('2')), /MaxPool1d: kernel_size must be an integer or an array of integers, got the string "2"/);
  raises(() => new nn.AvgPool1d(2, js({ count_include_pad: false })), /AvgPool1d: unknown option 'count_include_pad' \(did you mean countIncludePad\?\)/);
  raises(() => new nn.AvgPool1d(2, js({ ceilMode: 'yes' })), /AvgPool1d: option 'ceilMode' must be a boolean/);
  raises(() => new nn.AdaptiveAvgPool1d(js('2')), /AdaptiveAvgPool1d: output_size must be an integer or an array of integers, got the string "2"/);
  raises(() => new nn.AdaptiveAvgPool2d(js({ output_size: 2 })), /AdaptiveAvgPool2d: unknown option 'output_size' \(did you mean outputSize\?\)/);
  raises(() => new nn.AdaptiveMaxPool2d(js('2')), /AdaptiveMaxPool2d: output_size must be an integer, null or an array of them, got the string "2"/);
  assert.deepEqual(new nn.AdaptiveAvgPool2d({ outputSize: [2, null] }).call(randn(1, 2, 4, 6)).shape, [1, 2, 2, 6]);
  assert.deepEqual(new nn.AdaptiveAvgPool1d({ outputSize: 3 }).call(randn(1, 2, 9)).shape, [1, 2, 3]);
  assert.deepEqual(new nn.AvgPool1d(2, { countIncludePad: false, padding: 1 }).call(randn(1, 1, 4)).shape, [1, 1, 3]);
  // the functional forms too
  const x = randn(1, 2, 8);
  raises(() => F.maxPool1d(x, 2, js({ ceil_mode: true })), /max_pool1d: unknown option 'ceil_mode' \(did you mean ceilMode\?\)/);
  raises(() => F.avgPool1d(x, 2, js({ count_include_pad: false })), /avg_pool1d: unknown option 'count_include_pad'/);
  raises(() => F.adaptiveAvgPool1d(x, js({ outputSize: 2 })), /adaptive_avg_pool1d\(\): argument 'output_size' \(position 2\) must be tuple of ints, not dict/);
});

test('Conv3d, ConvTranspose1d/3d and their functions: keys, kinds, PyTorch\'s positional stride', () => {
  raises(() => new nn.Conv3d(1, 2, 3, js({ padding_mode: 'zeros' })), /Conv3d: unknown option 'padding_mode' \(did you mean paddingMode\?\)/);
  raises(() => new nn.ConvTranspose1d(1, 2, 3, js({ output_padding: 1 })), /ConvTranspose1d: unknown option 'output_padding' \(did you mean outputPadding\?\)/);
  raises(() => new nn.ConvTranspose3d(1, 2, 3, js(2)), /ConvTranspose3d: argument 4 .*\{ stride: 2 \}/);
  raises(() => new nn.Conv3d(js('1'), 2, 3), /Conv3d: in_channels must be an integer, got the string "1"/);
  raises(() => new nn.Conv2d(1, 2, js('3')), /Conv2d: kernel_size must be an integer or an array of integers, got the string "3"/);
  raises(() => F.conv3d(randn(1, 1, 3, 3, 3), randn(1, 1, 1, 1, 1), null, js({ paddng: 1 })), /conv3d: unknown option 'paddng' \(did you mean padding\?\)/);
  raises(() => F.convTranspose1d(randn(1, 1, 3), randn(1, 1, 1), null, js({ output_padding: 1 })), /conv_transpose1d: unknown option 'output_padding' \(did you mean outputPadding\?\)/);
  raises(() => F.convTranspose3d(randn(1, 1, 2, 2, 2), randn(1, 1, 1, 1, 1), null, js({ groop: 1 })), /conv_transpose3d: unknown option 'groop' \(did you mean groups\?\)/);
});

test('ReLU6, SELU, SiLU, Hardswish take { inplace } only; Softplus, LeakyReLU, ELU positional or keywords', () => {
  for (const C of [nn.ReLU6, nn.SELU, nn.SiLU, nn.Hardswish]) {
    raises(() => new C(js({ in_place: true })), new RegExp(`^${C.name}: unknown option 'in_place' \\(did you mean inplace\\?\\)`));
    raises(() => new C(js(true)), new RegExp(`${C.name}: argument 1 .*PyTorch's positional inplace\\? Pass it by name: \\{ inplace: true \\}`));
    assert.equal(new C({ inplace: true }).inplace, true);
  }
  const x = randn(2, 5).mul(4);
  same(new nn.Softplus({ beta: 2, threshold: 3 }).call(x), new nn.Softplus(2, 3).call(x));
  assert.deepEqual([new nn.Softplus(2, 3).beta, new nn.Softplus(2, 3).threshold], [2, 3]);
  raises(() => new nn.Softplus(js({ Beta: 2 })), /Softplus: unknown option 'Beta' \(did you mean beta\?\)/);
  raises(() => new nn.Softplus(js('2')), /Softplus: beta must be a number, got the string "2"/);
  assert.equal(new nn.LeakyReLU({ negativeSlope: 0.2 }).negativeSlope, 0.2);
  assert.equal(new nn.LeakyReLU(0.3, { inplace: true }).inplace, true);
  raises(() => new nn.LeakyReLU(js({ negative_slope: 0.2 })), /LeakyReLU: unknown option 'negative_slope' \(did you mean negativeSlope\?\)/);
  raises(() => new nn.LeakyReLU(js('0.2')), /LeakyReLU: negative_slope must be a number, got the string "0\.2"/);
  assert.equal(new nn.ELU({ alpha: 0.5 }).alpha, 0.5);
  raises(() => new nn.ELU(js('1')), /ELU: alpha must be a number/);
});

test('Dropout2d as Dropout: p by position or keyword, inplace by name; kinds and keys checked', () => {
  assert.equal(new nn.Dropout2d({ p: 0.2 }).p, 0.2);
  assert.equal(new nn.Dropout2d(0.3, { inplace: true }).inplace, true);
  raises(() => new nn.Dropout2d(0.2, js({ in_place: true })), /Dropout2d: unknown option 'in_place' \(did you mean inplace\?\)/);
  raises(() => new nn.Dropout2d(0.2, js(true)), /Dropout2d: argument 2 .*\{ inplace: true \}/);
  raises(() => new nn.Dropout2d(js('0.5')), /Dropout2d: p must be a number, got the string "0\.5"/);
  raises(() => new nn.Dropout(js({ prob: 0.5 })), /Dropout: unknown option 'prob'; known options: p, inplace/);
  assert.throws(() => new nn.Dropout2d(1.5), (e) => e instanceof ValueError && /dropout probability has to be between 0 and 1, but got 1\.5/.test(e.message));
});

test('the functional activations and dropouts take PyTorch\'s keywords as an options object; wrong kinds raise', () => {
  const x = randn(2, 3).mul(3);
  same(F.leakyRelu(x, { negativeSlope: 0.2 }), F.leakyRelu(x, 0.2));
  same(F.elu(x, { alpha: 0.5 }), F.elu(x, 0.5));
  same(F.gelu(x, { approximate: 'tanh' }), F.gelu(x, 'tanh'));
  same(F.softplus(x, { beta: 2, threshold: 1 }), F.softplus(x, 2, 1));
  raises(() => F.softplus(x, js('2')), /softplus\(\): argument 'beta' \(position 2\) must be Number, not str/);
  raises(() => F.softplus(x, js({ betta: 2 })), /softplus: unknown option 'betta' \(did you mean beta\?\)/);
  raises(() => F.gelu(x, js(1)), /gelu\(\): argument 'approximate' must be str, not int/);
  raises(() => F.leakyRelu(x, js({ slope: 0.2 })), /leaky_relu: unknown option 'slope'/);
  manualSeed(1);
  const a = F.dropout(x, { p: 0.5, training: true });
  manualSeed(1);
  same(a, F.dropout(x, 0.5, true));
  same(F.dropout(x, { p: 0.9, training: false }), x);
  raises(() => F.dropout(x, 0.2, js('yes')), /dropout\(\): argument 'train' \(position 3\) must be bool, not str/);
  raises(() => F.dropout2d(randn(1, 2, 3, 3), js({ train: false })), /dropout2d: unknown option 'train' \(did you mean training\?\)/);
  raises(() => F.dropout(x, js('0.5')), /dropout\(\): argument 'p' \(position 2\) must be Number, not str/);
});

test('F.pad takes PyTorch\'s keywords; padding layers and module methods check their kinds', () => {
  const x = randn(1, 1, 3, 3);
  same(F.pad(x, [1, 1, 1, 1], { mode: 'reflect' }), F.pad(x, [1, 1, 1, 1], 'reflect'));
  same(F.pad(x, [1, 1], { value: 2 }), F.pad(x, [1, 1], 'constant', 2));
  raises(() => F.pad(x, [1, 1], js({ mod: 'reflect' })), /pad: unknown option 'mod' \(did you mean mode\?\)/);
  raises(() => F.pad(x, [1, 1], js(3)), /pad\(\): argument 'mode' \(position 3\) must be str, not int/);
  raises(() => new nn.ReflectionPad2d(js('1')), /ReflectionPad2d: padding must be an integer or an array of integers, got the string "1"/);
  raises(() => new nn.ConstantPad2d(1, js({ value: 2 })), /ConstantPad2d: value must be a number, got an object \(Object\) \(value goes by position here/);
  // Module.train(mode): PyTorch's ValueError for a mode that is not a boolean
  assert.throws(() => new nn.ReLU().train(js('no')), (e) => e instanceof ValueError && e.message === 'training mode is expected to be boolean');
  // loadStateDict(sd, false): PyTorch's positional strict
  const lin = new nn.Linear(2, 2);
  const sd = new nn.Linear(2, 2).stateDict();
  sd.delete('bias');
  assert.deepEqual(lin.loadStateDict(sd, false).missingKeys, ['bias']);
  assert.throws(() => lin.loadStateDict(sd, true), /Missing key\(s\) in state_dict: "bias"/);
  raises(() => lin.loadStateDict(sd, js({ stict: false })), /loadStateDict: unknown option 'stict' \(did you mean strict\?\)/);
});

test('norm and linear layers: numbers of the wrong kind raise a TypeError naming the argument', () => {
  raises(() => new nn.BatchNorm2d(js('3')), /BatchNorm2d: num_features must be an integer, got the string "3"/);
  raises(() => new nn.InstanceNorm1d(js(2.5)), /InstanceNorm1d: num_features must be an integer, got the number 2\.5/);
  raises(() => new nn.GroupNorm(js('1'), 3), /GroupNorm: num_groups must be an integer, got the string "1"/);
  raises(() => new nn.LayerNorm(js('3')), /LayerNorm: normalized_shape must be an int or a list of ints, got the string "3"/);
  raises(() => new nn.Linear(js('1'), 2), /Linear: in_features must be an integer, got the string "1"/);
  raises(() => new nn.Linear(2, 1.5), /Linear: out_features must be an integer, got the number 1\.5/);
});

test('tensor factories check their options: tensor, full, zerosLike, onesLike', () => {
  raises(() => tensor([1, 2], js({ requires_grad: true })), /tensor: unknown option 'requires_grad' \(did you mean requiresGrad\?\)/);
  raises(() => full([2], 1, js({ requires_grad: true })), /full: unknown option 'requires_grad' \(did you mean requiresGrad\?\)/);
  raises(() => loose(zerosLike)(ones(2), { requires_grad: true }), /zeros_like: unknown option 'requires_grad'/);
  assert.equal(onesLike(ones(2), { requiresGrad: true }).requiresGrad, true);
  assert.equal(tensor([1, 2], { requiresGrad: true }).requiresGrad, true);
  assert.equal(tensor([1, 2, 3, 4], [2, 2], { requiresGrad: true }).requiresGrad, true);
  raises(() => loose(zerosLike)([1, 2]), /zeros_like\(\): input/);
  // optimizers and schedulers were checked already; one more: a scheduler's snake_case key
  raises(() => new optim.StepLR(new optim.SGD([ones(1).requiresGrad_()], 0.1), js({ step_size: 2 })), /StepLR: unknown option 'step_size' \(did you mean stepSize\?\)/);
});

test('tensor methods, toOnnx, importOnnx, analyze, numParameters, eval: PyTorch\'s keywords work, typos and wrong kinds raise', () => {
  const x = tensor([1, 2]);
  const y = tensor([10, 20]);
  assert.deepEqual(Array.from(x.add(y, { alpha: 2 }).data), [21, 42]);
  assert.deepEqual(Array.from(x.sub(y, { alpha: 0.5 }).data), [-4, -8]);
  assert.deepEqual(Array.from(x.add(3, { alpha: 2 }).data), [7, 8]);
  raises(() => x.add(y, js({ aplha: 2 })), /add: unknown option 'aplha' \(did you mean alpha\?\)/);
  raises(() => x.add(y, js(2)), /add: argument 2 .*PyTorch's positional alpha\? Pass it by name: \{ alpha: 2 \}/);
  raises(() => randn(2).requiresGrad_(js('yes')), /requires_grad_\(\): argument 'requires_grad' \(position 1\) must be bool, not str/);
  const relu = new nn.ReLU();
  raises(() => toOnnx(relu, js({ inputs: { input: [1, 2] }, opst: 13 })), /toOnnx: unknown option 'opst' \(did you mean opset\?\)/);
  raises(() => importOnnx(toOnnx(relu, { inputs: { input: [1, 2] } }), js({ constnts: {} })), /importOnnx: unknown option 'constnts' \(did you mean constants\?\)/);
  raises(() => analyze(relu, { input: [1, 2] }, js({ mod: 'eval' })), /analyze: unknown option 'mod' \(did you mean mode\?\)/);
  raises(() => nn.numParameters(new nn.Linear(2, 2), js({ trainabel: true })), /numParameters: unknown option 'trainabel' \(did you mean trainable\?\)/);
  raises(() => loose(relu.eval.bind(relu))(false), /eval\(\) takes no arguments \(1 given\); for a mode, call train\(mode\)/);
});
