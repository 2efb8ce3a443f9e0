/**
 * A convolution's weights kept packed in this thread's wasm memory for the
 * gemm (asm/gemm.ts packAll, gemmPacked), so that a layer run again with
 * the same weights neither copies them in nor packs them (ResNet-18's
 * 512-channel 7x7 layers: 9.4 MB copied and packed per call). As with
 * Winograd's transform (winograd_weights.ts), the values are checked
 * against a copy of the weights the packing was made from, bit for bit, on
 * every use (a native memcmp in Node): an optimizer step or a write to
 * `.data` is seen without a version counter. The packing lives among the
 * module's resident arrays (WasmGemm.resident, 128 MB at most).
 */
import { platform } from '#platform';
import type { WasmGemm } from './gemm_wasm.js';

interface Entry {
  /** The weights last packed (as int32 bits, so NaNs and -0 compare exactly). */
  from: Int32Array;
  /** The resident array's name and how many times the weights changed. */
  id: string;
  version: number;
}

const cache = new WeakMap<Float32Array, Entry>();
let ids = 0;

/**
 * Float offset in w's memory of `wd` (G groups of Cog x Kg rows) packed for
 * gemmPacked, group g's at the result + g * w.packedFloats(Cog, Kg): packed
 * again only when the values changed. Only right after w.reset() (it places
 * a resident array); the caller's allocations follow.
 */
export function packedWeights(w: WasmGemm, wd: Float32Array, G: number, Cog: number, Kg: number): number {
  const bits = new Int32Array(wd.buffer, wd.byteOffset, wd.length);
  let e = cache.get(wd);
  if (e === undefined || e.from.length !== bits.length) cache.set(wd, (e = { from: bits.slice(), id: `gemm${++ids}`, version: 0 }));
  else if (!platform.sameBytes(e.from, bits)) {
    e.from.set(bits);
    e.version++;
  }
  const per = w.packedFloats(Cog, Kg);
  return w.residentWith(`${e.id}:${G}x${Cog}`, e.version, G * per, (at) => {
    // staged past the packing (a temporary: residentWith frees what fill allocates)
    const raw = w.alloc(wd.length);
    w.f32().set(wd, raw);
    for (let g = 0; g < G; g++) w.packAll(raw + g * Cog * Kg, Kg, false, Cog, Kg, at + g * per);
  });
}
