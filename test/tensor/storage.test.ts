/**
 * Recycled storage: Tensor.dispose() and tidy() give outputs made under
 * noGrad back for the next output of the same size, never an array a graph,
 * a gradient or another live tensor still uses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/ops/methods.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { randn } from '../../src/tensor/creation.js';
import { manualSeed } from '../../src/tensor/random.js';
import { noGrad } from '../../src/tensor/grad_mode.js';
import { add, mul } from '../../src/ops/elementwise.js';
import { reshape } from '../../src/ops/shape_ops.js';
import { instanceNorm } from '../../src/ops/norm/index.js';
import { sum } from '../../src/ops/reduce.js';
import { tidy } from '../../src/tensor/tidy.js';
import { emptyStorageCache, setStorageCacheLimit, storageInfo } from '../../src/tensor/storage.js';
import * as nn from '../../src/nn/index.js';
import * as optim from '../../src/optim/index.js';

// Large enough to be recycled (at least 16384 elements).
const SHAPE = [2, 4, 64, 64];

function input(seed: number): Tensor {
  manualSeed(seed);
  return randn(SHAPE);
}

test('a disposed noGrad output serves the next output of its size, and that output is right', () => {
  emptyStorageCache();
  const x = input(1);
  const first = noGrad(() => instanceNorm(x));
  const arr = first.data;
  const want = Float32Array.from(arr);
  first.dispose();
  assert.equal(first.isDisposed, true);
  assert.throws(() => first.data, /was disposed/);
  first.dispose(); // twice is fine
  const before = storageInfo().reused;
  const again = noGrad(() => instanceNorm(x));
  assert.equal(again.data, arr, 'the same array came back');
  assert.equal(storageInfo().reused, before + 1);
  assert.deepEqual(again.data, want);
  // Another op's output of the same size takes it too, written in full.
  again.dispose();
  const y = noGrad(() => add(x, 1));
  assert.equal(y.data, arr);
  for (let i = 0; i < y.data.length; i += 997) assert.equal(y.data[i], Math.fround(x.data[i]! + 1));
});

test('storage is recycled only when every tensor on it is disposed', () => {
  emptyStorageCache();
  const x = input(2);
  const y = noGrad(() => mul(x, 2));
  const view = reshape(y, [-1]);
  const arr = y.data;
  y.dispose();
  assert.equal(view.data[5], Math.fround(x.data[5]! * 2), 'the view still reads its values');
  const other = noGrad(() => mul(x, 3));
  assert.notEqual(other.data, arr, 'not recycled while the view lives');
  view.dispose();
  other.dispose();
  const next = noGrad(() => mul(x, 4));
  assert.ok(next.data === arr || storageInfo().cachedBytes > 0, 'recycled once both are disposed');
});

test('outputs made while gradients are recorded, and arrays a graph holds, are never recycled', () => {
  emptyStorageCache();
  const x = input(3).requiresGrad_();
  const y = instanceNorm(x); // recorded: backward may read x and y
  const yArr = y.data;
  y.dispose();
  const z = noGrad(() => instanceNorm(x.detach()));
  assert.notEqual(z.data, yArr);

  // A noGrad output that later feeds a recorded op is pinned: disposing it frees nothing for reuse,
  // and a backward pass that needs it says so instead of reading recycled memory.
  emptyStorageCache();
  const w = new Tensor(new Float32Array(SHAPE[1]!).fill(2), [1, SHAPE[1]!, 1, 1]).requiresGrad_();
  const h = noGrad(() => add(input(4), 0.5));
  const hArr = h.data;
  const loss = sum(mul(h, w));
  h.dispose();
  assert.notEqual(noGrad(() => add(input(5), 1)).data, hArr);
  assert.throws(() => loss.backward(), /was disposed/);
  // Not disposed, the same graph runs.
  const h2 = noGrad(() => add(input(4), 0.5));
  sum(mul(h2, w)).backward();
  let want = 0;
  for (let i = 0; i < 64 * 64; i++) want += h2.data[i]! + h2.data[4 * 64 * 64 + i]!; // channel 0 of both samples
  assert.ok(Math.abs(w.grad!.data[0]! - want) <= 1e-3 * Math.abs(want) + 1e-3, `grad ${w.grad!.data[0]} vs ${want}`);
});

test('tidy disposes the tensors it made under noGrad, keeps its result and leaves gradients and parameters alone', () => {
  emptyStorageCache();
  const x = input(6);
  let inner: Tensor | null = null;
  const out = tidy(() =>
    noGrad(() => {
      inner = add(x, 1);
      return { y: mul(inner, 2), list: [instanceNorm(inner)] };
    }),
  );
  assert.equal(inner!.isDisposed, true);
  assert.equal(out.y.isDisposed, false);
  assert.equal(out.list[0]!.isDisposed, false);
  assert.equal(out.y.data[3], Math.fround(Math.fround(x.data[3]! + 1) * 2));
  assert.equal(x.isDisposed, false, 'tensors made outside stay');

  // Nested: what the inner tidy keeps belongs to the outer one.
  let kept: Tensor | null = null;
  tidy(() => {
    kept = tidy(() => noGrad(() => add(x, 2)));
    assert.equal(kept.isDisposed, false);
    return null;
  });
  assert.equal(kept!.isDisposed, true);

  // A training step inside tidy: gradients and parameters survive.
  const lin = new nn.Conv2d(4, 2, 1);
  const step = (): void => {
    const loss = sum(lin.call(x));
    loss.backward();
  };
  tidy(step);
  assert.ok(lin.weight.grad !== null && !lin.weight.grad.isDisposed);
  assert.ok(Number.isFinite(lin.weight.grad.data[0]!));
  assert.equal(lin.weight.isDisposed, false);
  // Optimizer steps inside tidy keep their state from step to step.
  const opt = new optim.Adam(lin.parameters(), { lr: 1e-2 });
  const losses: number[] = [];
  for (let i = 0; i < 3; i++) {
    losses.push(
      tidy(() => {
        opt.zeroGrad();
        const loss = sum(mul(lin.call(x), lin.call(x)));
        loss.backward();
        opt.step();
        return loss.item();
      }),
    );
  }
  assert.ok(losses[2]! < losses[0]!, `the loss falls: ${losses.join(', ')}`);

  // A throw still disposes; an async fn is refused.
  let leaked: Tensor | null = null;
  assert.throws(() =>
    tidy(() =>
      noGrad(() => {
        leaked = add(x, 3);
        throw new Error('boom');
      }),
    ),
  /boom/);
  assert.equal(leaked!.isDisposed, true);
  assert.throws(() => tidy(async () => 1), /must not be async/);
});

test('the cache keeps at most its limit, and a limit of 0 turns recycling off', () => {
  emptyStorageCache();
  const x = input(7);
  setStorageCacheLimit(0);
  try {
    const y = noGrad(() => add(x, 1));
    const arr = y.data;
    y.dispose();
    assert.equal(storageInfo().cachedBytes, 0);
    assert.notEqual(noGrad(() => add(x, 1)).data, arr);
    setStorageCacheLimit(x.numel() * 4);
    const a = noGrad(() => add(x, 1));
    const b = noGrad(() => add(x, 2));
    a.dispose();
    b.dispose();
    assert.equal(storageInfo().cachedBytes, x.numel() * 4, 'only one array fits');
    assert.throws(() => setStorageCacheLimit(-1), /non-negative/);
  } finally {
    setStorageCacheLimit(256 * 1024 * 1024);
    emptyStorageCache();
  }
});
