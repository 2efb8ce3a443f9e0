/**
 * im2col / col2im for 2-D convolution on one image (no shape semantics here).
 *
 * The "column" matrix has one row per (channel, kernel row, kernel column) and
 * one column per output position: col[(c*kh + i)*kw + j][oh*outW + ow] is the
 * image value under kernel tap (i, j) of the window at (oh, ow), or 0 where
 * the window hangs over the (zero) padding. A convolution is then one gemm.
 */
import { gemmBackend, wasmGemm } from './gemm.js';
import { rowSumsF64 } from './reduce.js';

export interface ConvGeom2d {
  /** Image height/width (the padded region is implicit). */
  H: number;
  W: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  /** Padding before the first row / column (after-padding only shows in outH/outW). */
  ph: number;
  pw: number;
  dh: number;
  dw: number;
  /** Number of window positions along each axis. */
  outH: number;
  outW: number;
}

/**
 * Whether the wasm kernels' 32-bit index arithmetic holds a window
 * geometry's positions (a convolution's or a pooling's: PoolGeom2d has the
 * same fields). Strides, dilations and paddings of 2^53 are legal (one
 * output); the TypeScript paths compute those.
 */
export function fitsI32(g: ConvGeom2d): boolean {
  const L = 2 ** 28;
  return (g.H + 2 * g.ph + g.outH * g.sh + g.kh * g.dh) * (g.W + 2 * g.pw + g.outW * g.sw + g.kw * g.dw) <= L;
}

/** First and one-past-last window index `o` whose tap lands inside [0, size): o*s - p + t in range. */
function validRange(tapOffset: number, s: number, size: number, count: number): [number, number] {
  // o*s + tapOffset >= 0  and  o*s + tapOffset <= size - 1
  const lo = tapOffset >= 0 ? 0 : Math.ceil(-tapOffset / s);
  const hi = size - 1 - tapOffset < 0 ? 0 : Math.floor((size - 1 - tapOffset) / s) + 1;
  return [Math.min(lo, count), Math.max(Math.min(hi, count), Math.min(lo, count))];
}

/**
 * Fills col (C*kh*kw x Lc, at colOff) from image x (C x H x W, at xOff) for the
 * window rows [oh0, oh1) only (Lc = (oh1 - oh0) * outW): convolutions work
 * through an image in cache-sized chunks of output rows.
 */
export function im2col(x: Float32Array, xOff: number, C: number, g: ConvGeom2d, col: Float32Array, colOff = 0, oh0 = 0, oh1 = g.outH): void {
  const { H, W, kh, kw, sh, sw, ph, pw, dh, dw, outW } = g;
  const L = (oh1 - oh0) * outW;
  let row = colOff;
  for (let c = 0; c < C; c++) {
    const plane = xOff + c * H * W;
    for (let i = 0; i < kh; i++) {
      const hOff = i * dh - ph;
      const [h0, h1] = validRange(hOff, sh, H, g.outH);
      const r0 = Math.min(Math.max(h0, oh0), oh1);
      const r1 = Math.max(Math.min(h1, oh1), r0);
      for (let j = 0; j < kw; j++, row += L) {
        const wOff = j * dw - pw;
        const [ow0, ow1] = validRange(wOff, sw, W, outW);
        if (r0 > oh0) col.fill(0, row, row + (r0 - oh0) * outW);
        if (r1 < oh1) col.fill(0, row + (r1 - oh0) * outW, row + L);
        for (let oh = r0; oh < r1; oh++) {
          const dst = row + (oh - oh0) * outW;
          // Border columns of padded windows: a few values, cheaper in a loop than through fill().
          for (let ow = 0; ow < ow0; ow++) col[dst + ow] = 0;
          for (let ow = ow1; ow < outW; ow++) col[dst + ow] = 0;
          const src = plane + (oh * sh + hOff) * W + wOff;
          if (sw === 1 && ow1 - ow0 >= 32) {
            col.set(x.subarray(src + ow0, src + ow1), dst + ow0);
          } else if (sw === 1) {
            for (let ow = ow0; ow < ow1; ow++) col[dst + ow] = x[src + ow]!;
          } else {
            for (let ow = ow0; ow < ow1; ow++) col[dst + ow] = x[src + ow * sw]!;
          }
        }
      }
    }
  }
}

/** Adds col (C*kh*kw x Lc, window rows [oh0, oh1)) back into image gx (C x H x W, at xOff): the adjoint of im2col. */
export function col2im(col: Float32Array, colOff: number, C: number, g: ConvGeom2d, gx: Float32Array, xOff: number, oh0 = 0, oh1 = g.outH): void {
  const { H, W, kh, kw, sh, sw, ph, pw, dh, dw, outW } = g;
  const L = (oh1 - oh0) * outW;
  let row = colOff;
  for (let c = 0; c < C; c++) {
    const plane = xOff + c * H * W;
    for (let i = 0; i < kh; i++) {
      const hOff = i * dh - ph;
      const [h0, h1] = validRange(hOff, sh, H, g.outH);
      const r0 = Math.max(h0, oh0);
      const r1 = Math.min(h1, oh1);
      for (let j = 0; j < kw; j++, row += L) {
        const wOff = j * dw - pw;
        const [ow0, ow1] = validRange(wOff, sw, W, outW);
        for (let oh = r0; oh < r1; oh++) {
          const srcRow = row + (oh - oh0) * outW;
          const dst = plane + (oh * sh + hOff) * W + wOff;
          if (sw === 1) {
            for (let ow = ow0; ow < ow1; ow++) gx[dst + ow] = gx[dst + ow]! + col[srcRow + ow]!;
          } else {
            for (let ow = ow0; ow < ow1; ow++) gx[dst + ow * sw] = gx[dst + ow * sw]! + col[srcRow + ow]!;
          }
        }
      }
    }
  }
}

/** Output rows per chunk so that a chunk's column matrix (colRows x rows*outW) stays near `floats` values (~1 MB). */
export function chunkRows(colRows: number, outW: number, outH: number, floats = 1 << 18): number {
  return Math.max(1, Math.min(outH, Math.floor(floats / Math.max(1, colRows * outW))));
}

/** out[n, c, :] += bias[c] over `planes` = N*C planes of `len` values. */
export function addBias(out: Float32Array, bias: Float32Array, N: number, C: number, len: number): void {
  let o = 0;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const b = bias[c]!;
      for (let i = 0; i < len; i++, o++) out[o] = out[o]! + b;
    }
  }
}

/** gb[c] = sum over n and positions of g[n, c, :] (each plane summed in float64: reduce.ts rowSumsF64). */
export function biasGrad(g: Float32Array, N: number, C: number, len: number): Float32Array {
  const sums = rowSumsF64(g, N * C, len);
  const acc = new Float64Array(C);
  for (let p = 0; p < N * C; p++) acc[p % C] = acc[p % C]! + sums[p]!;
  return Float32Array.from(acc);
}
