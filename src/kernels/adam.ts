/**
 * Adam's update in the gemm module's WebAssembly memory (asm/adam.ts: float32
 * SIMD, PyTorch's single-tensor operations one by one): parameters, gradients
 * and moments go in chunk by chunk (in cache), the kernel updates them there,
 * and the parameters and moments are copied back. Returns false where the
 * module is not in use; optim/adam.ts then runs its TypeScript loops.
 */
import type { AdamHyper } from './gemm_wasm.js';
import { chunksInWasm, useWasmPointwise } from './wasm_pointwise.js';

/** Floats of each array per pass (five arrays in cache). */
const CHUNK = 1 << 14;

export function adamStepWasm(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, vmax: Float32Array | null, h: AdamHyper): boolean {
  const w = useWasmPointwise(p.length);
  if (w === null) return false;
  const inputs = vmax ? [p, g, m, v, vmax] : [p, g, m, v];
  const outputs: [number, Float32Array][] = vmax ? [[0, p], [2, m], [3, v], [4, vmax]] : [[0, p], [2, m], [3, v]];
  chunksInWasm(w, p.length, inputs, outputs, ([pb, gb, mb, vb, xb], len) => w.adam(pb!, gb!, mb!, vb!, xb ?? -1, len, h), CHUNK);
  return true;
}
