/**
 * Padding as a gather: along each dim, output index i reads input index
 * map[d][i] (-1 = the fill value). Every padding mode (constant, reflect,
 * replicate, circular) is just a different map; the gradient is the matching
 * scatter-add. No shape semantics here.
 */
import { numel, stridesOf, type Shape } from '../tensor/shape.js';

export function gatherPad(x: Float32Array, inShape: Shape, maps: readonly Int32Array[], outShape: Shape, fill: number): Float32Array {
  const out = new Float32Array(numel(outShape));
  if (out.length === 0) return out;
  const rank = outShape.length;
  if (rank === 0) {
    out[0] = x[0]!;
    return out;
  }
  const inStrides = stridesOf(inShape);
  let o = 0;
  const rec = (d: number, inOff: number, valid: boolean): void => {
    const map = maps[d]!;
    const n = outShape[d]!;
    if (d === rank - 1) {
      for (let i = 0; i < n; i++, o++) {
        const s = map[i]!;
        out[o] = valid && s >= 0 ? x[inOff + s]! : fill;
      }
      return;
    }
    const stride = inStrides[d]!;
    for (let i = 0; i < n; i++) {
      const s = map[i]!;
      rec(d + 1, inOff + Math.max(s, 0) * stride, valid && s >= 0);
    }
  };
  rec(0, 0, true);
  return out;
}

/** The adjoint of `gatherPad`: adds each output gradient into the input element it read. */
export function scatterPadGrad(g: Float32Array, outShape: Shape, maps: readonly Int32Array[], inShape: Shape): Float32Array {
  const gx = new Float32Array(numel(inShape));
  const rank = outShape.length;
  if (g.length === 0) return gx;
  if (rank === 0) {
    gx[0] = g[0]!;
    return gx;
  }
  const inStrides = stridesOf(inShape);
  let o = 0;
  const rec = (d: number, inOff: number, valid: boolean): void => {
    const map = maps[d]!;
    const n = outShape[d]!;
    if (d === rank - 1) {
      for (let i = 0; i < n; i++, o++) {
        const s = map[i]!;
        if (valid && s >= 0) gx[inOff + s] = gx[inOff + s]! + g[o]!;
      }
      return;
    }
    const stride = inStrides[d]!;
    for (let i = 0; i < n; i++) {
      const s = map[i]!;
      rec(d + 1, inOff + Math.max(s, 0) * stride, valid && s >= 0);
    }
  };
  rec(0, 0, true);
  return gx;
}
