/**
 * F.interpolate: PyTorch 1.13's index rules on hand-computable inputs, its
 * argument errors, gradients, and the meta (shape-only) path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { NotImplementedError, RuntimeError, Tensor, ValueError, arange, full, manualSeed, randn, tensor } from '../../src/index.js';
import { interpolate, interpolateOutputShape } from '../../src/ops/interpolate.js';
import { assertClose, checkGradients } from '../helpers.js';

const row = (n: number) => arange(n).reshape(1, 1, n);

test('nearest x2 repeats each pixel into a 2x2 block; gradient sums the blocks', () => {
  const x = tensor([[[[1, 2], [3, 4]]]], { requiresGrad: true });
  const y = interpolate(x, { scaleFactor: 2 });
  assert.deepEqual(y.shape, [1, 1, 4, 4]);
  assert.deepEqual(y.toArray(), [[[[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]]]);
  y.backward(arange(16).reshape(1, 1, 4, 4));
  // block sums of 0..15 laid out 4x4
  assertClose(x.grad!, [0 + 1 + 4 + 5, 2 + 3 + 6 + 7, 8 + 9 + 12 + 13, 10 + 11 + 14 + 15]);
});

test('nearest with a scale factor uses 1/scale_factor, not in/out (PyTorch 1.13)', () => {
  // 5 * 1.7 -> 8 outputs; 1/1.7 = 0.588 picks [0,0,1,1,2,2,3,4], in/out = 0.625 would pick [0,0,1,1,2,3,3,4]
  assert.deepEqual(interpolate(row(5), { scaleFactor: 1.7 }).toArray(), [[[0, 0, 1, 1, 2, 2, 3, 4]]]);
  assert.deepEqual(interpolate(row(5), { size: 8 }).toArray(), [[[0, 0, 1, 1, 2, 3, 3, 4]]]);
  assert.deepEqual(interpolate(row(5), { scaleFactor: 1.7, recomputeScaleFactor: true }).toArray(), [[[0, 0, 1, 1, 2, 3, 3, 4]]]);
});

test('nearest downsampling and nearest-exact', () => {
  assert.deepEqual(interpolate(row(6), { size: 4 }).toArray(), [[[0, 1, 3, 4]]]); // floor(j * 1.5)
  assert.deepEqual(interpolate(row(6), { size: 4, mode: 'nearest-exact' }).toArray(), [[[0, 2, 3, 5]]]); // floor((j + .5) * 1.5)
  assert.deepEqual(interpolate(row(3), { size: 2 }).toArray(), [[[0, 1]]]);
});

test('output sizes are floor(size * scale), per dim', () => {
  assert.deepEqual(interpolateOutputShape([1, 2, 3, 4], { scaleFactor: 1.5 }), [1, 2, 4, 6]);
  assert.deepEqual(interpolateOutputShape([1, 2, 3, 4], { scaleFactor: [2, 0.5] }), [1, 2, 6, 2]);
  assert.deepEqual(interpolateOutputShape([2, 1, 3, 3, 3], { size: 5, mode: 'trilinear' }), [2, 1, 5, 5, 5]);
  assert.deepEqual(interpolateOutputShape([2, 1, 7], { scaleFactor: 0.5, mode: 'linear' }), [2, 1, 3]);
});

test('linear: half-pixel centres without align_corners, end points with it', () => {
  const x = tensor([[[0, 10]]]);
  // src = 0.5 (j + 0.5) - 0.5 = [-0.25 -> 0, 0.25, 0.75, 1.25 -> clamped to the last]
  assertClose(interpolate(x, { scaleFactor: 2, mode: 'linear', alignCorners: false }), [0, 2.5, 7.5, 10]);
  assertClose(interpolate(x, { size: 5, mode: 'linear', alignCorners: true }), [0, 2.5, 5, 7.5, 10]);
  assertClose(interpolate(x, { size: 1, mode: 'linear', alignCorners: true }), [0]);
  // downsampling 4 -> 2: src = 2 (j + 0.5) - 0.5 = 0.5, 2.5
  assertClose(interpolate(tensor([[[0, 1, 2, 3]]]), { size: 2, mode: 'linear' }), [0.5, 2.5]);
});

test('bilinear of an outer product is the outer product of the linear resamplings', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }),
      fc.boolean(), fc.integer({ min: 0, max: 1000 }),
      (h, w, oh, ow, alignCorners, seed) => {
        manualSeed(seed);
        const u = randn([1, 1, h]);
        const v = randn([1, 1, w]);
        const img = u.reshape(h, 1).mul(v.reshape(1, w)).reshape(1, 1, h, w);
        const got = interpolate(img, { size: [oh, ow], mode: 'bilinear', alignCorners });
        const lu = interpolate(u, { size: oh, mode: 'linear', alignCorners }).reshape(oh, 1);
        const lv = interpolate(v, { size: ow, mode: 'linear', alignCorners }).reshape(1, ow);
        assertClose(got, lu.mul(lv).data, 1e-5, 1e-4);
      },
    ),
    { numRuns: 40 },
  );
});

test('trilinear with unchanged depth is bilinear on every depth slice', () => {
  manualSeed(3);
  const x = randn([1, 2, 3, 2, 3]);
  const y = interpolate(x, { size: [3, 4, 5], mode: 'trilinear' });
  for (let d = 0; d < 3; d++) {
    const slice = x.slice(2, d, d + 1).reshape(1, 2, 2, 3);
    const want = interpolate(slice, { size: [4, 5], mode: 'bilinear' });
    assertClose(y.slice(2, d, d + 1), want.data);
  }
});

test('resampling keeps constant maps constant and size == input is the identity', () => {
  fc.assert(
    fc.property(
      fc.constantFrom('nearest', 'nearest-exact', 'bilinear'), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }),
      fc.double({ min: 0.3, max: 3.5, noNaN: true }),
      (mode, h, w, s) => {
        fc.pre(Math.floor(h * s) > 0 && Math.floor(w * s) > 0);
        const c = full([1, 2, h, w], 3.25);
        const y = interpolate(c, { scaleFactor: s, mode });
        assert.ok(y.data.every((v) => Math.abs(v - 3.25) < 1e-6));
        manualSeed(h * 10 + w);
        const x = randn([1, 2, h, w]);
        assertClose(interpolate(x, { size: [h, w], mode }), x.data, 0, 0);
      },
    ),
    { numRuns: 40 },
  );
});

test('gradients equal finite differences for every mode', () => {
  manualSeed(11);
  const cases: [number[], Parameters<typeof interpolate>[1]][] = [
    [[1, 2, 3, 3], { scaleFactor: 1.5, mode: 'nearest' }],
    [[1, 1, 5], { size: 3, mode: 'nearest-exact' }],
    [[2, 1, 4], { scaleFactor: 1.75, mode: 'linear' }],
    [[1, 2, 3, 4], { size: [5, 2], mode: 'bilinear' }],
    [[1, 1, 3, 3], { scaleFactor: 2, mode: 'bilinear', alignCorners: true }],
    [[1, 1, 2, 3, 2], { size: [3, 2, 4], mode: 'trilinear' }],
  ];
  for (const [shape, opts] of cases) checkGradients((x) => interpolate(x, opts), [randn(shape)], { atol: 1e-3, rtol: 1e-3 });
});

test('argument errors follow PyTorch', () => {
  const x4 = randn([1, 1, 2, 2]);
  assert.throws(() => interpolate(x4, { size: 3, scaleFactor: 2 }), { name: 'ValueError', message: 'only one of size or scale_factor should be defined' });
  assert.throws(() => interpolate(x4, {}), { name: 'ValueError', message: 'either size or scale_factor should be defined' });
  assert.throws(() => interpolate(x4, { scaleFactor: 2, alignCorners: false }), /align_corners option can only be set with the interpolating modes/);
  assert.throws(() => interpolate(x4, { size: [3, 3, 3] }), /same number of spatial dimensions.*\[2, 2\] and output size of \[3, 3, 3\]/);
  assert.throws(() => interpolate(x4, { scaleFactor: [2] }), ValueError);
  assert.throws(() => interpolate(x4, { size: 4, recomputeScaleFactor: true }), /recompute_scale_factor is not meaningful with an explicit size/);
  assert.throws(() => interpolate(randn([1, 2, 3]), { scaleFactor: 2, mode: 'bilinear' }), {
    name: 'NotImplementedError',
    message: 'Got 3D input, but bilinear mode needs 4D input',
  });
  assert.throws(() => interpolate(x4, { scaleFactor: 2, mode: 'linear' }), { message: 'Got 4D input, but linear mode needs 3D input' });
  assert.throws(() => interpolate(randn([3, 4]), { scaleFactor: 2 }), (e) => e instanceof NotImplementedError && /got 2D\) .* \(got nearest\)$/.test(e.message));
  assert.throws(() => interpolate(x4, { scaleFactor: 2, mode: 'bicubic' }), NotImplementedError);
  assert.throws(() => interpolate(x4, { scaleFactor: 0.4 }), (e) => e instanceof RuntimeError && /greater than 0.*output \(H: 0, W: 0\)/.test(e.message));
  assert.throws(() => interpolate(x4, { size: [2, 2.5] }), { name: 'TypeError' });
});

test('meta tensors: output shape, and constant planes stay constant', () => {
  const one = interpolate(Tensor.meta([2, 64, 1, 1]), { scaleFactor: 2 });
  assert.ok(one.isMeta);
  assert.deepEqual(one.shape, [2, 64, 2, 2]);
  assert.deepEqual(one.facts, { spatiallyConstant: true });
  const marked = interpolate(Tensor.meta([2, 3, 2, 2], { spatiallyConstant: true, constantSince: '0' }), { size: [5, 5], mode: 'bilinear' });
  assert.deepEqual(marked.facts, { spatiallyConstant: true, constantSince: '0' });
  assert.deepEqual(interpolate(Tensor.meta([2, 3, 2, 2]), { scaleFactor: 2 }).facts, {});
  assert.throws(() => interpolate(Tensor.meta([2, 3, 2]), { scaleFactor: 2, mode: 'bilinear' }), NotImplementedError);
});
