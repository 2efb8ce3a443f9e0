/**
 * Resampling along one axis of contiguous storage viewed as [outer, len, inner]:
 * each output position j blends two input positions, `w0[j] * x[i0[j]] + w1[j] * x[i1[j]]`
 * (nearest: w0 = 1, w1 = 0). Multi-dim linear/nearest resampling is these applied
 * axis by axis (the tensor product of the 1-D rules). No shape semantics here.
 */

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

/** The transpose of `resampleAxis`: scatters `g` ([outer, outLen, inner]) back onto [outer, inLen, inner]. */
export function resampleAxisBackward(g: Float32Array, outer: number, inLen: number, inner: number, t: AxisTable): Float32Array {
  const outLen = t.i0.length;
  const gx = new Float32Array(outer * inLen * inner);
  for (let o = 0; o < outer; o++) {
    const inBase = o * inLen * inner;
    const outBase = o * outLen * inner;
    for (let j = 0; j < outLen; j++) {
      const a = inBase + t.i0[j]! * inner;
      const b = inBase + t.i1[j]! * inner;
      const w0 = t.w0[j]!;
      const w1 = t.w1[j]!;
      const src = outBase + j * inner;
      for (let k = 0; k < inner; k++) gx[a + k]! += w0 * g[src + k]!;
      if (w1 !== 0) for (let k = 0; k < inner; k++) gx[b + k]! += w1 * g[src + k]!;
    }
  }
  return gx;
}
