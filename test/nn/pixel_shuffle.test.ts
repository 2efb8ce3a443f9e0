/** PixelShuffle / PixelUnshuffle: the permutation, its inverse, PyTorch's errors from meta and real calls alike. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RuntimeError, TypeError } from '../../src/errors.js';
import { PixelShuffle, PixelUnshuffle } from '../../src/nn/pixel_shuffle.js';
import { pixelShuffle, pixelUnshuffle } from '../../src/ops/pixel_shuffle.js';
import { arange, randn } from '../../src/tensor/creation.js';
import { manualSeed } from '../../src/tensor/random.js';
import { assertClose, checkGradients } from '../helpers.js';
import { assertMetaLikeReal, constantMeta } from './meta_helpers.js';

test('pixel_shuffle: out[c, h*r + i, w*r + j] = in[c*r^2 + i*r + j, h, w]; unshuffle inverts it', () => {
  const x = arange(0, 8).reshape([1, 8, 1, 1]);
  const y = pixelShuffle(x, 2);
  assert.deepEqual(y.shape, [1, 2, 2, 2]);
  assertClose(y, [0, 1, 2, 3, 4, 5, 6, 7]);
  manualSeed(1);
  const z = randn([2, 3, 18, 2, 3]);
  assertClose(pixelUnshuffle(pixelShuffle(z, 3), 3), z.data);
  checkGradients((t) => pixelShuffle(t, 2), [randn([1, 8, 2, 3])]);
  checkGradients((t) => pixelUnshuffle(t, 2), [randn([2, 4, 2])]);
});

test('PixelShuffle / PixelUnshuffle: meta calls have the real shape, batched, unbatched and with extra batch dims', () => {
  for (const shape of [[2, 8, 3, 2], [4, 2, 3], [2, 1, 4, 1, 2]]) assertMetaLikeReal(new PixelShuffle(2), shape);
  for (const shape of [[2, 2, 4, 6], [3, 2, 4], [2, 1, 1, 2, 4]]) assertMetaLikeReal(new PixelUnshuffle(2), shape);
});

test('indivisible channels or sizes, too few dims and bad factors raise the same error meta and real', () => {
  const e = assertMetaLikeReal(new PixelShuffle(2), [1, 6, 2, 2], { kind: 'channels' });
  assert.ok(e instanceof RuntimeError);
  assert.equal(
    e.message,
    "pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of upscale_factor, but input.size(-3)=6 is not divisible by 4",
  );
  assertMetaLikeReal(new PixelShuffle(2), [8, 2], { kind: 'rank', message: /at least 3 dimensions, but got input with 2 dimension\(s\)/ });
  assertMetaLikeReal(new PixelShuffle(0), [1, 8, 2, 2], { kind: 'argument', message: /positive upscale_factor, but got 0/ });
  // a 1x1 map cannot be unshuffled: the spatial size is too small for the factor
  assertMetaLikeReal(new PixelUnshuffle(2), [1, 2, 1, 1], { kind: 'kernel', message: /input.size\(-2\)=1 is not divisible by 2/ });
  assertMetaLikeReal(new PixelUnshuffle(2), [1, 2, 4, 3], { kind: 'kernel', message: /width to be divisible/ });
  assert.throws(() => pixelShuffle(randn([1, 8, 2, 2]), 1.5), TypeError);
});

test('facts: unshuffling keeps constant planes constant, shuffling does not', () => {
  assert.equal(new PixelUnshuffle(2).call(constantMeta([1, 2, 4, 4])).facts.spatiallyConstant, true);
  assert.equal(new PixelShuffle(2).call(constantMeta([1, 8, 2, 2])).facts.spatiallyConstant, undefined);
});
