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

@inline function dwPlane(
  xp: usize, Wp: i32, w: usize, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32,
  outH: i32, outW: i32, bias: f32, y: usize,
): void {
  const bv = f32x4.splat(bias);
  const rowB = <usize>(Wp * 4);
  for (let oh = 0; oh < outH; oh++) {
    const yr = y + <usize>(oh * outW * 4);
    const xr = xp + <usize>(oh * sh) * rowB;
    let ow = 0;
    if (sw === 1) {
      // 16 outputs a step: four independent sums per tap (two leave the adds' latency exposed)
      for (; ow + 16 <= outW; ow += 16) {
        let a0 = f32x4.splat(0);
        let a1 = f32x4.splat(0);
        let a2 = f32x4.splat(0);
        let a3 = f32x4.splat(0);
        for (let ki = 0; ki < kh; ki++) {
          const src = xr + <usize>(ki * dh) * rowB + <usize>(ow * 4);
          const wr = w + <usize>(ki * kw * 4);
          for (let kj = 0; kj < kw; kj++) {
            const wv = v128.load32_splat(wr + <usize>(kj * 4));
            const s = src + <usize>(kj * dw * 4);
            a0 = f32x4.add(a0, f32x4.mul(wv, v128.load(s)));
            a1 = f32x4.add(a1, f32x4.mul(wv, v128.load(s, 16)));
            a2 = f32x4.add(a2, f32x4.mul(wv, v128.load(s, 32)));
            a3 = f32x4.add(a3, f32x4.mul(wv, v128.load(s, 48)));
          }
        }
        const o = yr + <usize>(ow * 4);
        v128.store(o, f32x4.add(a0, bv));
        v128.store(o, f32x4.add(a1, bv), 16);
        v128.store(o, f32x4.add(a2, bv), 32);
        v128.store(o, f32x4.add(a3, bv), 48);
      }
      for (; ow + 8 <= outW; ow += 8) {
        let a0 = f32x4.splat(0);
        let a1 = f32x4.splat(0);
        for (let ki = 0; ki < kh; ki++) {
          const src = xr + <usize>(ki * dh) * rowB + <usize>(ow * 4);
          const wr = w + <usize>(ki * kw * 4);
          for (let kj = 0; kj < kw; kj++) {
            const wv = v128.load32_splat(wr + <usize>(kj * 4));
            const s = src + <usize>(kj * dw * 4);
            a0 = f32x4.add(a0, f32x4.mul(wv, v128.load(s)));
            a1 = f32x4.add(a1, f32x4.mul(wv, v128.load(s, 16)));
          }
        }
        v128.store(yr + <usize>(ow * 4), f32x4.add(a0, bv));
        v128.store(yr + <usize>(ow * 4), f32x4.add(a1, bv), 16);
      }
      for (; ow + 4 <= outW; ow += 4) {
        let a0 = f32x4.splat(0);
        for (let ki = 0; ki < kh; ki++) {
          const src = xr + <usize>(ki * dh) * rowB + <usize>(ow * 4);
          const wr = w + <usize>(ki * kw * 4);
          for (let kj = 0; kj < kw; kj++) a0 = f32x4.add(a0, f32x4.mul(v128.load32_splat(wr + <usize>(kj * 4)), v128.load(src + <usize>(kj * dw * 4))));
        }
        v128.store(yr + <usize>(ow * 4), f32x4.add(a0, bv));
      }
    } else if (sw === 2) {
      for (; ow + 16 <= outW; ow += 16) {
        let a0 = f32x4.splat(0);
        let a1 = f32x4.splat(0);
        let a2 = f32x4.splat(0);
        let a3 = f32x4.splat(0);
        for (let ki = 0; ki < kh; ki++) {
          const src = xr + <usize>(ki * dh) * rowB + <usize>(ow * 8);
          const wr = w + <usize>(ki * kw * 4);
          for (let kj = 0; kj < kw; kj++) {
            const wv = v128.load32_splat(wr + <usize>(kj * 4));
            const s = src + <usize>(kj * dw * 4);
            a0 = f32x4.add(a0, f32x4.mul(wv, v128.shuffle<f32>(v128.load(s), v128.load(s, 16), 0, 2, 4, 6)));
            a1 = f32x4.add(a1, f32x4.mul(wv, v128.shuffle<f32>(v128.load(s, 32), v128.load(s, 48), 0, 2, 4, 6)));
            a2 = f32x4.add(a2, f32x4.mul(wv, v128.shuffle<f32>(v128.load(s, 64), v128.load(s, 80), 0, 2, 4, 6)));
            a3 = f32x4.add(a3, f32x4.mul(wv, v128.shuffle<f32>(v128.load(s, 96), v128.load(s, 112), 0, 2, 4, 6)));
          }
        }
        const o = yr + <usize>(ow * 4);
        v128.store(o, f32x4.add(a0, bv));
        v128.store(o, f32x4.add(a1, bv), 16);
        v128.store(o, f32x4.add(a2, bv), 32);
        v128.store(o, f32x4.add(a3, bv), 48);
      }
      for (; ow + 8 <= outW; ow += 8) {
        let a0 = f32x4.splat(0);
        let a1 = f32x4.splat(0);
        for (let ki = 0; ki < kh; ki++) {
          const src = xr + <usize>(ki * dh) * rowB + <usize>(ow * 8);
          const wr = w + <usize>(ki * kw * 4);
          for (let kj = 0; kj < kw; kj++) {
            const wv = v128.load32_splat(wr + <usize>(kj * 4));
            const s = src + <usize>(kj * dw * 4);
            const e0 = v128.shuffle<f32>(v128.load(s), v128.load(s, 16), 0, 2, 4, 6);
            const e1 = v128.shuffle<f32>(v128.load(s, 32), v128.load(s, 48), 0, 2, 4, 6);
            a0 = f32x4.add(a0, f32x4.mul(wv, e0));
            a1 = f32x4.add(a1, f32x4.mul(wv, e1));
          }
        }
        v128.store(yr + <usize>(ow * 4), f32x4.add(a0, bv));
        v128.store(yr + <usize>(ow * 4), f32x4.add(a1, bv), 16);
      }
      for (; ow + 4 <= outW; ow += 4) {
        let a0 = f32x4.splat(0);
        for (let ki = 0; ki < kh; ki++) {
          const src = xr + <usize>(ki * dh) * rowB + <usize>(ow * 8);
          const wr = w + <usize>(ki * kw * 4);
          for (let kj = 0; kj < kw; kj++) {
            const s = src + <usize>(kj * dw * 4);
            a0 = f32x4.add(a0, f32x4.mul(v128.load32_splat(wr + <usize>(kj * 4)), v128.shuffle<f32>(v128.load(s), v128.load(s, 16), 0, 2, 4, 6)));
          }
        }
        v128.store(yr + <usize>(ow * 4), f32x4.add(a0, bv));
      }
    }
    if (ow < outW && (sw === 1 || sw === 2)) {
      // the last 1-3 outputs as one vector, its extra lanes dropped (they read at most 6 floats
      // past the row: the next row, or the scratch plane's 16 floats of slack)
      let a0 = f32x4.splat(0);
      for (let ki = 0; ki < kh; ki++) {
        const src = xr + <usize>(ki * dh) * rowB + <usize>(ow * sw * 4);
        const wr = w + <usize>(ki * kw * 4);
        for (let kj = 0; kj < kw; kj++) {
          const s = src + <usize>(kj * dw * 4);
          const xv = sw === 1 ? v128.load(s) : v128.shuffle<f32>(v128.load(s), v128.load(s, 16), 0, 2, 4, 6);
          a0 = f32x4.add(a0, f32x4.mul(v128.load32_splat(wr + <usize>(kj * 4)), xv));
        }
      }
      const v = f32x4.add(a0, bv);
      const o = yr + <usize>(ow * 4);
      v128.store32_lane(o, v, 0);
      if (ow + 1 < outW) v128.store32_lane(o, v, 1, 4);
      if (ow + 2 < outW) v128.store32_lane(o, v, 2, 8);
      ow = outW;
    }
    for (; ow < outW; ow++) {
      let acc: f32 = 0;
      for (let ki = 0; ki < kh; ki++) {
        const src = xr + <usize>(ki * dh) * rowB + <usize>(ow * sw * 4);
        for (let kj = 0; kj < kw; kj++) acc += load<f32>(w + <usize>((ki * kw + kj) * 4)) * load<f32>(src + <usize>(kj * dw * 4));
      }
      store<f32>(yr + <usize>(ow * 4), acc + bias);
    }
  }
}
