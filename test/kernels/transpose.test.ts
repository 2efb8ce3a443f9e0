/**
 * Batched 2-D transposes (kernels/layout.ts permuteData: NCHW <-> NHWC,
 * [B, N, C] <-> [B, C, N]) in wasm SIMD (asm/transpose.ts, matrices of 1024
 * values and more) and in TypeScript: bit for bit against a plain index
 * walk, on every size mod 4 around the 32x32 tiles, NaN payloads and -0 too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { permuteData } from '../../src/kernels/layout.js';
import { gemmBackend } from '../../src/kernels/gemm.js';

/** The transposes by index, moving the bits as integers (a JS number would quiet a NaN's payload). */
function naive(x: Float32Array, B: number, R: number, C: number): Uint32Array {
  const xb = new Uint32Array(x.buffer, x.byteOffset, x.length);
  const out = new Uint32Array(x.length);
  for (let b = 0; b < B; b++) for (let i = 0; i < R; i++) for (let j = 0; j < C; j++) out[b * R * C + j * R + i] = xb[b * R * C + i * C + j]!;
  return out;
}

test('permutes that are batches of transposes move every value bit for bit (wasm from 1024 values a matrix)', () => {
  assert.equal(gemmBackend, 'wasm-simd', 'the gemm module did not load');
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 90 }), fc.integer({ min: 1, max: 90 }), fc.integer({ min: 0, max: 1 << 30 }), (B, R, C, seed) => {
      const bits = new Uint32Array(B * R * C);
      let s = seed;
      for (let i = 0; i < bits.length; i++) {
        s = (s * 1103515245 + 12345) >>> 0;
        bits[i] = s;
      }
      bits[0] = 0x7fc00123; // a NaN with a payload
      if (bits.length > 1) bits[bits.length - 1] = 0x80000000; // -0
      const x = new Float32Array(bits.buffer);
      const got = permuteData(x, [B, R, C], [0, 2, 1]);
      const want = naive(x, B, R, C);
      const gotBits = new Uint32Array(got.buffer, got.byteOffset, got.length);
      // the wasm path moves bits; the TypeScript loops (small matrices) go through JS numbers, which may quiet a NaN's payload
      const same = (a: number, b: number) => a === b || ((a & 0x7f800000) === 0x7f800000 && (a & 0x7fffff) !== 0 && (b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0 && R * C < 1024);
      for (let i = 0; i < want.length; i++) assert.ok(same(gotBits[i]!, want[i]!), `${B} x ${R} x ${C} at ${i}: ${gotBits[i]!.toString(16)} vs ${want[i]!.toString(16)}`);
    }),
    { seed: 41, numRuns: 200 },
  );
});

test('NCHW -> NHWC -> NCHW of a ConvNeXt-sized map returns the input', () => {
  const shape = [2, 32, 56, 56];
  const x = new Float32Array(2 * 32 * 56 * 56).map((_, i) => Math.sin(i));
  const nhwc = permuteData(x, shape, [0, 2, 3, 1]);
  for (const [n, c, h, w] of [[0, 0, 0, 0], [1, 31, 55, 55], [1, 7, 20, 33]] as const) {
    assert.equal(nhwc[((n * 56 + h) * 56 + w) * 32 + c], x[((n * 32 + c) * 56 + h) * 56 + w]);
  }
  const back = permuteData(nhwc, [2, 56, 56, 32], [0, 3, 1, 2]);
  assert.deepEqual(back, x);
});
