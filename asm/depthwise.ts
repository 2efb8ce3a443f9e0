/**
 * Depthwise convolution (groups = input channels, `mult` outputs per
 * channel) of one image in float32 SIMD (exported by gemm.ts; driven by
 * src/kernels/conv_depthwise.ts). Each input plane is copied, zero-padded,
 * into a scratch plane (so that every tap reads in bounds), then each output
 * plane it feeds is computed eight outputs of a row at a time (two f32x4
 * accumulators; sixteen with four first, for strides 1 and 2; then four):
 * per tap one weight splat and, for stride 1, an unaligned load per
 * accumulator, for stride 2 two loads and an even-lane shuffle per
 * accumulator; the last one to three outputs of a row as one vector with
 * its extra lanes dropped; other strides
 * and the rest of a row one output at a time. Sums run over taps in
 * row-major order, each product rounded before its add (no FMA), the bias
 * added last.
 */

export function dwConv(
  x: usize, C: i32, H: i32, W: i32, mult: i32, w: usize, bias: usize,
  kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32,
  Hp: i32, Wp: i32, outH: i32, outW: i32, y: usize, pad: usize,
): void {
  const L = outH * outW;
  const K = kh * kw;
  // the scratch plane's padding stays zero: only the interior is rewritten per plane
  memory.fill(pad, 0, <usize>((Hp * Wp + 16) * 4));
  for (let c = 0; c < C; c++) {
    const src = x + <usize>(c * H * W * 4);
    for (let r = 0; r < H; r++) memory.copy(pad + <usize>(((r + ph) * Wp + pw) * 4), src + <usize>(r * W * 4), <usize>(W * 4));
    for (let j = 0; j < mult; j++) {
      const co = c * mult + j;
      const b: f32 = bias !== 0 ? load<f32>(bias + <usize>(co * 4)) : 0;
      dwPlane(pad, Wp, w + <usize>(co * K * 4), kh, kw, sh, sw, dh, dw, outH, outW, b, y + <usize>(co * L * 4));
    }
  }
}

/** Vector i (four outputs) of a row's taps at `s`: stride 1 reads it, stride 2 takes the even lanes of two reads. */
@inline function dwTaps(s: usize, i: i32, sw: i32): v128 {
  if (sw === 1) return v128.load(s + <usize>(i * 16));
  return v128.shuffle<f32>(v128.load(s + <usize>(i * 32)), v128.load(s + <usize>(i * 32 + 16)), 0, 2, 4, 6);
}

/** `vecs` (1, 2 or 4) vectors of outputs of one row from `ow` on: per tap one weight splat, one sum per vector, the bias last. */
@inline function dwVecs(vecs: i32, sw: i32, xr: usize, rowB: usize, w: usize, kh: i32, kw: i32, dh: i32, dw: i32, ow: i32, bv: v128, yr: usize): void {
  let a0 = f32x4.splat(0);
  let a1 = a0, a2 = a0, a3 = a0;
  for (let ki = 0; ki < kh; ki++) {
    const src = xr + <usize>(ki * dh) * rowB + <usize>(ow * sw * 4);
    const wr = w + <usize>(ki * kw * 4);
    for (let kj = 0; kj < kw; kj++) {
      const wv = v128.load32_splat(wr + <usize>(kj * 4));
      const s = src + <usize>(kj * dw * 4);
      a0 = f32x4.add(a0, f32x4.mul(wv, dwTaps(s, 0, sw)));
      if (vecs > 1) a1 = f32x4.add(a1, f32x4.mul(wv, dwTaps(s, 1, sw)));
      if (vecs > 2) {
        a2 = f32x4.add(a2, f32x4.mul(wv, dwTaps(s, 2, sw)));
        a3 = f32x4.add(a3, f32x4.mul(wv, dwTaps(s, 3, sw)));
      }
    }
  }
  const o = yr + <usize>(ow * 4);
  v128.store(o, f32x4.add(a0, bv));
  if (vecs > 1) v128.store(o, f32x4.add(a1, bv), 16);
  if (vecs > 2) {
    v128.store(o, f32x4.add(a2, bv), 32);
    v128.store(o, f32x4.add(a3, bv), 48);
  }
}

/**
 * One output row at stride 1 or 2 (a constant where inlined): 16 outputs a
 * step (four independent sums per tap: two leave the adds' latency exposed),
 * then 8, then 4, then the last one to three as one vector with its extra
 * lanes dropped (they read at most 6 floats past the row: the next row, or
 * the scratch plane's 16 floats of slack).
 */
@inline function dwRow(sw: i32, xr: usize, rowB: usize, w: usize, kh: i32, kw: i32, dh: i32, dw: i32, outW: i32, bv: v128, yr: usize): void {
  let ow = 0;
  for (; ow + 16 <= outW; ow += 16) dwVecs(4, sw, xr, rowB, w, kh, kw, dh, dw, ow, bv, yr);
  for (; ow + 8 <= outW; ow += 8) dwVecs(2, sw, xr, rowB, w, kh, kw, dh, dw, ow, bv, yr);
  for (; ow + 4 <= outW; ow += 4) dwVecs(1, sw, xr, rowB, w, kh, kw, dh, dw, ow, bv, yr);
  if (ow < outW) {
    let a0 = f32x4.splat(0);
    for (let ki = 0; ki < kh; ki++) {
      const src = xr + <usize>(ki * dh) * rowB + <usize>(ow * sw * 4);
      const wr = w + <usize>(ki * kw * 4);
      for (let kj = 0; kj < kw; kj++) a0 = f32x4.add(a0, f32x4.mul(v128.load32_splat(wr + <usize>(kj * 4)), dwTaps(src + <usize>(kj * dw * 4), 0, sw)));
    }
    const v = f32x4.add(a0, bv);
    const o = yr + <usize>(ow * 4);
    v128.store32_lane(o, v, 0);
    if (ow + 1 < outW) v128.store32_lane(o, v, 1, 4);
    if (ow + 2 < outW) v128.store32_lane(o, v, 2, 8);
  }
}

@inline function dwPlane(
  xp: usize, Wp: i32, w: usize, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32,
  outH: i32, outW: i32, bias: f32, y: usize,
): void {
  const bv = f32x4.splat(bias);
  const rowB = <usize>(Wp * 4);
  for (let oh = 0; oh < outH; oh++) {
    const yr = y + <usize>(oh * outW * 4);
    const xr = xp + <usize>(oh * sh) * rowB;
    if (sw === 1) dwRow(1, xr, rowB, w, kh, kw, dh, dw, outW, bv, yr);
    else if (sw === 2) dwRow(2, xr, rowB, w, kh, kw, dh, dw, outW, bv, yr);
    else {
      // other strides one output at a time
      for (let ow = 0; ow < outW; ow++) {
        let acc: f32 = 0;
        for (let ki = 0; ki < kh; ki++) {
          const src = xr + <usize>(ki * dh) * rowB + <usize>(ow * sw * 4);
          for (let kj = 0; kj < kw; kj++) acc += load<f32>(w + <usize>((ki * kw + kj) * 4)) * load<f32>(src + <usize>(kj * dw * 4));
        }
        store<f32>(yr + <usize>(ow * 4), acc + bias);
      }
    }
  }
}
