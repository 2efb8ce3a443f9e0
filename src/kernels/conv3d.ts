/**
 * vol2col / col2vol for 3-D convolution on one volume (no shape semantics here),
 * the 3-D counterparts of `im2col` / `col2im`: col[(c*kd*kh*kw + tap)][pos] is
 * the volume value under kernel tap (i, j, l) of the window at output position
 * pos = (od*outH + oh)*outW + ow, or 0 where the window hangs over the padding.
 */

export interface ConvGeom3d {
  /** Volume depth/height/width (padding implicit). */
  D: number;
  H: number;
  W: number;
  k: readonly [number, number, number];
  s: readonly [number, number, number];
  /** Padding before the first plane / row / column. */
  p: readonly [number, number, number];
  d: readonly [number, number, number];
  /** Number of window positions along each axis. */
  out: readonly [number, number, number];
}

/** Calls f(row, colIndexBase, srcIndex or -1) for every (channel, tap, position). */
function walk(C: number, g: ConvGeom3d, f: (row: number, pos: number, src: number) => void): void {
  const [kd, kh, kw] = g.k;
  const [oD, oH, oW] = g.out;
  const L = oD * oH * oW;
  let row = 0;
  for (let c = 0; c < C; c++) {
    const plane = c * g.D * g.H * g.W;
    for (let i = 0; i < kd; i++) {
      for (let j = 0; j < kh; j++) {
        for (let l = 0; l < kw; l++, row += L) {
          let pos = row;
          for (let od = 0; od < oD; od++) {
            const id = od * g.s[0] - g.p[0] + i * g.d[0];
            const dIn = id >= 0 && id < g.D;
            for (let oh = 0; oh < oH; oh++) {
              const ih = oh * g.s[1] - g.p[1] + j * g.d[1];
              const hIn = dIn && ih >= 0 && ih < g.H;
              const base = plane + (id * g.H + ih) * g.W;
              for (let ow = 0; ow < oW; ow++, pos++) {
                const iw = ow * g.s[2] - g.p[2] + l * g.d[2];
                f(row, pos, hIn && iw >= 0 && iw < g.W ? base + iw : -1);
              }
            }
          }
        }
      }
    }
  }
}

/** Fills col (C*kd*kh*kw x L, at colOff) from volume x (C x D x H x W, at xOff). */
export function vol2col(x: Float32Array, xOff: number, C: number, g: ConvGeom3d, col: Float32Array, colOff = 0): void {
  walk(C, g, (_row, pos, src) => {
    col[colOff + pos] = src < 0 ? 0 : x[xOff + src]!;
  });
}

/** Adds col back into volume gx (at xOff): the adjoint of vol2col. */
export function col2vol(col: Float32Array, colOff: number, C: number, g: ConvGeom3d, gx: Float32Array, xOff: number): void {
  walk(C, g, (_row, pos, src) => {
    if (src >= 0) gx[xOff + src] = gx[xOff + src]! + col[colOff + pos]!;
  });
}
