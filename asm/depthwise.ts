/**
 * Depthwise convolution (groups = input channels, `mult` outputs per
 * channel) of one image in float32 SIMD (exported by gemm.ts; driven by
 * src/kernels/conv_depthwise.ts). Each input plane is copied, zero-padded,
 * into a scratch plane (so that every tap reads in bounds).
 *
 * 3x3 and 5x5 kernels at stride 1 or 2 without dilation (MobileNet's,
 * EfficientNet's) take unrolled loops: eight then four outputs of a row a
 * step (5x5: sixteen first, four sums interleaved tap by tap; a 3x3
 * kernel's weights in registers), each tap one broadcast load of its
 * weight (3x3: none) and one load of four
 * inputs (stride 2 reads them from the padded plane split once into its even
 * and odd columns, so that no tap needs a shuffle), the last one to three
 * outputs of a row as one vector with its extra lanes dropped. Other
 * geometries compute eight outputs of a row at a time (two f32x4
 * accumulators; sixteen with four first, for strides 1 and 2; then four):
 * per tap one weight splat and, for stride 1, an unaligned load per
 * accumulator, for stride 2 two loads and an even-lane shuffle per
 * accumulator; other strides and the rest of a row one output at a time.
 * Sums run over taps in row-major order (`madd`: each product rounded
 * before its add in gemm.wasm, fused in gemm_relaxed.wasm), the bias added
 * last.
 */
import { madd } from './simd';

export function dwConv(
  x: usize, C: i32, H: i32, W: i32, mult: i32, w: usize, bias: usize,
  kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32,
  Hp: i32, Wp: i32, outH: i32, outW: i32, y: usize, pad: usize, clear: bool,
): void {
  const L = outH * outW;
  const K = kh * kw;
  // the unrolled kernels: 3x3 or 5x5, stride 1 or 2 both ways, no dilation
  const unrolled = kh === kw && (kh === 3 || kh === 5) && sh === sw && (sh === 1 || sh === 2) && dh === 1 && dw === 1;
  // stride 2's even and odd columns of the padded plane, after it (dwScratch floats in all)
  const We = (Wp + 1) >> 1;
  const ev = pad + <usize>((Hp * Wp + 16) * 4);
  const od = ev + <usize>((Hp * We + 16) * 4);
  // the scratch plane's padding stays zero: only the interior is rewritten per plane (and by later calls on the same scratch: clear false)
  if (clear) memory.fill(pad, 0, <usize>((Hp * Wp + 16) * 4));
  for (let c = 0; c < C; c++) {
    const src = x + <usize>(c * H * W * 4);
    for (let r = 0; r < H; r++) memory.copy(pad + <usize>(((r + ph) * Wp + pw) * 4), src + <usize>(r * W * 4), <usize>(W * 4));
    if (unrolled && sh === 2) splitColumns(pad, Hp, Wp, We, ev, od);
    for (let j = 0; j < mult; j++) {
      const co = c * mult + j;
      const b: f32 = bias !== 0 ? load<f32>(bias + <usize>(co * 4)) : 0;
      const wc = w + <usize>(co * K * 4);
      const yc = y + <usize>(co * L * 4);
      if (!unrolled) dwPlane(pad, Wp, wc, kh, kw, sh, sw, dh, dw, outH, outW, b, yc);
      else if (kh === 3 && sh === 1) dwPlaneK(3, false, pad, 0, <usize>(Wp * 4), wc, outH, outW, b, yc);
      else if (kh === 3) dwPlaneK(3, true, ev, od, <usize>(We * 4), wc, outH, outW, b, yc);
      else if (sh === 1) dwPlaneK(5, false, pad, 0, <usize>(Wp * 4), wc, outH, outW, b, yc);
      else dwPlaneK(5, true, ev, od, <usize>(We * 4), wc, outH, outW, b, yc);
    }
  }
}

/** Floats of dwConv's scratch for a padded plane of Hp x Wp: the plane, then its even and odd columns (stride 2), each with 16 floats of slack. */
export function dwScratch(Hp: i32, Wp: i32): i32 {
  const We = (Wp + 1) >> 1;
  return Hp * Wp + 16 + 2 * (Hp * We + 16);
}

/** ev[r][j] = p[r][2j], od[r][j] = p[r][2j + 1] for the Hp rows of Wp floats at p (rows of We = ceil(Wp / 2) floats). */
function splitColumns(p: usize, Hp: i32, Wp: i32, We: i32, ev: usize, od: usize): void {
  for (let r = 0; r < Hp; r++) {
    const s = p + <usize>(r * Wp * 4);
    const e = ev + <usize>(r * We * 4);
    const o = od + <usize>(r * We * 4);
    let j = 0;
    // whole vectors while both reads stay in the row (or its successor, or the plane's slack)
    for (; j + 4 <= We; j += 4) {
      const a = v128.load(s + <usize>(j * 8));
      const b = v128.load(s + <usize>(j * 8 + 16));
      v128.store(e + <usize>(j * 4), v128.shuffle<f32>(a, b, 0, 2, 4, 6));
      v128.store(o + <usize>(j * 4), v128.shuffle<f32>(a, b, 1, 3, 5, 7));
    }
    for (; j < We; j++) {
      store<f32>(e + <usize>(j * 4), load<f32>(s + <usize>(j * 8)));
      store<f32>(o + <usize>(j * 4), 2 * j + 1 < Wp ? load<f32>(s + <usize>(j * 8 + 4)) : 0);
    }
  }
}

/**
 * acc + the k taps (k = 3 or 5) of one kernel row for four outputs, in tap
 * order: stride 1 reads tap kj at e + 4 kj bytes; stride 2 (s2) at the even
 * columns' e + 4 (kj / 2) for even kj, the odd columns' o + 4 (kj / 2) for
 * odd ones.
 */
@inline function taps(acc: v128, k: i32, s2: bool, e: usize, o: usize, w: usize): v128 {
  acc = madd(v128.load32_splat(w), v128.load(e), acc);
  acc = madd(v128.load32_splat(w, 4), s2 ? v128.load(o) : v128.load(e, 4), acc);
  acc = madd(v128.load32_splat(w, 8), s2 ? v128.load(e, 4) : v128.load(e, 8), acc);
  if (k === 5) {
    acc = madd(v128.load32_splat(w, 12), s2 ? v128.load(o, 4) : v128.load(e, 12), acc);
    acc = madd(v128.load32_splat(w, 16), s2 ? v128.load(e, 8) : v128.load(e, 16), acc);
  }
  return acc;
}

/** taps() of a 3-tap kernel row with its weights in registers (w0, w1, w2). */
@inline function taps3(acc: v128, s2: bool, e: usize, o: usize, w0: v128, w1: v128, w2: v128): v128 {
  acc = madd(w0, v128.load(e), acc);
  acc = madd(w1, s2 ? v128.load(o) : v128.load(e, 4), acc);
  return madd(w2, s2 ? v128.load(e, 4) : v128.load(e, 8), acc);
}

/**
 * Four outputs of row `oh` from column ow on (the k kernel rows' taps in
 * order), plus the bias: a 3 x 3 kernel's weights come in registers (w0..w8,
 * splatted once per plane: half the loads), a 5 x 5 one's from w.
 */
@inline function kVec(
  k: i32, s2: bool, e: usize, o: usize, rowB: usize, w: usize,
  w0: v128, w1: v128, w2: v128, w3: v128, w4: v128, w5: v128, w6: v128, w7: v128, w8: v128, bv: v128,
): v128 {
  let a = f32x4.splat(0);
  if (k === 3) {
    a = taps3(a, s2, e, o, w0, w1, w2);
    a = taps3(a, s2, e + rowB, o + rowB, w3, w4, w5);
    a = taps3(a, s2, e + 2 * rowB, o + 2 * rowB, w6, w7, w8);
    return f32x4.add(a, bv);
  }
  a = taps(a, k, s2, e, o, w);
  a = taps(a, k, s2, e + rowB, o + rowB, w + <usize>(k * 4));
  a = taps(a, k, s2, e + 2 * rowB, o + 2 * rowB, w + <usize>(k * 8));
  a = taps(a, k, s2, e + 3 * rowB, o + 3 * rowB, w + <usize>(k * 12));
  a = taps(a, k, s2, e + 4 * rowB, o + 4 * rowB, w + <usize>(k * 16));
  return f32x4.add(a, bv);
}

/** Sixteen outputs of a 5x5 kernel's row (four sums, each tap's weight loaded once for the four), plus the bias, stored at y. */
@inline function wide5(s2: bool, e: usize, o: usize, rowB: usize, w: usize, bv: v128, y: usize): void {
  let a0 = f32x4.splat(0);
  let a1 = a0, a2 = a0, a3 = a0;
  for (let ki = 0; ki < 5; ki++) {
    const er = e + <usize>ki * rowB;
    const orr = o + <usize>ki * rowB;
    const wr = w + <usize>(ki * 20);
    for (let kj = 0; kj < 5; kj++) {
      const wv = v128.load32_splat(wr + <usize>(kj * 4));
      // stride 1: tap kj at 4 kj bytes; stride 2: the even columns for even kj, the odd ones for odd kj, at 4 (kj / 2)
      const t = s2 ? ((kj & 1) !== 0 ? orr : er) + <usize>((kj >> 1) * 4) : er + <usize>(kj * 4);
      a0 = madd(wv, v128.load(t), a0);
      a1 = madd(wv, v128.load(t, 16), a1);
      a2 = madd(wv, v128.load(t, 32), a2);
      a3 = madd(wv, v128.load(t, 48), a3);
    }
  }
  v128.store(y, f32x4.add(a0, bv));
  v128.store(y, f32x4.add(a1, bv), 16);
  v128.store(y, f32x4.add(a2, bv), 32);
  v128.store(y, f32x4.add(a3, bv), 48);
}

/**
 * One output plane of a k x k kernel (3 or 5) at stride 1 (x: the padded
 * plane, rows rowB bytes apart) or 2 (s2; x, xo: its even and odd columns):
 * (5x5: sixteen outputs a step with four sums first) eight outputs of a row
 * a step (two independent sums), then four, then the
 * last one to three as one vector with its extra lanes dropped (they read at
 * most 4 + k floats past the row: the next row, or the scratch's slack).
 */
@inline function dwPlaneK(k: i32, s2: bool, x: usize, xo: usize, rowB: usize, w: usize, outH: i32, outW: i32, bias: f32, y: usize): void {
  const bv = f32x4.splat(bias);
  const z = f32x4.splat(0);
  const three = k === 3;
  const w0 = three ? v128.load32_splat(w) : z, w1 = three ? v128.load32_splat(w, 4) : z, w2 = three ? v128.load32_splat(w, 8) : z;
  const w3 = three ? v128.load32_splat(w, 12) : z, w4 = three ? v128.load32_splat(w, 16) : z, w5 = three ? v128.load32_splat(w, 20) : z;
  const w6 = three ? v128.load32_splat(w, 24) : z, w7 = three ? v128.load32_splat(w, 28) : z, w8 = three ? v128.load32_splat(w, 32) : z;
  for (let oh = 0; oh < outH; oh++) {
    const e = x + <usize>(s2 ? 2 * oh : oh) * rowB;
    const o = xo + <usize>(s2 ? 2 * oh : oh) * rowB;
    const yr = y + <usize>(oh * outW * 4);
    let ow = 0;
    // a 5x5 kernel's 25 taps are too long a chain for two sums: sixteen outputs a step, four sums interleaved tap by tap
    if (k === 5) for (; ow + 16 <= outW; ow += 16) wide5(s2, e + <usize>(ow * 4), o + <usize>(ow * 4), rowB, w, bv, yr + <usize>(ow * 4));
    for (; ow + 8 <= outW; ow += 8) {
      const at = <usize>(ow * 4);
      const a = kVec(k, s2, e + at, o + at, rowB, w, w0, w1, w2, w3, w4, w5, w6, w7, w8, bv);
      const b = kVec(k, s2, e + at + 16, o + at + 16, rowB, w, w0, w1, w2, w3, w4, w5, w6, w7, w8, bv);
      v128.store(yr + at, a);
      v128.store(yr + at, b, 16);
    }
    for (; ow + 4 <= outW; ow += 4) {
      const at = <usize>(ow * 4);
      v128.store(yr + at, kVec(k, s2, e + at, o + at, rowB, w, w0, w1, w2, w3, w4, w5, w6, w7, w8, bv));
    }
    if (ow < outW) {
      const at = <usize>(ow * 4);
      const v = kVec(k, s2, e + at, o + at, rowB, w, w0, w1, w2, w3, w4, w5, w6, w7, w8, bv);
      const q = yr + at;
      v128.store32_lane(q, v, 0);
      if (ow + 1 < outW) v128.store32_lane(q, v, 1, 4);
      if (ow + 2 < outW) v128.store32_lane(q, v, 2, 8);
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
      a0 = madd(wv, dwTaps(s, 0, sw), a0);
      if (vecs > 1) a1 = madd(wv, dwTaps(s, 1, sw), a1);
      if (vecs > 2) {
        a2 = madd(wv, dwTaps(s, 2, sw), a2);
        a3 = madd(wv, dwTaps(s, 3, sw), a3);
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
      for (let kj = 0; kj < kw; kj++) a0 = madd(v128.load32_splat(wr + <usize>(kj * 4)), dwTaps(src + <usize>(kj * dw * 4), 0, sw), a0);
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
