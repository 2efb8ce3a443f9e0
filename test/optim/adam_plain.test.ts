/**
 * Adam's plain update (no amsgrad, maximize or L2 decay: its own loop,
 * optim/adam.ts plainStep) against the general loop, bit for bit: the
 * general loop runs as maximize on the negated gradients, which is the same
 * arithmetic. Seeded gradients over several steps and sizes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, randn } from '../../src/index.js';
import { Adam } from '../../src/optim/adam.js';
import { Tensor } from '../../src/tensor/tensor.js';

test('Adam without amsgrad, maximize or decay: the general loop\'s parameters and state bit for bit', () => {
  manualSeed(21);
  const shapes = [[7], [16, 3, 3, 3], [300]];
  const plain = shapes.map((s) => randn(s).requiresGrad_());
  const general = plain.map((p) => new Tensor(Float32Array.from(p.data), p.shape).requiresGrad_());
  const a = new Adam(plain, { lr: 0.01, betas: [0.8, 0.99], eps: 1e-6 });
  const b = new Adam(general, { lr: 0.01, betas: [0.8, 0.99], eps: 1e-6, maximize: true });
  for (let step = 0; step < 5; step++) {
    plain.forEach((p, k) => {
      const g = randn(p.shape).mul(step === 2 ? 1e-4 : 1);
      p.grad = g;
      general[k]!.grad = new Tensor(Float32Array.from(g.data, (v) => -v), p.shape);
    });
    a.step();
    b.step();
    plain.forEach((p, k) => {
      const q = general[k]!;
      for (let i = 0; i < p.data.length; i++) assert.ok(Object.is(p.data[i], q.data[i]), `step ${step}, parameter ${k}[${i}]: ${p.data[i]} != ${q.data[i]}`);
    });
  }
  const sa = a.stateDict().state as Record<string, Record<string, Tensor>>;
  const sb = b.stateDict().state as Record<string, Record<string, Tensor>>;
  for (const k of Object.keys(sa)) {
    for (const key of ['exp_avg', 'exp_avg_sq']) assert.deepEqual(sa[k]![key]!.data, sb[k]![key]!.data, `${key} of parameter ${k}`);
  }
});
