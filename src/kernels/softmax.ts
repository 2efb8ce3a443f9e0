/**
 * Softmax and log-softmax along one axis of contiguous storage viewed as
 * [outer, len, inner] (the axis is `len`). Max-shifted, accumulated in float64.
 */

export function softmaxAxis(x: Float32Array, outer: number, len: number, inner: number, log: boolean): Float32Array {
  const out = new Float32Array(x.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * len * inner + i;
      let max = -Infinity;
      for (let k = 0; k < len; k++) {
        const v = x[base + k * inner]!;
        // NaN propagates to the whole row, as in PyTorch.
        if (v > max || Number.isNaN(v)) max = v;
        if (Number.isNaN(v)) break;
      }
      let s = 0;
      for (let k = 0; k < len; k++) s += Math.exp(x[base + k * inner]! - max);
      if (log) {
        const lse = Math.log(s);
        for (let k = 0; k < len; k++) out[base + k * inner] = x[base + k * inner]! - max - lse;
      } else {
        for (let k = 0; k < len; k++) out[base + k * inner] = Math.exp(x[base + k * inner]! - max) / s;
      }
    }
  }
  return out;
}
