/**
 * Convolution backward in WebAssembly memory: per image, the input (for the
 * weight gradient) and the output gradient are copied in once; im2col, the
 * two gemms (gw += gOut col^T accumulated over the batch inside wasm, gcol =
 * W^T gOut) and col2im run there; the input gradient is copied out per image,
 * the weight gradient once. The same sums in the same order as the
 * JavaScript drivers on the wasm gemm.
 */
import { allocStorage } from '../tensor/storage.js';
import { gemmSizes, type ConvDims } from './conv_fwd.js';
import { convForwardAll, convTransposeAll, convWeightGradAll } from './conv_threads.js';
import { wasmGemm } from './gemm.js';
import { winogradApplies, winogradPays } from './winograd.js';

export function convBackwardWasm(d: ConvDims, xd: Float32Array, wd: Float32Array, gd: Float32Array, gx: Float32Array | null, gw: Float32Array | null): void {
  const w = wasmGemm!;
  const { N, C, Cout, G, g } = d;
  const { Cog, Kg, L, HW, direct, rows } = gemmSizes(d);
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

/**
 * The backward on the implicit-gemm kernels, threaded (conv_threads.ts): the
 * input gradient is the transposed convolution of gy (sub-pixel dconv), or for
 * 3x3 stride-1 layers the Winograd convolution of gy with the flipped,
 * transposed kernel where that pays (or `winograd` is forced); the weight
 * gradient likewise by Winograd (winogradWeightGrad) or dgradW over the
 * forward's padded image. Sums run in other
 * orders than the gemm drivers': results agree within rounding, not bit for bit.
 */
export function convBackwardDirect(
  d: ConvDims,
  xd: Float32Array,
  wd: Float32Array,
  gd: Float32Array,
  needX: boolean,
  needW: boolean,
  forceWinograd = false,
): { gx: Float32Array | null; gw: Float32Array | null } {
  const winogradW = winogradApplies(d) && (forceWinograd || winogradPays(d));
  return { gx: needX ? inputGrad(d, wd, gd, forceWinograd) : null, gw: needW ? convWeightGradAll(d, xd, gd, allocStorage, winogradW) : null };
}

/** The geometry and sizes of the input gradient as a forward convolution of gy (3x3, stride 1 only). */
export function inputGradAsConv(d: ConvDims): ConvDims {
  const { N, C, Cout, g } = d;
  return { N, C: Cout, Cout: C, G: 1, g: { H: g.outH, W: g.outW, kh: 3, kw: 3, sh: 1, sw: 1, ph: 2 - g.ph, pw: 2 - g.pw, dh: 1, dw: 1, outH: g.H, outW: g.W } };
}

function inputGrad(d: ConvDims, wd: Float32Array, gd: Float32Array, forceWinograd: boolean): Float32Array {
  const { N, C, Cout, G, g } = d;
  if (winogradApplies(d)) {
    const dT = inputGradAsConv(d);
    if (forceWinograd || winogradPays(dT)) return convForwardAll({ ...dT, flipped: true }, gd, wd, null, allocStorage, null, 'winograd', true);
  }
  return convTransposeAll({ N, C: Cout, Cout: C, G, g }, gd, wd, null);
}
