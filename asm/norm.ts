/**
 * WebAssembly SIMD normalization kernels (AssemblyScript, `--enable simd`).
 *
 * Bit-for-bit twins of the TypeScript kernels in src/kernels/norm_js.ts: every
 * float32 step there is a float32 step here, every float64 step a float64 step,
 * and sums use the same lanes in the same order (the statistics: sixteen
 * float32 lanes per block of 64 values, see shiftedSums; layer norm's
 * backward: eight interleaved float64 accumulators, element i into i % 8,
 * combined as ((a0+a2)+(a4+a6)) + ((a1+a3)+(a5+a7)), then the tail in order).
 * Change one side, change the other.
 *
 * Arguments are byte offsets into this module's memory; the loader
 * (src/kernels/norm_wasm.ts) copies inputs in and results out.
 * "Planes" are runs of S contiguous floats; plane j of a call has channel
 * (c0 + j) % C. Per-plane and per-group parameter arrays are float64 or
 * float32 as documented on each kernel. A zero weight/bias pointer means none.
 */

/** Start of the free memory (after static data); the loader allocates from here. */
export function heapBase(): usize {
  return __heap_base;
}

// Results of the two-value helpers below (wasm has no cheap tuples here).
let R1: f64 = 0;
let R2: f64 = 0;

@inline function hi2(v: v128): v128 {
  return v128.shuffle<i32>(v, v, 2, 3, 2, 3);
}

@inline function lo64(v: v128): v128 {
  return f64x2.promote_low_f32x4(v);
}

@inline function hi64(v: v128): v128 {
  return f64x2.promote_low_f32x4(hi2(v));
}

/** Two f64x2 back to one f32x4 (each lane rounded once). */
@inline function pack(lo: v128, hi: v128): v128 {
  return v128.shuffle<i64>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 2);
}

/** The eight-accumulator combine: lanes (a0,a1),(a2,a3),(a4,a5),(a6,a7). */
@inline function combine(a: v128, b: v128, c: v128, d: v128): f64 {
  const s = f64x2.add(f64x2.add(a, b), f64x2.add(c, d));
  return f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
}

// max f32(d * d) of the last shiftedSums call (unspecified if the run held a NaN).
let MX: f32 = 0;

/**
 * R1 = sum(d), R2 = sum(d * d) with d = f32(x - K), and MX = max f32(d * d), over n
 * floats at p. Blocks of 64 values are summed in sixteen float32 lanes (value
 * i of a block into lane i % 16, d * d rounded to float32), the lanes folded
 * to four as l = (l + (l + 4)) + ((l + 8) + (l + 12)), and those added to the
 * float64 total as ((l0 + l2) + (l1 + l3)); then the tail (n % 16 values) in
 * float64, in order.
 */
function shiftedSums(p: usize, n: i32, K: f32): void {
  const k = f32x4.splat(K);
  let s1: f64 = 0;
  let s2: f64 = 0;
  // max d * d on the bit patterns (for non-negative floats integer order is float order;
  // a NaN may be missed, but then the sums are NaN too).
  let mx = i32x4.splat(0);
  const end16 = p + (<usize>(n & ~15) << 2);
  let i = p;
  while (i < end16) {
    let a0 = f32x4.splat(0);
    let a1 = a0, a2 = a0, a3 = a0, q0 = a0, q1 = a0, q2 = a0, q3 = a0;
    let blockEnd = i + 256;
    if (blockEnd > end16) blockEnd = end16;
    for (; i < blockEnd; i += 64) {
      const x0 = v128.load(i), x1 = v128.load(i, 16), x2 = v128.load(i, 32), x3 = v128.load(i, 48);
      const d0 = f32x4.sub(x0, k), d1 = f32x4.sub(x1, k), d2 = f32x4.sub(x2, k), d3 = f32x4.sub(x3, k);
      const e0 = f32x4.mul(d0, d0), e1 = f32x4.mul(d1, d1), e2 = f32x4.mul(d2, d2), e3 = f32x4.mul(d3, d3);
      mx = i32x4.max_s(mx, i32x4.max_s(i32x4.max_s(e0, e1), i32x4.max_s(e2, e3)));
      a0 = f32x4.add(a0, d0);
      a1 = f32x4.add(a1, d1);
      a2 = f32x4.add(a2, d2);
      a3 = f32x4.add(a3, d3);
      q0 = f32x4.add(q0, e0);
      q1 = f32x4.add(q1, e1);
      q2 = f32x4.add(q2, e2);
      q3 = f32x4.add(q3, e3);
    }
    const a = f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3));
    const q = f32x4.add(f32x4.add(q0, q1), f32x4.add(q2, q3));
    const al = f64x2.add(lo64(a), hi64(a));
    const ql = f64x2.add(lo64(q), hi64(q));
    s1 += f64x2.extract_lane(al, 0) + f64x2.extract_lane(al, 1);
    s2 += f64x2.extract_lane(ql, 0) + f64x2.extract_lane(ql, 1);
  }
  let m = max(max(i32x4.extract_lane(mx, 0), i32x4.extract_lane(mx, 1)), max(i32x4.extract_lane(mx, 2), i32x4.extract_lane(mx, 3)));
  const end = p + (<usize>n << 2);
  for (; i < end; i += 4) {
    const d32 = load<f32>(i) - K;
    const d = <f64>d32;
    s1 += d;
    s2 += d * d;
    m = max(m, reinterpret<i32>(d32 * d32));
  }
  R1 = s1;
  R2 = s2;
  MX = reinterpret<f32>(m);
}

/**
 * shiftedSums about K, kept accurate when K is far from the run's mean: if
 * mean(d)^2 > 8 var (float32 lane sums would then lose digits to
 * cancellation), the run is summed again about K2 = f32(K + mean(d)) and the
 * sums moved back to K in float64: R1 = s1 + n * e, R2 = (s2 + 2 * e * s1) +
 * (n * e) * e with e = K2 - K; MX = f32((sqrt(max) + |e|)^2) still bounds
 * max (x - K)^2. Constant runs equal to K never take the second pass.
 */
@inline function sumsAbout(p: usize, n: i32, K: f32): void {
  shiftedSums(p, n, K);
  const m = <f64>n;
  // mean^2 > 8 var, as 9 s1^2 > 8 n s2 (no division; false for NaN).
  if (!(9 * R1 * R1 > 8 * m * R2)) return;
  const K2 = <f32>(<f64>K + R1 / m);
  shiftedSums(p, n, K2);
  const e = <f64>K2 - <f64>K;
  const s1 = R1;
  R1 = s1 + m * e;
  R2 = R2 + 2 * e * s1 + m * e * e;
  const r = Math.sqrt(<f64>MX) + abs(e);
  MX = <f32>(r * r);
}

/**
 * Float32 sums as ATen's AVX2 `reduce_all` adds them: R1 = sum(dy),
 * R2 = sum(f32(f32(x - mu) * dy)). Eight lanes (two f32x4) start from the
 * first eight values and take each further block of eight; the tail goes into
 * the first lanes; then ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7)). Under eight
 * values: one by one from zero.
 */
function laneSums(x: usize, dy: usize, n: i32, mu: f32): void {
  if (n < 8) {
    let s1: f32 = 0;
    let s2: f32 = 0;
    for (let i: usize = 0; i < (<usize>n << 2); i += 4) {
      const g = load<f32>(dy + i);
      s1 = s1 + g;
      s2 = s2 + (load<f32>(x + i) - mu) * g;
    }
    R1 = s1;
    R2 = s2;
    return;
  }
  const M = f32x4.splat(mu);
  let a0 = v128.load(dy);
  let a1 = v128.load(dy, 16);
  let b0 = f32x4.mul(f32x4.sub(v128.load(x), M), a0);
  let b1 = f32x4.mul(f32x4.sub(v128.load(x, 16), M), a1);
  const full = <usize>(8 + ((n - 8) & ~7)) << 2;
  let i: usize = 32;
  for (; i < full; i += 32) {
    const g0 = v128.load(dy + i);
    const g1 = v128.load(dy + i, 16);
    a0 = f32x4.add(a0, g0);
    a1 = f32x4.add(a1, g1);
    b0 = f32x4.add(b0, f32x4.mul(f32x4.sub(v128.load(x + i), M), g0));
    b1 = f32x4.add(b1, f32x4.mul(f32x4.sub(v128.load(x + i, 16), M), g1));
  }
  let l0 = f32x4.extract_lane(a0, 0), l1 = f32x4.extract_lane(a0, 1), l2 = f32x4.extract_lane(a0, 2), l3 = f32x4.extract_lane(a0, 3);
  let l4 = f32x4.extract_lane(a1, 0), l5 = f32x4.extract_lane(a1, 1), l6 = f32x4.extract_lane(a1, 2), l7 = f32x4.extract_lane(a1, 3);
  let m0 = f32x4.extract_lane(b0, 0), m1 = f32x4.extract_lane(b0, 1), m2 = f32x4.extract_lane(b0, 2), m3 = f32x4.extract_lane(b0, 3);
  let m4 = f32x4.extract_lane(b1, 0), m5 = f32x4.extract_lane(b1, 1), m6 = f32x4.extract_lane(b1, 2), m7 = f32x4.extract_lane(b1, 3);
  const rest = n - <i32>(full >> 2);
  if (rest > 0) { const g = load<f32>(dy + i); l0 += g; m0 += (load<f32>(x + i) - mu) * g; }
  if (rest > 1) { const g = load<f32>(dy + i, 4); l1 += g; m1 += (load<f32>(x + i, 4) - mu) * g; }
  if (rest > 2) { const g = load<f32>(dy + i, 8); l2 += g; m2 += (load<f32>(x + i, 8) - mu) * g; }
  if (rest > 3) { const g = load<f32>(dy + i, 12); l3 += g; m3 += (load<f32>(x + i, 12) - mu) * g; }
  if (rest > 4) { const g = load<f32>(dy + i, 16); l4 += g; m4 += (load<f32>(x + i, 16) - mu) * g; }
  if (rest > 5) { const g = load<f32>(dy + i, 20); l5 += g; m5 += (load<f32>(x + i, 20) - mu) * g; }
  if (rest > 6) { const g = load<f32>(dy + i, 24); l6 += g; m6 += (load<f32>(x + i, 24) - mu) * g; }
  R1 = ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7));
  R2 = ((m0 + m4) + (m2 + m6)) + ((m1 + m5) + (m3 + m7));
}

/** out = f32(x * A + B) with the product exact and the sum rounded in float64 (ATen's fused multiply-add). */
function affineRun(src: usize, dst: usize, n: i32, A: f64, B: f64): void {
  const a = f64x2.splat(A);
  const b = f64x2.splat(B);
  const n4 = <usize>(n & ~3) << 2;
  let i: usize = 0;
  for (; i < n4; i += 16) {
    const lo = f64x2.add(f64x2.mul(f64x2.promote_low_f32x4(v128.load64_zero(src + i)), a), b);
    const hi = f64x2.add(f64x2.mul(f64x2.promote_low_f32x4(v128.load64_zero(src + i, 8)), a), b);
    v128.store64_lane(dst + i, f32x4.demote_f64x2_zero(lo), 0);
    v128.store64_lane(dst + i, f32x4.demote_f64x2_zero(hi), 0, 8);
  }
  const end = <usize>n << 2;
  for (; i < end; i += 4) store<f32>(dst + i, <f32>(<f64>load<f32>(src + i) * A + B));
}

/** out = f32(f32(x * A) + B): the float32 multiply and add (see fusedNeeded). */
function affineRun32(src: usize, dst: usize, n: i32, A: f32, B: f32): void {
  const a = f32x4.splat(A);
  const b = f32x4.splat(B);
  const n16 = <usize>(n & ~15) << 2;
  let i: usize = 0;
  for (; i < n16; i += 64) {
    v128.store(dst + i, f32x4.add(f32x4.mul(v128.load(src + i), a), b));
    v128.store(dst + i, f32x4.add(f32x4.mul(v128.load(src + i, 16), a), b), 16);
    v128.store(dst + i, f32x4.add(f32x4.mul(v128.load(src + i, 32), a), b), 32);
    v128.store(dst + i, f32x4.add(f32x4.mul(v128.load(src + i, 48), a), b), 48);
  }
  const end = <usize>n << 2;
  for (; i < end; i += 4) store<f32>(dst + i, load<f32>(src + i) * A + B);
}

/**
 * Whether x * A + B must be computed fused (exactly as ATen does) rather than
 * as a float32 multiply and add. The two differ by the rounding of x * A, at
 * most 2^-24 * max|x| * |A|, and max|x| <= |K| + sqrt(max (x - K)^2). The
 * float32 form is used only when |K * A| <= 8 and max (x - K)^2 * A^2 <= 64,
 * so that max|x * A| <= 16 and it is never more than about 1e-6 from PyTorch's
 * result, and only for planes whose variance exceeds eps: near-constant
 * planes (a nearest-upsampled 1x1 map), whose output is rounding residue, keep
 * PyTorch's residue bit for bit. NaN and infinities fail the test.
 */
@inline function fusedNeeded(v: f64, eps: f64, K: f32, maxSq: f32, A: f32): bool {
  const a = <f64>A;
  return !(v > eps && abs(<f64>K * a) <= 8 && <f64>maxSq * (a * a) <= 64);
}

/** Groups per batch of groupForward, and its scratch (per group: K and max (x - K)^2, float32). */
const BATCH = 256;
const SCRATCH = memory.data(BATCH * 8, 16);

/** ATen's group norm without affine: out = f32(f32(x - mu) * r). */
function centerScaleRun(src: usize, dst: usize, n: i32, mu: f32, r: f32): void {
  const M = f32x4.splat(mu);
  const R = f32x4.splat(r);
  const n4 = <usize>(n & ~3) << 2;
  let i: usize = 0;
  for (; i < n4; i += 16) v128.store(dst + i, f32x4.mul(f32x4.sub(v128.load(src + i), M), R));
  const end = <usize>n << 2;
  for (; i < end; i += 4) store<f32>(dst + i, (load<f32>(src + i) - mu) * r);
}

/** max(v, 0) over n floats in place, NaN kept and -0 -> 0 (the ReLU op's values): a fused norm -> relu. */
function reluRun(p: usize, n: i32): void {
  const zero = f32x4.splat(0);
  const n4 = <usize>(n & ~3) << 2;
  let i: usize = 0;
  for (; i < n4; i += 16) {
    const v = v128.load(p + i);
    v128.store(p + i, v128.bitselect(zero, v, f32x4.le(v, zero)));
  }
  const end = <usize>n << 2;
  for (; i < end; i += 4) {
    const v = load<f32>(p + i);
    store<f32>(p + i, v <= 0 ? 0 : v);
  }
}

@inline function param(p: usize, c: i32, dflt: f32): f32 {
  return p ? load<f32>(p + (<usize>c << 2)) : dflt;
}

/**
 * Instance/group norm forward with statistics from the input: `groups` groups
 * of gs planes; per group mean, biased variance and rstd (float64 out), then
 * out = x * alpha + beta per plane with ATen's float32 alpha and beta (its
 * group-norm kernel's forms when gn is set); relu non-zero: then max(out, 0)
 * per plane while it is in cache (a fused norm -> relu).
 */
export function groupForward(
  x: usize, out: usize, S: i32, gs: i32, C: i32, c0: i32, groups: i32, eps: f64, gn: i32,
  w: usize, b: usize, mean: usize, variance: usize, rstd: usize, relu: i32,
): void {
  const inv = 1 / (<f64>gs * <f64>S);
  const plane = <usize>S << 2;
  let c = c0;
  let p = x;
  let q = out;
  // Batches of groups in three sweeps (the batch stays in cache): sums, then the statistics
  // (independent divisions and square roots overlap across groups), then the output.
  for (let g0 = 0; g0 < groups; g0 += BATCH) {
    const g1 = min(groups, g0 + BATCH);
    let r = p;
    for (let g = g0; g < g1; g++) {
      const K: f32 = S > 0 ? load<f32>(r) : 0;
      let s1: f64 = 0;
      let s2: f64 = 0;
      let mx: f32 = 0;
      for (let j = 0; j < gs; j++) {
        sumsAbout(r, S, K);
        s1 += R1;
        s2 += R2;
        mx = max(mx, MX);
        r += plane;
      }
      const o = <usize>g << 3;
      store<f64>(mean + o, s1);
      store<f64>(variance + o, s2);
      const t = SCRATCH + (<usize>(g - g0) << 3);
      store<f32>(t, K);
      store<f32>(t, mx, 4);
    }
    // Two groups at a time in float64 lanes (the same operations as one at a time).
    const INV = f64x2.splat(inv);
    const EPS = f64x2.splat(eps);
    const ONE = f64x2.splat(1);
    const ZERO = f64x2.splat(0);
    let g = g0;
    for (; g + 1 < g1; g += 2) {
      const o = <usize>g << 3;
      const dm = f64x2.mul(v128.load(mean + o), INV);
      const v = f64x2.max(ZERO, f64x2.sub(f64x2.mul(v128.load(variance + o), INV), f64x2.mul(dm, dm)));
      const t = SCRATCH + (<usize>(g - g0) << 3);
      const K = f64x2.promote_low_f32x4(v128.shuffle<i32>(v128.load(t), v128.load(t), 0, 2, 0, 2));
      v128.store(mean + o, f64x2.add(K, dm));
      v128.store(variance + o, v);
      v128.store(rstd + o, f64x2.div(ONE, f64x2.sqrt(f64x2.add(v, EPS))));
    }
    for (; g < g1; g++) {
      const o = <usize>g << 3;
      const dm = load<f64>(mean + o) * inv;
      const v = max<f64>(0, load<f64>(variance + o) * inv - dm * dm);
      store<f64>(mean + o, <f64>load<f32>(SCRATCH + (<usize>(g - g0) << 3)) + dm);
      store<f64>(variance + o, v);
      store<f64>(rstd + o, 1 / Math.sqrt(v + eps));
    }
    for (let g = g0; g < g1; g++) {
      const o = <usize>g << 3;
      const t = SCRATCH + (<usize>(g - g0) << 3);
      const K = load<f32>(t);
      const mx = load<f32>(t, 4);
      const fr = <f32>load<f64>(rstd + o);
      const fm = <f32>load<f64>(mean + o);
      const v = load<f64>(variance + o);
      for (let j = 0; j < gs; j++) {
        if (gn && !w && !b) {
          centerScaleRun(p, q, S, fm, fr);
        } else {
          const alpha = fr * param(w, c, 1);
          // Batch/instance norm: b - mean * alpha fused; group norm: -alpha * mean rounded, then + b.
          const beta = gn ? param(b, c, 0) - fm * alpha : <f32>(<f64>param(b, c, 0) - <f64>fm * <f64>alpha);
          if (fusedNeeded(v, eps, K, mx, alpha)) affineRun(p, q, S, alpha, beta);
          else affineRun32(p, q, S, alpha, beta);
        }
        if (relu) reluRun(q, S);
        p += plane;
        q += plane;
        if (++c == C) c = 0;
      }
    }
  }
}

/** Per-plane shifted sums; shift, s1, s2 and mx (max (x - shift)^2, see sumsAbout) are float64 per plane. */
export function planeSums(x: usize, S: i32, planes: i32, shift: usize, s1: usize, s2: usize, mx: usize): void {
  const plane = <usize>S << 2;
  for (let j = 0; j < planes; j++) {
    const o = <usize>j << 3;
    sumsAbout(x + <usize>j * plane, S, <f32>load<f64>(shift + o));
    store<f64>(s1 + o, R1);
    store<f64>(s2 + o, R2);
    store<f64>(mx + o, <f64>MX);
  }
}

/**
 * out = x * alpha + beta per plane; alpha, beta float32 per plane; fused
 * (float32 per plane) non-zero: ATen's fused multiply-add, zero: the float32
 * multiply and add (see fusedNeeded); relu non-zero: then max(out, 0).
 */
export function planeAffine(x: usize, out: usize, S: i32, planes: i32, alpha: usize, beta: usize, fused: usize, relu: i32): void {
  const plane = <usize>S << 2;
  for (let j = 0; j < planes; j++) {
    const o = <usize>j << 2;
    const src = x + <usize>j * plane;
    const dst = out + <usize>j * plane;
    if (load<f32>(fused + o) != 0) affineRun(src, dst, S, load<f32>(alpha + o), load<f32>(beta + o));
    else affineRun32(src, dst, S, load<f32>(alpha + o), load<f32>(beta + o));
    if (relu) reluRun(dst, S);
  }
}

/** Batch/instance norm input gradient: f32(f32(f32(dy - gm) - f32(f32(x - mu) * kk)) * r) * w. */
function backApplyRun(x: usize, dy: usize, dx: usize, n: i32, mu: f32, gm: f32, kk: f32, r: f32, w: f32): void {
  const M = f32x4.splat(mu);
  const G = f32x4.splat(gm);
  const K = f32x4.splat(kk);
  const R = f32x4.splat(r);
  const W = f32x4.splat(w);
  const n4 = <usize>(n & ~3) << 2;
  let i: usize = 0;
  for (; i < n4; i += 16) {
    const d = f32x4.sub(f32x4.sub(v128.load(dy + i), G), f32x4.mul(f32x4.sub(v128.load(x + i), M), K));
    v128.store(dx + i, f32x4.mul(f32x4.mul(d, R), W));
  }
  const end = <usize>n << 2;
  for (; i < end; i += 4) {
    const d = (load<f32>(dy + i) - gm) - (load<f32>(x + i) - mu) * kk;
    store<f32>(dx + i, d * r * w);
  }
}

/**
 * Group norm input gradient (ATen's GroupNormKernel): dx = f32(c1 * dy + f32(c2 * x)) + c3,
 * the first sum a fused multiply-add (product exact in float64, one rounding).
 */
function gnApplyRun(x: usize, dy: usize, dx: usize, n: i32, c1: f32, c2: f32, c3: f32): void {
  const A = f64x2.splat(<f64>c1);
  const B = f32x4.splat(c2);
  const C3 = f32x4.splat(c3);
  const n4 = <usize>(n & ~3) << 2;
  let i: usize = 0;
  for (; i < n4; i += 16) {
    const g = v128.load(dy + i);
    const u = f32x4.mul(B, v128.load(x + i));
    const lo = f64x2.add(f64x2.mul(A, lo64(g)), lo64(u));
    const hi = f64x2.add(f64x2.mul(A, hi64(g)), hi64(u));
    v128.store(dx + i, f32x4.add(pack(lo, hi), C3));
  }
  const end = <usize>n << 2;
  for (; i < end; i += 4) {
    const t = <f32>(<f64>c1 * <f64>load<f32>(dy + i) + <f64>(c2 * load<f32>(x + i)));
    store<f32>(dx + i, t + c3);
  }
}

/**
 * Backward of groupForward with statistics from the input. Per-plane sums
 * (float32 lane sums, stored as float64) for the weight and bias gradients:
 * instance norm (gn = 0, one plane per group) sdy = sum(dy),
 * sdyx = sum(f32(x - mu) * dy); group norm (gn = 1) sdy = db = sum(dy),
 * sdyx = ds = sum(dy * x). When dx is non-zero, the input gradient.
 */
export function groupBackward(
  x: usize, dy: usize, dx: usize, S: i32, gs: i32, C: i32, c0: i32, groups: i32,
  mean: usize, rstd: usize, w: usize, gn: i32, sdy: usize, sdyx: usize,
): void {
  const plane = <usize>S << 2;
  let c = c0;
  let p: usize = 0;
  for (let g = 0; g < groups; g++) {
    const mu = <f32>load<f64>(mean + (<usize>g << 3));
    const r = <f32>load<f64>(rstd + (<usize>g << 3));
    if (!gn) {
      laneSums(x + p, dy + p, S, mu);
      store<f64>(sdy + (<usize>g << 3), R1);
      store<f64>(sdyx + (<usize>g << 3), R2);
      if (dx) {
        // 0 + sum: ATen adds the plane's sum into a zeroed float64 (turns -0 into +0).
        const gm = <f32>((0 + R1) / <f64>S);
        const kk = <f32>(<f64>(<f32>(0 + R2) * r * r) / <f64>S);
        backApplyRun(x + p, dy + p, dx + p, S, mu, gm, kk, r, param(w, c, 1));
      }
      p += plane;
      if (++c == C) c = 0;
      continue;
    }
    let dsv: f32 = 0;
    let dbv: f32 = 0;
    let cj = c;
    for (let j = 0; j < gs; j++) {
      laneSums(x + p + <usize>j * plane, dy + p + <usize>j * plane, S, 0);
      const o = <usize>(g * gs + j) << 3;
      store<f64>(sdy + o, R1);
      store<f64>(sdyx + o, R2);
      const wj = <f64>param(w, cj, 1);
      dsv = <f32>(<f64>dsv + R2 * wj);
      dbv = <f32>(<f64>dbv + R1 * wj);
      if (++cj == C) cj = 0;
    }
    if (!dx) {
      p += <usize>gs * plane;
      c = cj;
      continue;
    }
    const s = <f32>(1 / (<f64>gs * <f64>S));
    const c2 = <f32>(<f64>dbv * <f64>mu - <f64>dsv) * r * r * r * s;
    const c3 = <f32>(-<f64>c2 * <f64>mu - <f64>(dbv * r * s));
    for (let j = 0; j < gs; j++) {
      gnApplyRun(x + p, dy + p, dx + p, S, r * param(w, c, 1), c2, c3);
      p += plane;
      if (++c == C) c = 0;
    }
  }
}

/** Per-plane lane sums sdy and sdyx (see laneSums; float64 out) with mu float32 per plane. */
export function planeBackSums(x: usize, dy: usize, S: i32, planes: i32, mu: usize, sdy: usize, sdyx: usize): void {
  const plane = <usize>S << 2;
  for (let j = 0; j < planes; j++) {
    laneSums(x + <usize>j * plane, dy + <usize>j * plane, S, load<f32>(mu + (<usize>j << 2)));
    store<f64>(sdy + (<usize>j << 3), R1);
    store<f64>(sdyx + (<usize>j << 3), R2);
  }
}

/** Per-plane input gradient (backApplyRun); mu, gm, kk, r, w float32 per plane. */
export function planeBackApply(
  x: usize, dy: usize, dx: usize, S: i32, planes: i32, mu: usize, gm: usize, kk: usize, r: usize, w: usize,
): void {
  const plane = <usize>S << 2;
  for (let j = 0; j < planes; j++) {
    const o = <usize>j << 2;
    const d = <usize>j * plane;
    backApplyRun(x + d, dy + d, dx + d, S, load<f32>(mu + o), load<f32>(gm + o), load<f32>(kk + o), load<f32>(r + o), load<f32>(w + o));
  }
}

/**
 * Batch norm's backward with statistics from the input, a channel at a time
 * (planeBackSums, then planeBackApply, on its N planes while they are in
 * cache): channel j's planes are at (n * channels + j) * S; mean and rstd
 * float64 per channel; sdy = sum(dy), sdyx = sum(f32(x - mu) * dy) per
 * channel (float64, planes in n order); when dx is non-zero, the input gradient.
 */
export function channelBackward(
  x: usize, dy: usize, dx: usize, S: i32, N: i32, C: i32, c0: i32, channels: i32,
  mean: usize, rstd: usize, w: usize, sdy: usize, sdyx: usize,
): void {
  const plane = <usize>S << 2;
  const stride = <usize>channels * plane;
  const m = <f64>N * <f64>S;
  for (let j = 0; j < channels; j++) {
    const o = <usize>j << 3;
    const mu = <f32>load<f64>(mean + o);
    const first = <usize>j * plane;
    let s1: f64 = 0;
    let s2: f64 = 0;
    for (let n = 0; n < N; n++) {
      const p = first + <usize>n * stride;
      laneSums(x + p, dy + p, S, mu);
      s1 += R1;
      s2 += R2;
    }
    store<f64>(sdy + o, s1);
    store<f64>(sdyx + o, s2);
    if (!dx) continue;
    const rs = <f32>load<f64>(rstd + o);
    const gm = <f32>(s1 / m);
    const kk = <f32>(<f64>(<f32>s2 * rs * rs) / m);
    const wc = param(w, (c0 + j) % C, 1);
    for (let n = 0; n < N; n++) {
      const p = first + <usize>n * stride;
      backApplyRun(x + p, dy + p, dx + p, S, mu, gm, kk, rs, wc);
    }
  }
}

/** dx = f32(f32(dy * r) * w) per plane (statistics not from the input). */
export function planeScale(dy: usize, dx: usize, S: i32, planes: i32, r: usize, w: usize): void {
  const plane = <usize>S << 2;
  for (let j = 0; j < planes; j++) {
    const R = load<f32>(r + (<usize>j << 2));
    const W = load<f32>(w + (<usize>j << 2));
    const RV = f32x4.splat(R);
    const WV = f32x4.splat(W);
    const src = dy + <usize>j * plane;
    const dst = dx + <usize>j * plane;
    const n4 = <usize>(S & ~3) << 2;
    let i: usize = 0;
    for (; i < n4; i += 16) v128.store(dst + i, f32x4.mul(f32x4.mul(v128.load(src + i), RV), WV));
    for (; i < plane; i += 4) store<f32>(dst + i, load<f32>(src + i) * R * W);
  }
}

/** A layer-norm row in float32: f32(f32(f32(f32(x - M) * A) * w[i]) + b[i]) (w, b optional). */
function rowAffine32(src: usize, dst: usize, D: i32, M: f32, A: f32, w: usize, b: usize): void {
  const MV = f32x4.splat(M);
  const AV = f32x4.splat(A);
  const n16 = <usize>(D & ~15) << 2;
  const end = <usize>D << 2;
  let i: usize = 0;
  if (w && b) {
    for (; i < n16; i += 64) {
      v128.store(dst + i, f32x4.add(f32x4.mul(f32x4.mul(f32x4.sub(v128.load(src + i), MV), AV), v128.load(w + i)), v128.load(b + i)));
      v128.store(dst + i, f32x4.add(f32x4.mul(f32x4.mul(f32x4.sub(v128.load(src + i, 16), MV), AV), v128.load(w + i, 16)), v128.load(b + i, 16)), 16);
      v128.store(dst + i, f32x4.add(f32x4.mul(f32x4.mul(f32x4.sub(v128.load(src + i, 32), MV), AV), v128.load(w + i, 32)), v128.load(b + i, 32)), 32);
      v128.store(dst + i, f32x4.add(f32x4.mul(f32x4.mul(f32x4.sub(v128.load(src + i, 48), MV), AV), v128.load(w + i, 48)), v128.load(b + i, 48)), 48);
    }
  } else if (!w && !b) {
    for (; i < n16; i += 64) {
      v128.store(dst + i, f32x4.mul(f32x4.sub(v128.load(src + i), MV), AV));
      v128.store(dst + i, f32x4.mul(f32x4.sub(v128.load(src + i, 16), MV), AV), 16);
      v128.store(dst + i, f32x4.mul(f32x4.sub(v128.load(src + i, 32), MV), AV), 32);
      v128.store(dst + i, f32x4.mul(f32x4.sub(v128.load(src + i, 48), MV), AV), 48);
    }
  }
  for (; i < end; i += 4) {
    let u = (load<f32>(src + i) - M) * A;
    if (w) u = u * load<f32>(w + i);
    if (b) u = u + load<f32>(b + i);
    store<f32>(dst + i, u);
  }
}

/**
 * Layer norm forward over `rows` rows of D floats: mean, biased variance,
 * rstd (float64 per row) and the output, in float32 where rowFloat32 of
 * norm_js.ts allows (rowAffine32), else out = f32(xhat * w[i] + b[i]) with
 * xhat = (x - mean) * rstd, all in float64.
 */
export function rowForward(
  x: usize, out: usize, D: i32, rows: i32, eps: f64, w: usize, b: usize, mean: usize, variance: usize, rstd: usize,
): void {
  const inv = 1 / <f64>D;
  const row = <usize>D << 2;
  const zero = f64x2.splat(0);
  const n4 = <usize>(D & ~3) << 2;
  // Sums, statistics, output in three sweeps over the chunk (it stays in cache).
  for (let k = 0; k < rows; k++) {
    const src = x + <usize>k * row;
    const K: f32 = D > 0 ? load<f32>(src) : 0;
    sumsAbout(src, D, K);
    const o = <usize>k << 3;
    store<f64>(mean + o, R1);
    store<f64>(variance + o, R2);
    store<f64>(rstd + o, <f64>K);
  }
  for (let k = 0; k < rows; k++) {
    const o = <usize>k << 3;
    const dm = load<f64>(mean + o) * inv;
    const v = max<f64>(0, load<f64>(variance + o) * inv - dm * dm);
    store<f64>(mean + o, load<f64>(rstd + o) + dm);
    store<f64>(variance + o, v);
    store<f64>(rstd + o, 1 / Math.sqrt(v + eps));
  }
  for (let k = 0; k < rows; k++) {
    const src = x + <usize>k * row;
    const dst = out + <usize>k * row;
    const mu = load<f64>(mean + (<usize>k << 3));
    const r = load<f64>(rstd + (<usize>k << 3));
    const M = <f32>mu;
    const A = <f32>r;
    // The float32 form (see rowFloat32 in norm_js.ts): |f32(mean) * f32(rstd)| <= 16, variance > eps.
    if (load<f64>(variance + (<usize>k << 3)) > eps && abs(<f64>M * <f64>A) <= 16) {
      rowAffine32(src, dst, D, M, A, w, b);
      continue;
    }
    const MU = f64x2.splat(mu);
    const RS = f64x2.splat(r);
    let i: usize = 0;
    for (; i < n4; i += 16) {
      let lo = f64x2.mul(f64x2.sub(f64x2.promote_low_f32x4(v128.load64_zero(src + i)), MU), RS);
      let hi = f64x2.mul(f64x2.sub(f64x2.promote_low_f32x4(v128.load64_zero(src + i, 8)), MU), RS);
      if (w) {
        const w4 = v128.load(w + i);
        lo = f64x2.mul(lo, lo64(w4));
        hi = f64x2.mul(hi, hi64(w4));
      }
      if (b) {
        const b4 = v128.load(b + i);
        lo = f64x2.add(lo, lo64(b4));
        hi = f64x2.add(hi, hi64(b4));
      } else {
        lo = f64x2.add(lo, zero);
        hi = f64x2.add(hi, zero);
      }
      v128.store64_lane(dst + i, f32x4.demote_f64x2_zero(lo), 0);
      v128.store64_lane(dst + i, f32x4.demote_f64x2_zero(hi), 0, 8);
    }
    for (; i < row; i += 4) {
      let xh = (<f64>load<f32>(src + i) - mu) * r;
      if (w) xh = xh * <f64>load<f32>(w + i);
      store<f32>(dst + i, <f32>(xh + (b ? <f64>load<f32>(b + i) : 0)));
    }
  }
}

/**
 * Layer norm backward: gw[i] += dy * xhat and gb[i] += dy (float64 per
 * element, accumulated over the rows; zero pointer = not wanted) and, when dx
 * is non-zero, dx = f32(rstd * (dy * w - a - xhat * b)) with a = mean(dy * w)
 * and b = mean(dy * w * xhat) over the row.
 */
export function rowBackward(
  x: usize, dy: usize, dx: usize, D: i32, rows: i32, mean: usize, rstd: usize, w: usize, gw: usize, gb: usize,
): void {
  const row = <usize>D << 2;
  const n8 = <usize>(D & ~7) << 2;
  const n4 = <usize>(D & ~3) << 2;
  const one = f64x2.splat(1);
  for (let k = 0; k < rows; k++) {
    const xs = x + <usize>k * row;
    const gs = dy + <usize>k * row;
    const mu = load<f64>(mean + (<usize>k << 3));
    const rs = load<f64>(rstd + (<usize>k << 3));
    const MU = f64x2.splat(mu);
    const RS = f64x2.splat(rs);
    let a0 = f64x2.splat(0);
    let a1 = a0, a2 = a0, a3 = a0, q0 = a0, q1 = a0, q2 = a0, q3 = a0;
    let i: usize = 0;
    for (; i < n8; i += 32) {
      // two groups of four: lanes (0,1) (2,3) then (4,5) (6,7)
      for (let h: usize = 0; h < 32; h += 16) {
        const xv = v128.load(xs + i + h);
        const gv = v128.load(gs + i + h);
        const glo = lo64(gv);
        const ghi = hi64(gv);
        const xlo = f64x2.mul(f64x2.sub(lo64(xv), MU), RS);
        const xhi = f64x2.mul(f64x2.sub(hi64(xv), MU), RS);
        let wlo = one;
        let whi = one;
        if (w) {
          const wv = v128.load(w + i + h);
          wlo = lo64(wv);
          whi = hi64(wv);
        }
        const dlo = f64x2.mul(glo, wlo);
        const dhi = f64x2.mul(ghi, whi);
        if (h == 0) {
          a0 = f64x2.add(a0, dlo);
          a1 = f64x2.add(a1, dhi);
          q0 = f64x2.add(q0, f64x2.mul(dlo, xlo));
          q1 = f64x2.add(q1, f64x2.mul(dhi, xhi));
        } else {
          a2 = f64x2.add(a2, dlo);
          a3 = f64x2.add(a3, dhi);
          q2 = f64x2.add(q2, f64x2.mul(dlo, xlo));
          q3 = f64x2.add(q3, f64x2.mul(dhi, xhi));
        }
        const e = (i + h) << 1;
        if (gw) {
          v128.store(gw + e, f64x2.add(v128.load(gw + e), f64x2.mul(glo, xlo)));
          v128.store(gw + e, f64x2.add(v128.load(gw + e, 16), f64x2.mul(ghi, xhi)), 16);
        }
        if (gb) {
          v128.store(gb + e, f64x2.add(v128.load(gb + e), glo));
          v128.store(gb + e, f64x2.add(v128.load(gb + e, 16), ghi), 16);
        }
      }
    }
    let A = combine(a0, a1, a2, a3);
    let B = combine(q0, q1, q2, q3);
    for (; i < row; i += 4) {
      const g = <f64>load<f32>(gs + i);
      const xh = (<f64>load<f32>(xs + i) - mu) * rs;
      const d = g * (w ? <f64>load<f32>(w + i) : 1);
      A += d;
      B += d * xh;
      const e = i << 1;
      if (gw) store<f64>(gw + e, load<f64>(gw + e) + g * xh);
      if (gb) store<f64>(gb + e, load<f64>(gb + e) + g);
    }
    if (!dx) continue;
    A /= <f64>D;
    B /= <f64>D;
    const AV = f64x2.splat(A);
    const BV = f64x2.splat(B);
    const ds = dx + <usize>k * row;
    for (i = 0; i < n4; i += 16) {
      const xv = v128.load(xs + i);
      const gv = v128.load(gs + i);
      let glo = lo64(gv);
      let ghi = hi64(gv);
      if (w) {
        const wv = v128.load(w + i);
        glo = f64x2.mul(glo, lo64(wv));
        ghi = f64x2.mul(ghi, hi64(wv));
      }
      const xlo = f64x2.mul(f64x2.sub(lo64(xv), MU), RS);
      const xhi = f64x2.mul(f64x2.sub(hi64(xv), MU), RS);
      const lo = f64x2.mul(RS, f64x2.sub(f64x2.sub(glo, AV), f64x2.mul(xlo, BV)));
      const hi = f64x2.mul(RS, f64x2.sub(f64x2.sub(ghi, AV), f64x2.mul(xhi, BV)));
      v128.store(ds + i, pack(lo, hi));
    }
    for (; i < row; i += 4) {
      const xh = (<f64>load<f32>(xs + i) - mu) * rs;
      const g = <f64>load<f32>(gs + i) * (w ? <f64>load<f32>(w + i) : 1);
      store<f32>(ds + i, <f32>(rs * (g - A - xh * B)));
    }
  }
}
