/**
 * Depthwise convolution forward (groups = in channels, any channel
 * multiplier, stride, dilation and padding) in WebAssembly SIMD, an image
 * per call (asm/depthwise.ts): the image goes into the gemm module's memory
 * in one copy, each plane is padded there, and the output image comes back in
 * one copy. The implicit gemm (conv_direct.ts) runs a depthwise layer as C
 * one-channel gemms, its 4-channel register tiles holding one channel.
 */
import { fitsI32 } from './conv.js';
import type { ConvDims } from './conv_fwd.js';
import { gemmBackend, wasmGemm } from './gemm.js';
import { activateRuns, simdCodeOf, type OutputAct } from './output_act.js';

/** Floats of input staged per kernel call (256 KB: in the core's cache next to the padded plane). */
const STAGE_FLOATS = 1 << 16;

/** Whether `d` is a depthwise convolution this kernel takes (the wasm module loaded). */
export function depthwiseApplies(d: ConvDims): boolean {
  // the kernel's 32-bit offsets must hold the padded plane and every tap (huge strides or dilations are legal)
  return wasmGemm !== null && gemmBackend === 'wasm-simd' && d.G === d.C && d.G > 1 && d.Cout % d.C === 0 && fitsI32(d.g);
}

/** out (N x Cout x outH x outW) = the depthwise convolution of x, then `act` (in wasm memory); out is written whole. */
export function depthwiseForward(d: ConvDims, x: Float32Array, w: Float32Array, bias: Float32Array | null, out: Float32Array, act: OutputAct = null): Float32Array {
  const m = wasmGemm!;
  const { N, C, Cout, g } = d;
  // the padded plane holds every tap of every output; stride 2 reads up to 16 floats past a row's last output
  const Hp = Math.max(g.H + 2 * g.ph, (g.outH - 1) * g.sh + (g.kh - 1) * g.dh + 1);
  const Wp = Math.max(g.W + 2 * g.pw, (g.outW - 1) * g.sw + (g.kw - 1) * g.dw + 1);
  const HW = g.H * g.W;
  const inLen = C * HW;
  const outLen = Cout * g.outH * g.outW;
  const mult = Cout / C;
  const K = g.kh * g.kw;
  const L = g.outH * g.outW;
  // the input goes in a few planes at a time, through staging that stays in cache (not the whole image)
  const per = Math.max(1, Math.min(C, Math.floor(STAGE_FLOATS / HW)));
  m.reset();
  const wp = m.alloc(w.length);
  const bp = bias ? m.alloc(Cout) : -1;
  const xp = m.alloc(per * HW);
  const yp = m.alloc(outLen);
  const pad = m.alloc(m.dwScratch(Hp, Wp));
  const F = m.f32();
  F.set(w, wp);
  if (bias) F.set(bias, bp);
  for (let n = 0; n < N; n++) {
    for (let c0 = 0; c0 < C; c0 += per) {
      const c1 = Math.min(C, c0 + per);
      F.set(x.subarray(n * inLen + c0 * HW, n * inLen + c1 * HW), xp);
      m.dwConv(xp, c1 - c0, mult, wp + c0 * mult * K, bias ? bp + c0 * mult : -1, g, Hp, Wp, yp + c0 * mult * L, pad, n === 0 && c0 === 0);
    }
    activateRuns(m, simdCodeOf(act), yp, 1, outLen, outLen);
    out.set(F.subarray(yp, yp + outLen), n * outLen);
  }
  return out;
}
