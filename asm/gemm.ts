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
 * and they spill.) 128-bit SIMD without FMA (relaxed SIMD is off by default in
 * Node 20): each product is rounded before its add; accumulation in float32,
 * as PyTorch's CPU gemm.
 *
 * Memory: [heapBase: packed A (MC*KC) | packed B (KC*(NC+8)) | edge tile | free];
 * `scratch()` is the first byte the loader may use for operands.
 */

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

/** Packs op(A)[i0:i0+mc, p0:p0+kc] as strips of MR rows: Ap[strip*kc*MR + p*MR + i], zero rows past mc. */
function packAPanel(a: usize, lda: i32, transA: bool, i0: i32, mc: i32, p0: i32, kc: i32): void {
  let dst = packA;
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
    c00 = f32x4.add(c00, f32x4.mul(x, b0));
    c01 = f32x4.add(c01, f32x4.mul(x, b1));
    x = v128.load32_splat(a, 4);
    c10 = f32x4.add(c10, f32x4.mul(x, b0));
    c11 = f32x4.add(c11, f32x4.mul(x, b1));
    x = v128.load32_splat(a, 8);
    c20 = f32x4.add(c20, f32x4.mul(x, b0));
    c21 = f32x4.add(c21, f32x4.mul(x, b1));
    x = v128.load32_splat(a, 12);
    c30 = f32x4.add(c30, f32x4.mul(x, b0));
    c31 = f32x4.add(c31, f32x4.mul(x, b1));
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

/** A partial tile (mr x nr of 6 x 8) through the edge buffer. */
function edgeTile(kc: i32, a: usize, b: usize, c: usize, ldc: usize, first: bool, mr: i32, nr: i32): void {
  for (let i = 0; i < MR; i++) {
    for (let j = 0; j < NR; j++) {
      const v: f32 = !first && i < mr && j < nr ? load<f32>(c + <usize>i * ldc + <usize>(j * 4)) : 0;
      store<f32>(edge + <usize>((i * NR + j) * 4), v);
    }
  }
  tile(kc, a, b, edge, <usize>(NR * 4), false);
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
  layout();
  const ldcB = <usize>(ldc * 4);
  for (let j0 = 0; j0 < N; j0 += NC) {
    const nc = min(NC, N - j0);
    for (let p0 = 0; p0 < K; p0 += KC) {
      const kc = min(KC, K - p0);
      const first = p0 === 0 && !accumulate;
      packBPanel(b, ldb, transB, j0, nc, p0, kc);
      for (let i0 = 0; i0 < M; i0 += MC) {
        const mc = min(MC, M - i0);
        packAPanel(a, lda, transA, i0, mc, p0, kc);
        for (let s = 0; s < nc; s += NR) {
          const nr = min(NR, nc - s);
          const bs = packB + <usize>((s / NR) * kc * NR * 4);
          let crow = c + <usize>(i0) * ldcB + <usize>((j0 + s) * 4);
          for (let r = 0; r < mc; r += MR, crow += <usize>MR * ldcB) {
            const mr = min(MR, mc - r);
            const as = packA + <usize>((r / MR) * kc * MR * 4);
            if (mr === MR && nr === NR) fullTile(kc, as, bs, crow, ldcB, first);
            else edgeTile(kc, as, bs, crow, ldcB, first, mr, nr);
          }
        }
      }
    }
  }
}

/** out[plane p, :] += bias[p % C] (and max(0, .) when relu) over `planes` planes of `len` floats. */
export function biasAct(out: usize, bias: usize, planes: i32, C: i32, len: i32, relu: bool): void {
  const zero = f32x4.splat(0);
  for (let p = 0; p < planes; p++) {
    const bv: f32 = bias !== 0 ? load<f32>(bias + <usize>((p % C) * 4)) : 0;
    const bs = f32x4.splat(bv);
    let o = out + <usize>p * <usize>(len * 4);
    const end = o + <usize>(len * 4);
    for (; o + 16 <= end; o += 16) {
      let v = f32x4.add(v128.load(o), bs);
      if (relu) v = f32x4.max(v, zero);
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
