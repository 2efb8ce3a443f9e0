/**
 * Cache-blocked single-precision matrix multiply on typed arrays:
 * C[M,N] (+)= op(A)[M,K] * op(B)[K,N], with op = identity or transpose.
 * Row-major. Blocks of op(A) and op(B) are packed into narrow strips, so that
 * transposes cost nothing extra and a register-blocked micro-kernel streams
 * both operands contiguously. Two backends: WebAssembly SIMD (asm/gemm.ts:
 * operands copied into its memory, packing, blocking and a 4x8 micro-kernel
 * there, float32 accumulation as in PyTorch) where it loads, else scalar
 * JavaScript (4x4 tiles, float64 accumulation within each K-block).
 *
 * NORMKIT_NO_WASM=1 (as for the normalization kernels) or NORMKIT_GEMM=js
 * selects the JavaScript path at startup; `setGemmBackend` switches at run time.
 */
import { platform } from '#platform';
import { RuntimeError } from '../errors.js';
import { loadWasmGemm, type WasmGemm, type WasmGemmLoad, type WasmGemmVariant } from './gemm_wasm.js';
import type { ActCode } from './activations.js';

const KC = 256;
const MC = 64;
const NC = 1024;

export interface GemmOptions {
  transA?: boolean;
  transB?: boolean;
  /** Add into C instead of overwriting it. */
  accumulate?: boolean;
  /** C = rowBias + op(A) op(B): the N values added to every row, as the sums' starting value (a linear layer's bias; not with `accumulate`). */
  rowBias?: Float32Array;
  /**
   * An activation by its SIMD code, applied to C in wasm memory before it is
   * copied out (a fused linear -> activation: ops/linear.ts passes it only
   * where the op would run that kernel). Not with `accumulate`.
   */
  act?: ActCode;
  aOffset?: number;
  bOffset?: number;
  cOffset?: number;
  /** Row strides of A, B, C as stored (defaults: packed, i.e. the stored row length). */
  lda?: number;
  ldb?: number;
  ldc?: number;
}

// Packing buffers, reused across calls (gemm is synchronous and not re-entrant).
const packedA = new Float64Array(MC * KC);
const packedB = new Float64Array((NC + 4) * KC);
const edge = new Float64Array(16);
const wasmLoad = loadWasmGemm();
/** The WebAssembly gemm of this thread (null when it did not load; browsers: until `initWasm()`). */
export let wasmGemm: WasmGemm | null = wasmLoad.gemm;
export let wasmGemmError: string | null = wasmLoad.error;
/** Which build of the WebAssembly gemm loaded (relaxed SIMD or SIMD128; null when none), and why not the relaxed one. */
export let wasmGemmVariant: WasmGemmVariant | null = wasmLoad.variant;
export let wasmGemmRelaxedError: string | null = wasmLoad.relaxedError;

type Buf = Float32Array | Float64Array;

/** Packs op(A)[i0:i0+mc, p0:p0+kc] as strips of 4 rows: Ap[off + r*kc + p*4 + ii]. */
function packA(Ap: Buf, off: number, A: Float32Array, ao: number, transA: boolean, lda: number, i0: number, mc: number, p0: number, kc: number): void {
  for (let r = 0; r < mc; r += 4) {
    const base = off + r * kc;
    for (let ii = 0; ii < 4; ii++) {
      let dst = base + ii;
      if (r + ii >= mc) {
        for (let p = 0; p < kc; p++, dst += 4) Ap[dst] = 0;
        continue;
      }
      const i = i0 + r + ii;
      if (transA) {
        let src = ao + p0 * lda + i;
        for (let p = 0; p < kc; p++, src += lda, dst += 4) Ap[dst] = A[src]!;
      } else {
        const src = ao + i * lda + p0;
        for (let p = 0; p < kc; p++, dst += 4) Ap[dst] = A[src + p]!;
      }
    }
  }
}

/** Packs op(B)[p0:p0+kc, j0:j0+nc] as strips of `w` columns: Bp[off + s*kc + p*w + jj]. */
function packB(Bp: Buf, off: number, w: number, B: Float32Array, bo: number, transB: boolean, ldb: number, j0: number, nc: number, p0: number, kc: number): void {
  const full = nc - (nc % w);
  if (!transB) {
    // Row by row: contiguous reads of B, w-wide contiguous writes per strip.
    for (let p = 0; p < kc; p++) {
      const src = bo + (p0 + p) * ldb + j0;
      let s = 0;
      for (; s < full; s += w) {
        const dst = off + s * kc + p * w;
        for (let jj = 0; jj < w; jj++) Bp[dst + jj] = B[src + s + jj]!;
      }
      if (s < nc) {
        const dst = off + s * kc + p * w;
        for (let jj = 0; jj < w; jj++) Bp[dst + jj] = s + jj < nc ? B[src + s + jj]! : 0;
      }
    }
    return;
  }
  for (let s = 0; s < nc; s += w) {
    const base = off + s * kc;
    for (let jj = 0; jj < w; jj++) {
      let dst = base + jj;
      if (s + jj >= nc) {
        for (let p = 0; p < kc; p++, dst += w) Bp[dst] = 0;
        continue;
      }
      const src = bo + (j0 + s + jj) * ldb + p0;
      for (let p = 0; p < kc; p++, dst += w) Bp[dst] = B[src + p]!;
    }
  }
}

/** Resolved strides: A is stored M x K (K x M when transposed), B K x N (N x K), C M x N. */
function strides(M: number, N: number, K: number, o: GemmOptions): [number, number, number] {
  return [o.lda ?? (o.transA ? M : K), o.ldb ?? (o.transB ? K : N), o.ldc ?? N];
}

function zeroC(C: Float32Array, co: number, M: number, N: number, ldc: number): void {
  if (ldc === N) C.fill(0, co, co + M * N);
  else for (let i = 0; i < M; i++) C.fill(0, co + i * ldc, co + i * ldc + N);
}

/** Every one of M rows of C (N values, ldc apart) set to `row`: the first written, the rest doubled by native copies. */
function fillRows(C: Float32Array, co: number, M: number, N: number, ldc: number, row: Float32Array): void {
  if (M === 0 || N === 0) return;
  if (row.length !== N) throw new RuntimeError(`gemm: rowBias has ${row.length} values for rows of ${N}`);
  C.set(row, co);
  if (ldc !== N) {
    for (let i = 1; i < M; i++) C.set(row, co + i * ldc);
    return;
  }
  for (let done = 1; done < M; done *= 2) C.copyWithin(co + done * N, co, co + Math.min(done, M - done) * N);
}

/** C[co.., 4x4 tile] += Ap strip (4 x kc) * Bp strip (kc x 4); only mr x nr entries are written. */
function microKernel(kc: number, ao: number, bo: number, C: Float32Array, co: number, ldc: number, mr: number, nr: number): void {
  const Ap = packedA;
  const Bp = packedB;
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  for (let p = 0; p < kc; p++) {
    const a0 = Ap[ao]!, a1 = Ap[ao + 1]!, a2 = Ap[ao + 2]!, a3 = Ap[ao + 3]!;
    const b0 = Bp[bo]!, b1 = Bp[bo + 1]!, b2 = Bp[bo + 2]!, b3 = Bp[bo + 3]!;
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
    ao += 4;
    bo += 4;
  }
  if (mr === 4 && nr === 4) {
    C[co] = C[co]! + c00; C[co + 1] = C[co + 1]! + c01; C[co + 2] = C[co + 2]! + c02; C[co + 3] = C[co + 3]! + c03; co += ldc;
    C[co] = C[co]! + c10; C[co + 1] = C[co + 1]! + c11; C[co + 2] = C[co + 2]! + c12; C[co + 3] = C[co + 3]! + c13; co += ldc;
    C[co] = C[co]! + c20; C[co + 1] = C[co + 1]! + c21; C[co + 2] = C[co + 2]! + c22; C[co + 3] = C[co + 3]! + c23; co += ldc;
    C[co] = C[co]! + c30; C[co + 1] = C[co + 1]! + c31; C[co + 2] = C[co + 2]! + c32; C[co + 3] = C[co + 3]! + c33;
    return;
  }
  const e = edge;
  e[0] = c00; e[1] = c01; e[2] = c02; e[3] = c03; e[4] = c10; e[5] = c11; e[6] = c12; e[7] = c13;
  e[8] = c20; e[9] = c21; e[10] = c22; e[11] = c23; e[12] = c30; e[13] = c31; e[14] = c32; e[15] = c33;
  for (let i = 0; i < mr; i++) {
    for (let j = 0; j < nr; j++) C[co + i * ldc + j] = C[co + i * ldc + j]! + e[i * 4 + j]!;
  }
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
  if (opts.act && (gemmBackend === 'scalar' || K === 0 || opts.accumulate)) throw new RuntimeError('internal: a fused activation needs the wasm gemm, K >= 1 and no accumulation');
  if (gemmBackend === 'scalar') gemmScalar(M, N, K, A, B, C, opts);
  else gemmWasm(M, N, K, A, B, C, opts);
}

/** Copies `rows` rows of `len` values between strided layouts (one bulk copy when both are contiguous). */
function copyRows(src: Float32Array, so: number, lds: number, dst: Float32Array, d0: number, ldd: number, rows: number, len: number): void {
  if (lds === len && ldd === len) {
    dst.set(src.subarray(so, so + rows * len), d0);
  } else if (len >= 64) {
    for (let i = 0; i < rows; i++) dst.set(src.subarray(so + i * lds, so + i * lds + len), d0 + i * ldd);
  } else {
    // Short rows: a plain loop beats creating two views per row.
    for (let i = 0; i < rows; i++) {
      const a = so + i * lds;
      const b = d0 + i * ldd;
      for (let j = 0; j < len; j++) dst[b + j] = src[a + j]!;
    }
  }
}

/** Rows of A up to which C = A B^T (B stored transposed: a linear layer's weights) runs as dot products (gemvT) instead of the gemm. */
const GEMV_ROWS = 8;

function gemmWasm(M: number, N: number, K: number, A: Float32Array, B: Float32Array, C: Float32Array, opts: GemmOptions): void {
  const w = wasmGemm!;
  const ao = opts.aOffset ?? 0;
  const bo = opts.bOffset ?? 0;
  const co = opts.cOffset ?? 0;
  const [lda, ldb, ldc] = strides(M, N, K, opts);
  if (M === 0 || N === 0) return;
  if (K === 0) {
    if (opts.rowBias) fillRows(C, co, M, N, ldc, opts.rowBias);
    else if (!opts.accumulate) zeroC(C, co, M, N, ldc);
    return;
  }
  const transA = opts.transA ?? false;
  const transB = opts.transB ?? false;
  // Operands as stored: A is M x K (K x M transposed), B K x N (N x K); copied in packed.
  const [aRows, aLen] = transA ? [K, M] : [M, K];
  const [bRows, bLen] = transB ? [N, K] : [K, N];
  w.reset();
  const a = w.alloc(aRows * aLen);
  const b = w.alloc(bRows * bLen);
  const c = w.alloc(M * N);
  const F = w.f32();
  copyRows(A, ao, lda, F, a, aLen, aRows, aLen);
  copyRows(B, bo, ldb, F, b, bLen, bRows, bLen);
  if (opts.rowBias) fillRows(F, c, M, N, N, opts.rowBias);
  else if (opts.accumulate) copyRows(C, co, ldc, F, c, N, M, N);
  const acc = opts.accumulate === true || opts.rowBias !== undefined;
  // A linear layer on a few rows: the gemm would pack the stored-transposed B for a tile mostly empty.
  if (!transA && transB && M <= GEMV_ROWS) w.gemvT(M, N, K, a, b, c, N, acc);
  else w.gemm(M, N, K, a, aLen, transA, b, bLen, transB, c, N, acc);
  if (opts.act) w.act(opts.act.kind, c, c, M * N, opts.act.a, opts.act.b);
  copyRows(F, c, N, C, co, ldc, M, N);
}

/** The portable path (also the fallback without WebAssembly SIMD). */
export function gemmScalar(
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
  const [lda, ldb, ldc] = strides(M, N, K, opts);
  if (opts.rowBias) fillRows(C, co, M, N, ldc, opts.rowBias);
  else if (!opts.accumulate) zeroC(C, co, M, N, ldc);
  if (M === 0 || N === 0 || K === 0) return;
  const transA = opts.transA ?? false;
  const transB = opts.transB ?? false;
  for (let j0 = 0; j0 < N; j0 += NC) {
    const nc = Math.min(NC, N - j0);
    for (let p0 = 0; p0 < K; p0 += KC) {
      const kc = Math.min(KC, K - p0);
      packB(packedB, 0, 4, B, bo, transB, ldb, j0, nc, p0, kc);
      for (let i0 = 0; i0 < M; i0 += MC) {
        const mc = Math.min(MC, M - i0);
        packA(packedA, 0, A, ao, transA, lda, i0, mc, p0, kc);
        for (let r = 0; r < mc; r += 4) {
          const mr = Math.min(4, mc - r);
          const crow = co + (i0 + r) * ldc + j0;
          for (let s = 0; s < nc; s += 4) microKernel(kc, r * kc, s * kc, C, crow + s, ldc, mr, Math.min(4, nc - s));
        }
      }
    }
  }
}

export type GemmBackendName = 'wasm-simd' | 'scalar';

const envScalar = platform.env('NORMKIT_NO_WASM') === '1' || platform.env('NORMKIT_GEMM') === 'js';

/** Which micro-kernel `gemm` runs (a live binding: see setGemmBackend). */
export let gemmBackend: GemmBackendName = wasmGemm === null || envScalar ? 'scalar' : 'wasm-simd';

/** Whether the user picked the backend (then a late WebAssembly load does not switch it). */
let gemmChosen = false;

/** Selects gemm's kernels: 'wasm-simd' (throws if they did not load) or 'scalar'. */
export function setGemmBackend(name: GemmBackendName): void {
  if (name === 'wasm-simd' && wasmGemm === null) throw new RuntimeError(`the WebAssembly gemm is unavailable: ${wasmGemmError}`);
  if (name !== 'wasm-simd' && name !== 'scalar') throw new RuntimeError(`unknown gemm backend '${String(name)}' (expected 'wasm-simd' or 'scalar')`);
  gemmBackend = name;
  gemmChosen = true;
}

/** A gemm that loaded after import (browsers: `initWasm()`), used from now on as it would have been from the start. */
export function adoptWasmGemm(load: WasmGemmLoad): GemmBackendName {
  if (wasmGemm !== null) return gemmBackend;
  wasmGemm = load.gemm;
  wasmGemmError = load.error;
  wasmGemmVariant = load.variant;
  wasmGemmRelaxedError = load.relaxedError;
  if (wasmGemm !== null && !envScalar && !gemmChosen) gemmBackend = 'wasm-simd';
  return gemmBackend;
}

export interface GemmInfo {
  /** The micro-kernel gemm and the convolutions run. */
  backend: GemmBackendName;
  /** The WebAssembly build loaded: 'relaxed-simd' (fused multiply-add), 'simd128', or null (none loaded). */
  variant: WasmGemmVariant | null;
  /** Why the relaxed-SIMD build is not the one loaded (null when it is). */
  relaxedError: string | null;
  /** Why no WebAssembly gemm loaded (null when one did). */
  error: string | null;
}

/** What gemm and the convolutions run on this thread. */
export function gemmInfo(): GemmInfo {
  return { backend: gemmBackend, variant: wasmGemmVariant, relaxedError: wasmGemmRelaxedError, error: wasmGemmError };
}
