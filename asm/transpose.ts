/**
 * A matrix transpose in float32 SIMD (exported by gemm.ts; driven by
 * src/kernels/layout.ts for NCHW <-> NHWC permutes): 4x4 blocks moved with
 * eight shuffles, by 32x32 tiles so that the rows read and the rows written
 * stay in cache; the edges (rows or columns past a multiple of four) one
 * value at a time. Data movement only: the same bits.
 */

const T: i32 = 32;

/** out[j][i] = x[i][j] for a rows x cols matrix x (out is cols x rows; the two do not overlap). */
export function transposeF(x: usize, out: usize, rows: i32, cols: i32): void {
  const r4 = rows & ~3;
  const c4 = cols & ~3;
  const xRow = <usize>(cols * 4);
  const oRow = <usize>(rows * 4);
  for (let i0 = 0; i0 < r4; i0 += T) {
    const i1 = min(r4, i0 + T);
    for (let j0 = 0; j0 < c4; j0 += T) {
      const j1 = min(c4, j0 + T);
      for (let i = i0; i < i1; i += 4) {
        const s = x + <usize>i * xRow;
        for (let j = j0; j < j1; j += 4) {
          const p = s + <usize>(j * 4);
          const a = v128.load(p), b = v128.load(p + xRow), c = v128.load(p + 2 * xRow), d = v128.load(p + 3 * xRow);
          const t0 = v128.shuffle<f32>(a, b, 0, 4, 1, 5), t1 = v128.shuffle<f32>(a, b, 2, 6, 3, 7);
          const t2 = v128.shuffle<f32>(c, d, 0, 4, 1, 5), t3 = v128.shuffle<f32>(c, d, 2, 6, 3, 7);
          const q = out + <usize>j * oRow + <usize>(i * 4);
          v128.store(q, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
          v128.store(q + oRow, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
          v128.store(q + 2 * oRow, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
          v128.store(q + 3 * oRow, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
        }
      }
    }
  }
  // the last cols % 4 columns of the first r4 rows, then the last rows % 4 rows whole
  for (let i = 0; i < r4; i++) {
    for (let j = c4; j < cols; j++) store<f32>(out + <usize>j * oRow + <usize>(i * 4), load<f32>(x + <usize>i * xRow + <usize>(j * 4)));
  }
  for (let i = r4; i < rows; i++) {
    for (let j = 0; j < cols; j++) store<f32>(out + <usize>j * oRow + <usize>(i * 4), load<f32>(x + <usize>i * xRow + <usize>(j * 4)));
  }
}
