/**
 * The memory planner while gradients are recorded (tensor/plan.ts,
 * storage.ts holdStorage/disposeWhenFreed): a training step's intermediates
 * are recycled once the backward pass has freed the ops holding them, so
 * from the second step the forward takes no fresh memory; losses and
 * gradients must be bit-identical to the unplanned step's, and nothing a
 * caller can still see (the output, hooked modules' tensors, a graph kept
 * with retainGraph) may be overwritten.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nn, randn, manualSeed, Tensor } from '../../src/index.js';
import { setMemoryPlanning } from '../../src/tensor/plan.js';
import { emptyStorageCache, storageInfo } from '../../src/tensor/storage.js';
import { mseLoss } from '../../src/ops/loss.js';
import { Adam } from '../../src/optim/adam.js';

const C = 8;
// Every intermediate 16,384 elements or more: large enough to be recycled.
const SHAPE = [2, C, 64, 64];

const same = (a: Float32Array, b: Float32Array, what: string) => {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) assert.fail(`${what}: element ${i} is ${a[i]}, want ${b[i]}`);
};

/** The style network's kinds of layers: reflection padding, convolutions, affine InstanceNorm, ReLU, a residual block, nearest upsampling, a concat. */
function styleLike(): nn.Module {
  return new nn.Sequential(
    new nn.Concat([
      new nn.Identity(),
      new nn.Sequential(
        new nn.ReflectionPad2d(1),
        new nn.Conv2d(C, C, 3, { stride: 2 }),
        new nn.InstanceNorm2d(C, { affine: true }),
        new nn.ReLU(),
        new nn.Residual(new nn.Sequential(new nn.ReflectionPad2d(1), new nn.Conv2d(C, C, 3), new nn.InstanceNorm2d(C, { affine: true }), new nn.ReLU())),
        new nn.Upsample({ scaleFactor: 2, mode: 'nearest' }),
      ),
    ], 1),
    new nn.ReflectionPad2d(1),
    new nn.Conv2d(2 * C, C, 3),
    new nn.ReLU(),
  );
}

function train(planned: boolean, steps: number) {
  setMemoryPlanning(planned);
  try {
    manualSeed(11);
    const model = styleLike();
    const opt = new Adam(model.parameters(), { lr: 1e-2 });
    const x = randn(SHAPE);
    const target = randn(SHAPE);
    emptyStorageCache();
    const out: Float32Array[] = [];
    const fresh: number[] = [];
    const outputs: { y: Tensor; copy: Float32Array }[] = [];
    for (let i = 0; i < steps; i++) {
      opt.zeroGrad(true);
      const a0 = storageInfo().allocated;
      const y = model.call(x);
      fresh.push(storageInfo().allocated - a0);
      const loss = mseLoss(y, target);
      loss.backward();
      outputs.push({ y, copy: Float32Array.from(y.data) });
      out.push(Float32Array.from(loss.data), ...model.parameters().map((p) => Float32Array.from(p.grad!.data)));
      opt.step();
    }
    // The outputs the caller holds were never overwritten by later steps.
    outputs.forEach(({ y, copy }, i) => same(y.data, copy, `output of step ${i}`));
    return { out, fresh };
  } finally {
    setMemoryPlanning(true);
  }
}

test('training steps: bit-identical losses and gradients with and without planning; from the second step the forward takes no fresh memory', () => {
  const off = train(false, 3);
  const on = train(true, 3);
  on.out.forEach((a, k) => same(a, off.out[k]!, `loss or gradient ${k}`));
  assert.ok(off.fresh.every((n) => n >= 8), `unplanned forwards allocate: ${off.fresh.join(', ')}`);
  assert.deepEqual(on.fresh.slice(1), [0, 0], `fresh arrays per planned forward: ${on.fresh.join(', ')}`);
});

test('a hooked module\'s tensors and a graph kept by retainGraph are never recycled', () => {
  manualSeed(12);
  const model = styleLike();
  const x = randn(SHAPE);
  const target = randn(SHAPE);
  const seen: { t: Tensor; copy: Float32Array }[] = [];
  const relu = [...model.modules()].find((m) => m instanceof nn.ReLU)!;
  relu.registerForwardHook((_m, inputs, y) => void seen.push(...[inputs[0]!, y].map((t) => ({ t, copy: Float32Array.from(t.data) }))));
  const grads = (retain: boolean): Float32Array[] => {
    model.zeroGrad();
    const loss = mseLoss(model.call(x), target);
    loss.backward(undefined, { retainGraph: retain });
    const first = model.parameters().map((p) => Float32Array.from(p.grad!.data));
    if (!retain) return first;
    // Other steps' arrays come and go in between: the kept graph's must not be among them.
    for (let i = 0; i < 2; i++) {
      const m2 = styleLike();
      mseLoss(m2.call(x), target).backward();
    }
    model.zeroGrad();
    loss.backward();
    return model.parameters().map((p) => Float32Array.from(p.grad!.data));
  };
  const want = grads(false);
  grads(true).forEach((g, k) => same(g, want[k]!, `gradient ${k} of the second pass through a retained graph`));
  assert.ok(seen.length > 0);
  for (const { t, copy } of seen) same(t.data, copy, 'a tensor shown to a hook');
});
