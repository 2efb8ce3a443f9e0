/** Hot loops of 2-D pooling over `planes` = N*C contiguous H x W planes (no shape semantics here). */
import { allocStorage } from '../tensor/storage.js';
import { fitsI32 } from './conv.js';
import { gemmBackend, wasmGemm } from './gemm.js';
import { rowSumsF64 } from './reduce.js';

export interface PoolGeom2d {
  H: number;
  W: number;
  outH: number;
  outW: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
  dh: number;
  dw: number;
}

/**
 * Max over each (dilated) window, padding ignored; NaN wins, ties keep the
 * first index (PyTorch's CPU kernel). Returns values and flat in-plane indices.
 */
export function maxPool2d(x: Float32Array, planes: number, g: PoolGeom2d): { out: Float32Array; indices: Int32Array } {
  const { H, W, outH, outW, kh, kw, sh, sw, ph, pw, dh, dw } = g;
  const out = new Float32Array(planes * outH * outW);
  const indices = new Int32Array(out.length);
  let o = 0;
  for (let pl = 0; pl < planes; pl++) {
    const base = pl * H * W;
    for (let oh = 0; oh < outH; oh++) {
      let h0 = oh * sh - ph;
      const h1 = Math.min(h0 + (kh - 1) * dh + 1, H);
      while (h0 < 0) h0 += dh;
      for (let ow = 0; ow < outW; ow++, o++) {
        let w0 = ow * sw - pw;
        const w1 = Math.min(w0 + (kw - 1) * dw + 1, W);
        while (w0 < 0) w0 += dw;
        let best = -Infinity;
        let bi = h0 * W + w0;
        for (let h = h0; h < h1; h += dh) {
          for (let w = w0; w < w1; w += dw) {
            const idx = h * W + w;
            const v = x[base + idx]!;
            if (v > best || Number.isNaN(v)) {
              best = v;
              bi = idx;
            }
          }
        }
        out[o] = best;
        indices[o] = bi;
      }
    }
  }
  return { out, indices };
}

/** Input floats per pass through wasm memory (whole planes; at least one). */
const POOL_CHUNK = 1 << 22;

/**
 * The values of maxPool2d without the argmax (nothing will need the
 * gradient): in WebAssembly SIMD (asm/maxpool.ts) a chunk of planes at a
 * time when the gemm module loaded, else maxPool2d's loop. Same values.
 */
export function maxPool2dValues(x: Float32Array, planes: number, g: PoolGeom2d): Float32Array {
  const w = wasmGemm !== null && gemmBackend === 'wasm-simd' && fitsI32(g) ? wasmGemm : null;
  if (w === null) return maxPool2d(x, planes, g).out;
  const inLen = g.H * g.W;
  const outLen = g.outH * g.outW;
  const out = allocStorage(planes * outLen);
  const per = Math.max(1, Math.floor(POOL_CHUNK / Math.max(1, inLen)));
  for (let p0 = 0; p0 < planes; p0 += per) {
    const n = Math.min(per, planes - p0);
    w.reset();
    const xo = w.alloc(n * inLen + 4);
    const yo = w.alloc(n * outLen);
    const F = w.f32();
    F.set(x.subarray(p0 * inLen, (p0 + n) * inLen), xo);
    w.maxPool(xo, n, g, yo);
    out.set(F.subarray(yo, yo + n * outLen), p0 * outLen);
  }
  return out;
}

/** Scatters each output gradient to its window's argmax (`inLen` values per input plane). */
export function maxPoolBackward(g: Float32Array, indices: Int32Array, planes: number, inLen: number, outLen: number): Float32Array {
  const gx = new Float32Array(planes * inLen);
  let o = 0;
  for (let pl = 0; pl < planes; pl++) {
    const base = pl * inLen;
    for (let i = 0; i < outLen; i++, o++) {
      const idx = indices[o]!;
      // A window with no element inside the input (-inf output) has no argmax to feed.
      if (idx >= 0 && idx < inLen) gx[base + idx] = gx[base + idx]! + g[o]!;
    }
  }
  return gx;
}

export interface AvgPoolMode {
  countIncludePad: boolean;
  divisorOverride?: number;
}

/** The divisor and clipped bounds of one average-pooling window (PyTorch's avg_pool2d rule). */
function avgWindow(oh: number, ow: number, g: PoolGeom2d, mode: AvgPoolMode): [number, number, number, number, number] {
  let h0 = oh * g.sh - g.ph;
  let w0 = ow * g.sw - g.pw;
  let h1 = Math.min(h0 + g.kh, g.H + g.ph);
  let w1 = Math.min(w0 + g.kw, g.W + g.pw);
  const poolSize = (h1 - h0) * (w1 - w0);
  h0 = Math.max(h0, 0);
  w0 = Math.max(w0, 0);
  h1 = Math.min(h1, g.H);
  w1 = Math.min(w1, g.W);
  const div = mode.divisorOverride ?? (mode.countIncludePad ? poolSize : (h1 - h0) * (w1 - w0));
  return [h0, h1, w0, w1, div];
}

export function avgPool2d(x: Float32Array, planes: number, g: PoolGeom2d, mode: AvgPoolMode): Float32Array {
  const { H, W, outH, outW } = g;
  const out = new Float32Array(planes * outH * outW);
  for (let oh = 0; oh < outH; oh++) {
    for (let ow = 0; ow < outW; ow++) {
      const [h0, h1, w0, w1, div] = avgWindow(oh, ow, g, mode);
      // An empty window (only possible past the ceil-mode rule) stays 0, as in PyTorch.
      if (h0 >= h1 || w0 >= w1) continue;
      for (let pl = 0; pl < planes; pl++) {
        const base = pl * H * W;
        let s = 0;
        for (let h = h0; h < h1; h++) for (let w = w0; w < w1; w++) s += x[base + h * W + w]!;
        out[(pl * outH + oh) * outW + ow] = s / div;
      }
    }
  }
  return out;
}

export function avgPoolBackward(gOut: Float32Array, planes: number, g: PoolGeom2d, mode: AvgPoolMode): Float32Array {
  const { H, W, outH, outW } = g;
  const gx = new Float32Array(planes * H * W);
  for (let oh = 0; oh < outH; oh++) {
    for (let ow = 0; ow < outW; ow++) {
      const [h0, h1, w0, w1, div] = avgWindow(oh, ow, g, mode);
      if (h0 >= h1 || w0 >= w1) continue;
      for (let pl = 0; pl < planes; pl++) {
        const base = pl * H * W;
        const v = gOut[(pl * outH + oh) * outW + ow]! / div;
        for (let h = h0; h < h1; h++) for (let w = w0; w < w1; w++) gx[base + h * W + w] = gx[base + h * W + w]! + v;
      }
    }
  }
  return gx;
}

/** PyTorch's adaptive window along one axis: [floor(i*in/out), ceil((i+1)*in/out)). */
export function adaptiveBounds(i: number, inSize: number, outSize: number): [number, number] {
  return [Math.floor((i * inSize) / outSize), Math.ceil(((i + 1) * inSize) / outSize)];
}

export function adaptiveAvgPool2d(x: Float32Array, planes: number, H: number, W: number, outH: number, outW: number): Float32Array {
  // global pooling (SE blocks, classifier heads): each plane's float64 sum, in SIMD for large planes
  if (outH === 1 && outW === 1) {
    const sums = rowSumsF64(x, planes, H * W);
    const mean = new Float32Array(planes);
    for (let p = 0; p < planes; p++) mean[p] = sums[p]! / (H * W);
    return mean;
  }
  const out = new Float32Array(planes * outH * outW);
  let o = 0;
  for (let pl = 0; pl < planes; pl++) {
    const base = pl * H * W;
    for (let oh = 0; oh < outH; oh++) {
      const [h0, h1] = adaptiveBounds(oh, H, outH);
      for (let ow = 0; ow < outW; ow++, o++) {
        const [w0, w1] = adaptiveBounds(ow, W, outW);
        let s = 0;
        for (let h = h0; h < h1; h++) for (let w = w0; w < w1; w++) s += x[base + h * W + w]!;
        out[o] = s / ((h1 - h0) * (w1 - w0));
      }
    }
  }
  return out;
}

export function adaptiveAvgPoolBackward(gOut: Float32Array, planes: number, H: number, W: number, outH: number, outW: number): Float32Array {
  const gx = new Float32Array(planes * H * W);
  let o = 0;
  for (let pl = 0; pl < planes; pl++) {
    const base = pl * H * W;
    for (let oh = 0; oh < outH; oh++) {
      const [h0, h1] = adaptiveBounds(oh, H, outH);
      for (let ow = 0; ow < outW; ow++, o++) {
        const [w0, w1] = adaptiveBounds(ow, W, outW);
        const v = gOut[o]! / ((h1 - h0) * (w1 - w0));
        for (let h = h0; h < h1; h++) for (let w = w0; w < w1; w++) gx[base + h * W + w] = gx[base + h * W + w]! + v;
      }
    }
  }
  return gx;
}

export function adaptiveMaxPool2d(x: Float32Array, planes: number, H: number, W: number, outH: number, outW: number): { out: Float32Array; indices: Int32Array } {
  const out = new Float32Array(planes * outH * outW);
  const indices = new Int32Array(out.length);
  let o = 0;
  for (let pl = 0; pl < planes; pl++) {
    const base = pl * H * W;
    for (let oh = 0; oh < outH; oh++) {
      const [h0, h1] = adaptiveBounds(oh, H, outH);
      for (let ow = 0; ow < outW; ow++, o++) {
        const [w0, w1] = adaptiveBounds(ow, W, outW);
        let best = -Infinity;
        let bi = h0 * W + w0;
        for (let h = h0; h < h1; h++) {
          for (let w = w0; w < w1; w++) {
            const v = x[base + h * W + w]!;
            if (v > best || Number.isNaN(v)) {
              best = v;
              bi = h * W + w;
            }
          }
        }
        out[o] = best;
        indices[o] = bi;
      }
    }
  }
  return { out, indices };
}
