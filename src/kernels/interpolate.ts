/**
 * Resampling along one axis of contiguous storage viewed as [outer, len, inner]:
 * each output position j blends two input positions, `w0[j] * x[i0[j]] + w1[j] * x[i1[j]]`
 * (nearest: w0 = 1, w1 = 0). Multi-dim linear/nearest resampling is these applied
 * axis by axis (the tensor product of the 1-D rules); the backward runs over all
 * axes at once, in ATen's accumulation order. Nearest resampling of images
 * ([planes, H, W]) has a one-pass kernel of its own (`nearest2d`). No shape
 * semantics here.
 */
import { allocStorage } from '../tensor/storage.js';

/** The per-output-position sources and weights along one axis. */
export interface AxisTable {
  readonly i0: Int32Array;
  readonly i1: Int32Array;
  readonly w0: Float32Array;
  readonly w1: Float32Array;
}

export function resampleAxis(x: Float32Array, outer: number, inLen: number, inner: number, t: AxisTable): Float32Array {
  const outLen = t.i0.length;
  const out = new Float32Array(outer * outLen * inner);
  for (let o = 0; o < outer; o++) {
    const inBase = o * inLen * inner;
    const outBase = o * outLen * inner;
    for (let j = 0; j < outLen; j++) {
      const a = inBase + t.i0[j]! * inner;
      const b = inBase + t.i1[j]! * inner;
      const w0 = t.w0[j]!;
      const w1 = t.w1[j]!;
      const dst = outBase + j * inner;
      if (w1 === 0) {
        for (let k = 0; k < inner; k++) out[dst + k] = w0 * x[a + k]!;
      } else {
        for (let k = 0; k < inner; k++) out[dst + k] = w0 * x[a + k]! + w1 * x[b + k]!;
      }
    }
  }
  return out;
}

/**
 * Nearest resampling of `planes` images of inH x inW in one pass (the values
 * `resampleAxis` gives along H then W, whose weights are all 1): output row
 * i reads input row `rows[i]` at columns `cols`; a row whose source is the
 * previous row's is a copy of that output row (copyWithin: the x2 upsampling
 * of fast-neural-style computes half its rows, one read per output element).
 * Each output element is read from the input or copied, so the bits are the
 * input's. The output is recyclable storage (every element written).
 */
export function nearest2d(x: Float32Array, planes: number, inH: number, inW: number, rows: Int32Array, cols: Int32Array): Float32Array {
  return nearestPlanes(x, allocStorage(planes * rows.length * cols.length), inH, inW, rows, cols, 0, planes);
}

/** nearest2d's planes [p0, p1) into `out` (layer_threads.ts splits a call by planes). */
export function nearestPlanes(x: Float32Array, out: Float32Array, inH: number, inW: number, rows: Int32Array, cols: Int32Array, p0: number, p1: number): Float32Array {
  const OH = rows.length;
  const OW = cols.length;
  // Columns as runs of one source repeated `rep` times (an integer scale) when they are: no table reads.
  let rep = 0;
  if (OW % inW === 0) {
    rep = OW / inW;
    for (let j = 0; j < OW && rep > 0; j++) if (cols[j] !== Math.floor(j / rep)) rep = 0;
  }
  const xi = new Int32Array(x.buffer, x.byteOffset, x.length);
  const oi = new Int32Array(out.buffer, out.byteOffset, out.length);
  for (let p = p0; p < p1; p++) {
    const xb = p * inH * inW;
    const ob = p * OH * OW;
    for (let i = 0; i < OH; i++) {
      const o = ob + i * OW;
      if (i > 0 && rows[i] === rows[i - 1]) {
        out.copyWithin(o, o - OW, o);
        continue;
      }
      const src = xb + rows[i]! * inW;
      if (rep === 2) {
        // As 32-bit integers: the same bits, without a float32 -> float64 -> float32 round trip per value.
        for (let j = 0, d = o; j < inW; j++, d += 2) {
          const v = xi[src + j]!;
          oi[d] = v;
          oi[d + 1] = v;
        }
      } else if (rep === 1) {
        out.set(x.subarray(src, src + inW), o);
      } else {
        for (let j = 0; j < OW; j++) out[o + j] = x[src + cols[j]!]!;
      }
    }
  }
  return out;
}

/**
 * Backward of a whole resampling (all spatial axes at once), in ATen's order:
 * output positions row-major, each adding its weighted gradient to its source
 * corners (h0w0, h0w1, h1w0, h1w1, ...) in float32. Matching that order matters
 * where the result is pure rounding residue, e.g. the gradient reaching a 1x1
 * map through nearest upsampling and an instance norm.
 */
export function resampleBackward(g: Float32Array, planes: number, inSpatial: readonly number[], outSpatial: readonly number[], tables: readonly AxisTable[]): Float32Array {
  const k = inSpatial.length;
  const inPlane = inSpatial.reduce((a, b) => a * b, 1);
  const outPlane = outSpatial.reduce((a, b) => a * b, 1);
  const gx = new Float32Array(planes * inPlane);
  const inStrides = new Array<number>(k);
  let acc = 1;
  for (let d = k - 1; d >= 0; d--) {
    inStrides[d] = acc;
    acc *= inSpatial[d]!;
  }
  const corners = 1 << k;
  const nearest = tables.every((t) => t.w1.every((w) => w === 0) && t.w0.every((w) => w === 1));
  // Per output position: the source offsets and weights of its corners (shared by every plane).
  const offs = new Int32Array(outPlane * corners);
  const wts = new Float32Array(outPlane * corners);
  const idx = new Array<number>(k).fill(0);
  for (let o = 0; o < outPlane; o++) {
    for (let c = 0; c < corners; c++) {
      let off = 0;
      let w = 1;
      for (let d = 0; d < k; d++) {
        const t = tables[d]!;
        const hi = (c >> (k - 1 - d)) & 1;
        off += (hi ? t.i1[idx[d]!]! : t.i0[idx[d]!]!) * inStrides[d]!;
        w = Math.fround(w * (hi ? t.w1[idx[d]!]! : t.w0[idx[d]!]!));
      }
      offs[o * corners + c] = off;
      wts[o * corners + c] = w;
    }
    for (let d = k - 1; d >= 0; d--) {
      idx[d]!++;
      if (idx[d]! < outSpatial[d]!) break;
      idx[d] = 0;
    }
  }
  for (let p = 0; p < planes; p++) {
    const gb = p * outPlane;
    const xb = p * inPlane;
    if (nearest) {
      for (let o = 0; o < outPlane; o++) gx[xb + offs[o * corners]!]! += g[gb + o]!;
      continue;
    }
    for (let o = 0; o < outPlane; o++) {
      const v = g[gb + o]!;
      for (let c = 0; c < corners; c++) gx[xb + offs[o * corners + c]!]! += wts[o * corners + c]! * v;
    }
  }
  return gx;
}
