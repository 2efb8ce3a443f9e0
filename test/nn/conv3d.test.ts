/**
 * Conv3d, ConvTranspose1d, ConvTranspose3d: values against a direct sum,
 * gradients, the shape rules as pure functions, and meta calls raising exactly
 * what real calls raise.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RuntimeError } from '../../src/errors.js';
import { Conv3d, ConvTranspose1d, ConvTranspose3d } from '../../src/nn/conv.js';
import { conv3dOutputShape, convTranspose1dOutputShape, convTranspose3dOutputShape } from '../../src/ops/conv.js';
import { conv3d, convTranspose3d } from '../../src/ops/conv3d.js';
import { convTranspose1d } from '../../src/ops/conv.js';
import { randn } from '../../src/tensor/creation.js';
import { manualSeed } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { assertClose, checkGradients } from '../helpers.js';
import { assertMetaLikeReal, constantMeta } from './meta_helpers.js';

/** conv3d by its definition, zero padding, one group. */
function refConv3d(x: Tensor, w: Tensor, s: number[], p: number[], d: number[]): number[] {
  const [N, C, D, H, W] = x.shape as number[];
  const [O, , kd, kh, kw] = w.shape as number[];
  const out = [0, 1, 2].map((i) => Math.floor(([D, H, W][i]! + 2 * p[i]! - d[i]! * ([kd, kh, kw][i]! - 1) - 1) / s[i]!) + 1);
  const res: number[] = [];
  const at = (t: Tensor, idx: number[]) => {
    let o = 0;
    for (let i = 0; i < idx.length; i++) o = o * t.shape[i]! + idx[i]!;
    return t.data[o]!;
  };
  for (let n = 0; n < N!; n++)
    for (let o = 0; o < O!; o++)
      for (let a = 0; a < out[0]!; a++)
        for (let b = 0; b < out[1]!; b++)
          for (let e = 0; e < out[2]!; e++) {
            let acc = 0;
            for (let c = 0; c < C!; c++)
              for (let i = 0; i < kd!; i++)
                for (let j = 0; j < kh!; j++)
                  for (let l = 0; l < kw!; l++) {
                    const z = a * s[0]! - p[0]! + i * d[0]!;
                    const y = b * s[1]! - p[1]! + j * d[1]!;
                    const q = e * s[2]! - p[2]! + l * d[2]!;
                    if (z < 0 || y < 0 || q < 0 || z >= D! || y >= H! || q >= W!) continue;
                    acc += at(x, [n, c, z, y, q]) * at(w, [o, c, i, j, l]);
                  }
            res.push(acc);
          }
  return res;
}

test('conv3d matches its definition (stride, padding, dilation) and its gradients finite differences', () => {
  manualSeed(11);
  const x = randn([2, 2, 4, 5, 4]);
  const w = randn([3, 2, 2, 3, 2]);
  assertClose(conv3d(x, w, null, { stride: [1, 2, 1], padding: [1, 0, 1], dilation: [1, 1, 2] }), refConv3d(x, w, [1, 2, 1], [1, 0, 1], [1, 1, 2]));
  checkGradients((a, b, c) => conv3d(a, b, c, { stride: 2, padding: 1, groups: 2 }), [randn([1, 4, 3, 3, 4]), randn([2, 2, 2, 2, 2]), randn([2])]);
  checkGradients((a, b, c) => convTranspose3d(a, b, c, { stride: [2, 1, 2], padding: 1, outputPadding: [1, 0, 0], groups: 2 }), [
    randn([1, 4, 2, 3, 2]),
    randn([4, 1, 3, 3, 2]),
    randn([2]),
  ]);
  checkGradients((a, b) => convTranspose1d(a, b, null, { stride: 2, dilation: 2 }), [randn([2, 3, 4]), randn([3, 2, 3])]);
});

test('conv_transpose3d is the adjoint of conv3d: <conv(x), y> = <x, convT(y)>', () => {
  manualSeed(12);
  const x = randn([1, 2, 5, 4, 5]);
  const w = randn([3, 2, 3, 2, 3]);
  const o = { stride: [2, 1, 2], padding: [1, 0, 1] };
  const y = randn(conv3d(x, w, null, o).shape as number[]);
  const xt = convTranspose3d(y, w, null, { ...o, outputPadding: [0, 0, 0] });
  assert.deepEqual(xt.shape, x.shape);
  const dot = (a: Tensor, b: Tensor) => a.data.reduce((s, v, i) => s + v * b.data[i]!, 0);
  assert.ok(Math.abs(dot(conv3d(x, w, null, o), y) - dot(x, xt)) < 1e-3);
});

test('shape rules are pure functions of shapes, with PyTorch output sizes', () => {
  assert.deepEqual(conv3dOutputShape([2, 3, 8, 9, 10], [4, 3, 3, 3, 3], { stride: 2, padding: 1 }), [2, 4, 4, 5, 5]);
  assert.deepEqual(conv3dOutputShape([3, 8, 8, 8], [4, 3, 3, 3, 3], { padding: 'same' }), [4, 8, 8, 8]);
  assert.deepEqual(convTranspose3dOutputShape([1, 4, 2, 3, 4], [4, 2, 3, 3, 3], { stride: 2, padding: 1, outputPadding: 1 }), [1, 2, 4, 6, 8]);
  assert.deepEqual(convTranspose1dOutputShape([2, 4, 5], [4, 3, 4], { stride: 2, padding: 1, groups: 2 }), [2, 6, 10]);
  assert.throws(() => conv3dOutputShape([1, 2, 2, 4, 4], [3, 2, 3, 3, 3]), /\(2 x 4 x 4\)\. Kernel size: \(3 x 3 x 3\)/);
  // ConvTranspose1d reports sizes as PyTorch does, on the height-1 2-D form
  assert.throws(() => convTranspose1dOutputShape([1, 2, 1], [2, 3, 3], { padding: 3 }), /^.*\(1 x 1\)\. Calculated output size per channel: \(1 x -3\)/);
});

test('meta calls have the real shape, batched and unbatched', () => {
  assertMetaLikeReal(new Conv3d(2, 3, 3), [2, 2, 4, 5, 4]);
  assertMetaLikeReal(new Conv3d(2, 3, 3), [2, 3, 4, 3]);
  assertMetaLikeReal(new Conv3d(2, 4, [1, 3, 2], { stride: [1, 2, 1], padding: [0, 1, 1], dilation: [1, 1, 2] }), [1, 2, 3, 5, 5]);
  assertMetaLikeReal(new Conv3d(2, 2, 3, { padding: 1, paddingMode: 'reflect' }), [1, 2, 3, 3, 4]);
  assertMetaLikeReal(new ConvTranspose1d(2, 4, 4, { stride: 2, padding: 1, outputPadding: 1, groups: 2 }), [1, 2, 5]);
  assertMetaLikeReal(new ConvTranspose1d(2, 3, 3), [2, 4]);
  assertMetaLikeReal(new ConvTranspose3d(4, 2, [2, 3, 3], { stride: [2, 2, 1], padding: [0, 1, 1], outputPadding: [1, 1, 0], groups: 2 }), [1, 4, 2, 3, 3]);
  assertMetaLikeReal(new ConvTranspose3d(2, 3, 3), [2, 2, 2, 2]);
});

test('too-small inputs, wrong channels and ranks raise the same error from meta and real calls', () => {
  const e = assertMetaLikeReal(new Conv3d(2, 3, 3), [1, 2, 2, 4, 4], { kind: 'kernel' });
  assert.ok(e instanceof RuntimeError);
  assert.equal(e.message, "Calculated padded input size per channel: (2 x 4 x 4). Kernel size: (3 x 3 x 3). Kernel size can't be greater than actual input size");
  // reflection padding as large as the map: F.pad's error (its kind is F.pad's business)
  assertMetaLikeReal(new Conv3d(2, 3, 3, { padding: 1, paddingMode: 'reflect' }), [1, 2, 1, 4, 4], { kind: 'any', message: /Padding size should be less than/ });
  assertMetaLikeReal(new Conv3d(2, 3, 3), [1, 3, 4, 4, 4], { kind: 'channels' });
  assertMetaLikeReal(new Conv3d(2, 3, 3), [2, 4, 4], { kind: 'rank', message: /Expected 4D \(unbatched\) or 5D \(batched\) input to conv3d/ });
  assertMetaLikeReal(new ConvTranspose1d(2, 3, 3, { padding: 3 }), [1, 2, 1], { kind: 'kernel', message: /\(1 x -3\)\. Output size is too small/ });
  assertMetaLikeReal(new ConvTranspose1d(2, 3, 3), [1, 3, 4], { kind: 'channels' });
  assertMetaLikeReal(new ConvTranspose1d(2, 3, 3), [1, 2, 4, 4], { kind: 'rank' });
  assertMetaLikeReal(new ConvTranspose1d(2, 3, 3, { stride: 2, outputPadding: 2 }), [1, 2, 3], {
    kind: 'argument',
    message: /output_padding_height: 0 output_padding_width: 2 stride_height: 1 stride_width: 2/,
  });
  assertMetaLikeReal(new ConvTranspose3d(2, 3, 3, { padding: 3 }), [1, 2, 1, 2, 2], { kind: 'kernel', message: /\(-3 x -2 x -2\)/ });
  assertMetaLikeReal(new ConvTranspose3d(2, 3, 3), [1, 3, 1, 2, 2], { kind: 'channels' });
});

test('constructor checks: groups, padding modes of transposed convolutions', () => {
  assert.throws(() => new Conv3d(2, 3, 3, { groups: 2 }), /out_channels must be divisible by groups/);
  assert.throws(() => new ConvTranspose3d(2, 4, 3, { paddingMode: 'reflect' as 'zeros' }), /Only "zeros" padding mode is supported for ConvTranspose3d/);
  assert.throws(() => new ConvTranspose1d(3, 4, 3, { groups: 2 }), /in_channels must be divisible by groups/);
});

test('facts: an unpadded 3-D convolution keeps constant volumes constant; padded or transposed ones do not', () => {
  assert.equal(new Conv3d(2, 2, 3).call(constantMeta([1, 2, 4, 4, 4])).facts.spatiallyConstant, true);
  assert.equal(new Conv3d(2, 2, 3, { padding: 1 }).call(constantMeta([1, 2, 4, 4, 4])).facts.spatiallyConstant, undefined);
  assert.equal(new ConvTranspose3d(2, 2, 2, { stride: 2 }).call(constantMeta([1, 2, 2, 2, 2])).facts.spatiallyConstant, undefined);
  assert.equal(new Conv3d(2, 2, 3, { stride: 2, padding: 1 }).call(Tensor.meta([1, 2, 2, 2, 2])).facts.spatiallyConstant, true);
});

test('errors carry the caller input size, unbatched inputs included', () => {
  assertMetaLikeReal(new Conv3d(2, 3, 3), [3, 4, 4, 4], { kind: 'channels' });
  const e = assertMetaLikeReal(new Conv3d(2, 3, 3), [2, 2, 4, 4], { kind: 'kernel' });
  assert.deepEqual((e as RuntimeError).inputSize, [2, 2, 4, 4]);
});
