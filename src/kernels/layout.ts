/** Data movement on contiguous storage: permute, slice, concatenate. */
import { numel, stridesOf, type Shape } from '../tensor/shape.js';

/** Copies `x` of `shape` into the layout of its permutation by `perm`. */
export function permuteData(x: Float32Array, shape: Shape, perm: readonly number[]): Float32Array {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]!);
  const inStrides = stridesOf(shape);
  const s = perm.map((p) => inStrides[p]!);
  const n = numel(shape);
  const out = new Float32Array(n);
  if (rank === 0) {
    out[0] = x[0]!;
    return out;
  }
  const inner = outShape[rank - 1]!;
  const innerStride = s[rank - 1]!;
  const idx = new Array<number>(rank).fill(0);
  let off = 0;
  for (let o = 0; o < n; o += inner) {
    let p = off;
    for (let i = 0; i < inner; i++) {
      out[o + i] = x[p]!;
      p += innerStride;
    }
    for (let d = rank - 2; d >= 0; d--) {
      idx[d]!++;
      off += s[d]!;
      if (idx[d]! < outShape[d]!) break;
      off -= s[d]! * outShape[d]!;
      idx[d] = 0;
    }
  }
  return out;
}

/** out = x[..., start:start+len*step:step, ...] along `dim`. */
export function sliceData(x: Float32Array, shape: Shape, dim: number, start: number, len: number, step: number): Float32Array {
  const outer = numel(shape.slice(0, dim));
  const size = shape[dim]!;
  const inner = numel(shape.slice(dim + 1));
  const out = new Float32Array(outer * len * inner);
  let o = 0;
  for (let a = 0; a < outer; a++) {
    for (let j = 0; j < len; j++) {
      const base = (a * size + start + j * step) * inner;
      out.set(x.subarray(base, base + inner), o);
      o += inner;
    }
  }
  return out;
}

/** Adds `g` (the slice's gradient) into a zero tensor of `shape` at the slice's positions. */
export function unsliceData(g: Float32Array, shape: Shape, dim: number, start: number, len: number, step: number): Float32Array {
  const outer = numel(shape.slice(0, dim));
  const size = shape[dim]!;
  const inner = numel(shape.slice(dim + 1));
  const out = new Float32Array(numel(shape));
  let o = 0;
  for (let a = 0; a < outer; a++) {
    for (let j = 0; j < len; j++) {
      const base = (a * size + start + j * step) * inner;
      for (let i = 0; i < inner; i++) out[base + i]! += g[o + i]!;
      o += inner;
    }
  }
  return out;
}

/** Concatenates along `dim` parts that agree on every other size. */
export function catData(parts: readonly { data: Float32Array; shape: Shape }[], dim: number, outShape: Shape): Float32Array {
  const outer = numel(outShape.slice(0, dim));
  const inner = numel(outShape.slice(dim + 1));
  const out = new Float32Array(numel(outShape));
  let o = 0;
  for (let a = 0; a < outer; a++) {
    for (const p of parts) {
      const chunk = p.shape[dim]! * inner;
      out.set(p.data.subarray(a * chunk, (a + 1) * chunk), o);
      o += chunk;
    }
  }
  return out;
}
