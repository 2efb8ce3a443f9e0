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

// ---- Winograd F(2x2, 3x3): Y = A^T [sum_c (G g G^T) . (B^T d B)] A ----

/**
 * U[e][co][ci] (e = 4x4 transform entry) = (G g G^T)[e] for each 3x3 filter
 * g = w[co][ci], G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1].
 */
export function wgWeight(w: usize, Cout: i32, Cin: i32, U: usize): void {
  const plane = <usize>(Cout * Cin * 4);
  for (let f = 0; f < Cout * Cin; f++) {
    const g = w + <usize>(f * 36);
    // t = G g (4 x 3), rows of g are g0..g2.
    const g00 = load<f32>(g), g01 = load<f32>(g, 4), g02 = load<f32>(g, 8);
    const g10 = load<f32>(g, 12), g11 = load<f32>(g, 16), g12 = load<f32>(g, 20);
    const g20 = load<f32>(g, 24), g21 = load<f32>(g, 28), g22 = load<f32>(g, 32);
    const t00 = g00, t01 = g01, t02 = g02;
    const t10 = <f32>0.5 * (g00 + g10 + g20), t11 = <f32>0.5 * (g01 + g11 + g21), t12 = <f32>0.5 * (g02 + g12 + g22);
    const t20 = <f32>0.5 * (g00 - g10 + g20), t21 = <f32>0.5 * (g01 - g11 + g21), t22 = <f32>0.5 * (g02 - g12 + g22);
    const t30 = g20, t31 = g21, t32 = g22;
    // u = t G^T (4 x 4).
    let o = U + <usize>(f * 4);
    store<f32>(o, t00); o += plane;
    store<f32>(o, <f32>0.5 * (t00 + t01 + t02)); o += plane;
    store<f32>(o, <f32>0.5 * (t00 - t01 + t02)); o += plane;
    store<f32>(o, t02); o += plane;
    store<f32>(o, t10); o += plane;
    store<f32>(o, <f32>0.5 * (t10 + t11 + t12)); o += plane;
    store<f32>(o, <f32>0.5 * (t10 - t11 + t12)); o += plane;
    store<f32>(o, t12); o += plane;
    store<f32>(o, t20); o += plane;
    store<f32>(o, <f32>0.5 * (t20 + t21 + t22)); o += plane;
    store<f32>(o, <f32>0.5 * (t20 - t21 + t22)); o += plane;
    store<f32>(o, t22); o += plane;
    store<f32>(o, t30); o += plane;
    store<f32>(o, <f32>0.5 * (t30 + t31 + t32)); o += plane;
    store<f32>(o, <f32>0.5 * (t30 - t31 + t32)); o += plane;
    store<f32>(o, t32);
  }
}

@inline function px(plane: usize, H: i32, W: i32, r: i32, c: i32): f32 {
  return r >= 0 && r < H && c >= 0 && c < W ? load<f32>(plane + <usize>((r * W + c) * 4)) : 0;
}

/**
 * V[e][c][t] = (B^T d B)[e] for the 4x4 input tile d under output tile
 * t = (tr - tr0) * tilesW + tc, tile rows [tr0, tr1); B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1].
 */
export function wgInput(x: usize, C: i32, H: i32, W: i32, ph: i32, pw: i32, tilesW: i32, tr0: i32, tr1: i32, V: usize): void {
  const T = (tr1 - tr0) * tilesW;
  const plane = <usize>(C * T * 4);
  for (let c = 0; c < C; c++) {
    const xp = x + <usize>(c * H * W * 4);
    let t = 0;
    for (let tr = tr0; tr < tr1; tr++) {
      const r0 = tr * 2 - ph;
      for (let tc = 0; tc < tilesW; tc++, t++) {
        const c0 = tc * 2 - pw;
        // Rows of B^T d: s_k = combination of input rows, per column.
        let d00: f32, d01: f32, d02: f32, d03: f32, d10: f32, d11: f32, d12: f32, d13: f32;
        let d20: f32, d21: f32, d22: f32, d23: f32, d30: f32, d31: f32, d32: f32, d33: f32;
        if (r0 >= 0 && r0 + 3 < H && c0 >= 0 && c0 + 3 < W) {
          let p = xp + <usize>((r0 * W + c0) * 4);
          const rs = <usize>(W * 4);
          d00 = load<f32>(p); d01 = load<f32>(p, 4); d02 = load<f32>(p, 8); d03 = load<f32>(p, 12); p += rs;
          d10 = load<f32>(p); d11 = load<f32>(p, 4); d12 = load<f32>(p, 8); d13 = load<f32>(p, 12); p += rs;
          d20 = load<f32>(p); d21 = load<f32>(p, 4); d22 = load<f32>(p, 8); d23 = load<f32>(p, 12); p += rs;
          d30 = load<f32>(p); d31 = load<f32>(p, 4); d32 = load<f32>(p, 8); d33 = load<f32>(p, 12);
        } else {
          d00 = px(xp, H, W, r0, c0); d01 = px(xp, H, W, r0, c0 + 1); d02 = px(xp, H, W, r0, c0 + 2); d03 = px(xp, H, W, r0, c0 + 3);
          d10 = px(xp, H, W, r0 + 1, c0); d11 = px(xp, H, W, r0 + 1, c0 + 1); d12 = px(xp, H, W, r0 + 1, c0 + 2); d13 = px(xp, H, W, r0 + 1, c0 + 3);
          d20 = px(xp, H, W, r0 + 2, c0); d21 = px(xp, H, W, r0 + 2, c0 + 1); d22 = px(xp, H, W, r0 + 2, c0 + 2); d23 = px(xp, H, W, r0 + 2, c0 + 3);
          d30 = px(xp, H, W, r0 + 3, c0); d31 = px(xp, H, W, r0 + 3, c0 + 1); d32 = px(xp, H, W, r0 + 3, c0 + 2); d33 = px(xp, H, W, r0 + 3, c0 + 3);
        }
        // s = B^T d
        const s00 = d00 - d20, s01 = d01 - d21, s02 = d02 - d22, s03 = d03 - d23;
        const s10 = d10 + d20, s11 = d11 + d21, s12 = d12 + d22, s13 = d13 + d23;
        const s20 = d20 - d10, s21 = d21 - d11, s22 = d22 - d12, s23 = d23 - d13;
        const s30 = d10 - d30, s31 = d11 - d31, s32 = d12 - d32, s33 = d13 - d33;
        // v = s B
        let o = V + <usize>((c * T + t) * 4);
        store<f32>(o, s00 - s02); o += plane;
        store<f32>(o, s01 + s02); o += plane;
        store<f32>(o, s02 - s01); o += plane;
        store<f32>(o, s01 - s03); o += plane;
        store<f32>(o, s10 - s12); o += plane;
        store<f32>(o, s11 + s12); o += plane;
        store<f32>(o, s12 - s11); o += plane;
        store<f32>(o, s11 - s13); o += plane;
        store<f32>(o, s20 - s22); o += plane;
        store<f32>(o, s21 + s22); o += plane;
        store<f32>(o, s22 - s21); o += plane;
        store<f32>(o, s21 - s23); o += plane;
        store<f32>(o, s30 - s32); o += plane;
        store<f32>(o, s31 + s32); o += plane;
        store<f32>(o, s32 - s31); o += plane;
        store<f32>(o, s31 - s33);
      }
    }
  }
}

/**
 * y[co] tile rows [tr0, tr1) = A^T m A (+ bias) from M[e][co][t], A^T = [1 1 1 0; 0 1 -1 -1];
 * the 2x2 outputs past outH / outW are dropped.
 */
export function wgOutput(Mp: usize, Cout: i32, tilesW: i32, tr0: i32, tr1: i32, y: usize, outH: i32, outW: i32, bias: usize): void {
  const T = (tr1 - tr0) * tilesW;
  const plane = <usize>(Cout * T * 4);
  for (let co = 0; co < Cout; co++) {
    const bv: f32 = bias !== 0 ? load<f32>(bias + <usize>(co * 4)) : 0;
    const yp = y + <usize>(co * outH * outW * 4);
    let t = 0;
    for (let tr = tr0; tr < tr1; tr++) {
      const r = tr * 2;
      for (let tc = 0; tc < tilesW; tc++, t++) {
        let o = Mp + <usize>((co * T + t) * 4);
        const m00 = load<f32>(o); o += plane; const m01 = load<f32>(o); o += plane; const m02 = load<f32>(o); o += plane; const m03 = load<f32>(o); o += plane;
        const m10 = load<f32>(o); o += plane; const m11 = load<f32>(o); o += plane; const m12 = load<f32>(o); o += plane; const m13 = load<f32>(o); o += plane;
        const m20 = load<f32>(o); o += plane; const m21 = load<f32>(o); o += plane; const m22 = load<f32>(o); o += plane; const m23 = load<f32>(o); o += plane;
        const m30 = load<f32>(o); o += plane; const m31 = load<f32>(o); o += plane; const m32 = load<f32>(o); o += plane; const m33 = load<f32>(o);
        // q = A^T m (2 x 4)
        const q00 = m00 + m10 + m20, q01 = m01 + m11 + m21, q02 = m02 + m12 + m22, q03 = m03 + m13 + m23;
        const q10 = m10 - m20 - m30, q11 = m11 - m21 - m31, q12 = m12 - m22 - m32, q13 = m13 - m23 - m33;
        const c = tc * 2;
        const p = yp + <usize>((r * outW + c) * 4);
        const right = c + 1 < outW;
        store<f32>(p, q00 + q01 + q02 + bv);
        if (right) store<f32>(p, q01 - q02 - q03 + bv, 4);
        if (r + 1 < outH) {
          const p1 = p + <usize>(outW * 4);
          store<f32>(p1, q10 + q11 + q12 + bv);
          if (right) store<f32>(p1, q11 - q12 - q13 + bv, 4);
        }
      }
    }
  }
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

/**
 * Direct stride-1, dilation-1 convolution for few output channels (where an
 * im2col gemm would spend its time packing a column matrix that each value of
 * serves only Cout products): y[co][oh][ow] += sum over ci, i, j (in that
 * order, as the gemm sums its K) of w[co][ci][i][j] * xp[ci][oh + i][ow + j],
 * for output rows [r0, r1), over a zero-padded input xp (C x Hp x Wp,
 * Hp = outH + kh - 1, Wp = outW + kw - 1). Four outputs per f32x4 accumulator
 * kept in a register across a kernel row's taps.
 */
export function directConv(xp: usize, C: i32, Hp: i32, Wp: i32, w: usize, Cout: i32, kh: i32, kw: i32, outH: i32, outW: i32, r0: i32, r1: i32, y: usize): void {
  const full = outW & ~3;
  for (let co = 0; co < Cout; co++) {
    for (let ci = 0; ci < C; ci++) {
      for (let i = 0; i < kh; i++) {
        const wr = w + <usize>((((co * C + ci) * kh + i) * kw) * 4);
        for (let oh = r0; oh < r1; oh++) {
          const rin = xp + <usize>(((ci * Hp + oh + i) * Wp) * 4);
          const rout = y + <usize>(((co * outH + oh) * outW) * 4);
          let ow = 0;
          for (; ow < full; ow += 4) {
            const o = rout + <usize>(ow * 4);
            let acc = v128.load(o);
            const src = rin + <usize>(ow * 4);
            for (let j = 0; j < kw; j++) {
              acc = f32x4.add(acc, f32x4.mul(v128.load32_splat(wr + <usize>(j * 4)), v128.load(src + <usize>(j * 4))));
            }
            v128.store(o, acc);
          }
          for (; ow < outW; ow++) {
            const o = rout + <usize>(ow * 4);
            let acc = load<f32>(o);
            for (let j = 0; j < kw; j++) acc += load<f32>(wr + <usize>(j * 4)) * load<f32>(rin + <usize>((ow + j) * 4));
            store<f32>(o, acc);
          }
        }
      }
    }
  }
}
