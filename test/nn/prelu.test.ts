/** PReLU: a learnable slope per channel (dim 1), PyTorch's channel checks, meta calls like real ones. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RuntimeError } from '../../src/errors.js';
import { PReLU } from '../../src/nn/prelu.js';
import { prelu } from '../../src/ops/prelu.js';
import { randn, tensor } from '../../src/tensor/creation.js';
import { manualSeed } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { assertClose, checkGradients } from '../helpers.js';
import { assertMetaLikeReal, constantMeta } from './meta_helpers.js';

test('PReLU: the weight broadcasts over dim 1; one weight serves every shape', () => {
  const x = tensor([
    [-1, 2],
    [-3, -4],
  ]);
  assertClose(prelu(x, tensor([0.5, 0.25])), [-0.5, 2, -1.5, -1]);
  assertClose(prelu(x, tensor([0.1])), [-0.1, 2, -0.3, -0.4]);
  const m = new PReLU(3, 0.2);
  assert.deepEqual(m.weight.shape, [3]);
  assertClose(m.weight, [0.2, 0.2, 0.2]);
  assert.deepEqual([...m.namedParameters()].map(([n]) => n), ['weight']);
});

test('PReLU: gradients of input and weight match finite differences', () => {
  manualSeed(5);
  // inputs kept away from the kink at 0, where finite differences straddle both slopes
  const x = randn([2, 3, 4]);
  const away = new Tensor(x.data.map((v) => (v >= 0 ? v + 0.1 : v - 0.1)), x.shape);
  checkGradients((a, w) => prelu(a, w), [away, randn([3]).abs()]);
});

test('PReLU: meta calls have the real shape and raise its errors (channels, 0-d input), facts kept', () => {
  for (const shape of [[2, 3, 4, 5], [4, 3], [2, 3, 6], [1, 3]]) assertMetaLikeReal(new PReLU(3), shape);
  for (const shape of [[], [6], [2, 5], [2, 7, 3, 3]]) assertMetaLikeReal(new PReLU(), shape);
  const e = assertMetaLikeReal(new PReLU(3), [2, 4, 5], { kind: 'channels' });
  assert.ok(e instanceof RuntimeError);
  assert.equal(e.message, 'Mismatch of parameter numbers and input channel size. Found parameter numbers = 3 and channel size = 4.');
  assertMetaLikeReal(new PReLU(3), [3], { kind: 'channels', message: /channel size = 1\./ });
  assertMetaLikeReal(new PReLU(3), [], { kind: 'rank', message: /^Not allow zero-dim input tensor\.$/ });
  const y = new PReLU(4).call(constantMeta([1, 4, 3, 3]));
  assert.equal(y.facts.spatiallyConstant, true);
});

test('PReLU: a negative parameter count fails as in PyTorch', () => {
  assert.throws(() => new PReLU(-1), (e: RuntimeError) => e instanceof RuntimeError && e.kind === 'argument' && /negative dimension -1/.test(e.message));
});
