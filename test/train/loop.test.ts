/** The training loop on tiny settings: the loss falls, runs are reproducible, impossible sizes fail before training. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor } from '../../src/tensor/tensor.js';
import { RuntimeError, ValueError } from '../../src/errors.js';
import { train, type TrainConfig } from '../../src/train/loop.js';
import { buildStyleNet } from '../../src/train/model.js';

const tiny: TrainConfig = { epochs: 3, stepsPerEpoch: 4, batchSize: 4, lr: 3e-3, size: 8, seed: 5 };

test('a tiny run: training and held-out loss fall, hooks see every step and epoch', async () => {
  const steps: number[] = [];
  const epochs: number[] = [];
  const r = await train(tiny, { onStep: (s) => steps.push(s.step), onEpoch: (e) => epochs.push(e.epoch) });
  assert.deepEqual(steps, [1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4]);
  assert.deepEqual(epochs, [1, 2, 3]);
  assert.equal(r.stepLosses.length, 12);
  const [first, , last] = r.epochs;
  assert.ok(last!.trainLoss < 0.7 * first!.trainLoss, `train loss ${first!.trainLoss} -> ${last!.trainLoss}`);
  assert.ok(last!.heldOutLoss < 0.5 * r.initialHeldOutLoss, `held-out ${r.initialHeldOutLoss} -> ${last!.heldOutLoss}`);
  // The epoch mean is the mean of its steps.
  const mean = r.stepLosses.slice(0, 4).reduce((a, b) => a + b) / 4;
  assert.ok(Math.abs(first!.trainLoss - mean) < 1e-12);
  assert.deepEqual(r.heldOutOutput.shape, [6, 3, 8, 8]);
});

test('the same seed reproduces the run exactly; another seed does not', async () => {
  const cfg = { ...tiny, epochs: 2, stepsPerEpoch: 2 };
  const a = await train(cfg);
  const b = await train(cfg);
  assert.deepEqual(a.stepLosses, b.stepLosses);
  assert.deepEqual(Buffer.from(a.heldOutOutput.data.buffer), Buffer.from(b.heldOutOutput.data.buffer));
  const c = await train({ ...cfg, seed: 6 });
  assert.notDeepEqual(a.stepLosses, c.stepLosses);
});

test('l1 loss trains too', async () => {
  const r = await train({ ...tiny, loss: 'l1' });
  assert.ok(r.epochs[2]!.trainLoss < 0.8 * r.epochs[0]!.trainLoss);
});

test('a size the network cannot take fails before any step, naming the instance norm that would raise', async () => {
  let stepped = false;
  await assert.rejects(
    train({ ...tiny, size: 2 }, { onStep: () => (stepped = true) }),
    (e: unknown) => e instanceof ValueError && e.modulePath === '0.branches.1.6' && /spatial element/.test(e.message),
  );
  assert.equal(stepped, false);
  // At an odd size the body comes back a pixel larger (stride 2 rounds up, x2 upsampling), and the Concat refuses it.
  await assert.rejects(train({ ...tiny, size: 9 }), (e: unknown) => e instanceof RuntimeError && e.modulePath === '0' && /Expected size 9 but got size 10/.test(e.message));
});

test('the style net is examples/style_net.json: PyTorch module paths, the input size kept', () => {
  const m = buildStyleNet();
  assert.deepEqual(m.call(Tensor.meta([2, 3, 32, 32])).shape, [2, 3, 32, 32]);
  const keys = [...m.stateDict().keys()];
  assert.ok(keys.includes('0.branches.1.8.body.1.weight'));
  assert.ok(keys.includes('0.branches.1.6.weight'), 'InstanceNorm2d is affine');
  assert.ok(keys.includes('4.bias'));
});
