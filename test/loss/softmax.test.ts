/** softmax / log_softmax: values by hand, stability for huge logits, gradients, meta shapes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

// Deterministic: every property runs on the same draws each time.
fc.configureGlobal({ seed: 20261201 });
import { IndexError, Tensor, manualSeed, randn, tensor } from '../../src/index.js';
import { logSoftmax, softmax } from '../../src/ops/softmax.js';
import { assertClose, checkGradients } from '../helpers.js';

test('softmax of [1, 2, 3] by hand; log_softmax is its log', () => {
  const z = Math.exp(1) + Math.exp(2) + Math.exp(3);
  const want = [Math.exp(1) / z, Math.exp(2) / z, Math.exp(3) / z];
  assertClose(softmax(tensor([1, 2, 3]), 0), want, 1e-7);
  assertClose(logSoftmax(tensor([1, 2, 3]), -1), want.map(Math.log), 1e-6);
});

test('the softmax dim may be any axis: columns of a [2, 3] tensor sum to 1', () => {
  const y = softmax(tensor([[0, 1, 2], [2, 1, 0]]), 0);
  const d = y.data;
  for (let c = 0; c < 3; c++) assert.ok(Math.abs(d[c]! + d[3 + c]! - 1) < 1e-6);
  assertClose(y, [1 / (1 + Math.E ** 2), 0.5, 1 / (1 + Math.E ** -2), 1 / (1 + Math.E ** -2), 0.5, 1 / (1 + Math.E ** 2)], 1e-6);
});

test('huge logits neither overflow nor lose the small differences', () => {
  const y = logSoftmax(tensor([1000, 1001, -1000]), 0);
  const lse = 1001 + Math.log(1 + Math.exp(-1));
  assertClose(y, [1000 - lse, 1001 - lse, -1000 - lse], 1e-4, 1e-6);
  assertClose(softmax(tensor([1000, 1000]), 0), [0.5, 0.5], 1e-7);
});

test('a NaN logit makes its whole row NaN, other rows unaffected', () => {
  const y = softmax(tensor([[1, NaN], [1, 1]]), 1);
  assertClose(y, [NaN, NaN, 0.5, 0.5]);
});

test('softmax of a 0-d tensor is 1; dim out of range is an IndexError', () => {
  assertClose(softmax(tensor(3), 0), [1]);
  assert.throws(() => softmax(tensor([1, 2]), 1), IndexError);
  assert.throws(() => logSoftmax(tensor([[1, 2]]), -3), IndexError);
});

test('log_softmax is unchanged by adding a constant to a row (property)', () => {
  fc.assert(
    fc.property(fc.array(fc.float({ min: -50, max: 50, noNaN: true }), { minLength: 1, maxLength: 6 }), fc.float({ min: -100, max: 100, noNaN: true }), (row, c) => {
      const a = logSoftmax(tensor(row), 0).data;
      const b = logSoftmax(tensor(row.map((v) => v + c)), 0).data;
      for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= 1e-4 + 1e-4 * Math.abs(a[i]!), `${a[i]} vs ${b[i]}`);
    }),
    { numRuns: 50 },
  );
});

test('softmax and log_softmax gradients match finite differences along inner and outer dims', () => {
  manualSeed(1);
  for (const dim of [0, 1, 2]) {
    checkGradients((x) => softmax(x, dim), [randn([2, 3, 4])], { eps: 1e-2, atol: 5e-3, rtol: 5e-3 });
    checkGradients((x) => logSoftmax(x, dim), [randn([2, 3, 4])], { eps: 1e-2, atol: 5e-3, rtol: 5e-3 });
  }
});

test('meta inputs give meta outputs of the same shape', () => {
  const y = softmax(Tensor.meta([2, 5, 7]), 1);
  assert.ok(y.isMeta);
  assert.deepEqual(y.shape, [2, 5, 7]);
  assert.throws(() => logSoftmax(Tensor.meta([2, 5]), 2), IndexError);
});
