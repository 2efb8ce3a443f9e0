/**
 * The gradient of nearest resampling of images ([planes, OH, OW] read from
 * [planes, inH, inW]: output row i from input row `rows[i]`, column j from
 * column `cols[j]`): each output gradient is added into the input element
 * it was read from, output positions row-major, in float32, which is the
 * order and rounding of ATen's backward and of kernels/interpolate.ts's
 * resampleBackward (bit for bit), without its per-element table of offsets.
 * The output is recyclable storage (a backward pass frees it once spent).
 */
import { allocStorage } from '../tensor/storage.js';

export function nearest2dGrad(g: Float32Array, planes: number, inH: number, inW: number, rows: Int32Array, cols: Int32Array): Float32Array {
  const OH = rows.length;
  const OW = cols.length;
  const gx = allocStorage(planes * inH * inW).fill(0);
  // Twice as many columns, each input column read by two neighbours (x2 upsampling): no table reads.
  let two = OW === 2 * inW;
  for (let j = 0; j < OW && two; j++) if (cols[j] !== j >> 1) two = false;
  for (let p = 0; p < planes; p++) {
    const xb = p * inH * inW;
    const gb = p * OH * OW;
    for (let i = 0; i < OH; i++) {
      const d = xb + rows[i]! * inW;
      const o = gb + i * OW;
      if (two) {
        for (let j = 0; j < inW; j++) gx[d + j] = Math.fround(gx[d + j]! + g[o + 2 * j]!) + g[o + 2 * j + 1]!;
      } else {
        for (let j = 0; j < OW; j++) gx[d + cols[j]!] = gx[d + cols[j]!]! + g[o + j]!;
      }
    }
  }
  return gx;
}
