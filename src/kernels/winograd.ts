/**
 * Winograd F(2x2, 3x3) forward for 3x3, stride-1, dilation-1, ungrouped
 * convolutions (Lavin & Gray 2015): each 2x2 output tile is
 * A^T [sum_c (G g G^T) . (B^T d B)] A over its 4x4 input tile d, i.e. 16
 * gemms (one per transform entry) of Cout x Cin by Cin x tiles, 2.25x fewer
 * multiplies than im2col. Transforms and gemms run in WebAssembly
 * (asm/gemm.ts); tiles are processed in chunks of tile rows so the transformed
 * input stays cache-sized.
 *
 * Rounding differs from the direct sum (the transforms add and halve inputs
 * and weights first): errors stay within a few float32 ulps of the output's
 * scale, inside the oracle's tolerance; the tests compare it with the direct
 * path on every oracle case and on random layers.
 */
import { copyImageRows, type Commit, type ConvDims } from './conv_fwd.js';
import { wasmGemm } from './gemm.js';

/** 3x3 kernel, stride 1, dilation 1, one group. */
export function winogradApplies(d: ConvDims): boolean {
  const g = d.g;
  return d.G === 1 && g.kh === 3 && g.kw === 3 && g.sh === 1 && g.sw === 1 && g.dh === 1 && g.dw === 1;
}

/** Enough channels for the 16 small gemms to beat one im2col gemm (measured: see bench/conv.ts). */
export function winogradPays(d: ConvDims): boolean {
  return d.C >= 16 && d.Cout >= 16 && d.g.outH * d.g.outW >= 64;
}

/** Transformed-input floats per chunk (16 x C x tiles): ~2 MB. */
const CHUNK_FLOATS = 1 << 19;

/** Output rows [r0, r1) of images [n0, n1); r0 is even (pieces are whole tile rows). */
export function winogradForward(
  d: ConvDims,
  xd: Float32Array,
  wd: Float32Array,
  bd: Float32Array | null,
  out: Float32Array,
  n0: number,
  n1: number,
  r0: number,
  r1: number,
  key: number | null,
  commit: Commit,
): void {
  const w = wasmGemm!;
  const { C, Cout, g } = d;
  const { H, W, outH, outW } = g;
  const tilesW = Math.ceil(outW / 2);
  const t0 = r0 >> 1;
  const t1 = Math.ceil(r1 / 2);
  const rowsMax = Math.max(1, Math.min(Math.ceil(outH / 2), Math.floor(CHUNK_FLOATS / (16 * Math.max(C, Cout) * tilesW))));
  const rows = Math.min(rowsMax, t1 - t0);
  // Sized for the whole image, so that every piece of a call allocates alike.
  const Tmax = rowsMax * tilesW;
  const HW = H * W;
  const L = outH * outW;
  // Input rows the tiles read (a last odd row's tile reads one more, for the dropped output row).
  const ih0 = Math.max(0, 2 * t0 - g.ph);
  const ih1 = Math.max(ih0, Math.min(H, 2 * t1 - g.ph + 2));
  const keep = key !== null && w.owner === key;
  w.reset(key);
  const wOff = w.alloc(wd.length);
  const uOff = w.alloc(16 * Cout * C);
  const xOff = w.alloc(C * HW);
  const vOff = w.alloc(16 * C * Tmax);
  const mOff = w.alloc(16 * Cout * Tmax);
  const yOff = w.alloc(Cout * L);
  const bOff = bd ? w.alloc(Cout) : -1;
  let F = w.f32();
  if (!keep) {
    F.set(wd, wOff);
    if (bd) F.set(bd, bOff);
    w.wgWeight(wOff, Cout, C, uOff);
  }
  const whole = r0 === 0 && r1 === outH;
  const len = (r1 - r0) * outW;
  for (let n = n0; n < n1; n++) {
    F = w.f32();
    copyImageRows(F, xOff, xd, n, C, g, ih0, ih1);
    for (let tr0 = t0; tr0 < t1; tr0 += rows) {
      const tr1 = Math.min(t1, tr0 + rows);
      const T = (tr1 - tr0) * tilesW;
      w.wgInput(xOff, C, H, W, g.ph, g.pw, tilesW, tr0, tr1, vOff);
      for (let e = 0; e < 16; e++) {
        w.gemm(Cout, T, C, uOff + e * Cout * C, C, false, vOff + e * C * T, T, false, mOff + e * Cout * T, T, false);
      }
      w.wgOutput(mOff, Cout, tilesW, tr0, tr1, yOff, outH, outW, bOff);
    }
    F = w.f32();
    if (commit && !commit(n)) continue;
    if (whole) out.set(F.subarray(yOff, yOff + Cout * L), n * Cout * L);
    else {
      for (let c = 0; c < Cout; c++) {
        const at = c * L + r0 * outW;
        out.set(F.subarray(yOff + at, yOff + at + len), n * Cout * L + at);
      }
    }
  }
}
