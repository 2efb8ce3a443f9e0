/**
 * Max pooling values (no argmax: the inference path) over `planes` H x W
 * planes, in float32 SIMD where a window row lies inside the image (four
 * outputs a step, stride 1 or 2; pmax with a NaN mask lets NaN win, as PyTorch's
 * kernel), one output at a time at the borders (windows clipped to the image:
 * the padding never wins). Exported by gemm.ts; driven by src/kernels/pool.ts.
 */

@inline function maxNaN(best: f32, v: f32): f32 {
  return v > best || v != v ? v : best;
}

export function maxPoolF(
  x: usize, planes: i32, H: i32, W: i32, outH: i32, outW: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32, y: usize,
): void {
  // outputs whose whole window row is inside the image: ow in [lo, hi)
  let lo = (pw + sw - 1) / sw;
  let hi = (W - 1 - (kw - 1) * dw + pw) / sw + 1;
  if (W - 1 - (kw - 1) * dw + pw < 0) hi = 0;
  if (hi > outW) hi = outW;
  if (lo > hi) lo = hi;
  const simd = sw === 1 || sw === 2;
  for (let pl = 0; pl < planes; pl++) {
    const xp = x + <usize>(pl * H * W * 4);
    const yp = y + <usize>(pl * outH * outW * 4);
    for (let oh = 0; oh < outH; oh++) {
      let h0 = oh * sh - ph;
      const h1 = min(h0 + (kh - 1) * dh + 1, H);
      while (h0 < 0) h0 += dh;
      const yr = yp + <usize>(oh * outW * 4);
      let ow = 0;
      for (; ow < outW; ow++) {
        if (simd && ow === lo) {
          for (; ow + 4 <= hi; ow += 4) {
            let m = f32x4.splat(-Infinity);
            let nan = i32x4.splat(0);
            for (let h = h0; h < h1; h += dh) {
              const row = xp + <usize>((h * W + ow * sw - pw) * 4);
              for (let j = 0; j < kw; j++) {
                const s = row + <usize>(j * dw * 4);
                const v = sw === 1 ? v128.load(s) : v128.shuffle<f32>(v128.load(s), v128.load(s, 16), 0, 2, 4, 6);
                // pmax is one maxps (f32x4.max is several: NaN and -0 rules); it keeps the first of ties, as maxNaN does
                m = f32x4.pmax(m, v);
                nan = v128.or(nan, f32x4.ne(v, v));
              }
            }
            v128.store(yr + <usize>(ow * 4), v128.bitselect(f32x4.splat(NaN), m, nan));
          }
          if (ow >= outW) break;
        }
        let w0 = ow * sw - pw;
        const w1 = min(w0 + (kw - 1) * dw + 1, W);
        while (w0 < 0) w0 += dw;
        let best: f32 = -Infinity;
        for (let h = h0; h < h1; h += dh) for (let w = w0; w < w1; w += dw) best = maxNaN(best, load<f32>(xp + <usize>((h * W + w) * 4)));
        store<f32>(yr + <usize>(ow * 4), best);
      }
    }
  }
}
