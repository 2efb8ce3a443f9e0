// The gradient of padding in float32 SIMD (src/kernels/pad_grad_wasm.ts drives it), compiled into gemm.wasm.

/**
 * gx (planes x inH x inW, zeroed here) += each output gradient (planes x OH
 * x OW) at the input element it was read from, in output order (as ATen's
 * padding backwards and src/kernels/pad.ts scatterPadGrad, bit for bit): per
 * output row h, read from input row rowSrc[h] (< 0: the fill, nothing), its
 * left border columns lw[k] -> ls[k], its interior [a, b) -> [dst0, dst0 +
 * b - a) four at a time, its right border columns rw[k] -> rs[k]. Maps are
 * int32 arrays; every offset is in bytes.
 */
export function padGrad(
  g: usize, gx: usize, planes: i32, OH: i32, OW: i32, inH: i32, inW: i32, rowSrc: usize,
  a: i32, b: i32, dst0: i32, lw: usize, ls: usize, nl: i32, rw: usize, rs: usize, nr: i32,
): void {
  const inPlane = inH * inW;
  memory.fill(gx, 0, <usize>(planes * inPlane * 4));
  const len = <usize>((b - a) * 4);
  for (let p = 0; p < planes; p++) {
    const gp = g + <usize>(p * OH * OW * 4);
    const xp = gx + <usize>(p * inPlane * 4);
    for (let h = 0; h < OH; h++) {
      const sh = load<i32>(rowSrc + <usize>(h * 4));
      if (sh < 0) continue;
      const o = gp + <usize>(h * OW * 4);
      const d = xp + <usize>(sh * inW * 4);
      for (let k = 0; k < nl; k++) {
        const t = d + <usize>(load<i32>(ls + <usize>(k * 4)) * 4);
        store<f32>(t, load<f32>(t) + load<f32>(o + <usize>(load<i32>(lw + <usize>(k * 4)) * 4)));
      }
      const di = d + <usize>(dst0 * 4);
      const oi = o + <usize>(a * 4);
      let i: usize = 0;
      for (; i + 16 <= len; i += 16) v128.store(di + i, f32x4.add(v128.load(di + i), v128.load(oi + i)));
      for (; i < len; i += 4) store<f32>(di + i, load<f32>(di + i) + load<f32>(oi + i));
      for (let k = 0; k < nr; k++) {
        const t = d + <usize>(load<i32>(rs + <usize>(k * 4)) * 4);
        store<f32>(t, load<f32>(t) + load<f32>(o + <usize>(load<i32>(rw + <usize>(k * 4)) * 4)));
      }
    }
  }
}
