/** Hot loops for elementwise maps over contiguous float32 storage (no shape semantics here). */
import { broadcastStrides, numel, sameShape, type Shape } from '../tensor/shape.js';
import { allocStorage } from '../tensor/storage.js';
import { pointwiseInWasm, useWasmPointwise } from './wasm_pointwise.js';

export function mapUnary(x: Float32Array, f: (v: number) => number): Float32Array {
  const out = allocStorage(x.length);
  for (let i = 0; i < x.length; i++) out[i] = f(x[i]!);
  return out;
}

/**
 * a + b over two arrays of one length: mapBinary's same-shape loop with the
 * addition written in (mapBinary's `f` is a call per element it cannot inline,
 * being shared by every binary op: ~3x slower measured on residual adds of
 * 0.5-4M values). The same float32 sums, bit for bit.
 */
export function addSame(a: Float32Array, b: Float32Array): Float32Array {
  return addInto(a, b, allocStorage(a.length));
}

/**
 * out = a + b over a's length (layer_threads.ts runs it on ranges of a call):
 * in WebAssembly SIMD when the gemm module loaded (f32x4.add, through its
 * memory chunk by chunk as ReLU: ~2x faster than the loop here measured on
 * 0.5-4M values), else in JavaScript; the same float32 sums.
 */
export function addInto(a: Float32Array, b: Float32Array, out: Float32Array): Float32Array {
  const n = a.length;
  const w = useWasmPointwise(n);
  if (w === null) {
    for (let i = 0; i < n; i++) out[i] = a[i]! + b[i]!;
    return out;
  }
  return pointwiseInWasm(w, [a, b], out, ([ab, bb], len) => w.add(ab!, bb!, bb!, len));
}

/** out[i] = f(a[ia], b[ib]) with a, b broadcast to `outShape`. */
export function mapBinary(
  a: Float32Array,
  aShape: Shape,
  b: Float32Array,
  bShape: Shape,
  outShape: Shape,
  f: (x: number, y: number) => number,
): Float32Array {
  const n = numel(outShape);
  const out = allocStorage(n);
  // Same shapes are a flat zip only when nothing is broadcast ([1] and [1] into [3] is not).
  if (sameShape(aShape, bShape) && a.length === n) {
    for (let i = 0; i < n; i++) out[i] = f(a[i]!, b[i]!);
    return out;
  }
  if (b.length === 1) {
    const bv = b[0]!;
    if (a.length === n) {
      for (let i = 0; i < n; i++) out[i] = f(a[i]!, bv);
      return out;
    }
  }
  if (a.length === 1 && b.length === n) {
    const av = a[0]!;
    for (let i = 0; i < n; i++) out[i] = f(av, b[i]!);
    return out;
  }
  const rank = outShape.length;
  const sa = broadcastStrides(aShape, outShape);
  const sb = broadcastStrides(bShape, outShape);
  // Innermost dim as a tight loop; the outer dims by an index counter.
  const inner = rank === 0 ? 1 : outShape[rank - 1]!;
  const ia1 = rank === 0 ? 0 : sa[rank - 1]!;
  const ib1 = rank === 0 ? 0 : sb[rank - 1]!;
  const idx = new Array<number>(Math.max(rank - 1, 0)).fill(0);
  let offA = 0;
  let offB = 0;
  for (let o = 0; o < n; o += inner) {
    let pa = offA;
    let pb = offB;
    for (let i = 0; i < inner; i++) {
      out[o + i] = f(a[pa]!, b[pb]!);
      pa += ia1;
      pb += ib1;
    }
    for (let d = rank - 2; d >= 0; d--) {
      idx[d]!++;
      offA += sa[d]!;
      offB += sb[d]!;
      if (idx[d]! < outShape[d]!) break;
      offA -= sa[d]! * outShape[d]!;
      offB -= sb[d]! * outShape[d]!;
      idx[d] = 0;
    }
  }
  return out;
}

/** Materializes `x` (of `shape`) broadcast to `target`. */
export function broadcastTo(x: Float32Array, shape: Shape, target: Shape): Float32Array {
  if (sameShape(shape, target)) return Float32Array.from(x);
  const zero = new Float32Array(1);
  return mapBinary(x, shape, zero, [1], target, (v) => v);
}
