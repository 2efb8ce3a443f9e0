/** nn.Upsample and friends: construction, printing, spec builders, module behaviour. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { F, SpecError, Tensor, manualSeed, nn, randn, tensor } from '../../src/index.js';
import { ArgReader } from '../../src/spec/args.js';
import { getBuilder } from '../../src/spec/registry.js';
import { assertClose } from '../helpers.js';

function build(name: string, args: Record<string, unknown>) {
  const r = new ArgReader(args, '', name);
  const m = getBuilder(name)!.build(r);
  r.done();
  return m;
}

test('Upsample calls interpolate with its arguments and prints like PyTorch', () => {
  manualSeed(1);
  const x = randn([1, 2, 3, 3]);
  const up = new nn.Upsample({ scaleFactor: 2, mode: 'bilinear', alignCorners: true });
  assertClose(up.call(x), F.interpolate(x, { scaleFactor: 2, mode: 'bilinear', alignCorners: true }).data, 0, 0);
  assert.equal(up.toString(), 'Upsample(scale_factor=2.0, mode=bilinear)');
  assert.equal(new nn.Upsample({ size: [5, 7] }).toString(), 'Upsample(size=(5, 7), mode=nearest)');
  assert.equal(new nn.Upsample({ scaleFactor: [2, 1.5] }).toString(), 'Upsample(scale_factor=(2.0, 1.5), mode=nearest)');
});

test('UpsamplingBilinear2d aligns corners; UpsamplingNearest2d is nearest', () => {
  const x = tensor([[[[0, 2], [4, 6]]]]);
  assertClose(new nn.UpsamplingBilinear2d({ size: 3 }).call(x), [0, 1, 2, 2, 3, 4, 4, 5, 6]);
  assert.deepEqual(new nn.UpsamplingNearest2d({ scaleFactor: 2 }).call(x).shape, [1, 1, 4, 4]);
  assert.equal(new nn.UpsamplingBilinear2d({ scaleFactor: 2 }).mode, 'bilinear');
});

test('a zero scale factor counts as unset, as in PyTorch', () => {
  assert.throws(() => new nn.Upsample({ scaleFactor: 0 }).call(randn([1, 1, 2, 2])), /either size or scale_factor should be defined/);
});

test('errors carry the module type', () => {
  const err = (() => {
    try {
      new nn.Sequential(new nn.Identity(), new nn.Upsample({ scaleFactor: 2, mode: 'bilinear' })).call(randn([1, 2, 3]));
    } catch (e) {
      return e as { type: string; modulePath: string; moduleType: string };
    }
    throw new Error('did not raise');
  })();
  assert.equal(err.type, 'NotImplementedError');
  assert.equal(err.modulePath, '1');
  assert.equal(err.moduleType, 'Upsample');
});

test('spec builders: Upsample args (PyTorch names) round-trip; Identity ignores any args', () => {
  const up = build('Upsample', { scale_factor: [2, 3], mode: 'nearest', align_corners: null });
  assert.ok(up instanceof nn.Upsample);
  assert.deepEqual(up.call(Tensor.meta([1, 1, 2, 2])).shape, [1, 1, 4, 6]);
  assert.deepEqual(getBuilder('Upsample')!.toArgs(up), { scale_factor: [2, 3], mode: 'nearest' });
  const lin = build('Upsample', { size: 6, mode: 'linear', align_corners: true });
  assert.deepEqual(getBuilder('Upsample')!.toArgs(lin), { size: 6, mode: 'linear', align_corners: true });
  assert.deepEqual(build('UpsamplingBilinear2d', { size: [4, 4] }).call(Tensor.meta([1, 1, 2, 2])).shape, [1, 1, 4, 4]);
  assert.ok(build('Identity', { anything: 1, at_all: 'x' }) instanceof nn.Identity);
  assert.throws(() => build('Upsample', { scale_factor: 2, mode: 'bicubic' }), SpecError);
  assert.throws(() => build('Upsample', { size: [2.5, 3] }), SpecError);
  assert.throws(() => build('Upsample', { scale_factor: 2, antialias: true }), /unknown argument 'antialias'/);
});
