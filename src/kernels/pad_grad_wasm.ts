/**
 * The padding gradient of image planes in the gemm module's WebAssembly
 * memory (asm/pad_grad.ts, float32 SIMD): planes in chunks of ~1 MB, their
 * output gradients copied in and the input gradients out. scatterPadGrad
 * (pad.ts) runs it where the module is loaded and chosen and no outer dim is
 * padded; the same sums in the same order as its TypeScript rows.
 */
import type { WasmGemm } from './gemm_wasm.js';

/** Floats per chunk (output and input gradients together). */
const CHUNK_FLOATS = 1 << 18;

/** One padded dim pair's maps as the kernel reads them (pad.ts scatterPadGrad builds them). */
export interface PadGradMaps {
  /** The input row of each output row (-1: the fill). */
  rows: Int32Array;
  /** The interior run [a, b) of output columns, read from input columns [dst0, dst0 + b - a). */
  a: number;
  b: number;
  dst0: number;
  /** Border columns: output column -> input column, left of the run and right of it. */
  lw: Int32Array;
  ls: Int32Array;
  rw: Int32Array;
  rs: Int32Array;
}

export function padGradWasm(w: WasmGemm, g: Float32Array, gx: Float32Array, planes: number, OH: number, OW: number, inH: number, inW: number, m: PadGradMaps): void {
  const outPlane = OH * OW;
  const inPlane = inH * inW;
  const per = Math.max(1, Math.min(planes, Math.floor(CHUNK_FLOATS / (outPlane + inPlane))));
  w.reset();
  const maps = [m.rows, m.lw, m.ls, m.rw, m.rs].map((v) => ({ v, at: w.alloc(Math.max(1, v.length)) }));
  const gOff = w.alloc(per * outPlane);
  const xOff = w.alloc(per * inPlane);
  const I = w.i32();
  for (const { v, at } of maps) I.set(v, at);
  const [rowOff, lwOff, lsOff, rwOff, rsOff] = maps.map((x) => x.at) as [number, number, number, number, number];
  const F = w.f32();
  for (let p0 = 0; p0 < planes; p0 += per) {
    const n = Math.min(per, planes - p0);
    F.set(g.subarray(p0 * outPlane, (p0 + n) * outPlane), gOff);
    w.padGrad(gOff, xOff, n, OH, OW, inH, inW, rowOff, m.a, m.b, m.dst0, lwOff, lsOff, m.lw.length, rwOff, rsOff, m.rw.length);
    gx.set(F.subarray(xOff, xOff + n * inPlane), p0 * inPlane);
  }
}
