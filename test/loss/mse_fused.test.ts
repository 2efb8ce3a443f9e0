/**
 * mseLoss on same-shape operands runs as one recorded op: its value is the
 * composed form's (mean / sum of square(sub)) bit for bit, its gradients
 * ATen's mse_loss_backward (norm * (input - target) * grad in float32).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, randn } from '../../src/index.js';
import { mseLoss } from '../../src/ops/loss.js';
import { mean, sum } from '../../src/ops/reduce.js';
import { square, sub } from '../../src/ops/elementwise.js';
import { Tensor } from '../../src/tensor/tensor.js';

const f = Math.fround;

test('fused mse_loss: the composed value bit for bit, ATen gradients for input and target', () => {
  manualSeed(3);
  for (const reduction of ['mean', 'sum'] as const) {
    for (const shape of [[8, 3, 5, 7], [1000], [2, 1]]) {
      const x = randn(shape).requiresGrad_();
      const t = randn(shape).mul(0.5).requiresGrad_();
      const loss = mseLoss(x, t, { reduction });
      const composed = (reduction === 'mean' ? mean : sum)(square(sub(x, t)));
      assert.ok(Object.is(loss.item(), composed.item()), `${reduction} ${shape}: ${loss.item()} != ${composed.item()}`);
      assert.equal(loss.gradNode?.name, 'mse_loss');
      const seed = 0.37;
      loss.backward(new Tensor(Float32Array.of(seed), []));
      const n = x.numel();
      const norm = f(reduction === 'mean' ? 2 / n : 2);
      const gx = x.grad!.data;
      const gt = t.grad!.data;
      for (let i = 0; i < n; i++) {
        const want = f(f(norm * f(x.data[i]! - t.data[i]!)) * f(seed));
        assert.ok(Object.is(gx[i], want), `${reduction} grad_input[${i}]: ${gx[i]} != ${want}`);
        assert.ok(Object.is(gt[i], -want), `${reduction} grad_target[${i}]`);
      }
    }
  }
});

test('mse_loss with broadcasting or reduction none keeps the composed path', () => {
  manualSeed(4);
  const x = randn([3, 4]).requiresGrad_();
  const t = randn([4]);
  assert.notEqual(mseLoss(x, t).gradNode?.name, 'mse_loss');
  assert.notEqual(mseLoss(x, randn([3, 4]), { reduction: 'none' }).gradNode?.name, 'mse_loss');
});
