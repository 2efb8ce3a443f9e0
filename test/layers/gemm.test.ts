/** The packed, register-blocked gemm against the triple loop, over edge sizes, transposes, offsets and accumulation. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { gemm, gemmBackend, gemmScalar } from '../../src/kernels/gemm.js';
import { Generator } from '../../src/tensor/random.js';
import { assertClose } from '../helpers.js';

function rand(n: number, g: Generator): Float32Array {
  return Float32Array.from({ length: n }, () => g.normal());
}

function naive(M: number, N: number, K: number, A: Float32Array, B: Float32Array, tA: boolean, tB: boolean, ao: number, bo: number): Float64Array {
  const C = new Float64Array(M * N);
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += A[ao + (tA ? k * M + i : i * K + k)]! * B[bo + (tB ? j * K + k : k * N + j)]!;
      C[i * N + j] = s;
    }
  return C;
}

const kernels = [
  ['gemm', gemm],
  ['gemmScalar', gemmScalar],
] as const;

test('Node runs the WebAssembly SIMD micro-kernel', () => {
  assert.equal(gemmBackend, 'wasm-simd');
});

for (const [name, gemm] of kernels) {
  test(`${name} equals the triple loop for any sizes (tile edges included), transposes and offsets`, () => {
    const dim = fc.integer({ min: 1, max: 11 });
    fc.assert(
      fc.property(dim, dim, dim, fc.boolean(), fc.boolean(), fc.boolean(), fc.integer({ min: 0, max: 1000 }), (M, N, K, tA, tB, acc, seed) => {
        const g = new Generator(seed);
        const A = rand(3 + M * K, g);
        const B = rand(5 + K * N, g);
        const C = rand(2 + M * N, g);
        const before = Float32Array.from(C);
        gemm(M, N, K, A, B, C, { transA: tA, transB: tB, accumulate: acc, aOffset: 3, bOffset: 5, cOffset: 2 });
        const want = naive(M, N, K, A, B, tA, tB, 3, 5).map((v, i) => v + (acc ? before[2 + i]! : 0));
        assertClose(C.subarray(2), want, 1e-5, 1e-5);
        assert.deepEqual([...C.subarray(0, 2)], [...before.subarray(0, 2)], 'writes stay inside C[cOffset..]');
      }),
      { numRuns: 150 },
    );
  });

  test(`${name} with rowBias starts every row's sums at the bias, over any sizes (K = 0 too), strides and offsets`, () => {
    const dim = fc.integer({ min: 0, max: 11 });
    fc.assert(
      fc.property(dim, dim, dim, fc.boolean(), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 1000 }), (M, N, K, tB, pad, seed) => {
        const g = new Generator(seed);
        const A = rand(M * K, g);
        const B = rand(K * N, g);
        const bias = rand(N, g);
        const ldc = N + pad;
        const C = rand(1 + M * ldc, g);
        const before = Float32Array.from(C);
        gemm(M, N, K, A, B, C, { transB: tB, rowBias: bias, cOffset: 1, ldc });
        const prod = naive(M, N, K, A, B, false, tB, 0, 0);
        for (let i = 0; i < M; i++) {
          for (let j = 0; j < ldc; j++) {
            const at = 1 + i * ldc + j;
            if (j >= N) assert.equal(C[at], before[at], 'the stride gap is untouched');
            else assert.ok(Math.abs(C[at]! - (prod[i * N + j]! + bias[j]!)) <= 1e-5 * (1 + Math.abs(prod[i * N + j]!)), `C[${i}][${j}]`);
          }
        }
        assert.equal(C[0], before[0], 'writes stay inside C[cOffset..]');
      }),
      { numRuns: 150 },
    );
  });

  test(`${name} crosses its cache blocks (K > 256, M > 64, N > 1024) correctly`, () => {
    const g = new Generator(1);
    const [M, N, K] = [67, 1030, 260];
    const A = rand(M * K, g);
    const B = rand(K * N, g);
    const C = new Float32Array(M * N);
    gemm(M, N, K, A, B, C);
    const want = naive(M, N, K, A, B, false, false, 0, 0);
    assertClose(C, want, 1e-4, 1e-5);
  });
}

test('a linear layer on up to 8 rows (A B^T: gemvT dot products) matches the triple loop on long rows, with bias, accumulation and a row stride', () => {
  const g = new Generator(4);
  for (const [M, N, K] of [[1, 1001, 1283], [2, 7, 1280], [5, 1000, 513], [8, 13, 31]] as const) {
    const A = rand(M * K, g);
    const B = rand(N * K, g);
    const bias = rand(N, g);
    const prod = naive(M, N, K, A, B, false, true, 0, 0);
    const ldc = N + 3;
    const C = rand(M * ldc, g);
    const before = Float32Array.from(C);
    gemm(M, N, K, A, B, C, { transB: true, rowBias: bias, ldc });
    const acc = Float32Array.from(before);
    gemm(M, N, K, A, B, acc, { transB: true, accumulate: true, ldc });
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < ldc; j++) {
        const at = i * ldc + j;
        if (j >= N) {
          assert.equal(C[at], before[at], 'the stride gap is untouched');
          assert.equal(acc[at], before[at], 'the stride gap is untouched');
          continue;
        }
        const p = prod[i * N + j]!;
        const tol = 1e-5 * Math.sqrt(K) * (1 + Math.abs(p));
        assert.ok(Math.abs(C[at]! - (p + bias[j]!)) <= tol, `${M}x${N}x${K} C[${i}][${j}]: ${C[at]} vs ${p + bias[j]!}`);
        assert.ok(Math.abs(acc[at]! - (p + before[at]!)) <= tol, `${M}x${N}x${K} accumulated C[${i}][${j}]`);
      }
    }
  }
});
