/**
 * tanh and its gradient in float32, in WebAssembly SIMD when the gemm module
 * loaded, else in TypeScript; both give the same bits. tanh is a rational
 * approximation (p(x) / q(x), odd over even, on [-c, c] with c = 7.90531,
 * where the approximation saturates; x itself for |x| < 4e-4): within 3.6e-7
 * relative of the exact value over all of float32 (at most 6 float32 ulps,
 * near +-1; test/kernels/tanh.test.ts), so within 4.3e-7 of PyTorch's CPU
 * tanh (Sleef, 1 ulp): far inside the oracle's rtol of 1e-4. Math.tanh per element in
 * float64 ran at ~18 ns per value here; the SIMD form at well under 1.
 * The gradient is PyTorch's tanh_backward in float32: g * (1 - y * y).
 *
 * Every step of the TypeScript twin is one float32 operation (Math.fround of
 * a float64 +, -, * or / of float32 values is the float32 operation), in the
 * wasm kernel's order, with no fused multiply-add.
 */
import { allocStorage } from '../tensor/storage.js';
import { pointwiseInWasm, useWasmPointwise } from './wasm_pointwise.js';

const f = Math.fround;
const C = f(7.90531110763549805);
const SMALL = f(0.0004);
const A = [4.89352455891786e-3, 6.37261928875436e-4, 1.48572235717979e-5, 5.12229709037114e-8, -8.60467152213735e-11, 2.00018790482477e-13, -2.76076847742355e-16].map(f);
const B = [4.89352518554385e-3, 2.268434632439e-3, 1.18534705686654e-4, 1.19825839466702e-6].map(f);
const [A0, A1, A2, A3, A4, A5, A6] = A as [number, number, number, number, number, number, number];
const [B0, B1, B2, B3] = B as [number, number, number, number];

/** tanh of one float32 value, as the wasm kernel computes it. */
export function tanhScalar(x: number): number {
  // min/max as wasm's f32x4.min/max: NaN stays NaN
  const xc = x > C ? C : x < -C ? -C : x;
  const x2 = f(xc * xc);
  let p = A6;
  p = f(f(x2 * p) + A5);
  p = f(f(x2 * p) + A4);
  p = f(f(x2 * p) + A3);
  p = f(f(x2 * p) + A2);
  p = f(f(x2 * p) + A1);
  p = f(f(x2 * p) + A0);
  p = f(xc * p);
  let q = B3;
  q = f(f(x2 * q) + B2);
  q = f(f(x2 * q) + B1);
  q = f(f(x2 * q) + B0);
  return Math.abs(x) < SMALL ? x : f(p / q);
}

// Outputs are recyclable storage (tensor/storage.ts): both paths write every element.
export function tanhForward(x: Float32Array): Float32Array {
  return tanhInto(x, allocStorage(x.length));
}

/** out = tanh(x) over x's length (layer_threads.ts runs it on ranges of a call). */
export function tanhInto(x: Float32Array, out: Float32Array): Float32Array {
  const n = x.length;
  const w = useWasmPointwise(n);
  if (w === null) {
    for (let i = 0; i < n; i++) out[i] = tanhScalar(x[i]!);
    return out;
  }
  return pointwiseInWasm(w, [x], out, ([buf], len) => w.tanh(buf!, buf!, len));
}

export function tanhBackward(y: Float32Array, g: Float32Array): Float32Array {
  const n = y.length;
  const out = allocStorage(n);
  const w = useWasmPointwise(n);
  if (w === null) {
    for (let i = 0; i < n; i++) {
      const v = y[i]!;
      out[i] = f(g[i]! * f(1 - f(v * v)));
    }
    return out;
  }
  return pointwiseInWasm(w, [y, g], out, ([yb, gb], len) => w.tanhGrad(yb!, gb!, gb!, len));
}
