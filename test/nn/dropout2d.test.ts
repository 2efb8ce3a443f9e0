/** Dropout2d: whole channels dropped in training (seeded), identity in eval, meta calls like real ones. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RuntimeError, ValueError } from '../../src/errors.js';
import { Dropout2d } from '../../src/nn/dropout.js';
import { ones } from '../../src/tensor/creation.js';
import { manualSeed } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { onWarning } from '../../src/nn/warnings.js';
import { assertMetaLikeReal, constantMeta } from './meta_helpers.js';

test('training: every plane x[n, c] is all zeros or all 1 / (1 - p), drawn from the seeded generator', () => {
  const m = new Dropout2d(0.5);
  const run = () => {
    manualSeed(7);
    return m.call(ones([4, 8, 3, 3]));
  };
  const y = run();
  const planes = new Set<string>();
  for (let pl = 0; pl < 32; pl++) {
    const vals = new Set(y.data.subarray(pl * 9, pl * 9 + 9));
    assert.equal(vals.size, 1, 'a plane is dropped or kept as a whole');
    planes.add(String([...vals][0]));
  }
  assert.deepEqual([...planes].sort(), ['0', '2']);
  assert.deepEqual(run().data, y.data, 'the same seed drops the same channels');
  const x = ones([2, 3, 4]);
  x.requiresGrad = true;
  manualSeed(1);
  const z = m.call(x);
  z.sum().backward();
  assert.deepEqual(x.grad!.data, z.data, 'the gradient goes through the same mask');
});

test('eval is the identity; p = 0 and p = 1 are deterministic', () => {
  const x = ones([2, 3, 2, 2]);
  assert.equal(new Dropout2d(0.5).eval().call(x), x);
  assert.deepEqual([...new Dropout2d(1).call(x).data], new Array(24).fill(0));
  assert.deepEqual(new Dropout2d(0).call(x).data, x.data);
});

test('meta calls have the real shape in train and eval, keep constant planes constant, and raise on a 1-D input', () => {
  for (const mode of ['train', 'eval'] as const) {
    for (const shape of [[2, 3, 4, 5], [3, 4, 5], [2, 3]]) assertMetaLikeReal(new Dropout2d(0.3), shape, { mode });
  }
  assert.equal(new Dropout2d(0.3).call(constantMeta([2, 3, 4, 4])).facts.spatiallyConstant, true);
  const e = assertMetaLikeReal(new Dropout2d(0.3), [7], { kind: 'rank' });
  assert.ok(e instanceof RuntimeError);
  assert.equal(e.message, 'Feature dropout requires at least 2 dimensions in the input');
  assertMetaLikeReal(new Dropout2d(0.3), [7], { mode: 'eval' });
  assert.throws(() => new Dropout2d(1.5), ValueError);
});

test('inputs that are not 4-D: PyTorch warning, once per layer, never from a meta call', () => {
  const got: string[] = [];
  const off = onWarning((w) => got.push(`${w.code}: ${w.message}`));
  try {
    const m = new Dropout2d(0.5).eval();
    m.call(Tensor.meta([2, 3, 4]));
    assert.deepEqual(got, []);
    m.call(ones([2, 3, 4]));
    m.call(ones([2, 3, 4]));
    assert.equal(got.length, 1);
    assert.match(got[0]!, /^NK_DROPOUT2D_3D: dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout/);
    new Dropout2d(0.5).call(ones([2, 3]));
    assert.match(got[1]!, /^NK_DROPOUT2D_RANK: dropout2d: Received a 2-D input to dropout2d, which is deprecated/);
    new Dropout2d(0.5).call(ones([1, 2, 3, 3]));
    assert.equal(got.length, 2);
  } finally {
    off();
  }
});
