/**
 * Elementwise kernels in the gemm module's WebAssembly memory (relu.ts,
 * tanh.ts): the inputs go in chunk by chunk (in cache, few calls), the
 * kernel runs in place on the last input's buffer, and that buffer is copied
 * out. `useWasmPointwise` says when it pays (the module loaded and chosen,
 * and at least 64 values); otherwise the callers run their TypeScript loops.
 */
import { gemmBackend, wasmGemm } from './gemm.js';
import type { WasmGemm } from './gemm_wasm.js';

/** Floats per pass through wasm memory. */
const CHUNK = 1 << 16;

/** The gemm module, when elementwise work of n values should run there. */
export function useWasmPointwise(n: number): WasmGemm | null {
  return wasmGemm !== null && gemmBackend === 'wasm-simd' && n >= 64 ? wasmGemm : null;
}

/**
 * Runs `kernel(bufs, len)` over n values of `inputs` (all that long), chunk
 * by chunk (`chunk` floats of each per pass): every input's chunk is copied
 * into its buffer, the kernel runs, and each buffer named in `outputs` is
 * copied out into its array (an input itself, for a kernel updating in place).
 */
export function chunksInWasm(
  w: WasmGemm,
  n: number,
  inputs: readonly Float32Array[],
  outputs: readonly (readonly [number, Float32Array])[],
  kernel: (bufs: readonly number[], len: number) => void,
  chunk = CHUNK,
): void {
  w.reset();
  const bufs = inputs.map(() => w.alloc(Math.min(n, chunk)));
  const F = w.f32();
  for (let i0 = 0; i0 < n; i0 += chunk) {
    const len = Math.min(chunk, n - i0);
    inputs.forEach((a, k) => F.set(a.subarray(i0, i0 + len), bufs[k]!));
    kernel(bufs, len);
    for (const [k, dst] of outputs) dst.set(F.subarray(bufs[k]!, bufs[k]! + len), i0);
  }
}

/** chunksInWasm for a kernel that leaves its result in the last input's buffer, which is copied into `out`. */
export function pointwiseInWasm(w: WasmGemm, inputs: readonly Float32Array[], out: Float32Array, kernel: (bufs: readonly number[], len: number) => void): Float32Array {
  chunksInWasm(w, out.length, inputs, [[inputs.length - 1, out]], kernel);
  return out;
}
