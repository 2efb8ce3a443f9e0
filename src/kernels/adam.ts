/**
 * Adam's update in the gemm module's WebAssembly memory (asm/adam.ts: float32
 * SIMD, PyTorch's single-tensor operations one by one): parameters, gradients
 * and moments go in chunk by chunk (in cache), the kernel updates them there,
 * and the parameters and moments are copied back. Returns false where the
 * module is not in use; optim/adam.ts then runs its TypeScript loops.
 */
import type { AdamHyper } from './gemm_wasm.js';
import { useWasmPointwise } from './wasm_pointwise.js';

/** Floats of each array per pass. */
const CHUNK = 1 << 14;

export function adamStepWasm(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, vmax: Float32Array | null, h: AdamHyper): boolean {
  const n = p.length;
  const w = useWasmPointwise(n);
  if (w === null) return false;
  const len0 = Math.min(n, CHUNK);
  w.reset();
  const [pb, gb, mb, vb] = [w.alloc(len0), w.alloc(len0), w.alloc(len0), w.alloc(len0)];
  const xb = vmax ? w.alloc(len0) : -1;
  const F = w.f32();
  for (let i0 = 0; i0 < n; i0 += CHUNK) {
    const i1 = Math.min(n, i0 + CHUNK);
    F.set(p.subarray(i0, i1), pb);
    F.set(g.subarray(i0, i1), gb);
    F.set(m.subarray(i0, i1), mb);
    F.set(v.subarray(i0, i1), vb);
    if (vmax) F.set(vmax.subarray(i0, i1), xb);
    w.adam(pb, gb, mb, vb, xb, i1 - i0, h);
    const len = i1 - i0;
    p.set(F.subarray(pb, pb + len), i0);
    m.set(F.subarray(mb, mb + len), i0);
    v.set(F.subarray(vb, vb + len), i0);
    if (vmax) vmax.set(F.subarray(xb, xb + len), i0);
  }
  return true;
}
