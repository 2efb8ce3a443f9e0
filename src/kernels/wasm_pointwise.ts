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
 * Runs `kernel(bufs, len)` over `out.length` values of `inputs` (all that
 * long), chunk by chunk; the kernel leaves its result in the last buffer,
 * which is copied into `out`.
 */
export function pointwiseInWasm(w: WasmGemm, inputs: readonly Float32Array[], out: Float32Array, kernel: (bufs: readonly number[], len: number) => void): Float32Array {
  const n = out.length;
  w.reset();
  const bufs = inputs.map(() => w.alloc(Math.min(n, CHUNK)));
  const F = w.f32();
  const last = bufs[bufs.length - 1]!;
  for (let i0 = 0; i0 < n; i0 += CHUNK) {
    const len = Math.min(CHUNK, n - i0);
    inputs.forEach((a, k) => F.set(a.subarray(i0, i0 + len), bufs[k]!));
    kernel(bufs, len);
    out.set(F.subarray(last, last + len), i0);
  }
  return out;
}
