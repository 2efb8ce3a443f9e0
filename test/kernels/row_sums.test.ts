/**
 * Float64 row sums (kernels/reduce.ts rowSumsF64: four float64 lanes in
 * WebAssembly SIMD from 64 floats a row, else in order) and the global
 * average pool built on them: against the in-order float64 sum, rows of every
 * length mod 4, several chunks, NaN and infinities kept.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { rowSumsF64 } from '../../src/kernels/reduce.js';
import { adaptiveAvgPool2d } from '../../src/kernels/pool.js';
import { gemmBackend } from '../../src/kernels/gemm.js';

function inOrder(x: Float32Array, rows: number, len: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let i = 0; i < len; i++) s += x[r * len + i]!;
    out.push(s);
  }
  return out;
}

test('rowSumsF64 equals the in-order float64 sum within float64 rounding (SIMD lanes from 64 floats a row)', () => {
  assert.equal(gemmBackend, 'wasm-simd', 'the gemm module did not load');
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 1 << 30 }), (rows, len, seed) => {
      const x = new Float32Array(rows * len);
      let s = seed;
      for (let i = 0; i < x.length; i++) {
        s = (s * 1103515245 + 12345) >>> 0;
        x[i] = ((s >>> 8) / (1 << 24) - 0.3) * 100;
      }
      const got = rowSumsF64(x, rows, len);
      const want = inOrder(x, rows, len);
      let scale = 0;
      for (const v of x) scale += Math.abs(v);
      for (let r = 0; r < rows; r++) assert.ok(Math.abs(got[r]! - want[r]!) <= scale * 1e-15, `row ${r} of ${rows} x ${len}: ${got[r]} vs ${want[r]}`);
    }),
    { seed: 17, numRuns: 300 },
  );
  // more rows than one pass through wasm memory holds (chunks of whole rows), and non-finite values
  const rows = 600;
  const len = 1000;
  const x = new Float32Array(rows * len).map((_, i) => (i % 7) - 3 + (i % 13) / 16);
  x[5 * len + 17] = NaN;
  x[9 * len + 999] = Infinity;
  const got = rowSumsF64(x, rows, len);
  const want = inOrder(x, rows, len);
  for (let r = 0; r < rows; r++) assert.ok(Object.is(got[r], want[r]) || Math.abs(got[r]! - want[r]!) <= 1e-9, `row ${r}: ${got[r]} vs ${want[r]}`);
  assert.ok(Number.isNaN(got[5]!) && got[9] === Infinity);
});

test('the global average pool is each plane\'s float64 mean rounded once (the bounded loop\'s values)', () => {
  const [planes, H, W] = [37, 11, 13];
  const x = new Float32Array(planes * H * W).map((_, i) => Math.sin(i) * 3 + 0.5);
  const got = adaptiveAvgPool2d(x, planes, H, W, 1, 1);
  const want = inOrder(x, planes, H * W).map((s) => Math.fround(s / (H * W)));
  assert.deepEqual(Array.from(got), want);
});
