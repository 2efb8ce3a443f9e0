/** ReLU's wasm and JavaScript loops agree on every kind of value, forward and backward. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reluBackward, reluForward } from '../../src/kernels/relu.js';
import { setGemmBackend, wasmGemm } from '../../src/kernels/gemm.js';

test('relu: wasm and js loops agree (NaN kept, -0 -> 0, 0 has no gradient) across the chunk edges', () => {
  assert.ok(wasmGemm);
  const n = (1 << 16) + 77;
  const x = Float32Array.from({ length: n }, (_, i) => (i % 7 === 0 ? NaN : i % 11 === 0 ? -0 : i % 13 === 0 ? 0 : Math.sin(i) * 3));
  const g = Float32Array.from({ length: n }, (_, i) => Math.cos(i));
  const run = () => {
    const y = reluForward(x);
    return [y, reluBackward(y, g)];
  };
  const [yw, gw] = run();
  setGemmBackend('scalar');
  const [yj, gj] = run();
  setGemmBackend('wasm-simd');
  assert.deepEqual(yw, yj);
  assert.deepEqual(gw, gj);
  assert.ok(Number.isNaN(yw![0]!) && Object.is(yw![11], 0) && yw![13] === 0 && gw![13] === 0 && gw![0] === g[0]);
});
