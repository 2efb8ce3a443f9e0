/**
 * Padding of image planes (exported by gemm.ts; driven by
 * src/kernels/pad.ts padPlanes): each output plane is its input plane at
 * row `top`, column `left` of an H x W plane, the other positions taken by
 * the row and column maps (reflect, replicate, circular: an input index;
 * -1: the fill). Interior rows are bulk copies, border columns read their
 * row's map. Data movement only: the same bits.
 */

/**
 * Output planes of `planes` input planes of inH x inW at x (one after the
 * other; a plane flagged 0 in `has` (bytes) is all fill), through the maps
 * mh (H int32s: the input row of each output row, or -1) and mw (W int32s),
 * into H x W planes at out.
 */
export function padPlanesF(x: usize, planes: i32, has: usize, inH: i32, inW: i32, mh: usize, mw: usize, H: i32, W: i32, left: i32, fill: f32, out: usize): void {
  const inPlane = <usize>(inH * inW * 4);
  const plane = <usize>(H * W * 4);
  const rowB = <usize>(W * 4);
  const inRowB = <usize>(inW * 4);
  const right = left + inW;
  for (let p = 0; p < planes; p++) {
    const op = out + <usize>p * plane;
    if (load<u8>(has + <usize>p) === 0) {
      for (let i: usize = 0; i < plane; i += 4) store<f32>(op + i, fill);
      continue;
    }
    const ip = x + <usize>p * inPlane;
    for (let h = 0; h < H; h++) {
      const o = op + <usize>h * rowB;
      const sh = load<i32>(mh + <usize>(h * 4));
      if (sh < 0) {
        for (let w = 0; w < W; w++) store<f32>(o + <usize>(w * 4), fill);
        continue;
      }
      const src = ip + <usize>sh * inRowB;
      memory.copy(o + <usize>(left * 4), src, inRowB);
      for (let w = 0; w < left; w++) {
        const m = load<i32>(mw + <usize>(w * 4));
        store<f32>(o + <usize>(w * 4), m >= 0 ? load<f32>(src + <usize>(m * 4)) : fill);
      }
      for (let w = right; w < W; w++) {
        const m = load<i32>(mw + <usize>(w * 4));
        store<f32>(o + <usize>(w * 4), m >= 0 ? load<f32>(src + <usize>(m * 4)) : fill);
      }
    }
  }
}
