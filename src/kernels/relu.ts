/**
 * ReLU's loops, in WebAssembly SIMD when the gemm module loaded (f32x4.max:
 * branch-free; a JavaScript `v <= 0 ? 0 : v` mispredicts on every other
 * element of signed data, ~10x slower measured on 1M values), else in
 * JavaScript. Both give the same values: max(x, 0) with NaN kept (and -0 -> 0),
 * gradient 0 where the output is <= 0.
 */
import { allocStorage } from '../tensor/storage.js';
import { pointwiseInWasm, useWasmPointwise } from './wasm_pointwise.js';

// Outputs are recyclable storage (tensor/storage.ts): both paths write every element.
export function reluForward(x: Float32Array): Float32Array {
  return reluInto(x, allocStorage(x.length));
}

/** out = max(x, 0) over x's length (layer_threads.ts runs it on ranges of a call). */
export function reluInto(x: Float32Array, out: Float32Array): Float32Array {
  const n = x.length;
  const w = useWasmPointwise(n);
  if (w === null) {
    for (let i = 0; i < n; i++) {
      const v = x[i]!;
      out[i] = v <= 0 ? 0 : v;
    }
    return out;
  }
  // + 0 is exact (and turns -0 into 0, as the JavaScript form does).
  return pointwiseInWasm(w, [x], out, ([buf], len) => w.biasAct(buf!, -1, 1, 1, len, len, true));
}

export function reluBackward(y: Float32Array, g: Float32Array): Float32Array {
  const n = y.length;
  const out = allocStorage(n);
  const w = useWasmPointwise(n);
  if (w === null) {
    for (let i = 0; i < n; i++) out[i] = y[i]! <= 0 ? 0 : g[i]!;
    return out;
  }
  return pointwiseInWasm(w, [y, g], out, ([yb, gb], len) => w.reluGrad(yb!, gb!, gb!, len));
}
