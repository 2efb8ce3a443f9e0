/** Row reductions over contiguous storage viewed as [rows, len]. Accumulates in float64. */

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
