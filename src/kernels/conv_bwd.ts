/**
 * Convolution backward in WebAssembly memory: per image, the input (for the
 * weight gradient) and the output gradient are copied in once; im2col, the
 * two gemms (gw += gOut col^T accumulated over the batch inside wasm, gcol =
 * W^T gOut) and col2im run there; the input gradient is copied out per image,
 * the weight gradient once. The same sums in the same order as the
 * JavaScript drivers on the wasm gemm.
 */
import { chunkRows } from './conv.js';
import { isPointwise, type ConvDims } from './conv_fwd.js';
import { wasmGemm } from './gemm.js';

export function convBackwardWasm(d: ConvDims, xd: Float32Array, wd: Float32Array, gd: Float32Array, gx: Float32Array | null, gw: Float32Array | null): void {
  const w = wasmGemm!;
  const { N, C, Cout, G, g } = d;
  const Cig = C / G;
  const Cog = Cout / G;
  const Kg = Cig * g.kh * g.kw;
  const L = g.outH * g.outW;
  const HW = g.H * g.W;
  const direct = isPointwise(g);
  const rows = direct ? g.outH : chunkRows(C * g.kh * g.kw, g.outW, g.outH);
  w.reset();
  const wOff = w.alloc(wd.length);
  const gwOff = gw ? w.alloc(wd.length) : -1;
  const xOff = gw ? w.alloc(C * HW) : -1;
  const gxOff = gx ? w.alloc(C * HW) : -1;
  const gOff = w.alloc(Cout * L);
  const colOff = direct ? -1 : w.alloc(C * g.kh * g.kw * rows * g.outW);
  let F = w.f32();
  if (gx) F.set(wd, wOff);
  if (gw) F.fill(0, gwOff, gwOff + wd.length);
  for (let n = 0; n < N; n++) {
    F = w.f32();
    F.set(gd.subarray(n * Cout * L, (n + 1) * Cout * L), gOff);
    if (gw) F.set(xd.subarray(n * C * HW, (n + 1) * C * HW), xOff);
    if (gx) F.fill(0, gxOff, gxOff + C * HW);
    for (let oh0 = 0; oh0 < g.outH; oh0 += rows) {
      const oh1 = Math.min(g.outH, oh0 + rows);
      const Lc = (oh1 - oh0) * g.outW;
      const a0 = gOff + oh0 * g.outW;
      if (gw) {
        if (!direct) w.im2col(xOff, C, g, oh0, oh1, colOff);
        const b0 = direct ? xOff : colOff;
        for (let grp = 0; grp < G; grp++) {
          w.gemm(Cog, Kg, Lc, a0 + grp * Cog * L, L, false, b0 + grp * Kg * Lc, Lc, true, gwOff + grp * Cog * Kg, Kg, true);
        }
      }
      if (gx) {
        // The pointwise case writes the input gradient directly (its column matrix is the image).
        const c0 = direct ? gxOff : colOff;
        for (let grp = 0; grp < G; grp++) {
          w.gemm(Kg, Lc, Cog, wOff + grp * Cog * Kg, Kg, true, a0 + grp * Cog * L, L, false, c0 + grp * Kg * Lc, Lc, false);
        }
        if (!direct) w.col2im(colOff, C, g, oh0, oh1, gxOff);
      }
    }
    if (gx) {
      F = w.f32();
      gx.set(F.subarray(gxOff, gxOff + C * HW), n * C * HW);
    }
  }
  if (gw) gw.set(w.f32().subarray(gwOff, gwOff + wd.length));
}
