/**
 * Cache-blocked single-precision matrix multiply on typed arrays:
 * C[M,N] (+)= op(A)[M,K] * op(B)[K,N], with op = identity or transpose.
 * Row-major; the inner loop runs along contiguous rows of B and C.
 */
const BK = 128;
const BN = 512;

export interface GemmOptions {
  transA?: boolean;
  transB?: boolean;
  /** Add into C instead of overwriting it. */
  accumulate?: boolean;
  aOffset?: number;
  bOffset?: number;
  cOffset?: number;
}

export function gemm(
  M: number,
  N: number,
  K: number,
  A: Float32Array,
  B: Float32Array,
  C: Float32Array,
  opts: GemmOptions = {},
): void {
  const ao = opts.aOffset ?? 0;
  const bo = opts.bOffset ?? 0;
  const co = opts.cOffset ?? 0;
  if (!opts.accumulate) C.fill(0, co, co + M * N);
  if (M === 0 || N === 0 || K === 0) return;
  // Transposed B is copied once so that the inner loop always reads contiguous rows.
  let Bm = B;
  let bOff = bo;
  if (opts.transB) {
    Bm = new Float32Array(K * N);
    for (let n = 0; n < N; n++) {
      const src = bo + n * K;
      for (let k = 0; k < K; k++) Bm[k * N + n] = B[src + k]!;
    }
    bOff = 0;
  }
  const transA = opts.transA ?? false;
  // Accumulate a row block of C in float64 for accuracy over long K.
  const acc = new Float64Array(Math.min(N, BN));
  for (let j0 = 0; j0 < N; j0 += BN) {
    const jn = Math.min(BN, N - j0);
    for (let i = 0; i < M; i++) {
      const crow = co + i * N + j0;
      for (let j = 0; j < jn; j++) acc[j] = C[crow + j]!;
      for (let k0 = 0; k0 < K; k0 += BK) {
        const kn = Math.min(BK, K - k0);
        for (let k = k0; k < k0 + kn; k++) {
          const a = transA ? A[ao + k * M + i]! : A[ao + i * K + k]!;
          if (a === 0) continue;
          const brow = bOff + k * N + j0;
          for (let j = 0; j < jn; j++) acc[j] = acc[j]! + a * Bm[brow + j]!;
        }
      }
      for (let j = 0; j < jn; j++) C[crow + j] = acc[j]!;
    }
  }
}
