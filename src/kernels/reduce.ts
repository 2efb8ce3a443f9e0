/** Row reductions over contiguous storage viewed as [rows, len]. Accumulates in float64. */
import { useWasmPointwise } from './wasm_pointwise.js';

/** Floats per pass of the WebAssembly row sums (in cache, few calls). */
const SUM_CHUNK = 1 << 18;

/**
 * The float64 sum of each row: in four float64 lanes in WebAssembly SIMD
 * (asm/gemm.ts planeSums, chunks of whole rows through its memory) for rows
 * of 64 floats and more, else in order. Either way each float32 is exact in
 * float64, so the two differ by float64 roundings only (below 1e-15
 * relative), far under a float32 ulp.
 */
export function rowSumsF64(x: Float32Array, rows: number, len: number): Float64Array {
  const out = new Float64Array(rows);
  const w = useWasmPointwise(len);
  if (w !== null) {
    const per = Math.max(1, Math.floor(SUM_CHUNK / len));
    w.reset();
    const xOff = w.alloc(Math.min(rows, per) * len);
    const sOff = w.alloc(2 * Math.min(rows, per));
    const F = w.f32();
    const S = new Float64Array(F.buffer, sOff * 4, Math.min(rows, per));
    for (let r0 = 0; r0 < rows; r0 += per) {
      const r1 = Math.min(rows, r0 + per);
      F.set(x.subarray(r0 * len, r1 * len), xOff);
      w.planeSums(xOff, r1 - r0, len, sOff);
      out.set(S.subarray(0, r1 - r0), r0);
    }
    return out;
  }
  for (let r = 0, o = 0; r < rows; r++) {
    let s = 0;
    for (let i = 0; i < len; i++, o++) s += x[o]!;
    out[r] = s;
  }
  return out;
}

export function sumRows(x: Float32Array, rows: number, len: number): Float32Array {
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    const base = r * len;
    for (let i = 0; i < len; i++) s += x[base + i]!;
    out[r] = s;
  }
  return out;
}

/** Variance per row, two-pass (mean first): stable for large offsets. */
export function varRows(x: Float32Array, rows: number, len: number, correction: number): Float32Array {
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const base = r * len;
    let s = 0;
    for (let i = 0; i < len; i++) s += x[base + i]!;
    const mean = s / len;
    let ss = 0;
    for (let i = 0; i < len; i++) {
      const d = x[base + i]! - mean;
      ss += d * d;
    }
    const denom = len - correction;
    out[r] = ss / Math.max(0, denom);
  }
  return out;
}

/** Max (or min) per row and its first index; NaN propagates as in PyTorch. */
export function extremeRows(x: Float32Array, rows: number, len: number, wantMax: boolean): { values: Float32Array; indices: Int32Array } {
  const values = new Float32Array(rows);
  const indices = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const base = r * len;
    let best = x[base]!;
    let bi = 0;
    for (let i = 1; i < len; i++) {
      const v = x[base + i]!;
      if (Number.isNaN(best)) break;
      if (Number.isNaN(v) || (wantMax ? v > best : v < best)) {
        best = v;
        bi = i;
      }
    }
    values[r] = best;
    indices[r] = bi;
  }
  return { values, indices };
}
