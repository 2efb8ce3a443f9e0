/** A tensor on a part (subarray) of recyclable storage keeps that storage from being recycled under it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/tensor/methods.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { randn } from '../../src/tensor/creation.js';
import { noGrad } from '../../src/autograd/grad_mode.js';
import { add, mul } from '../../src/ops/elementwise.js';
import { tidy } from '../../src/tensor/tidy.js';
import { emptyStorageCache, isRecyclable } from '../../src/tensor/storage.js';

test('a tensor on a subarray of recyclable storage is counted: disposing the owner does not recycle it', () => {
  emptyStorageCache();
  const x = randn([4, 64, 64]);
  const y = noGrad(() => mul(x, 2));
  assert.ok(isRecyclable(y.data));
  const yArr = y.data;
  const part = new Tensor(yArr.subarray(100, 110), [10]);
  const want = Array.from(part.data);
  y.dispose();
  const z = noGrad(() => add(x, 100)); // same size: would take y's array if it were free
  assert.notEqual(z.data.buffer, part.data.buffer);
  assert.deepEqual(Array.from(part.data), want);
  // Once the part is disposed too, the storage goes back.
  part.dispose();
  const again = noGrad(() => add(x, 1));
  assert.equal(again.data, yArr);
});

test('tidy keeps a subarray tensor it returns and the storage under it', () => {
  emptyStorageCache();
  const x = randn([4, 64, 64]);
  const part = tidy(() =>
    noGrad(() => {
      const y = mul(x, 3);
      return new Tensor(y.data.subarray(0, 8), [8]);
    }),
  );
  const want = Array.from(part.data);
  for (let i = 0; i < 3; i++) noGrad(() => add(x, i)).dispose();
  assert.deepEqual(Array.from(part.data), want);
  assert.equal(part.data[0], Math.fround(x.data[0]! * 3));
});
