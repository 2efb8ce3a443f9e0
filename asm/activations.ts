/**
 * Pointwise activations in float32 SIMD, four values a step (exported by
 * gemm.ts, run in its memory by src/kernels/activation_wasm.ts):
 * hardtanh (relu6), leaky_relu, elu/selu, sigmoid, silu, hardswish, gelu.
 *
 * exp: x = n ln2 + r (n = nearest(x log2 e), ln2 split in a high part exact in
 * float32 and a low part), e^r = 1 + r + r^2 q(r) with q of degree 4 fitted on
 * |r| <= ln2 / 2 (3.8e-9 relative, below float32's rounding; one multiply-add
 * fewer than the degree-7 Taylor polynomial, whose truncation is 5e-9 there;
 * ELU's e^x - 1 keeps that one, which has no cancellation near 0), in
 * Estrin's pairs (the kernels are bound by their chains' latency), times 2^n
 * built in the exponent bits as two factors 2^(n>>1) 2^(n - n>>1), so that results down to
 * float32's denormals come out (x is clamped to [-104, 88.72], where exp
 * underflows to 0 and stays below FLT_MAX). NaN stays NaN.
 *
 * gelu: x Phi(x), Phi(x) = erfc(-x / sqrt 2) / 2, erfc(z) = t exp(-z^2 + P(t))
 * with t = 2 / (2 + z), z = |x| / sqrt 2, P of degree 11 fitted to
 * log(erfc(z) e^{z^2} / t) (Numerical Recipes' erfcc form; the fit and its
 * float32 error, up to 7e-6 relative down to x = -11 and 1.5e-5 at
 * x = -12.7, where -z^2 is large and the result below 1e-34: see
 * kernels/activations.ts), and Phi(x) = 1 - erfc/2 for x >= 0. P is
 * evaluated by Estrin's scheme (the kernel is bound by its chain's latency,
 * not its operation count); against float64 GELU it gives the same errors
 * as Horner's (1.8e-6 relative at worst above x = -5).
 */

import { lane4, madd } from './simd';

/**
 * The kernels' constants, loaded in the loops (lane4: a broadcast load each,
 * where a splat of a constant costs V8 two shuffles).
 */
const K = memory.data<f32>([
  // 0-5: exp's range: the clamp [-104, 88.72], log2 e, the rounding shift 1.5 * 2^23, -ln2 in two parts
  -104, 88.72, 1.44269504, 12582912, -0.693359375, 2.12194440e-4,
  // 6-12: e^r - 1's Taylor coefficients 1/7! .. 1/2, 1
  1.0 / 5040, 1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 0.5, 1,
  // 13-14: 1/sqrt 2, 2; 15-26: gelu's P(t) from t^11 down to t^0
  0.70710678, 2,
  -0.17875723540782928, 0.9913575649261475, -2.2051074504852295, 2.398733615875244,
  -1.225425124168396, 0.33554020524024963, -0.23370788991451263, -0.07473419606685638,
  0.0825924351811409, 0.37502020597457886, 0.9999999403953552, -1.2655121088027954,
  // 27-29: hardswish's 3, 6, -3
  3, 6, -3,
  // 30-34: exp's e^r = 1 + r + r^2 (c2 + c3 r + ... + c6 r^4), c6 .. c2 fitted on |r| <= ln2 / 2 (3.8e-9 relative)
  0.0013751407386735082, 0.008368915878236294, 0.04166953265666962, 0.166665181517601, 0.49999988079071045,
]);
const LO = 0, HI = 1, LOG2E = 2, SHIFT = 3, NLN2_HI = 4, NLN2_LO = 5, T7 = 6, HALF = 11, ONE = 12;
const RSQRT2 = 13, TWO = 14, G11 = 15, THREE = 27, SIX = 28, NTHREE = 29, E6 = 30;
/** The exponent bias 127, as an integer in every lane. */
const BIAS = memory.data<i32>([127]);
/** float32's sign bit. */
const SIGN = memory.data<i32>([0x80000000]);

@inline function k(i: i32): v128 {
  return lane4(K, i);
}

/** Zero in every lane (a register xor, no load). */
@inline function zero(): v128 {
  return f32x4.splat(0);
}

/** e^r - 1 = r + r^2/2 + ... + r^7/5040 (|r| <= ln2 / 2), as r (1 + r (1/2 + ...)): no cancellation near 0. */
@inline function taylorM1(r: v128): v128 {
  let p = k(T7);
  p = madd(p, r, k(T7 + 1));
  p = madd(p, r, k(T7 + 2));
  p = madd(p, r, k(T7 + 3));
  p = madd(p, r, k(T7 + 4));
  p = madd(p, r, k(HALF));
  p = madd(p, r, k(ONE));
  return f32x4.mul(p, r);
}

/** e^x0; with `nonPositive` (x0 <= 0 or NaN, as e^-|x|) the upper clamp is left out. */
@inline function expv(x0: v128, nonPositive: bool = false): v128 {
  // pmax/pmin (one instruction each; x first, so a NaN passes through as with max/min)
  const x = nonPositive ? f32x4.pmax(x0, k(LO)) : f32x4.pmin(f32x4.pmax(x0, k(LO)), k(HI));
  const shifted = madd(x, k(LOG2E), k(SHIFT));
  const n = f32x4.sub(shifted, k(SHIFT));
  const r = madd(n, k(NLN2_LO), madd(n, k(NLN2_HI), x));
  // e^r = (1 + r) + r^2 (c2 + c3 r + r^2 (c4 + c5 r) + r^4 c6), Estrin's pairs: four operations deep instead of six
  const r2 = f32x4.mul(r, r);
  const q = madd(madd(k(E6 + 1), r, k(E6 + 2)), r2, madd(k(E6 + 3), r, k(E6 + 4)));
  const p = madd(madd(k(E6), f32x4.mul(r2, r2), q), r2, f32x4.add(r, k(ONE)));
  // 2^n as two factors 2^(n >> 1) 2^(n - n >> 1), so that results down to the denormals come out
  const ni = i32x4.sub(shifted, k(SHIFT));
  const n1 = i32x4.shr_s(ni, 1);
  const n2 = i32x4.sub(ni, n1);
  const bias = v128.load32_splat(BIAS);
  const s1 = i32x4.shl(i32x4.add(n1, bias), 23);
  const s2 = i32x4.shl(i32x4.add(n2, bias), 23);
  return f32x4.mul(f32x4.mul(p, s1), s2);
}

/**
 * e^x - 1 for x <= 0 (ELU's negative side), without the cancellation of
 * expv(x) - 1 near 0: 2^n (e^r - 1) + (2^n - 1) with expv's reduction, which
 * for |x| < ln2 / 2 (n = 0) is e^r - 1 itself, to float32 rounding relative
 * to the result (expv(x) - 1 gave 0 below |x| ~ 3e-8, and 6e-4 relative error
 * at 1e-4). x is clamped to [-104, 0] (e^-104 - 1 is -1 in float32), so
 * 2^n >= 2^-151 is one factor built in the exponent bits (0 below 2^-126,
 * where it no longer matters against -1) and 2^n - 1 is exact.
 */
@inline function expm1v(x0: v128): v128 {
  const x = f32x4.pmin(f32x4.pmax(x0, k(LO)), zero());
  const shifted = madd(x, k(LOG2E), k(SHIFT));
  const n = f32x4.sub(shifted, k(SHIFT));
  const r = madd(n, k(NLN2_LO), madd(n, k(NLN2_HI), x));
  const ni = i32x4.sub(shifted, k(SHIFT));
  // 2^n for n >= -126 from its exponent bits, else 0 (a denormal 2^n times e^r - 1 < 1 is below -1's rounding)
  const e = i32x4.add(ni, v128.load32_splat(BIAS));
  const p2 = v128.and(i32x4.shl(e, 23), i32x4.gt_s(e, zero()));
  return madd(taylorM1(r), p2, f32x4.sub(p2, k(ONE)));
}

/**
 * 1 / (1 + e^-x), from e = e^-|x| on both sides (x >= 0: 1 / (1 + e); x < 0: e / (1 + e)): no overflow, tails exact in relative terms.
 * -|x| sets the sign bit (one or), and the sign bit picks the side (-0 gives e / (1 + e) = 1/2, as the other side would; a NaN stays NaN on either).
 */
@inline function sigmoidv(x: v128): v128 {
  const e = expv(v128.or(x, v128.load32_splat(SIGN)), true);
  const s = f32x4.div(k(ONE), f32x4.add(k(ONE), e));
  return select(f32x4.mul(e, s), s, i32x4.shr_s(x, 31));
}

/** m ? a : b per lane, for a mask m of all-ones or all-zeros lanes: one blend where relaxed SIMD is on. */
@inline function select(a: v128, b: v128, m: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return i32x4.relaxed_laneselect(a, b, m);
  return v128.bitselect(a, b, m);
}

/** GELU's coefficient of t^i in P(t). */
@inline function gc(i: i32): v128 {
  return k(G11 + 11 - i);
}

@inline function geluv(x: v128): v128 {
  const z = f32x4.mul(f32x4.abs(x), k(RSQRT2));
  const t = f32x4.div(k(TWO), f32x4.add(k(TWO), z));
  // P(t) by Estrin's scheme (pairs, then t^2, t^4, t^8): four multiply-adds deep instead of Horner's twelve
  const t2 = f32x4.mul(t, t);
  const t4 = f32x4.mul(t2, t2);
  const q0 = madd(gc(1), t, gc(0)), q1 = madd(gc(3), t, gc(2)), q2 = madd(gc(5), t, gc(4));
  const q3 = madd(gc(7), t, gc(6)), q4 = madd(gc(9), t, gc(8)), q5 = madd(gc(11), t, gc(10));
  const r0 = madd(q1, t2, q0), r1 = madd(q3, t2, q2), r2 = madd(q5, t2, q4);
  const p = madd(r2, f32x4.mul(t4, t4), madd(r1, t4, r0));
  const half = f32x4.mul(k(HALF), f32x4.mul(t, expv(madd(f32x4.neg(z), z, p))));
  // x's sign bit picks the side (-0 takes half = 1/2, as 1 - half would)
  const cdf = select(half, f32x4.sub(k(ONE), half), i32x4.shr_s(x, 31));
  return f32x4.mul(x, cdf);
}

/** Activation codes of actF (kernels/activation_wasm.ts keeps the same table). */
const HARDTANH = 0;
const LEAKY = 1;
const ELU = 2;
const SIGMOID = 3;
const SILU = 4;
const HARDSWISH = 5;
const GELU = 6;

/*
 * One type per activation, whose f is the activation of a vector (a and b its
 * parameters in every lane). Never instantiated: as a type argument it picks
 * each loop's code at compile time. (A loop inlined from a function taking the
 * kind as an argument is not enough: Binaryen folded such loops, identical but
 * for a constant, into one that tested the kind for every vector and computed
 * the activations listed before it, on the way, as branch values.)
 */

// pmax(x, a) = x < a ? a : x and pmin(., b) = b < . ? b : . are one instruction each and let a NaN x
// through; they differ from max/min only at signed zeros: with neither bound zero, never; with
// a = +0, -0 comes out -0 where max gives +0, so + 0 (exact otherwise) mends it
/** hardtanh with neither bound zero nor NaN. */
@unmanaged class HardtanhP { @inline f(x: v128, a: v128, b: v128): v128 { return f32x4.pmin(f32x4.pmax(x, a), b); } }
/** hardtanh with lo exactly +0 and hi > 0 (relu6). */
@unmanaged class HardtanhZ { @inline f(x: v128, a: v128, b: v128): v128 { return f32x4.add(f32x4.pmin(f32x4.pmax(x, zero()), b), zero()); } }
/** hardtanh with any bounds (min/max: signed zeros and NaN bounds as PyTorch's clamp). */
@unmanaged class Hardtanh { @inline f(x: v128, a: v128, b: v128): v128 { return f32x4.min(f32x4.max(x, a), b); } }
@unmanaged class Leaky { @inline f(x: v128, a: v128, b: v128): v128 { return v128.bitselect(x, f32x4.mul(x, a), f32x4.gt(x, zero())); } }
/** scale * (x > 0 ? x : alpha (e^x - 1)), alpha = a, scale = b (ELU, SELU). */
@unmanaged class Elu {
  @inline f(x: v128, a: v128, b: v128): v128 {
    const neg = f32x4.mul(a, expm1v(f32x4.pmin(x, zero())));
    return f32x4.mul(b, v128.bitselect(x, neg, f32x4.gt(x, zero())));
  }
}
@unmanaged class Sigmoid { @inline f(x: v128, a: v128, b: v128): v128 { return sigmoidv(x); } }
@unmanaged class Silu { @inline f(x: v128, a: v128, b: v128): v128 { return f32x4.mul(x, sigmoidv(x)); } }
/** x relu6(x + 3) / 6; x + 3 is never -0, so pmin/pmax give min/max's values; 0 at and below -3 (-inf too, where x * 0 is NaN), NaN kept. */
@unmanaged class Hardswish {
  @inline f(x: v128, a: v128, b: v128): v128 {
    const v = f32x4.div(f32x4.mul(x, f32x4.pmin(f32x4.pmax(f32x4.add(x, k(THREE)), zero()), k(SIX))), k(SIX));
    return v128.andnot(v, f32x4.le(x, k(NTHREE)));
  }
}
@unmanaged class Gelu { @inline f(x: v128, a: v128, b: v128): v128 { return geluv(x); } }

/** Whether the runs add a bias before the activation (a type argument, as the activations are). */
@unmanaged class NoBias { @inline add(v: v128, bias: v128): v128 { return v; } }
@unmanaged class AddBias { @inline add(v: v128, bias: v128): v128 { return f32x4.add(v, bias); } }

/** T's activation of (x + bias, B saying whether) over `bytes` from x into out, then the tail through one vector (zeros beyond it computed and dropped). */
@inline function actRun<T, B>(x: usize, out: usize, bytes: usize, bias: v128, a: v128, b: v128): void {
  const t = changetype<T>(0);
  const u = changetype<B>(0);
  let i: usize = 0;
  for (; i + 32 <= bytes; i += 32) {
    const v = t.f(u.add(v128.load(x + i), bias), a, b);
    const w = t.f(u.add(v128.load(x + i, 16), bias), a, b);
    v128.store(out + i, v);
    v128.store(out + i, w, 16);
  }
  for (; i + 16 <= bytes; i += 16) v128.store(out + i, t.f(u.add(v128.load(x + i), bias), a, b));
  if (i < bytes) {
    const s = memory.data(16, 16);
    v128.store(s, zero());
    memory.copy(s, x + i, bytes - i);
    v128.store(s, t.f(u.add(v128.load(s), bias), a, b));
    memory.copy(out + i, s, bytes - i);
  }
}

/** actRun over `planes` runs of `len` floats, `stride` apart (B = AddBias: plus bias[p % C]). */
@inline function actPlanes<T, B>(x: usize, out: usize, bias: usize, planes: i32, C: i32, len: i32, stride: i32, a: v128, b: v128): void {
  for (let p = 0; p < planes; p++) {
    const bs = bias !== 0 ? v128.load32_splat(bias + <usize>((p % C) * 4)) : zero();
    const at = <usize>p * <usize>(stride * 4);
    actRun<T, B>(x + at, out + at, <usize>(len * 4), bs, a, b);
  }
}

/** The activation of `kind` (parameters a, b) picked once per call: actPlanes with its type. */
@inline function byKind<B>(kind: i32, x: usize, out: usize, bias: usize, planes: i32, C: i32, len: i32, stride: i32, a: f32, b: f32): void {
  const va = f32x4.splat(a);
  const vb = f32x4.splat(b);
  if (kind === HARDTANH) {
    if (reinterpret<i32>(a) === 0 && b > 0) actPlanes<HardtanhZ, B>(x, out, bias, planes, C, len, stride, va, vb);
    else if (a !== 0 && b !== 0 && a == a && b == b) actPlanes<HardtanhP, B>(x, out, bias, planes, C, len, stride, va, vb);
    else actPlanes<Hardtanh, B>(x, out, bias, planes, C, len, stride, va, vb);
  } else if (kind === LEAKY) actPlanes<Leaky, B>(x, out, bias, planes, C, len, stride, va, vb);
  else if (kind === ELU) actPlanes<Elu, B>(x, out, bias, planes, C, len, stride, va, vb);
  else if (kind === SIGMOID) actPlanes<Sigmoid, B>(x, out, bias, planes, C, len, stride, va, vb);
  else if (kind === SILU) actPlanes<Silu, B>(x, out, bias, planes, C, len, stride, va, vb);
  else if (kind === HARDSWISH) actPlanes<Hardswish, B>(x, out, bias, planes, C, len, stride, va, vb);
  else actPlanes<Gelu, B>(x, out, bias, planes, C, len, stride, va, vb);
}

/** out[i] = activation `kind` (parameters a, b) of x[i] for n floats (out may be x). */
export function actF(kind: i32, x: usize, out: usize, n: i32, a: f32, b: f32): void {
  byKind<NoBias>(kind, x, out, 0, 1, 1, n, n, a, b);
}

/**
 * `planes` runs of `len` floats, `stride` apart, at out: x + bias[p % C],
 * then activation `kind` (actF's codes and parameters), in one pass: the
 * bits of gemm.ts biasAct then actF.
 */
export function biasActF(out: usize, bias: usize, planes: i32, C: i32, len: i32, stride: i32, kind: i32, a: f32, b: f32): void {
  byKind<AddBias>(kind, out, out, bias, planes, C, len, stride, a, b);
}
