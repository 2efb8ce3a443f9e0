/**
 * WebAssembly SIMD single-precision gemm and the convolution helpers around it
 * (AssemblyScript, `--enable simd`): C[M,N] (+)= op(A)[M,K] * op(B)[K,N],
 * row-major, all operands in this module's memory (byte addresses; the loader,
 * src/kernels/gemm_wasm.ts, places them and copies results out).
 *
 * GotoBLAS structure: for each NC-wide column block and KC-deep slice, op(B)
 * is packed into 8-column strips (kc x 8, contiguous), then for each MC-row
 * block op(A) into 4-row strips (kc x 4), and a 4x8 micro-kernel keeps its 8
 * f32x4 accumulators in registers over the whole kc loop: per step 2 vector
 * loads of B, 4 splat loads of A, 8 multiplies and 8 adds. (6x8 and 5x8 tiles
 * measured at half the speed: V8 keeps one of the 16 xmm registers as scratch,
 * and they spill.) Every accumulation `c += a * b` goes through `madd`: built
 * with `--enable relaxed-simd` (gemm_relaxed.wasm) it is f32x4.relaxed_madd, a
 * fused multiply-add where the CPU has one; built without (gemm.wasm, for
 * engines that do not validate relaxed SIMD, e.g. Node 20 without a flag) a
 * multiply rounded before its add. Accumulation in float32, as PyTorch's CPU
 * gemm. gemmPacked reads A packed whole beforehand (packAll: a layer's
 * weights kept packed across calls, src/kernels/gemm_weights.ts).
 *
 * Memory: [heapBase: packed A (MC*KC) | packed B (KC*(NC+8)) | edge tile | free];
 * `scratch()` is the first byte the loader may use for operands.
 */

import { lane4, madd } from './simd';

/**
 * max(v, 0) with f32x4.max's values (NaN kept, -0 -> +0) in two instructions
 * instead of the several x64 needs for f32x4.max's NaN and zero rules:
 * pmax(v, 0) (v < 0 ? 0 : v, a NaN v passes), then + 0, exact for every
 * value but -0, which it turns into +0.
 */
@inline function relu4(v: v128): v128 {
  return f32x4.add(f32x4.pmax(v, f32x4.splat(0)), f32x4.splat(0));
}


const MR: i32 = 4;
const NR: i32 = 8;
const KC: i32 = 256;
const MC: i32 = 120;
const NC: i32 = 1024;

let packA: usize = 0;
let packB: usize = 0;
let edge: usize = 0;
let free: usize = 0;

function layout(): void {
  if (packA !== 0) return;
  packA = (__heap_base + 63) & ~63;
  packB = packA + <usize>(MC * KC * 4);
  edge = packB + <usize>(KC * (NC + NR) * 4);
  free = (edge + <usize>(MR * NR * 4) + 63) & ~63;
}

/** First byte the loader may use for operands. */
export function scratch(): usize {
  layout();
  return free;
}

/** Packs op(A)[i0:i0+mc, p0:p0+kc] at `to` (the packA buffer by default) as strips of MR rows: Ap[strip*kc*MR + p*MR + i], zero rows past mc. */
function packAPanel(a: usize, lda: i32, transA: bool, i0: i32, mc: i32, p0: i32, kc: i32, to: usize = 0): void {
  let dst = to !== 0 ? to : packA;
  for (let r = 0; r < mc; r += MR) {
    const rows = min(MR, mc - r);
    if (transA) {
      // A is stored K x M: the MR values of step p are contiguous.
      let src = a + <usize>(((p0 * lda) + i0 + r) * 4);
      const step = <usize>(lda * 4);
      if (rows === MR) {
        for (let p = 0; p < kc; p++, src += step, dst += <usize>(MR * 4)) {
          for (let i = 0; i < MR; i++) store<f32>(dst + <usize>(i * 4), load<f32>(src + <usize>(i * 4)));
        }
      } else {
        for (let p = 0; p < kc; p++, src += step, dst += <usize>(MR * 4)) {
          for (let i = 0; i < MR; i++) store<f32>(dst + <usize>(i * 4), i < rows ? load<f32>(src + <usize>(i * 4)) : 0);
        }
      }
    } else if (rows === MR) {
      // A is stored M x K: four rows contiguous along p, transposed four steps at a time.
      const s0 = a + <usize>(((i0 + r) * lda + p0) * 4);
      const rowB = <usize>(lda * 4);
      let p = 0;
      for (; p + 4 <= kc; p += 4, dst += <usize>(MR * 16)) {
        const q = s0 + <usize>(p * 4);
        const r0 = v128.load(q), r1 = v128.load(q + rowB), r2 = v128.load(q + 2 * rowB), r3 = v128.load(q + 3 * rowB);
        const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
        const t2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5), t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
        v128.store(dst, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
        v128.store(dst, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7), 16);
        v128.store(dst, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), 32);
        v128.store(dst, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7), 48);
      }
      for (; p < kc; p++, dst += <usize>(MR * 4)) {
        const q = s0 + <usize>(p * 4);
        for (let i = 0; i < MR; i++) store<f32>(dst + <usize>(i * 4), load<f32>(q + <usize>i * rowB));
      }
    } else {
      // A is stored M x K: row i of the strip is contiguous along p.
      for (let i = 0; i < MR; i++) {
        let d = dst + <usize>(i * 4);
        if (i >= rows) {
          for (let p = 0; p < kc; p++, d += <usize>(MR * 4)) store<f32>(d, 0);
          continue;
        }
        let src = a + <usize>(((i0 + r + i) * lda + p0) * 4);
        for (let p = 0; p < kc; p++, d += <usize>(MR * 4), src += 4) store<f32>(d, load<f32>(src));
      }
      dst += <usize>(kc * MR * 4);
    }
  }
}

/** Packs op(B)[p0:p0+kc, j0:j0+nc] as strips of NR columns: Bp[strip*kc*NR + p*NR + j], zero columns past nc. */
function packBPanel(b: usize, ldb: i32, transB: bool, j0: i32, nc: i32, p0: i32, kc: i32): void {
  const full = nc - (nc % NR);
  const stripBytes = <usize>(kc * NR * 4);
  if (!transB) {
    for (let p = 0; p < kc; p++) {
      const src = b + <usize>(((p0 + p) * ldb + j0) * 4);
      let dst = packB + <usize>(p * NR * 4);
      let s = 0;
      for (; s < full; s += NR, dst += stripBytes) {
        v128.store(dst, v128.load(src + <usize>(s * 4)));
        v128.store(dst, v128.load(src + <usize>(s * 4), 16), 16);
      }
      if (s < nc) {
        for (let j = 0; j < NR; j++) store<f32>(dst + <usize>(j * 4), s + j < nc ? load<f32>(src + <usize>((s + j) * 4)) : 0);
      }
    }
    return;
  }
  // B is stored N x K: column j of op(B) is contiguous along p.
  for (let s = 0; s < nc; s += NR) {
    const base = packB + <usize>(s / NR) * stripBytes;
    for (let j = 0; j < NR; j++) {
      let d = base + <usize>(j * 4);
      if (s + j >= nc) {
        for (let p = 0; p < kc; p++, d += <usize>(NR * 4)) store<f32>(d, 0);
        continue;
      }
      let src = b + <usize>(((j0 + s + j) * ldb + p0) * 4);
      for (let p = 0; p < kc; p++, d += <usize>(NR * 4), src += 4) store<f32>(d, load<f32>(src));
    }
  }
}

/**
 * c[6 x 8 tile, row stride ldc bytes] = (first ? 0 : c) + Ap strip * Bp strip.
 * The accumulators live in locals (registers) for the whole kc loop.
 */
@inline function tile(kc: i32, a: usize, b: usize, c: usize, ldc: usize, first: bool): void {
  let c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128;
  if (first) {
    c00 = f32x4.splat(0); c01 = c00; c10 = c00; c11 = c00; c20 = c00; c21 = c00; c30 = c00; c31 = c00;
  } else {
    let r = c;
    c00 = v128.load(r); c01 = v128.load(r, 16); r += ldc;
    c10 = v128.load(r); c11 = v128.load(r, 16); r += ldc;
    c20 = v128.load(r); c21 = v128.load(r, 16); r += ldc;
    c30 = v128.load(r); c31 = v128.load(r, 16);
  }
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let x: v128;
    x = v128.load32_splat(a, 0);
    c00 = madd(x, b0, c00);
    c01 = madd(x, b1, c01);
    x = v128.load32_splat(a, 4);
    c10 = madd(x, b0, c10);
    c11 = madd(x, b1, c11);
    x = v128.load32_splat(a, 8);
    c20 = madd(x, b0, c20);
    c21 = madd(x, b1, c21);
    x = v128.load32_splat(a, 12);
    c30 = madd(x, b0, c30);
    c31 = madd(x, b1, c31);
    a += <usize>(MR * 4);
    b += <usize>(NR * 4);
  }
  let r = c;
  v128.store(r, c00); v128.store(r, c01, 16); r += ldc;
  v128.store(r, c10); v128.store(r, c11, 16); r += ldc;
  v128.store(r, c20); v128.store(r, c21, 16); r += ldc;
  v128.store(r, c30); v128.store(r, c31, 16);
}

function fullTile(kc: i32, a: usize, b: usize, c: usize, ldc: usize, first: bool): void {
  tile(kc, a, b, c, ldc, first);
}

/** tile's first four columns only (the strip's first vector), accumulating into c. */
@inline function tile4(kc: i32, a: usize, b: usize, c: usize, ldc: usize): void {
  let r = c;
  let c0 = v128.load(r); r += ldc;
  let c1 = v128.load(r); r += ldc;
  let c2 = v128.load(r); r += ldc;
  let c3 = v128.load(r);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(b);
    c0 = madd(v128.load32_splat(a, 0), b0, c0);
    c1 = madd(v128.load32_splat(a, 4), b0, c1);
    c2 = madd(v128.load32_splat(a, 8), b0, c2);
    c3 = madd(v128.load32_splat(a, 12), b0, c3);
    a += <usize>(MR * 4);
    b += <usize>(NR * 4);
  }
  r = c;
  v128.store(r, c0); r += ldc;
  v128.store(r, c1); r += ldc;
  v128.store(r, c2); r += ldc;
  v128.store(r, c3);
}

/** A partial tile (mr x nr of 6 x 8) through the edge buffer. */
function edgeTile(kc: i32, a: usize, b: usize, c: usize, ldc: usize, first: bool, mr: i32, nr: i32): void {
  for (let i = 0; i < MR; i++) {
    for (let j = 0; j < NR; j++) {
      const v: f32 = !first && i < mr && j < nr ? load<f32>(c + <usize>i * ldc + <usize>(j * 4)) : 0;
      store<f32>(edge + <usize>((i * NR + j) * 4), v);
    }
  }
  // a strip of at most four columns needs only their vector (the same sums, half the work)
  if (nr <= 4) tile4(kc, a, b, edge, <usize>(NR * 4));
  else tile(kc, a, b, edge, <usize>(NR * 4), false);
  for (let i = 0; i < mr; i++) {
    for (let j = 0; j < nr; j++) store<f32>(c + <usize>i * ldc + <usize>(j * 4), load<f32>(edge + <usize>((i * NR + j) * 4)));
  }
}

/**
 * C (+)= op(A) op(B). Strides in floats; C is overwritten unless `accumulate`.
 * Requires M, N >= 1 (the loader handles empty and K = 0 cases).
 */
export function gemm(
  M: i32, N: i32, K: i32,
  a: usize, lda: i32, transA: bool,
  b: usize, ldb: i32, transB: bool,
  c: usize, ldc: i32, accumulate: bool,
): void {
  gemmBlocks(M, N, K, a, lda, transA, b, ldb, transB, c, ldc, accumulate, 0);
}

/**
 * gemm with A already packed by packAll at ap (a layer's weights kept
 * packed in memory across calls: no packing, and no copy of A, per call).
 */
export function gemmPacked(M: i32, N: i32, K: i32, ap: usize, b: usize, ldb: i32, transB: bool, c: usize, ldc: i32, accumulate: bool): void {
  gemmBlocks(M, N, K, 0, 0, false, b, ldb, transB, c, ldc, accumulate, ap);
}

/**
 * op(A) (M x K) packed whole at ap, as gemm packs it block by block: for
 * each KC-deep slice from p0, the strips of MR rows (kc x MR each) of all M
 * rows, zero rows past M; the slice at p0 starts at p0 * roundup(M, MR)
 * floats, its block of rows from i0 (a multiple of MC) i0 * kc floats in.
 * packAllFloats(M, K) floats in all.
 */
export function packAll(a: usize, lda: i32, transA: bool, M: i32, K: i32, ap: usize): void {
  layout();
  const Mp = packAllFloats(M, 1);
  for (let p0 = 0; p0 < K; p0 += KC) {
    const kc = min(KC, K - p0);
    for (let i0 = 0; i0 < M; i0 += MC) packAPanel(a, lda, transA, i0, min(MC, M - i0), p0, kc, ap + <usize>((p0 * Mp + i0 * kc) * 4));
  }
}

/** Floats of packAll's layout of an M x K matrix. */
export function packAllFloats(M: i32, K: i32): i32 {
  return ((M + MR - 1) / MR) * MR * K;
}

/** gemm's blocks; A packed per block into packA, or (ap not 0) read from packAll's layout at ap. */
@inline function gemmBlocks(
  M: i32, N: i32, K: i32,
  a: usize, lda: i32, transA: bool,
  b: usize, ldb: i32, transB: bool,
  c: usize, ldc: i32, accumulate: bool, ap: usize,
): void {
  layout();
  const ldcB = <usize>(ldc * 4);
  const Mp = packAllFloats(M, 1);
  for (let j0 = 0; j0 < N; j0 += NC) {
    const nc = min(NC, N - j0);
    for (let p0 = 0; p0 < K; p0 += KC) {
      const kc = min(KC, K - p0);
      const first = p0 === 0 && !accumulate;
      packBPanel(b, ldb, transB, j0, nc, p0, kc);
      for (let i0 = 0; i0 < M; i0 += MC) {
        const mc = min(MC, M - i0);
        let panel = packA;
        if (ap !== 0) panel = ap + <usize>((p0 * Mp + i0 * kc) * 4);
        else packAPanel(a, lda, transA, i0, mc, p0, kc);
        for (let s = 0; s < nc; s += NR) {
          const nr = min(NR, nc - s);
          const bs = packB + <usize>((s / NR) * kc * NR * 4);
          let crow = c + <usize>(i0) * ldcB + <usize>((j0 + s) * 4);
          for (let r = 0; r < mc; r += MR, crow += <usize>MR * ldcB) {
            const mr = min(MR, mc - r);
            const as = panel + <usize>((r / MR) * kc * MR * 4);
            if (mr === MR && nr === NR) fullTile(kc, as, bs, crow, ldcB, first);
            else edgeTile(kc, as, bs, crow, ldcB, first, mr, nr);
          }
        }
      }
    }
  }
}

/** The four sums of s0..s3's lanes, as one vector [sum s0, sum s1, sum s2, sum s3]. */
@inline function sum4(s0: v128, s1: v128, s2: v128, s3: v128): v128 {
  const r01 = f32x4.add(v128.shuffle<f32>(s0, s1, 0, 4, 2, 6), v128.shuffle<f32>(s0, s1, 1, 5, 3, 7));
  const r23 = f32x4.add(v128.shuffle<f32>(s2, s3, 0, 4, 2, 6), v128.shuffle<f32>(s2, s3, 1, 5, 3, 7));
  return f32x4.add(v128.shuffle<f32>(r01, r23, 0, 1, 4, 5), v128.shuffle<f32>(r01, r23, 2, 3, 6, 7));
}

/**
 * y[co][r][s] = sum over q < nb of z[q Cout + co] at (r, s) + offs[q] floats
 * (block q's plane and shift, relative to block 0's: a 6x6 or 9x9 layer's
 * output from its 3x3 blocks' stacked outputs, kernels/winograd_split.ts),
 * in block order, then + bias[co] (bias 0: none) and max(0, .) when relu.
 * z's planes are Hz x Wz, y's outH x outW; offs holds nb int32 offsets.
 */
export function shiftSum(z: usize, Cout: i32, nb: i32, offs: usize, Hz: i32, Wz: i32, outH: i32, outW: i32, bias: usize, relu: bool, y: usize): void {
  const zero = f32x4.splat(0);
  for (let co = 0; co < Cout; co++) {
    const bv: f32 = bias !== 0 ? load<f32>(bias + <usize>(co * 4)) : 0;
    const bs = f32x4.splat(bv);
    for (let r = 0; r < outH; r++) {
      const src = z + <usize>(((co * Hz + r) * Wz) * 4);
      const dst = y + <usize>(((co * outH + r) * outW) * 4);
      let s = 0;
      for (; s + 4 <= outW; s += 4) {
        const at = <usize>(s * 4);
        let v = v128.load(src + at);
        for (let q = 1; q < nb; q++) v = f32x4.add(v, v128.load(src + <usize>(load<i32>(offs + <usize>(q * 4)) * 4) + at));
        if (bias !== 0) v = f32x4.add(v, bs);
        if (relu) v = relu4(v);
        v128.store(dst + at, v);
      }
      for (; s < outW; s++) {
        const at = <usize>(s * 4);
        let v = load<f32>(src + at);
        for (let q = 1; q < nb; q++) v += load<f32>(src + <usize>(load<i32>(offs + <usize>(q * 4)) * 4) + at);
        if (bias !== 0) v += bv;
        if (relu) v = max(v, <f32>0);
        store<f32>(dst + at, v);
      }
    }
  }
}

/**
 * C[m][n] (+)= sum_k A[m][k] B[n][k] (A M x K, B N x K, both row-major; C
 * rows ldc floats apart): a linear layer on a few rows (y = x W^T), where
 * the gemm would pack W transposed for one or two columns of work. Four
 * rows of B at a time against each row of A, the sums over k in four lanes
 * then across them, the last K % 4 terms after. Memory-bound: W is read
 * once, in order.
 */
export function gemvT(M: i32, N: i32, K: i32, a: usize, b: usize, c: usize, ldc: i32, accumulate: bool): void {
  const K4 = K & ~3;
  const rowB = <usize>(K * 4);
  let n = 0;
  for (; n + 4 <= N; n += 4) {
    const b0 = b + <usize>n * rowB, b1 = b0 + rowB, b2 = b1 + rowB, b3 = b2 + rowB;
    for (let m = 0; m < M; m++) {
      const am = a + <usize>m * rowB;
      let s0 = f32x4.splat(0), s1 = s0, s2 = s0, s3 = s0;
      for (let k = 0; k < K4; k += 4) {
        const o = <usize>(k * 4);
        const x = v128.load(am + o);
        s0 = madd(x, v128.load(b0 + o), s0);
        s1 = madd(x, v128.load(b1 + o), s1);
        s2 = madd(x, v128.load(b2 + o), s2);
        s3 = madd(x, v128.load(b3 + o), s3);
      }
      let r = sum4(s0, s1, s2, s3);
      for (let k = K4; k < K; k++) {
        const o = <usize>(k * 4);
        const x = f32x4.splat(load<f32>(am + o));
        let t = f32x4.splat(load<f32>(b0 + o));
        t = f32x4.replace_lane(t, 1, load<f32>(b1 + o));
        t = f32x4.replace_lane(t, 2, load<f32>(b2 + o));
        t = f32x4.replace_lane(t, 3, load<f32>(b3 + o));
        r = madd(x, t, r);
      }
      const cp = c + <usize>((m * ldc + n) * 4);
      v128.store(cp, accumulate ? f32x4.add(v128.load(cp), r) : r);
    }
  }
  for (; n < N; n++) {
    const bn = b + <usize>n * rowB;
    for (let m = 0; m < M; m++) {
      const am = a + <usize>m * rowB;
      let s = f32x4.splat(0);
      for (let k = 0; k < K4; k += 4) s = madd(v128.load(am + <usize>(k * 4)), v128.load(bn + <usize>(k * 4)), s);
      let r: f32 = (f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1)) + (f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3));
      for (let k = K4; k < K; k++) r += load<f32>(am + <usize>(k * 4)) * load<f32>(bn + <usize>(k * 4));
      const cp = c + <usize>((m * ldc + n) * 4);
      store<f32>(cp, accumulate ? load<f32>(cp) + r : r);
    }
  }
}

/** out[plane p, :len] += bias[p % C] (and max(0, .) when relu) over `planes` planes `stride` floats apart. */
export function biasAct(out: usize, bias: usize, planes: i32, C: i32, len: i32, stride: i32, relu: bool): void {
  const zero = f32x4.splat(0);
  for (let p = 0; p < planes; p++) {
    const bv: f32 = bias !== 0 ? load<f32>(bias + <usize>((p % C) * 4)) : 0;
    const bs = f32x4.splat(bv);
    let o = out + <usize>p * <usize>(stride * 4);
    const end = o + <usize>(len * 4);
    for (; o + 16 <= end; o += 16) {
      let v = f32x4.add(v128.load(o), bs);
      if (relu) v = relu4(v);
      v128.store(o, v);
    }
    for (; o < end; o += 4) {
      let v = load<f32>(o) + bv;
      if (relu) v = max(v, <f32>0);
      store<f32>(o, v);
    }
  }
}

/**
 * col[(c*kh + i)*kw + j][(oh - oh0)*outW + ow] = x[c, oh*sh - ph + i*dh, ow*sw - pw + j*dw]
 * (0 in the padding) for window rows [oh0, oh1): im2col of one C x H x W image.
 */
export function im2col(
  x: usize, C: i32, H: i32, W: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32,
  outW: i32, oh0: i32, oh1: i32, col: usize,
): void {
  const rowBytes = <usize>(outW * 4);
  let dst = col;
  for (let c = 0; c < C; c++) {
    const plane = x + <usize>(c * H * W * 4);
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const wOff = j * dw - pw;
        // Valid window columns: 0 <= ow*sw + wOff < W.
        let ow0 = wOff >= 0 ? 0 : (-wOff + sw - 1) / sw;
        let ow1 = W - 1 - wOff < 0 ? 0 : (W - 1 - wOff) / sw + 1;
        if (ow1 > outW) ow1 = outW;
        if (ow0 > ow1) ow0 = ow1;
        for (let oh = oh0; oh < oh1; oh++, dst += rowBytes) {
          const ih = oh * sh - ph + i * dh;
          if (ih < 0 || ih >= H) {
            memory.fill(dst, 0, rowBytes);
            continue;
          }
          for (let ow = 0; ow < ow0; ow++) store<f32>(dst + <usize>(ow * 4), 0);
          for (let ow = ow1; ow < outW; ow++) store<f32>(dst + <usize>(ow * 4), 0);
          const src = plane + <usize>((ih * W + wOff) * 4);
          if (sw === 1) {
            let ow = ow0;
            for (; ow + 4 <= ow1; ow += 4) v128.store(dst + <usize>(ow * 4), v128.load(src + <usize>(ow * 4)));
            for (; ow < ow1; ow++) store<f32>(dst + <usize>(ow * 4), load<f32>(src + <usize>(ow * 4)));
          } else {
            for (let ow = ow0; ow < ow1; ow++) store<f32>(dst + <usize>(ow * 4), load<f32>(src + <usize>(ow * sw * 4)));
          }
        }
      }
    }
  }
}

@inline function px(plane: usize, H: i32, W: i32, r: i32, c: i32): f32 {
  return r >= 0 && r < H && c >= 0 && c < W ? load<f32>(plane + <usize>((r * W + c) * 4)) : 0;
}

/** The adjoint of im2col: x[c, ih, iw] += col[(c*kh + i)*kw + j][(oh - oh0)*outW + ow] over window rows [oh0, oh1). */
export function col2im(
  col: usize, C: i32, H: i32, W: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32,
  outW: i32, oh0: i32, oh1: i32, x: usize,
): void {
  const rowBytes = <usize>(outW * 4);
  let src = col;
  for (let c = 0; c < C; c++) {
    const plane = x + <usize>(c * H * W * 4);
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const wOff = j * dw - pw;
        let ow0 = wOff >= 0 ? 0 : (-wOff + sw - 1) / sw;
        let ow1 = W - 1 - wOff < 0 ? 0 : (W - 1 - wOff) / sw + 1;
        if (ow1 > outW) ow1 = outW;
        if (ow0 > ow1) ow0 = ow1;
        for (let oh = oh0; oh < oh1; oh++, src += rowBytes) {
          const ih = oh * sh - ph + i * dh;
          if (ih < 0 || ih >= H) continue;
          const dst = plane + <usize>((ih * W + wOff) * 4);
          if (sw === 1) {
            let ow = ow0;
            for (; ow + 4 <= ow1; ow += 4) {
              const d = dst + <usize>(ow * 4);
              v128.store(d, f32x4.add(v128.load(d), v128.load(src + <usize>(ow * 4))));
            }
            for (; ow < ow1; ow++) {
              const d = dst + <usize>(ow * 4);
              store<f32>(d, load<f32>(d) + load<f32>(src + <usize>(ow * 4)));
            }
          } else {
            for (let ow = ow0; ow < ow1; ow++) {
              const d = dst + <usize>(ow * sw * 4);
              store<f32>(d, load<f32>(d) + load<f32>(src + <usize>(ow * 4)));
            }
          }
        }
      }
    }
  }
}

/** out[i] = (y[i] <= 0 ? 0 : g[i]) for n floats (ReLU's backward; NaN outputs pass the gradient, as in PyTorch). */
export function reluGrad(y: usize, g: usize, out: usize, n: i32): void {
  const zero = f32x4.splat(0);
  const end = <usize>(n * 4);
  let i: usize = 0;
  for (; i + 16 <= end; i += 16) {
    v128.store(out + i, v128.bitselect(zero, v128.load(g + i), f32x4.le(v128.load(y + i), zero)));
  }
  for (; i < end; i += 4) store<f32>(out + i, load<f32>(y + i) <= 0 ? 0 : load<f32>(g + i));
}

// ---- Implicit-gemm (direct) convolution over a padded, polyphase copy of the image ----

/**
 * out[c][p][hp][q] = x[c][hp - ph][q*s + p - pw] (0 in the padding) for padded
 * rows hp in [hp0, hp1): the image zero-padded and split into its s column
 * phases (s = the stride along W), so that the taps of consecutive outputs
 * are consecutive floats of one phase plane. Wq >= the phase planes' width;
 * planes are `qPlane` floats apart (see directLayout: never a multiple of 4 KB).
 */
export function polyPad(x: usize, C: i32, H: i32, W: i32, ph: i32, pw: i32, s: i32, Hp: i32, Wq: i32, qPlane: i32, hp0: i32, hp1: i32, out: usize): void {
  const rowBytes = <usize>(Wq * 4);
  for (let c = 0; c < C; c++) {
    const plane = x + <usize>(c * H * W * 4);
    for (let p = 0; p < s; p++) {
      // Phase columns q whose image column q*s + p - pw lies in [0, W).
      let q0 = pw - p <= 0 ? 0 : (pw - p + s - 1) / s;
      let q1 = W - 1 + pw - p < 0 ? 0 : (W - 1 + pw - p) / s + 1;
      if (q1 > Wq) q1 = Wq;
      if (q0 > q1) q0 = q1;
      let dst = out + <usize>(((c * s + p) * qPlane + hp0 * Wq) * 4);
      for (let hp = hp0; hp < hp1; hp++, dst += rowBytes) {
        const h = hp - ph;
        if (h < 0 || h >= H) {
          memory.fill(dst, 0, rowBytes);
          continue;
        }
        if (q0 > 0) memory.fill(dst, 0, <usize>(q0 * 4));
        if (q1 < Wq) memory.fill(dst + <usize>(q1 * 4), 0, <usize>((Wq - q1) * 4));
        const src = plane + <usize>((h * W + p - pw) * 4);
        if (s === 1) {
          memory.copy(dst + <usize>(q0 * 4), src + <usize>(q0 * 4), <usize>((q1 - q0) * 4));
        } else if (s === 2) {
          let q = q0;
          // Lanes 0, 2, 4, 6 of 8 consecutive floats, all inside the row.
          for (; q + 4 <= q1 && (q + 3) * 2 + 1 < W + pw - p; q += 4) {
            const a = v128.load(src + <usize>(q * 8));
            const b = v128.load(src + <usize>(q * 8), 16);
            v128.store(dst + <usize>(q * 4), v128.shuffle<f32>(a, b, 0, 2, 4, 6));
          }
          for (; q < q1; q++) store<f32>(dst + <usize>(q * 4), load<f32>(src + <usize>(q * 8)));
        } else {
          for (let q = q0; q < q1; q++) store<f32>(dst + <usize>(q * 4), load<f32>(src + <usize>(q * s * 4)));
        }
      }
    }
  }
}

/** wp[co / 4][k][co % 4] = w[co][k] for Cout x K weights (zeros past Cout in the last block): dconv's A operand. */
export function dpackW(w: usize, Cout: i32, K: i32, wp: usize): void {
  const blocks = (Cout + 3) >> 2;
  memory.fill(wp, 0, <usize>(blocks * K * 16));
  for (let co = 0; co < Cout; co++) {
    let src = w + <usize>(co * K * 4);
    let dst = wp + <usize>(((co >> 2) * K * 4 + (co & 3)) * 4);
    for (let k = 0; k < K; k++, src += 4, dst += 16) store<f32>(dst, load<f32>(src));
  }
}

/** y (+ bias, max 0) for one row of a tile: `vecs` f32x4 at yb. */
@inline function dput(yb: usize, v: v128, bias: usize, relu: bool): void {
  if (bias !== 0) v = f32x4.add(v, v128.load32_splat(bias));
  if (relu) v = relu4(v);
  v128.store(yb, v);
}

/** A 4-channel x 8-position tile of dconv: the whole K in registers, then bias, ReLU, the `n` valid channels stored. */
@inline function dtile8(K: i32, offs: usize, w: usize, xb: usize, yb: usize, planeB: usize, n: i32, bias: usize, relu: bool): void {
  let a0 = f32x4.splat(0), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, d0 = a0, d1 = a0;
  const end = offs + <usize>(K * 4);
  for (let o = offs; o < end; o += 4, w += 16) {
    const p = xb + <usize>load<i32>(o);
    const x0 = v128.load(p);
    const x1 = v128.load(p, 16);
    let s = v128.load32_splat(w);
    a0 = madd(s, x0, a0);
    a1 = madd(s, x1, a1);
    s = v128.load32_splat(w, 4);
    b0 = madd(s, x0, b0);
    b1 = madd(s, x1, b1);
    s = v128.load32_splat(w, 8);
    c0 = madd(s, x0, c0);
    c1 = madd(s, x1, c1);
    s = v128.load32_splat(w, 12);
    d0 = madd(s, x0, d0);
    d1 = madd(s, x1, d1);
  }
  dput(yb, a0, bias, relu);
  dput(yb + 16, a1, bias, relu);
  if (n < 2) return;
  yb += planeB;
  const b1p = bias !== 0 ? bias + 4 : 0;
  dput(yb, b0, b1p, relu);
  dput(yb + 16, b1, b1p, relu);
  if (n < 3) return;
  yb += planeB;
  const b2p = bias !== 0 ? bias + 8 : 0;
  dput(yb, c0, b2p, relu);
  dput(yb + 16, c1, b2p, relu);
  if (n < 4) return;
  yb += planeB;
  const b3p = bias !== 0 ? bias + 12 : 0;
  dput(yb, d0, b3p, relu);
  dput(yb + 16, d1, b3p, relu);
}

/** dtile8 for exactly 3 output channels (an RGB head): the fourth row of accumulators, always dropped, is not computed. */
@inline function dtile3x8(K: i32, offs: usize, w: usize, xb: usize, yb: usize, planeB: usize, bias: usize, relu: bool): void {
  let a0 = f32x4.splat(0), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0;
  const end = offs + <usize>(K * 4);
  for (let o = offs; o < end; o += 4, w += 16) {
    const p = xb + <usize>load<i32>(o);
    const x0 = v128.load(p);
    const x1 = v128.load(p, 16);
    let s = v128.load32_splat(w);
    a0 = madd(s, x0, a0);
    a1 = madd(s, x1, a1);
    s = v128.load32_splat(w, 4);
    b0 = madd(s, x0, b0);
    b1 = madd(s, x1, b1);
    s = v128.load32_splat(w, 8);
    c0 = madd(s, x0, c0);
    c1 = madd(s, x1, c1);
  }
  dput(yb, a0, bias, relu);
  dput(yb + 16, a1, bias, relu);
  yb += planeB;
  const b1p = bias !== 0 ? bias + 4 : 0;
  dput(yb, b0, b1p, relu);
  dput(yb + 16, b1, b1p, relu);
  yb += planeB;
  const b2p = bias !== 0 ? bias + 8 : 0;
  dput(yb, c0, b2p, relu);
  dput(yb + 16, c1, b2p, relu);
}

/** dtile8 for the last 4 positions of a row. */
@inline function dtile4(K: i32, offs: usize, w: usize, xb: usize, yb: usize, planeB: usize, n: i32, bias: usize, relu: bool): void {
  let a0 = f32x4.splat(0), b0 = a0, c0 = a0, d0 = a0;
  const end = offs + <usize>(K * 4);
  for (let o = offs; o < end; o += 4, w += 16) {
    const x0 = v128.load(xb + <usize>load<i32>(o));
    a0 = madd(v128.load32_splat(w), x0, a0);
    b0 = madd(v128.load32_splat(w, 4), x0, b0);
    c0 = madd(v128.load32_splat(w, 8), x0, c0);
    d0 = madd(v128.load32_splat(w, 12), x0, d0);
  }
  dput(yb, a0, bias, relu);
  if (n < 2) return;
  dput(yb + planeB, b0, bias !== 0 ? bias + 4 : 0, relu);
  if (n < 3) return;
  dput(yb + 2 * planeB, c0, bias !== 0 ? bias + 8 : 0, relu);
  if (n < 4) return;
  dput(yb + 3 * planeB, d0, bias !== 0 ? bias + 12 : 0, relu);
}

/**
 * Convolution as an implicit gemm (no column matrix): for output rows
 * [r0, r1) and positions [0, outWp) (a multiple of 4),
 * y[co][oh][ow] = act(bias[co] + sum_k wp[co / 4][k][co % 4] * xq[oh * rowStep + offs[k] + ow])
 * (byte offsets; k over the K taps in the gemm's order, so the sums are the
 * im2col path's, rounded alike). xq is polyPad's layout, offs[k] a tap's byte
 * offset in it, wp the weights packed 4 output channels at a time (zeros past
 * Cout). y is Cout planes of yPlane floats, rows outWp floats apart.
 */
export function dconv(
  xq: usize, offs: usize, K: i32, wp: usize, Cout: i32, bias: usize, relu: bool,
  rowStep: i32, r0: i32, r1: i32, outWp: i32, y: usize, yPlane: i32,
): void {
  const planeB = <usize>(yPlane * 4);
  for (let oh = r0; oh < r1; oh++) {
    const xrow = xq + <usize>(oh * rowStep);
    const yrow = y + <usize>(oh * outWp * 4);
    for (let co = 0; co < Cout; co += 4) {
      const w = wp + <usize>(co * K * 4);
      const n = min(4, Cout - co);
      const b = bias !== 0 ? bias + <usize>(co * 4) : 0;
      const yc = yrow + <usize>co * planeB;
      let ow = 0;
      if (n === 3) for (; ow + 8 <= outWp; ow += 8) dtile3x8(K, offs, w, xrow + <usize>(ow * 4), yc + <usize>(ow * 4), planeB, b, relu);
      for (; ow + 8 <= outWp; ow += 8) dtile8(K, offs, w, xrow + <usize>(ow * 4), yc + <usize>(ow * 4), planeB, n, b, relu);
      if (ow < outWp) dtile4(K, offs, w, xrow + <usize>(ow * 4), yc + <usize>(ow * 4), planeB, n, b, relu);
    }
  }
}

// ---- Winograd F(4x4, 3x3): Y = A^T [sum_c (G g G^T) . (B^T d B)] A, 6x6 tiles ----
//
// Interpolation points 0, 1, -1, 1/2, -2 and infinity (Barabasz et al. 2019:
// ~3x less float32 error than the usual 0, +-1, +-2, measured here too):
// A^T = [1 1 1 1 1 0; 0 1 -1 1/2 -2 0; 0 1 1 1/4 4 0; 0 1 -1 1/8 -8 1]
// G   = [1 0 0; 1/3 1/3 1/3; -1/3 1/3 -1/3; -16/15 -8/15 -4/15; 1/15 -2/15 4/15; 0 0 1]
// B^T = [1 -3/2 -2 3/2 1 0; 0 -1 1/2 5/2 1 0; 0 1 -5/2 1/2 1 0;
//        0 -2 -1 2 1 0; 0 1/2 -1 -1/2 1 0; 0 1 -3/2 -2 3/2 1]
//
// The 36 products (one per transform entry e) are gemms of Cout x C by
// C x tiles on operands laid out as the gemm's packed panels: U[e][co/4][ci][4]
// (zeros past Cout) and V[e][t/8][ci][8], so no packing pass runs.

/**
 * Floats between consecutive entries' planes of U, V and M: a plane of
 * `floats` rounded up to 4 KB plus one cache line, so the 36 entries of a tile
 * fall in 36 different cache sets (at multiples of 4 KB they all share one set
 * of the 12-way L1 and evict each other: measured ~10x slower transforms).
 */
export function wg4Plane(floats: i32): i32 {
  return ((floats + 1023) & ~1023) + 16;
}

/** G's thirds and fifteenths, as products by these (wg4g2, wg4gt). */
const THIRD: f64 = 1.0 / 3;
const FIFTEENTH: f64 = 1.0 / 15;

/**
 * G applied to one column (g0, g1, g2) of two kernels at once (output
 * channels co and co + 1, one per float64 lane), in float64; thirds and
 * fifteenths as products by the reciprocals (1.7x the divisions; after the
 * rounding to float32, one entry in 10^5 is an ulp off the quotient's).
 */
@inline function wg4g2(g0: v128, g1: v128, g2: v128, out: usize): void {
  const third = f64x2.splat(THIRD);
  const fifteenth = f64x2.splat(FIFTEENTH);
  v128.store(out, g0);
  v128.store(out, f64x2.mul(f64x2.add(f64x2.add(g0, g1), g2), third), 16);
  v128.store(out, f64x2.mul(f64x2.sub(f64x2.sub(g1, g0), g2), third), 32);
  const s = f64x2.add(f64x2.add(f64x2.mul(f64x2.splat(16), g0), f64x2.mul(f64x2.splat(8), g1)), f64x2.mul(f64x2.splat(4), g2));
  v128.store(out, f64x2.mul(f64x2.neg(s), fifteenth), 48);
  v128.store(out, f64x2.mul(f64x2.add(f64x2.sub(g0, f64x2.mul(f64x2.splat(2), g1)), f64x2.mul(f64x2.splat(4), g2)), fifteenth), 64);
  v128.store(out, g2, 80);
}

/** Tap k of the kernels at a and b (b = 0: none, a zero lane) as two float64 lanes. */
@inline function tap2(a: usize, b: usize, k: i32): v128 {
  let v = v128.load32_zero(a + <usize>(k * 4));
  if (b !== 0) v = v128.load32_lane(b + <usize>(k * 4), v, 1);
  return f64x2.promote_low_f32x4(v);
}

/**
 * U[e = 6i + j][co / 4][ci][co % 4] = (G g[co][ci] G^T)[i][j], computed in
 * float64 and rounded once, two output channels at a time (float64 lanes);
 * `tmp` holds 24 two-lane float64 vectors.
 * Coutp = Cout rounded up to 4 (the extra rows zero). g is the Cout x Cin
 * kernel w, or with `flip` the kernel of the input gradient of w (a Cin x
 * ld kernel, its first Cout columns read): g[co][ci] = w[ci][co] with its
 * nine taps reversed.
 */
export function wg4Weight(w: usize, Cout: i32, Cin: i32, U: usize, tmp: usize, flip: bool, ld: i32): void {
  const Coutp = (Cout + 3) & ~3;
  const eStride = <usize>(wg4Plane(Coutp * Cin) * 4);
  memory.fill(U, 0, eStride * 36);
  const col = tmp + 288;
  for (let co = 0; co < Cout; co += 2) {
    for (let ci = 0; ci < Cin; ci++) {
      // flip: g[co][ci] is w[ci][co] with its taps reversed (w a Cin x ld kernel)
      const ga = w + <usize>((flip ? ci * ld + co : co * Cin + ci) * 36);
      const gb = co + 1 < Cout ? ga + <usize>(flip ? 36 : Cin * 36) : 0;
      const k0 = flip ? 8 : 0;
      const dk = flip ? -1 : 1;
      // t = G g: 6 x 3, t[r][c] at tmp + (c*6 + r)*16 (column c of g -> column c of t).
      for (let c = 0; c < 3; c++) wg4g2(tap2(ga, gb, k0 + dk * c), tap2(ga, gb, k0 + dk * (3 + c)), tap2(ga, gb, k0 + dk * (6 + c)), tmp + <usize>(c * 96));
      // u = t G^T: row r of u = G applied to row r of t; channels co and co + 1 are adjacent in U.
      const dst = U + <usize>((((co >> 2) * Cin + ci) * 4 + (co & 3)) * 4);
      for (let r = 0; r < 6; r++) {
        wg4g2(v128.load(tmp + <usize>(r * 16)), v128.load(tmp + <usize>(96 + r * 16)), v128.load(tmp + <usize>(192 + r * 16)), col);
        for (let j = 0; j < 6; j++) {
          const u = f32x4.demote_f64x2_zero(v128.load(col + <usize>(j * 16)));
          // a last odd channel leaves the padding row beside it as memory.fill made it
          if (gb !== 0) v128.store64_lane(dst + <usize>(r * 6 + j) * eStride, u, 0);
          else v128.store32_lane(dst + <usize>(r * 6 + j) * eStride, u, 0);
        }
      }
    }
  }
}

/** B^T applied to 6 values (a column or a row of a tile). */
@inline function wg4b(d0: f32, d1: f32, d2: f32, d3: f32, d4: f32, d5: f32, out: usize, stride: usize): void {
  store<f32>(out, (d0 - <f32>2 * d2) + (d4 + <f32>1.5 * (d3 - d1)));
  store<f32>(out + stride, (d4 - d1) + (<f32>0.5 * d2 + <f32>2.5 * d3));
  store<f32>(out + 2 * stride, (d4 + d1) - (<f32>2.5 * d2 - <f32>0.5 * d3));
  store<f32>(out + 3 * stride, (d4 - d2) + <f32>2 * (d3 - d1));
  store<f32>(out + 4 * stride, (d4 - d2) + <f32>0.5 * (d1 - d3));
  store<f32>(out + 5 * stride, (d5 - <f32>2 * d3) + (d1 + <f32>1.5 * (d4 - d2)));
}

/**
 * The column of tile (row tr of the chunk's rowsT, column tc) in V and M:
 * each row's first Q4 tiles (a multiple of 4) in order, row after row, then
 * the rows' last R = tilesW - Q4 tiles; so every group of four that the
 * f32x4 paths transform together starts on a multiple of 4 (one vector of a
 * strip of 8), whatever the row length.
 */
@inline function wg4Tile(tr: i32, tc: i32, Q4: i32, R: i32, rowsT: i32): i32 {
  return tc < Q4 ? tr * Q4 + tc : rowsT * Q4 + tr * R + (tc - Q4);
}

/** wg4b on four tiles at once (one per lane), the same operations in the same order. */
@inline function wg4bv(d0: v128, d1: v128, d2: v128, d3: v128, d4: v128, d5: v128, out: usize, stride: usize): void {
  const h = f32x4.splat(0.5), two = f32x4.splat(2), onehalf = f32x4.splat(1.5), twohalf = f32x4.splat(2.5);
  v128.store(out, f32x4.add(f32x4.sub(d0, f32x4.mul(two, d2)), f32x4.add(d4, f32x4.mul(onehalf, f32x4.sub(d3, d1)))));
  v128.store(out + stride, f32x4.add(f32x4.sub(d4, d1), f32x4.add(f32x4.mul(h, d2), f32x4.mul(twohalf, d3))));
  v128.store(out + 2 * stride, f32x4.sub(f32x4.add(d4, d1), f32x4.sub(f32x4.mul(twohalf, d2), f32x4.mul(h, d3))));
  v128.store(out + 3 * stride, f32x4.add(f32x4.sub(d4, d2), f32x4.mul(two, f32x4.sub(d3, d1))));
  v128.store(out + 4 * stride, f32x4.add(f32x4.sub(d4, d2), f32x4.mul(h, f32x4.sub(d1, d3))));
  v128.store(out + 5 * stride, f32x4.add(f32x4.sub(d5, f32x4.mul(two, d3)), f32x4.add(d1, f32x4.mul(onehalf, f32x4.sub(d4, d2)))));
}

/**
 * V[e][t / 8][c][t % 8] = (B^T d B)[e] for the 6x6 input tile d (rows from
 * 4 tr - ph, columns from 4 tc - pw; zeros outside the image) of each tile
 * tile (tr, tc) of tile rows [tr0, tr1) (column t = wg4Tile(tr - tr0, tc)); columns past the last in
 * its strip of 8 are zero. Each row of d is transformed first (d B), then
 * each column: four horizontally adjacent tiles at once in f32x4 lanes where
 * their 6 x 18 patch lies inside the image (the loads may read two floats
 * past it), one by one otherwise (each row's last tilesW % 4, and at the
 * borders of an unpadded image), with the same operations. Tiles are
 * numbered by wg4Tile. `tmp` holds 144 floats (16-byte aligned). Tp > 0
 * selects the weight gradient's layout V[e][c][tBase + t] (rows of Tp tiles:
 * several images' tiles side by side) instead.
 */
export function wg4Input(x: usize, C: i32, H: i32, W: i32, ph: i32, pw: i32, tilesW: i32, tr0: i32, tr1: i32, V: usize, tmp: usize, Tp: i32, tBase: i32): void {
  const T = (tr1 - tr0) * tilesW;
  const strips = (T + 7) >> 3;
  const eStride = <usize>(wg4Plane(Tp !== 0 ? C * Tp : strips * C * 8) * 4);
  const tail = T & 7;
  if (Tp !== 0) {
    // Rows layout (the weight gradient's): V[e][c][tBase + t]; the caller zeros what no tile fills.
    V += <usize>(tBase * 4);
  } else if (tail !== 0) {
    // Zero the unused tiles of the last strip, for every entry and channel.
    for (let e = 0; e < 36; e++) {
      for (let c = 0; c < C; c++) memory.fill(V + <usize>e * eStride + <usize>((((strips - 1) * C + c) * 8 + tail) * 4), 0, <usize>((8 - tail) * 4));
    }
  }
  const Q4 = tilesW & ~3;
  const R = tilesW - Q4;
  const rowsT = tr1 - tr0;
  for (let c = 0; c < C; c++) {
    const xp = x + <usize>(c * H * W * 4);
    for (let tr = tr0; tr < tr1; tr++) {
      const r0 = tr * 4 - ph;
      const rowsIn = r0 >= 0 && r0 + 5 < H;
      for (let tc = 0; tc < tilesW; ) {
        const c0 = tc * 4 - pw;
        const t = wg4Tile(tr - tr0, tc, Q4, R, rowsT);
        const dst = V + <usize>((Tp !== 0 ? c * Tp + t : ((t >> 3) * C + c) * 8 + (t & 7)) * 4);
        if (tc < Q4 && rowsIn && c0 >= 0 && c0 + 17 < W) {
          for (let r = 0; r < 6; r++) {
            const p = xp + <usize>(((r0 + r) * W + c0) * 4);
            const A0 = v128.load(p), A1 = v128.load(p, 16), A2 = v128.load(p, 32), A3 = v128.load(p, 48), A4 = v128.load(p, 64);
            const t0 = v128.shuffle<f32>(A0, A1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(A2, A3, 0, 4, 1, 5);
            const t2 = v128.shuffle<f32>(A0, A1, 2, 6, 3, 7), t3 = v128.shuffle<f32>(A2, A3, 2, 6, 3, 7);
            const u0 = v128.shuffle<f32>(A1, A2, 0, 4, 1, 5), u1 = v128.shuffle<f32>(A3, A4, 0, 4, 1, 5);
            wg4bv(
              v128.shuffle<f32>(t0, t1, 0, 1, 4, 5), v128.shuffle<f32>(t0, t1, 2, 3, 6, 7),
              v128.shuffle<f32>(t2, t3, 0, 1, 4, 5), v128.shuffle<f32>(t2, t3, 2, 3, 6, 7),
              v128.shuffle<f32>(u0, u1, 0, 1, 4, 5), v128.shuffle<f32>(u0, u1, 2, 3, 6, 7),
              tmp + <usize>(r * 96), 16,
            );
          }
          for (let l = 0; l < 6; l++) {
            const q = tmp + <usize>(l * 16);
            wg4bv(v128.load(q), v128.load(q, 96), v128.load(q, 192), v128.load(q, 288), v128.load(q, 384), v128.load(q, 480), dst + <usize>l * eStride, 6 * eStride);
          }
          tc += 4;
          continue;
        }
        // One tile: e = d B row by row (e[r][l] at tmp + (r*6 + l)*4), then B^T e column by column.
        for (let r = 0; r < 6; r++) {
          const rr = r0 + r;
          if (rowsIn && c0 >= 0 && c0 + 5 < W) {
            const p = xp + <usize>((rr * W + c0) * 4);
            wg4b(load<f32>(p), load<f32>(p, 4), load<f32>(p, 8), load<f32>(p, 12), load<f32>(p, 16), load<f32>(p, 20), tmp + <usize>(r * 24), 4);
          } else {
            wg4b(px(xp, H, W, rr, c0), px(xp, H, W, rr, c0 + 1), px(xp, H, W, rr, c0 + 2), px(xp, H, W, rr, c0 + 3), px(xp, H, W, rr, c0 + 4), px(xp, H, W, rr, c0 + 5), tmp + <usize>(r * 24), 4);
          }
        }
        for (let l = 0; l < 6; l++) {
          const q = tmp + <usize>(l * 4);
          wg4b(load<f32>(q), load<f32>(q, 24), load<f32>(q, 48), load<f32>(q, 72), load<f32>(q, 96), load<f32>(q, 120), dst + <usize>l * eStride, 6 * eStride);
        }
        tc++;
      }
    }
  }
}

/** A 4x8 tile of M = U_e V_e over K = C: contiguous panels, no packing. */
@inline function wg4tile(K: i32, a: usize, b: usize, c: usize, ldc: usize): void {
  let c00 = f32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  for (let p = 0; p < K; p++, a += 16, b += 32) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let s = v128.load32_splat(a);
    c00 = madd(s, b0, c00);
    c01 = madd(s, b1, c01);
    s = v128.load32_splat(a, 4);
    c10 = madd(s, b0, c10);
    c11 = madd(s, b1, c11);
    s = v128.load32_splat(a, 8);
    c20 = madd(s, b0, c20);
    c21 = madd(s, b1, c21);
    s = v128.load32_splat(a, 12);
    c30 = madd(s, b0, c30);
    c31 = madd(s, b1, c31);
  }
  v128.store(c, c00); v128.store(c, c01, 16); c += ldc;
  v128.store(c, c10); v128.store(c, c11, 16); c += ldc;
  v128.store(c, c20); v128.store(c, c21, 16); c += ldc;
  v128.store(c, c30); v128.store(c, c31, 16);
}

/** M[e][co][t] (rows of strips*8 floats) = sum_c U[e][co][c] V[e][c][t] for the 36 entries. */
export function wg4Gemm(U: usize, V: usize, M: usize, Coutp: i32, C: i32, strips: i32): void {
  const Tp = strips * 8;
  const ldc = <usize>(Tp * 4);
  const uE = <usize>(wg4Plane(Coutp * C) * 4);
  const vE = <usize>(wg4Plane(strips * C * 8) * 4);
  const mE = <usize>(wg4Plane(Coutp * Tp) * 4);
  for (let e = 0; e < 36; e++) {
    const u = U + <usize>e * uE;
    const v = V + <usize>e * vE;
    const m = M + <usize>e * mE;
    for (let s = 0; s < strips; s++) {
      const b = v + <usize>(s * C * 32);
      for (let cb = 0; cb < Coutp; cb += 4) wg4tile(C, u + <usize>(cb * C * 4), b, m + <usize>(cb * Tp * 4 + s * 32), ldc);
    }
  }
}

/** A^T applied to 6 values: 4 results. */
@inline function wg4a0(m0: f32, m1: f32, m2: f32, m3: f32, m4: f32): f32 { return (m0 + (m1 + m2)) + (m3 + m4); }
@inline function wg4a1(m1: f32, m2: f32, m3: f32, m4: f32): f32 { return (m1 - m2) + (<f32>0.5 * m3 - <f32>2 * m4); }
@inline function wg4a2(m1: f32, m2: f32, m3: f32, m4: f32): f32 { return (m1 + m2) + (<f32>0.25 * m3 + <f32>4 * m4); }
@inline function wg4a3(m1: f32, m2: f32, m3: f32, m4: f32, m5: f32): f32 { return (m1 - m2) + (<f32>0.125 * m3 - <f32>8 * m4) + m5; }

/** A^T on four tiles at once: the same operations as wg4a0..3, lane-wise. */
@inline function wg4av(m0: v128, m1: v128, m2: v128, m3: v128, m4: v128, m5: v128, out: usize, stride: usize): void {
  const s12 = f32x4.add(m1, m2), d12 = f32x4.sub(m1, m2);
  v128.store(out, f32x4.add(f32x4.add(m0, s12), f32x4.add(m3, m4)));
  v128.store(out + stride, f32x4.add(d12, f32x4.sub(f32x4.mul(f32x4.splat(0.5), m3), f32x4.mul(f32x4.splat(2), m4))));
  v128.store(out + 2 * stride, f32x4.add(s12, f32x4.add(f32x4.mul(f32x4.splat(0.25), m3), f32x4.mul(f32x4.splat(4), m4))));
  v128.store(out + 3 * stride, f32x4.add(f32x4.add(d12, f32x4.sub(f32x4.mul(f32x4.splat(0.125), m3), f32x4.mul(f32x4.splat(8), m4))), m5));
}

/** + bias, max 0 when relu, on one vector. */
@inline function biasRelu(v: v128, b: v128, relu: bool): v128 {
  v = f32x4.add(v, b);
  return relu ? relu4(v) : v;
}

/**
 * y[co] for tile rows [tr0, tr1) = A^T m A (+ bias, then max 0 when relu)
 * from M[e][co][t] (rows of Tp floats); outputs past outH / outW are dropped.
 * Four horizontally adjacent tiles at once in f32x4 lanes (transposed back
 * into rows for the stores) where their 16 columns are all inside, one by
 * one otherwise (each row's last tilesW % 4), with the same operations.
 * `tmp` holds 96 floats (16-byte aligned).
 */
export function wg4Output(M: usize, Cout: i32, Coutp: i32, Tp: i32, tilesW: i32, tr0: i32, tr1: i32, y: usize, outH: i32, outW: i32, bias: usize, relu: bool, tmp: usize): void {
  const eStride = <usize>(wg4Plane(Coutp * Tp) * 4);
  const Q4 = tilesW & ~3;
  const R = tilesW - Q4;
  const rowsT = tr1 - tr0;
  for (let co = 0; co < Cout; co++) {
    const bv: f32 = bias !== 0 ? load<f32>(bias + <usize>(co * 4)) : 0;
    const bvv = f32x4.splat(bv);
    const yp = y + <usize>(co * outH * outW * 4);
    for (let tr = tr0; tr < tr1; tr++) {
      const r = tr * 4;
      const rows = min(4, outH - r);
      for (let tc = 0; tc < tilesW; ) {
        const t = wg4Tile(tr - tr0, tc, Q4, R, rowsT);
        const mp = M + <usize>((co * Tp + t) * 4);
        const c = tc * 4;
        if (tc < Q4 && c + 16 <= outW) {
          // q = A^T m (4 x 6 vectors at tmp + (i*6 + col)*16), then y = q A row by row.
          for (let col = 0; col < 6; col++) {
            const o = mp + <usize>col * eStride;
            wg4av(v128.load(o), v128.load(o + 6 * eStride), v128.load(o + 12 * eStride), v128.load(o + 18 * eStride), v128.load(o + 24 * eStride), v128.load(o + 30 * eStride), tmp + <usize>(col * 16), 96);
          }
          for (let i = 0; i < rows; i++) {
            const q = tmp + <usize>(i * 96);
            const yq = tmp + 384;
            wg4av(v128.load(q), v128.load(q, 16), v128.load(q, 32), v128.load(q, 48), v128.load(q, 64), v128.load(q, 80), yq, 16);
            const y0 = biasRelu(v128.load(yq), bvv, relu), y1 = biasRelu(v128.load(yq, 16), bvv, relu);
            const y2 = biasRelu(v128.load(yq, 32), bvv, relu), y3 = biasRelu(v128.load(yq, 48), bvv, relu);
            // Lanes are tiles: transpose so each tile's row of 4 is one vector.
            const a0 = v128.shuffle<f32>(y0, y1, 0, 4, 1, 5), a1 = v128.shuffle<f32>(y2, y3, 0, 4, 1, 5);
            const a2 = v128.shuffle<f32>(y0, y1, 2, 6, 3, 7), a3 = v128.shuffle<f32>(y2, y3, 2, 6, 3, 7);
            const p = yp + <usize>(((r + i) * outW + c) * 4);
            v128.store(p, v128.shuffle<f32>(a0, a1, 0, 1, 4, 5));
            v128.store(p, v128.shuffle<f32>(a0, a1, 2, 3, 6, 7), 16);
            v128.store(p, v128.shuffle<f32>(a2, a3, 0, 1, 4, 5), 32);
            v128.store(p, v128.shuffle<f32>(a2, a3, 2, 3, 6, 7), 48);
          }
          tc += 4;
          continue;
        }
        // q = A^T m (4 x 6), column by column: q[i][col] at tmp + (i*6 + col)*4.
        for (let col = 0; col < 6; col++) {
          const o = mp + <usize>col * eStride;
          const m0 = load<f32>(o), m1 = load<f32>(o + 6 * eStride), m2 = load<f32>(o + 12 * eStride);
          const m3 = load<f32>(o + 18 * eStride), m4 = load<f32>(o + 24 * eStride), m5 = load<f32>(o + 30 * eStride);
          const q = tmp + <usize>(col * 4);
          store<f32>(q, wg4a0(m0, m1, m2, m3, m4));
          store<f32>(q, wg4a1(m1, m2, m3, m4), 24);
          store<f32>(q, wg4a2(m1, m2, m3, m4), 48);
          store<f32>(q, wg4a3(m1, m2, m3, m4, m5), 72);
        }
        const cols = min(4, outW - c);
        for (let i = 0; i < rows; i++) {
          const q = tmp + <usize>(i * 24);
          const m0 = load<f32>(q), m1 = load<f32>(q, 4), m2 = load<f32>(q, 8), m3 = load<f32>(q, 12), m4 = load<f32>(q, 16), m5 = load<f32>(q, 20);
          let v0 = wg4a0(m0, m1, m2, m3, m4) + bv;
          let v1 = wg4a1(m1, m2, m3, m4) + bv;
          let v2 = wg4a2(m1, m2, m3, m4) + bv;
          let v3 = wg4a3(m1, m2, m3, m4, m5) + bv;
          if (relu) {
            v0 = max(v0, <f32>0); v1 = max(v1, <f32>0); v2 = max(v2, <f32>0); v3 = max(v3, <f32>0);
          }
          const p = yp + <usize>(((r + i) * outW + c) * 4);
          if (cols === 4) {
            store<f32>(p, v0); store<f32>(p, v1, 4); store<f32>(p, v2, 8); store<f32>(p, v3, 12);
          } else {
            store<f32>(p, v0);
            if (cols > 1) store<f32>(p, v1, 4);
            if (cols > 2) store<f32>(p, v2, 8);
          }
        }
        tc++;
      }
    }
  }
}

/**
 * Weight gradient as an implicit gemm, accumulating into acc[co][k] (four
 * float lanes each, summed by dgradWFinish): for output rows [r0, r1),
 * acc[co][k] += sum over positions ow < outW of gy[co][oh][ow] * xq[oh * rowStep + offs[k] + ow]
 * (xq, offs, rowStep as for dconv; gy is Coutp planes of gyPlane floats, rows
 * gyRow floats apart; the results of planes past Cout are dropped). Positions run four at a time,
 * the last outW % 4 one by one (into lane 0): no position past outW is read,
 * so a non-finite input value no valid window sees cannot leak in. K is even
 * (the table padded with a repeated tap whose results are dropped).
 */
export function dgradW(xq: usize, offs: usize, K: i32, gy: usize, Coutp: i32, gyPlane: i32, gyRow: i32, outW: i32, rowStep: i32, r0: i32, r1: i32, acc: usize): void {
  const planeB = <usize>(gyPlane * 4);
  const full = outW & ~3;
  for (let co = 0; co < Coutp; co += 4) {
    const g0base = gy + <usize>co * planeB;
    for (let k = 0; k < K; k += 2) {
      const o0 = <usize>load<i32>(offs + <usize>(k * 4));
      const o1 = <usize>load<i32>(offs + <usize>(k * 4), 4);
      const ap = acc + <usize>((co * K + k) * 16);
      const kB = <usize>(K * 16);
      let a00 = v128.load(ap), a01 = v128.load(ap, 16);
      let a10 = v128.load(ap + kB), a11 = v128.load(ap + kB, 16);
      let a20 = v128.load(ap + 2 * kB), a21 = v128.load(ap + 2 * kB, 16);
      let a30 = v128.load(ap + 3 * kB), a31 = v128.load(ap + 3 * kB, 16);
      for (let oh = r0; oh < r1; oh++) {
        const xr = xq + <usize>(oh * rowStep);
        const x0r = xr + o0;
        const x1r = xr + o1;
        const gr = g0base + <usize>(oh * gyRow * 4);
        for (let ow = 0; ow < full; ow += 4) {
          const b = <usize>(ow * 4);
          const x0 = v128.load(x0r + b);
          const x1 = v128.load(x1r + b);
          let g = v128.load(gr + b);
          a00 = madd(g, x0, a00);
          a01 = madd(g, x1, a01);
          g = v128.load(gr + planeB + b);
          a10 = madd(g, x0, a10);
          a11 = madd(g, x1, a11);
          g = v128.load(gr + 2 * planeB + b);
          a20 = madd(g, x0, a20);
          a21 = madd(g, x1, a21);
          g = v128.load(gr + 3 * planeB + b);
          a30 = madd(g, x0, a30);
          a31 = madd(g, x1, a31);
        }
        for (let ow = full; ow < outW; ow++) {
          const b = <usize>(ow * 4);
          // Lane 0 only: the other lanes add 0 * 0.
          const z = f32x4.splat(0);
          const x0 = f32x4.replace_lane(z, 0, load<f32>(x0r + b));
          const x1 = f32x4.replace_lane(z, 0, load<f32>(x1r + b));
          let g = f32x4.replace_lane(z, 0, load<f32>(gr + b));
          a00 = madd(g, x0, a00);
          a01 = madd(g, x1, a01);
          g = f32x4.replace_lane(z, 0, load<f32>(gr + planeB + b));
          a10 = madd(g, x0, a10);
          a11 = madd(g, x1, a11);
          g = f32x4.replace_lane(z, 0, load<f32>(gr + 2 * planeB + b));
          a20 = madd(g, x0, a20);
          a21 = madd(g, x1, a21);
          g = f32x4.replace_lane(z, 0, load<f32>(gr + 3 * planeB + b));
          a30 = madd(g, x0, a30);
          a31 = madd(g, x1, a31);
        }
      }
      v128.store(ap, a00); v128.store(ap, a01, 16);
      v128.store(ap + kB, a10); v128.store(ap + kB, a11, 16);
      v128.store(ap + 2 * kB, a20); v128.store(ap + 2 * kB, a21, 16);
      v128.store(ap + 3 * kB, a30); v128.store(ap + 3 * kB, a31, 16);
    }
  }
}

/** gw[co * Kw + k] (+)= the four lanes of acc[co][k] ((0 + 1) + (2 + 3)), co < Cout, k < Kw (acc rows K apart). */
export function dgradWFinish(acc: usize, Cout: i32, K: i32, Kw: i32, gw: usize, accumulate: bool): void {
  for (let co = 0; co < Cout; co++) {
    for (let k = 0; k < Kw; k++) {
      const a = acc + <usize>((co * K + k) * 16);
      const v: f32 = (load<f32>(a) + load<f32>(a, 4)) + (load<f32>(a, 8) + load<f32>(a, 12));
      const o = gw + <usize>((co * Kw + k) * 4);
      store<f32>(o, accumulate ? load<f32>(o) + v : v);
    }
  }
}

/** out[c][a + sh*u][b + sw*v] = Y[c][u][v] (rows Vp floats apart) for u in [u0, u1), v < V: one phase of a sub-pixel convolution back into its image. */
export function unphase(Y: usize, C: i32, yPlane: i32, Vp: i32, u0: i32, u1: i32, V: i32, out: usize, H: i32, W: i32, a: i32, b: i32, sh: i32, sw: i32): void {
  for (let c = 0; c < C; c++) {
    const yp = Y + <usize>(c * yPlane * 4);
    const op = out + <usize>(c * H * W * 4);
    for (let u = u0; u < u1; u++) {
      const src = yp + <usize>(u * Vp * 4);
      const dst = op + <usize>(((a + sh * u) * W + b) * 4);
      if (sw === 1) memory.copy(dst, src, <usize>(V * 4));
      else for (let v = 0; v < V; v++) store<f32>(dst + <usize>(v * sw * 4), load<f32>(src + <usize>(v * 4)));
    }
  }
}

/**
 * unphase for two column phases at once (sw = 2): out[c][a + sh*u][2v + b]
 * = Yb[c][u][v] for b = 0, 1, interleaved with shuffles (rows Vp floats
 * apart in both; V0 = ceil(W / 2) and V1 = floor(W / 2) values per row).
 */
export function unphase2(Y0: usize, Y1: usize, C: i32, yPlane: i32, Vp: i32, u0: i32, u1: i32, out: usize, H: i32, W: i32, a: i32, sh: i32): void {
  const V1 = W >> 1;
  const full = V1 & ~3;
  for (let c = 0; c < C; c++) {
    const p0 = Y0 + <usize>(c * yPlane * 4);
    const p1 = Y1 + <usize>(c * yPlane * 4);
    const op = out + <usize>(c * H * W * 4);
    for (let u = u0; u < u1; u++) {
      const s0 = p0 + <usize>(u * Vp * 4);
      const s1 = p1 + <usize>(u * Vp * 4);
      const dst = op + <usize>((a + sh * u) * W * 4);
      let v = 0;
      for (; v < full; v += 4) {
        const e = v128.load(s0 + <usize>(v * 4));
        const o = v128.load(s1 + <usize>(v * 4));
        v128.store(dst + <usize>(v * 8), v128.shuffle<f32>(e, o, 0, 4, 1, 5));
        v128.store(dst + <usize>(v * 8), v128.shuffle<f32>(e, o, 2, 6, 3, 7), 16);
      }
      for (; v < V1; v++) {
        store<f32>(dst + <usize>(v * 8), load<f32>(s0 + <usize>(v * 4)));
        store<f32>(dst + <usize>(v * 8), load<f32>(s1 + <usize>(v * 4)), 4);
      }
      if (W & 1) store<f32>(dst + <usize>(V1 * 8), load<f32>(s0 + <usize>(V1 * 4)));
    }
  }
}

/** Whether the n floats at p are all finite (x - x is 0 for finite x, NaN for Inf and NaN). */
export function allFinite(p: usize, n: i32): bool {
  const end = p + <usize>(n * 4);
  let acc = f32x4.splat(0);
  let q = p;
  for (; q + 16 <= end; q += 16) {
    const v = v128.load(q);
    acc = f32x4.add(acc, f32x4.sub(v, v));
  }
  let s: f32 = 0;
  for (; q < end; q += 4) {
    const v = load<f32>(q);
    s += v - v;
  }
  // NaN lanes compare unequal to themselves.
  return s === s && f32x4.extract_lane(acc, 0) === f32x4.extract_lane(acc, 0) && f32x4.extract_lane(acc, 1) === f32x4.extract_lane(acc, 1) && f32x4.extract_lane(acc, 2) === f32x4.extract_lane(acc, 2) && f32x4.extract_lane(acc, 3) === f32x4.extract_lane(acc, 3);
}

/** dst[p][r][0:cols] = src[p][r][0:cols] for `planes` planes of `rows` rows (src contiguous; dst rows dstRow floats apart, planes dstPlane apart; the rest of dst untouched). */
export function spreadRows(src: usize, planes: i32, rows: i32, cols: i32, dstRow: i32, dstPlane: i32, dst: usize): void {
  const len = <usize>(cols * 4);
  for (let p = 0; p < planes; p++) {
    let s = src + <usize>(p * rows * cols * 4);
    let d = dst + <usize>(p * dstPlane * 4);
    for (let r = 0; r < rows; r++, s += len, d += <usize>(dstRow * 4)) memory.copy(d, s, len);
  }
}

/** out[p] (float64) = the sum of plane p's `len` floats, for `planes` planes: four float64 lanes, then ((0 + 1) + (2 + 3)). */
export function planeSums(x: usize, planes: i32, len: i32, out: usize): void {
  const full = len & ~3;
  for (let p = 0; p < planes; p++) {
    const base = x + <usize>(p * len * 4);
    let lo = f64x2.splat(0);
    let hi = f64x2.splat(0);
    for (let i = 0; i < full; i += 4) {
      const v = v128.load(base + <usize>(i * 4));
      lo = f64x2.add(lo, f64x2.promote_low_f32x4(v));
      hi = f64x2.add(hi, f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1)));
    }
    let s = (f64x2.extract_lane(lo, 0) + f64x2.extract_lane(lo, 1)) + (f64x2.extract_lane(hi, 0) + f64x2.extract_lane(hi, 1));
    for (let i = full; i < len; i++) s += <f64>load<f32>(base + <usize>(i * 4));
    store<f64>(out + <usize>(p * 8), s);
  }
}

// ---- Winograd F(4x4, 3x3) weight gradient: gw = G^T [sum_tiles (A gy A^T) . (B^T d B)] G ----
//
// The transposition of the forward's identity: for each 4x4 tile of the
// output gradient and the 6x6 input tile under it, the 3x3 correlation
// gw[i][j] += sum_ab gy[a][b] d[a + i][b + j] is G^T [(A gy A^T) . (B^T d B)] G
// with the forward's A, B, G. The input transform is wg4Input's; the
// products are reduced over tiles (wg4GemmT) and transformed once at the end.

/** A (6 x 4, the transpose of A^T) applied to 4 values. */
@inline function wg4at(g0: f32, g1: f32, g2: f32, g3: f32, out: usize, stride: usize): void {
  store<f32>(out, g0);
  store<f32>(out + stride, (g0 + g2) + (g1 + g3));
  store<f32>(out + 2 * stride, (g0 + g2) - (g1 + g3));
  store<f32>(out + 3 * stride, (g0 + <f32>0.25 * g2) + (<f32>0.5 * g1 + <f32>0.125 * g3));
  store<f32>(out + 4 * stride, (g0 + <f32>4 * g2) - (<f32>2 * g1 + <f32>8 * g3));
  store<f32>(out + 5 * stride, g3);
}

/**
 * Ug[e][tBase + t][co] (a row of Coutp output channels per tile, planes as
 * for Tp tiles) = (A gy A^T)[e] for the 4x4 output-gradient tile of each
 * tile (tr, tc) of tile rows [tr0, tr1) (zeros past outH / outW), tiles
 * numbered as wg4Input's (wg4Tile); channels [Cout, Coutp) are zero. gy is
 * Cout planes of outH x outW; `tmp` holds 24 floats.
 */
export function wg4GyT(gy: usize, Cout: i32, Coutp: i32, outH: i32, outW: i32, tilesW: i32, tr0: i32, tr1: i32, Ug: usize, tmp: usize, Tp: i32, tBase: i32): void {
  const eStride = <usize>(wg4Plane(Coutp * Tp) * 4);
  const Q4 = tilesW & ~3;
  const R = tilesW - Q4;
  const rowsT = tr1 - tr0;
  for (let co = 0; co < Cout; co++) {
    const gp = gy + <usize>(co * outH * outW * 4);
    for (let tr = tr0; tr < tr1; tr++) {
      const r0 = tr * 4;
      for (let tc = 0; tc < tilesW; tc++) {
        const c0 = tc * 4;
        const t = wg4Tile(tr - tr0, tc, Q4, R, rowsT);
        // e = A g row by row (e[r][l] at tmp + (l*4 + r)*4), then A on each column.
        for (let r = 0; r < 4; r++) {
          const rr = r0 + r;
          let g0: f32 = 0, g1: f32 = 0, g2: f32 = 0, g3: f32 = 0;
          if (rr < outH) {
            const p = gp + <usize>((rr * outW + c0) * 4);
            if (c0 + 3 < outW) {
              g0 = load<f32>(p); g1 = load<f32>(p, 4); g2 = load<f32>(p, 8); g3 = load<f32>(p, 12);
            } else {
              g0 = load<f32>(p);
              if (c0 + 1 < outW) g1 = load<f32>(p, 4);
              if (c0 + 2 < outW) g2 = load<f32>(p, 8);
            }
          }
          wg4at(g0, g1, g2, g3, tmp + <usize>(r * 4), 16);
        }
        const dst = Ug + <usize>(((tBase + t) * Coutp + co) * 4);
        for (let l = 0; l < 6; l++) {
          const q = tmp + <usize>(l * 16);
          wg4at(load<f32>(q), load<f32>(q, 4), load<f32>(q, 8), load<f32>(q, 12), dst + <usize>l * eStride, 6 * eStride);
        }
      }
    }
  }
  const T = rowsT * tilesW;
  for (let t = 0; t < T; t++) {
    for (let co = Cout; co < Coutp; co++) {
      const dst = Ug + <usize>(((tBase + t) * Coutp + co) * 4);
      for (let e = 0; e < 36; e++) store<f32>(dst + <usize>e * eStride, 0);
    }
  }
}

/** Acc (+)= acc at `ap` (`first`: Acc starts at acc, not read). */
@inline function accStore(ap: usize, acc: v128, first: bool): void {
  v128.store(ap, first ? acc : f32x4.add(v128.load(ap), acc));
}

/**
 * Acc[e][ci][co] (+)= sum over tiles t < T of V[e][ci][t] * Ug[e][t][co]
 * (V in rows of Tp tiles, Ug a row of Coutp output channels per tile), as
 * the forward's wg4tile with the tiles as the reduction: 4 input channels by
 * 8 output channels (4 at the end of a row of Coutp) in registers over every
 * tile, each step 2 vector loads of Ug, 4 splat loads of V, 8 multiplies and
 * 8 adds, summed in tile order. Cp, the input channels, is a multiple of 4:
 * a last partial block repeats channel C - 1, whose sums land in the
 * dropped padding rows. The entries' planes are wg4Plane apart (the finish
 * reads all 36 for each pair: power-of-two strides would alias them into
 * one cache set). `first`: Acc starts at these sums (not read).
 */
export function wg4GemmT(Ug: usize, V: usize, Acc: usize, Coutp: i32, C: i32, Cp: i32, T: i32, Tp: i32, first: bool): void {
  const uE = <usize>(wg4Plane(Coutp * Tp) * 4);
  const vE = <usize>(wg4Plane(C * Tp) * 4);
  const row = <usize>(Tp * 4);
  const uRow = <usize>(Coutp * 4);
  const aE = <usize>(wg4Plane(Cp * Coutp) * 4);
  const tEnd = <usize>(T * 4);
  for (let e = 0; e < 36; e++) {
    const ue = Ug + <usize>e * uE;
    const ve = V + <usize>e * vE;
    const ae = Acc + <usize>e * aE;
    for (let ci = 0; ci < Cp; ci += 4) {
      const v0 = ve + <usize>min(ci, C - 1) * row;
      const v1 = ve + <usize>min(ci + 1, C - 1) * row;
      const v2 = ve + <usize>min(ci + 2, C - 1) * row;
      const v3 = ve + <usize>min(ci + 3, C - 1) * row;
      const ap = ae + <usize>ci * uRow;
      let co = 0;
      for (; co + 8 <= Coutp; co += 8) {
        let c00 = f32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        let u = ue + <usize>(co * 4);
        for (let t: usize = 0; t < tEnd; t += 4, u += uRow) {
          const b0 = v128.load(u);
          const b1 = v128.load(u, 16);
          let s = v128.load32_splat(v0 + t);
          c00 = madd(s, b0, c00);
          c01 = madd(s, b1, c01);
          s = v128.load32_splat(v1 + t);
          c10 = madd(s, b0, c10);
          c11 = madd(s, b1, c11);
          s = v128.load32_splat(v2 + t);
          c20 = madd(s, b0, c20);
          c21 = madd(s, b1, c21);
          s = v128.load32_splat(v3 + t);
          c30 = madd(s, b0, c30);
          c31 = madd(s, b1, c31);
        }
        const a = ap + <usize>(co * 4);
        accStore(a, c00, first); accStore(a + 16, c01, first);
        accStore(a + uRow, c10, first); accStore(a + uRow + 16, c11, first);
        accStore(a + 2 * uRow, c20, first); accStore(a + 2 * uRow + 16, c21, first);
        accStore(a + 3 * uRow, c30, first); accStore(a + 3 * uRow + 16, c31, first);
      }
      if (co < Coutp) {
        let c0 = f32x4.splat(0), c1 = c0, c2 = c0, c3 = c0;
        let u = ue + <usize>(co * 4);
        for (let t: usize = 0; t < tEnd; t += 4, u += uRow) {
          const b0 = v128.load(u);
          c0 = madd(v128.load32_splat(v0 + t), b0, c0);
          c1 = madd(v128.load32_splat(v1 + t), b0, c1);
          c2 = madd(v128.load32_splat(v2 + t), b0, c2);
          c3 = madd(v128.load32_splat(v3 + t), b0, c3);
        }
        const a = ap + <usize>(co * 4);
        accStore(a, c0, first);
        accStore(a + uRow, c1, first);
        accStore(a + 2 * uRow, c2, first);
        accStore(a + 3 * uRow, c3, first);
      }
    }
  }
}

/** G^T (3 x 6) applied to six values (a column or a row of m) in two float64 lanes (two output channels): three results, `stride` bytes apart. */
@inline function wg4gt2(m0: v128, m1: v128, m2: v128, m3: v128, m4: v128, m5: v128, out: usize, stride: usize): void {
  const third = f64x2.splat(THIRD), fifteenth = f64x2.splat(FIFTEENTH);
  const d = f64x2.mul(f64x2.sub(m1, m2), third);
  v128.store(out, f64x2.add(f64x2.add(m0, d), f64x2.mul(f64x2.sub(m4, f64x2.mul(f64x2.splat(16), m3)), fifteenth)));
  v128.store(out + stride, f64x2.sub(f64x2.mul(f64x2.add(m1, m2), third), f64x2.mul(f64x2.add(f64x2.mul(f64x2.splat(8), m3), f64x2.mul(f64x2.splat(2), m4)), fifteenth)));
  v128.store(out + 2 * stride, f64x2.add(f64x2.add(d, f64x2.mul(f64x2.sub(f64x2.mul(f64x2.splat(4), m4), f64x2.mul(f64x2.splat(4), m3)), fifteenth)), m5));
}

/** Acc's floats for output channels co and co + 1 at `q`, as two float64 lanes. */
@inline function pair64(q: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load64_zero(q));
}

/**
 * gw[co][ci] = G^T m G (3 x 3) for co < Cout, ci < C, m[a][b] =
 * Acc[6a + b][ci][co] (wg4GemmT's layout: Coutp output channels a row,
 * planes wg4Plane apart), in float64 and rounded once: G^T on each column of
 * m, then on each row of the result (G's zeros and repeats skipped), two
 * output channels at a time in float64 lanes (an odd last one computes its
 * padding neighbour and drops it). `tmp` holds 21 two-lane float64 vectors
 * (16-byte aligned).
 */
export function wg4GradFinish(Acc: usize, Cout: i32, C: i32, Cp: i32, Coutp: i32, tmp: usize, gw: usize): void {
  const eS = <usize>(wg4Plane(Cp * Coutp) * 4);
  const next = <usize>(C * 36);
  const r = tmp + 288;
  for (let ci = 0; ci < C; ci++) {
    for (let co = 0; co < Cout; co += 2) {
      const p = Acc + <usize>((ci * Coutp + co) * 4);
      // t[i][b] at tmp + (i * 6 + b) * 16 = sum_a G[a][i] m[a][b]
      for (let b = 0; b < 6; b++) {
        const q = p + <usize>b * eS;
        wg4gt2(pair64(q), pair64(q + 6 * eS), pair64(q + 12 * eS), pair64(q + 18 * eS), pair64(q + 24 * eS), pair64(q + 30 * eS), tmp + <usize>(b * 16), 96);
      }
      // gw[i][j] = sum_b t[i][b] G[b][j]
      const dst = gw + <usize>((co * C + ci) * 36);
      const both = co + 1 < Cout;
      for (let i = 0; i < 3; i++) {
        const t = tmp + <usize>(i * 96);
        wg4gt2(v128.load(t), v128.load(t, 16), v128.load(t, 32), v128.load(t, 48), v128.load(t, 64), v128.load(t, 80), r, 16);
        for (let j = 0; j < 3; j++) {
          const v = f32x4.demote_f64x2_zero(v128.load(r + <usize>(j * 16)));
          const o = dst + <usize>(i * 12 + j * 4);
          v128.store32_lane(o, v, 0);
          if (both) v128.store32_lane(o + next, v, 1);
        }
      }
    }
  }
}


// tanh in float32 (a rational approximation on [-c, c], c = 7.90531, where it
// saturates; x itself below |x| < 4e-4): within 3.6e-7 relative of the exact
// value (src/kernels/tanh.ts). Every step is one float32 operation (no fused multiply-add),
// so src/kernels/tanh.ts's TypeScript twin gives the same bits.
const TANH_C: f32 = 7.90531110763549805;
/** tanh's constants, loaded in the loop (lane4): -c, c, the small-|x| cut, p's A6..A0, q's B3..B0. */
const TK = memory.data<f32>([
  -TANH_C, TANH_C, 0.0004,
  -2.76076847742355e-16, 2.00018790482477e-13, -8.60467152213735e-11, 5.12229709037114e-08,
  1.48572235717979e-05, 6.37261928875436e-04, 4.89352455891786e-03,
  1.19825839466702e-06, 1.18534705686654e-04, 2.26843463243900e-03, 4.89352518554385e-03,
]);

@inline function tanhv(x: v128): v128 {
  // pmin/pmax: one instruction each, x first so a NaN passes through, -0 kept (as min/max here)
  const xc = f32x4.pmin(f32x4.pmax(x, lane4(TK, 0)), lane4(TK, 1));
  const x2 = f32x4.mul(xc, xc);
  let p = lane4(TK, 3);
  p = f32x4.add(f32x4.mul(x2, p), lane4(TK, 4));
  p = f32x4.add(f32x4.mul(x2, p), lane4(TK, 5));
  p = f32x4.add(f32x4.mul(x2, p), lane4(TK, 6));
  p = f32x4.add(f32x4.mul(x2, p), lane4(TK, 7));
  p = f32x4.add(f32x4.mul(x2, p), lane4(TK, 8));
  p = f32x4.add(f32x4.mul(x2, p), lane4(TK, 9));
  p = f32x4.mul(xc, p);
  let q = lane4(TK, 10);
  q = f32x4.add(f32x4.mul(x2, q), lane4(TK, 11));
  q = f32x4.add(f32x4.mul(x2, q), lane4(TK, 12));
  q = f32x4.add(f32x4.mul(x2, q), lane4(TK, 13));
  return v128.bitselect(x, f32x4.div(p, q), f32x4.lt(f32x4.abs(x), lane4(TK, 2)));
}

/** out[i] = tanh(x[i]) for n floats (out may be x). */
export function tanhF(x: usize, out: usize, n: i32): void {
  const end = <usize>(n * 4);
  let i: usize = 0;
  // Four vectors a step: each is a chain of ~20 dependent operations (latency-bound one at a time).
  for (; i + 64 <= end; i += 64) {
    const a = tanhv(v128.load(x + i));
    const b = tanhv(v128.load(x + i, 16));
    const c = tanhv(v128.load(x + i, 32));
    const d = tanhv(v128.load(x + i, 48));
    v128.store(out + i, a);
    v128.store(out + i, b, 16);
    v128.store(out + i, c, 32);
    v128.store(out + i, d, 48);
  }
  for (; i + 16 <= end; i += 16) v128.store(out + i, tanhv(v128.load(x + i)));
  if (i < end) {
    // The tail through one vector (zeros beyond n are computed and dropped).
    const t = memory.data(16, 16);
    v128.store(t, f32x4.splat(0));
    memory.copy(t, x + i, end - i);
    v128.store(t, tanhv(v128.load(t)));
    memory.copy(out + i, t, end - i);
  }
}

/** out[i] = a[i] + b[i] in float32 for n floats (out may be a or b). */
export function addF(a: usize, b: usize, out: usize, n: i32): void {
  const end = <usize>(n * 4);
  let i: usize = 0;
  for (; i + 16 <= end; i += 16) v128.store(out + i, f32x4.add(v128.load(a + i), v128.load(b + i)));
  for (; i < end; i += 4) store<f32>(out + i, load<f32>(a + i) + load<f32>(b + i));
}

/*
 * The four operations as types (as asm/activations.ts): each loop's code is
 * picked at compile time. Through a function taking the op as an argument,
 * Binaryen folded the loops into one that tested the op for every vector and
 * computed the operations before it (a division too) on the way.
 */
@unmanaged class OpAdd { @inline v(l: v128, r: v128): v128 { return f32x4.add(l, r); } @inline s(l: f32, r: f32): f32 { return l + r; } }
@unmanaged class OpSub { @inline v(l: v128, r: v128): v128 { return f32x4.sub(l, r); } @inline s(l: f32, r: f32): f32 { return l - r; } }
@unmanaged class OpMul { @inline v(l: v128, r: v128): v128 { return f32x4.mul(l, r); } @inline s(l: f32, r: f32): f32 { return l * r; } }
@unmanaged class OpDiv { @inline v(l: v128, r: v128): v128 { return f32x4.div(l, r); } @inline s(l: f32, r: f32): f32 { return l / r; } }

/** One run of `bytes` at xr into or: x op v (v op x when vFirst), v held (vs in every lane). */
@inline function heldRun<T>(xr: usize, or: usize, bytes: usize, v: v128, vs: f32, vFirst: bool): void {
  const t = changetype<T>(0);
  let i: usize = 0;
  if (vFirst) {
    for (; i + 16 <= bytes; i += 16) v128.store(or + i, t.v(v, v128.load(xr + i)));
    for (; i < bytes; i += 4) store<f32>(or + i, t.s(vs, load<f32>(xr + i)));
  } else {
    for (; i + 16 <= bytes; i += 16) v128.store(or + i, t.v(v128.load(xr + i), v));
    for (; i < bytes; i += 4) store<f32>(or + i, t.s(load<f32>(xr + i), vs));
  }
}

/** One run of `bytes` at xr into or: x op y element by element (y op x when yFirst). */
@inline function cycRun<T>(xr: usize, or: usize, bytes: usize, y: usize, yFirst: bool): void {
  const t = changetype<T>(0);
  let i: usize = 0;
  if (yFirst) {
    for (; i + 16 <= bytes; i += 16) v128.store(or + i, t.v(v128.load(y + i), v128.load(xr + i)));
    for (; i < bytes; i += 4) store<f32>(or + i, t.s(load<f32>(y + i), load<f32>(xr + i)));
  } else {
    for (; i + 16 <= bytes; i += 16) v128.store(or + i, t.v(v128.load(xr + i), v128.load(y + i)));
    for (; i < bytes; i += 4) store<f32>(or + i, t.s(load<f32>(xr + i), load<f32>(y + i)));
  }
}

/**
 * Runs of `len` floats of x, each with its own value vals[r] (a [N, C, 1, 1]
 * scale over [N, C, H, W]): out = x op v, or v op x when vFirst (op: 0 add,
 * 1 sub, 2 mul, 3 div). Float32 per operation, as the TypeScript loops'
 * float64 results rounded once (innocuous double rounding for + - * /).
 */
export function heldRuns(op: i32, x: usize, runs: i32, len: i32, vals: usize, out: usize, vFirst: bool): void {
  const bytes = <usize>(len * 4);
  for (let r = 0; r < runs; r++) {
    const vs: f32 = load<f32>(vals + <usize>(r * 4));
    const v = f32x4.splat(vs);
    const xr = x + <usize>r * bytes;
    const or = out + <usize>r * bytes;
    if (op === 0) heldRun<OpAdd>(xr, or, bytes, v, vs, vFirst);
    else if (op === 1) heldRun<OpSub>(xr, or, bytes, v, vs, vFirst);
    else if (op === 2) heldRun<OpMul>(xr, or, bytes, v, vs, vFirst);
    else heldRun<OpDiv>(xr, or, bytes, v, vs, vFirst);
  }
}

/**
 * Runs of len floats of x, each with the same len values y: x op y (y op x
 * when yFirst), element by element (a [C] scale or shift over [..., C]:
 * ConvNeXt's layer scale); op as heldRuns.
 */
export function cycRuns(op: i32, x: usize, runs: i32, len: i32, y: usize, out: usize, yFirst: bool): void {
  const bytes = <usize>(len * 4);
  for (let r = 0; r < runs; r++) {
    const xr = x + <usize>r * bytes;
    const or = out + <usize>r * bytes;
    if (op === 0) cycRun<OpAdd>(xr, or, bytes, y, yFirst);
    else if (op === 1) cycRun<OpSub>(xr, or, bytes, y, yFirst);
    else if (op === 2) cycRun<OpMul>(xr, or, bytes, y, yFirst);
    else cycRun<OpDiv>(xr, or, bytes, y, yFirst);
  }
}

/** out[i] = g[i] * (1 - y[i] * y[i]) in float32, PyTorch's tanh_backward (out may be g). */
export function tanhGrad(y: usize, g: usize, out: usize, n: i32): void {
  const one = f32x4.splat(1);
  const end = <usize>(n * 4);
  let i: usize = 0;
  for (; i + 16 <= end; i += 16) {
    const v = v128.load(y + i);
    v128.store(out + i, f32x4.mul(v128.load(g + i), f32x4.sub(one, f32x4.mul(v, v))));
  }
  for (; i < end; i += 4) {
    const v = load<f32>(y + i);
    store<f32>(out + i, load<f32>(g + i) * (<f32>1 - v * v));
  }
}

// float32 SIMD activations (asm/activations.ts)
export { actF, biasActF } from './activations';
export { maxPoolF } from './maxpool';
export { dwConv, dwScratch } from './depthwise';
export { transposeF } from './transpose';
export { padPlanesF } from './pad_planes';

// The gradient of padding (asm/pad_grad.ts)
export { padGrad } from './pad_grad';

// Adam's update (asm/adam.ts)
export { adamF } from './adam';
