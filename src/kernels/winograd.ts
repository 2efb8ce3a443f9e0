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
import type { ConvDims, OutPlace } from './conv_fwd.js';
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

export function winogradForward(d: ConvDims, xd: Float32Array, wd: Float32Array, bd: Float32Array | null, out: Float32Array, n0: number, n1: number, o: OutPlace): void {
  const w = wasmGemm!;
  const { C, Cout, g } = d;
  const { H, W, outH, outW } = g;
  const tilesH = Math.ceil(outH / 2);
  const tilesW = Math.ceil(outW / 2);
  const rows = Math.max(1, Math.min(tilesH, Math.floor(CHUNK_FLOATS / (16 * Math.max(C, Cout) * tilesW))));
  const Tmax = rows * tilesW;
  const HW = H * W;
  const L = outH * outW;
  w.reset();
  const wOff = w.alloc(wd.length);
  const uOff = w.alloc(16 * Cout * C);
  const bOff = bd ? w.alloc(Cout) : -1;
  const xOff = w.alloc(C * HW);
  const vOff = w.alloc(16 * C * Tmax);
  const mOff = w.alloc(16 * Cout * Tmax);
  const yOff = w.alloc(Cout * L);
  let F = w.f32();
  F.set(wd, wOff);
  if (bd) F.set(bd, bOff);
  w.wgWeight(wOff, Cout, C, uOff);
  for (let n = n0; n < n1; n++) {
    F = w.f32();
    F.set(xd.subarray(n * C * HW, (n + 1) * C * HW), xOff);
    for (let tr0 = 0; tr0 < tilesH; tr0 += rows) {
      const tr1 = Math.min(tilesH, tr0 + rows);
      const T = (tr1 - tr0) * tilesW;
      w.wgInput(xOff, C, H, W, g.ph, g.pw, tilesW, tr0, tr1, vOff);
      for (let e = 0; e < 16; e++) {
        w.gemm(Cout, T, C, uOff + e * Cout * C, C, false, vOff + e * C * T, T, false, mOff + e * Cout * T, T, false);
      }
      w.wgOutput(mOff, Cout, tilesW, tr0, tr1, yOff, outH, outW, bOff);
    }
    F = w.f32();
    out.set(F.subarray(yOff, yOff + Cout * L), n * o.stride + o.base);
  }
}
