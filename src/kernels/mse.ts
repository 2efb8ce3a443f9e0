/** The loops of the fused mean-squared-error loss (ops/loss.ts's mseLoss on same-shape operands). No shape semantics here. */
import { allocStorage } from '../tensor/storage.js';

/** sum((x - t)^2), each difference and square rounded to float32 (as the elementwise ops round them), summed in float64 in order. */
export function squaredErrorSum(x: Float32Array, t: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const d = Math.fround(x[i]! - t[i]!);
    s += Math.fround(d * d);
  }
  return s;
}

/** ATen's mse_backward in float32: norm * (x - t) * g, with g one value (the reduced loss's gradient). Writes every element of its (recyclable) output. */
export function mseGrad(x: Float32Array, t: Float32Array, norm: number, g: number): Float32Array {
  const out = allocStorage(x.length);
  const n32 = Math.fround(norm);
  for (let i = 0; i < x.length; i++) out[i] = Math.fround(n32 * Math.fround(x[i]! - t[i]!)) * g;
  return out;
}

/** -v elementwise (the target's gradient from the input's). */
export function negated(v: Float32Array): Float32Array {
  const out = allocStorage(v.length);
  for (let i = 0; i < v.length; i++) out[i] = -v[i]!;
  return out;
}
