/**
 * The normalization kernels in plain TypeScript: the reference arithmetic and
 * the fallback when WebAssembly SIMD is unavailable. asm/norm.ts is their
 * bit-for-bit SIMD twin (same float32/float64 steps, same summation order:
 * the statistics in sixteen float32 lanes per block of 64 values, see
 * shiftedSums; layer norm's backward in eight interleaved float64
 * accumulators, element i into accumulator i % 8, combined as
 * ((a0+a2)+(a4+a6)) + ((a1+a3)+(a5+a7)), tail added in order).
 * Their arguments and how a call splits over units: norm_calls.ts.
 * Per-element float32 arithmetic follows ATen's CPU kernels (see norm.ts).
 */
import type { NormKernels } from './norm_calls.js';

type F32 = Float32Array;

const f = Math.fround;

// Results of the two-value helpers (module slots: cheaper than allocating pairs).
let R1 = 0;
let R2 = 0;

let MX = 0;

const LA = new Float32Array(16);
const LQ = new Float32Array(16);

/**
 * R1 = sum(d), R2 = sum(d * d) with d = f32(x - K), and MX = max f32(d * d), over
 * x[o, o + n). Blocks of 64 values are summed in sixteen float32 lanes (value
 * i of a block into lane i % 16, d * d rounded to float32), the lanes folded
 * to four as l = (l + (l + 4)) + ((l + 8) + (l + 12)), and those added to the
 * float64 total as ((l0 + l2) + (l1 + l3)); then the tail (n % 16 values) in
 * float64, in order. (Float32Array stores round each lane sum to float32, as
 * the SIMD lanes do.)
 */
function shiftedSums(x: F32, o: number, n: number, K: number): void {
  let s1 = 0;
  let s2 = 0;
  let m = 0;
  const end16 = o + n - (n & 15);
  let i = o;
  while (i < end16) {
    LA.fill(0);
    LQ.fill(0);
    const blockEnd = Math.min(end16, i + 64);
    for (; i < blockEnd; i += 16) {
      for (let l = 0; l < 16; l++) {
        const d = f(x[i + l]! - K);
        const e = f(d * d);
        LA[l] = LA[l]! + d;
        LQ[l] = LQ[l]! + e;
        m = Math.max(m, e);
      }
    }
    s1 += fold(LA);
    s2 += fold(LQ);
  }
  for (const end = o + n; i < end; i++) {
    const d = f(x[i]! - K);
    s1 += d;
    s2 += d * d;
    m = Math.max(m, f(d * d));
  }
  R1 = s1;
  R2 = s2;
  MX = m;
}

/**
 * shiftedSums about K, kept accurate when K is far from the run's mean: if
 * mean(d)^2 > 8 var (float32 lane sums would then lose digits to
 * cancellation), the run is summed again about K2 = f32(K + mean(d)) and the
 * sums moved back to K in float64: R1 = s1 + n * e, R2 = (s2 + 2 * e * s1) +
 * (n * e) * e with e = K2 - K; MX = f32((sqrt(max) + |e|)^2) still bounds
 * max (x - K)^2. Constant runs equal to K never take the second pass.
 */
function sumsAbout(x: F32, o: number, n: number, K: number): void {
  shiftedSums(x, o, n, K);
  // mean^2 > 8 var, as 9 s1^2 > 8 n s2 (no division; false for NaN).
  if (!(9 * R1 * R1 > 8 * n * R2)) return;
  const K2 = f(K + R1 / n);
  shiftedSums(x, o, n, K2);
  const e = K2 - K;
  const s1 = R1;
  R1 = s1 + n * e;
  R2 = R2 + 2 * e * s1 + n * e * e;
  const r = Math.sqrt(MX) + Math.abs(e);
  MX = f(r * r);
}

/** Sixteen float32 lanes to one float64 value, in shiftedSums' order. */
function fold(L: Float32Array): number {
  const l0 = f(f(L[0]! + L[4]!) + f(L[8]! + L[12]!));
  const l1 = f(f(L[1]! + L[5]!) + f(L[9]! + L[13]!));
  const l2 = f(f(L[2]! + L[6]!) + f(L[10]! + L[14]!));
  const l3 = f(f(L[3]! + L[7]!) + f(L[11]! + L[15]!));
  return l0 + l2 + (l1 + l3);
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
export function fusedNeeded(v: number, eps: number, K: number, maxSq: number, A: number): boolean {
  return !(v > eps && Math.abs(K * A) <= 8 && maxSq * (A * A) <= 64);
}

/**
 * Whether a layer-norm row is normalized in float32, u = f32(f32(x - M) * A)
 * then f32(u * w) and f32(+ b) with M = f32(mean), A = f32(rstd), rather than
 * in float64. The float32 form is off the float64 one by the rounding of M,
 * at most 2^-24 * |M * A| in xhat (kept <= 16: about 1e-6), and by relative
 * roundings of each step (2^-22 of |xhat * w| at most). Near-constant rows
 * (variance <= eps: rounding residue) and NaN or infinities keep the float64
 * form.
 */
function rowFloat32(v: number, eps: number, M: number, A: number): boolean {
  return v > eps && Math.abs(M * A) <= 16;
}

/**
 * Float32 sums as ATen's AVX2 `reduce_all` adds them: R1 = sum(dy),
 * R2 = sum(f32(f32(x - mu) * dy)) over [o, o + n). Eight float32 lanes
 * start from the first eight values, take each further block of eight, then
 * the tail into the first lanes; then ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7)).
 * Under eight values: one by one from zero.
 */
function laneSums(x: F32, dy: F32, o: number, n: number, mu: number): void {
  const end = o + n;
  if (n < 8) {
    let s1 = 0;
    let s2 = 0;
    for (let i = o; i < end; i++) {
      s1 = f(s1 + dy[i]!);
      s2 = f(s2 + f(f(x[i]! - mu) * dy[i]!));
    }
    R1 = s1;
    R2 = s2;
    return;
  }
  const v = (i: number): number => f(f(x[i]! - mu) * dy[i]!);
  let a0 = dy[o]!, a1 = dy[o + 1]!, a2 = dy[o + 2]!, a3 = dy[o + 3]!, a4 = dy[o + 4]!, a5 = dy[o + 5]!, a6 = dy[o + 6]!, a7 = dy[o + 7]!;
  let b0 = v(o), b1 = v(o + 1), b2 = v(o + 2), b3 = v(o + 3), b4 = v(o + 4), b5 = v(o + 5), b6 = v(o + 6), b7 = v(o + 7);
  let i = o + 8;
  for (; i + 8 <= end; i += 8) {
    a0 = f(a0 + dy[i]!); a1 = f(a1 + dy[i + 1]!); a2 = f(a2 + dy[i + 2]!); a3 = f(a3 + dy[i + 3]!);
    a4 = f(a4 + dy[i + 4]!); a5 = f(a5 + dy[i + 5]!); a6 = f(a6 + dy[i + 6]!); a7 = f(a7 + dy[i + 7]!);
    b0 = f(b0 + v(i)); b1 = f(b1 + v(i + 1)); b2 = f(b2 + v(i + 2)); b3 = f(b3 + v(i + 3));
    b4 = f(b4 + v(i + 4)); b5 = f(b5 + v(i + 5)); b6 = f(b6 + v(i + 6)); b7 = f(b7 + v(i + 7));
  }
  const rest = end - i;
  if (rest > 0) { a0 = f(a0 + dy[i]!); b0 = f(b0 + v(i)); }
  if (rest > 1) { a1 = f(a1 + dy[i + 1]!); b1 = f(b1 + v(i + 1)); }
  if (rest > 2) { a2 = f(a2 + dy[i + 2]!); b2 = f(b2 + v(i + 2)); }
  if (rest > 3) { a3 = f(a3 + dy[i + 3]!); b3 = f(b3 + v(i + 3)); }
  if (rest > 4) { a4 = f(a4 + dy[i + 4]!); b4 = f(b4 + v(i + 4)); }
  if (rest > 5) { a5 = f(a5 + dy[i + 5]!); b5 = f(b5 + v(i + 5)); }
  if (rest > 6) { a6 = f(a6 + dy[i + 6]!); b6 = f(b6 + v(i + 6)); }
  R1 = f(f(f(a0 + a4) + f(a2 + a6)) + f(f(a1 + a5) + f(a3 + a7)));
  R2 = f(f(f(b0 + b4) + f(b2 + b6)) + f(f(b1 + b5) + f(b3 + b7)));
}

/** Batch/instance norm input gradient over [o, o + n): f32(f32(f32(dy - gm) - f32(f32(x - mu) * kk)) * r) * w. */
function backApply(x: F32, dy: F32, dx: F32, o: number, n: number, mu: number, gm: number, kk: number, r: number, w: number): void {
  for (let i = o, end = o + n; i < end; i++) dx[i] = f(f(f(dy[i]! - gm) - f(f(x[i]! - mu) * kk)) * r) * w;
}

/** max(v, 0) on out[i0, i1), NaN kept and -0 -> 0 (the ReLU op's values): a fused norm -> relu. */
function reluPlane(out: F32, i0: number, i1: number): void {
  for (let i = i0; i < i1; i++) {
    const v = out[i]!;
    out[i] = v <= 0 ? 0 : v;
  }
}

export const jsKernels: NormKernels = {
  groupForward({ x, out, S, gs, C, c0, groups, eps, gn, weight, bias, mean, variance, rstd, relu }) {
    const inv = 1 / (gs * S);
    let c = c0;
    let p = 0;
    for (let g = 0; g < groups; g++) {
      const K = S > 0 ? x[p]! : 0;
      let s1 = 0;
      let s2 = 0;
      let mx = 0;
      for (let j = 0; j < gs; j++) {
        sumsAbout(x, p + j * S, S, K);
        s1 += R1;
        s2 += R2;
        mx = Math.max(mx, MX);
      }
      const dm = s1 * inv;
      const mu = K + dm;
      const v = Math.max(0, s2 * inv - dm * dm);
      const r = 1 / Math.sqrt(v + eps);
      mean[g] = mu;
      variance[g] = v;
      rstd[g] = r;
      const fr = f(r);
      const fm = f(mu);
      for (let j = 0; j < gs; j++) {
        const end = p + S;
        if (gn && !weight && !bias) {
          // ATen's group norm without affine: (x - mean) * rstd in float32.
          for (let i = p; i < end; i++) out[i] = f(x[i]! - fm) * fr;
        } else {
          const alpha = f(fr * (weight ? weight[c]! : 1));
          // Batch/instance norm: b - mean * alpha fused; group norm: -alpha * mean rounded, then + b.
          const beta = gn ? f((bias ? bias[c]! : 0) - f(fm * alpha)) : f((bias ? bias[c]! : 0) - fm * alpha);
          if (fusedNeeded(v, eps, K, mx, alpha)) for (let i = p; i < end; i++) out[i] = x[i]! * alpha + beta;
          else for (let i = p; i < end; i++) out[i] = f(x[i]! * alpha) + beta;
        }
        if (relu) reluPlane(out, p, end);
        p = end;
        if (++c === C) c = 0;
      }
    }
  },

  planeSums({ x, S, planes, shift, s1, s2, mx }) {
    for (let j = 0; j < planes; j++) {
      sumsAbout(x, j * S, S, f(shift[j]!));
      s1[j] = R1;
      s2[j] = R2;
      mx[j] = MX;
    }
  },

  planeAffine({ x, out, S, planes, alpha, beta, fused, relu }) {
    for (let j = 0; j < planes; j++) {
      const a = alpha[j]!;
      const b = beta[j]!;
      const end = (j + 1) * S;
      if (fused[j] !== 0) for (let i = j * S; i < end; i++) out[i] = x[i]! * a + b;
      else for (let i = j * S; i < end; i++) out[i] = f(x[i]! * a) + b;
      if (relu) reluPlane(out, j * S, end);
    }
  },

  groupBackward({ x, dy, dx, S, gs, C, c0, groups, mean, rstd, weight, gn, sdy, sdyx }) {
    let c = c0;
    let p = 0;
    for (let g = 0; g < groups; g++) {
      const mu = f(mean[g]!);
      const r = f(rstd[g]!);
      if (!gn) {
        // Instance norm: ATen's batch_norm_backward on (1, N*C, S), one plane per statistic.
        laneSums(x, dy, p, S, mu);
        sdy[g] = R1;
        sdyx[g] = R2;
        if (dx) {
          // 0 + sum: ATen adds the plane's sum into a zeroed float64 (turns -0 into +0).
          const gm = f((0 + R1) / S);
          const kk = f(f(f(f(0 + R2) * r) * r) / S);
          backApply(x, dy, dx, p, S, mu, gm, kk, r, weight ? weight[c]! : 1);
        }
        p += S;
        if (++c === C) c = 0;
        continue;
      }
      // Group norm (ATen's GroupNormKernel): ds = sum(dy * x), db = sum(dy) per plane; per group
      // c1 = rstd * w, c2 = (db_g * mean - ds_g) * rstd^3 / M, c3 = -c2 * mean - db_g * rstd / M,
      // dx = c1 * dy + c2 * x + c3, with fused multiply-adds where GCC contracts them.
      let dsv = 0;
      let dbv = 0;
      let cj = c;
      for (let j = 0; j < gs; j++) {
        laneSums(x, dy, p + j * S, S, 0);
        sdy[g * gs + j] = R1;
        sdyx[g * gs + j] = R2;
        const w = weight ? weight[cj]! : 1;
        dsv = f(dsv + R2 * w);
        dbv = f(dbv + R1 * w);
        if (++cj === C) cj = 0;
      }
      if (!dx) {
        p += gs * S;
        c = cj;
        continue;
      }
      const s = f(1 / (gs * S));
      const c2 = f(f(f(f(f(dbv * mu - dsv) * r) * r) * r) * s);
      const c3 = f(-c2 * mu - f(f(dbv * r) * s));
      for (let j = 0; j < gs; j++) {
        const c1 = f(r * (weight ? weight[c]! : 1));
        for (let i = p, end = p + S; i < end; i++) dx[i] = f(c1 * dy[i]! + f(c2 * x[i]!)) + c3;
        p += S;
        if (++c === C) c = 0;
      }
    }
  },

  planeBackSums({ x, dy, S, planes, mu, sdy, sdyx }) {
    for (let j = 0; j < planes; j++) {
      laneSums(x, dy, j * S, S, mu[j]!);
      sdy[j] = R1;
      sdyx[j] = R2;
    }
  },

  planeBackApply({ x, dy, dx, S, planes, mu, gm, kk, r, w }) {
    for (let j = 0; j < planes; j++) backApply(x, dy, dx, j * S, S, mu[j]!, gm[j]!, kk[j]!, r[j]!, w[j]!);
  },

  channelBackward({ x, dy, dx, S, N, C, c0, channels, mean, rstd, weight, sdy, sdyx }) {
    // planeBackSums and planeBackApply of one channel's planes (n ascending) while they are in cache.
    const m = N * S;
    for (let j = 0; j < channels; j++) {
      const mu = f(mean[j]!);
      let s1 = 0;
      let s2 = 0;
      for (let n = 0; n < N; n++) {
        laneSums(x, dy, (n * channels + j) * S, S, mu);
        s1 += R1;
        s2 += R2;
      }
      sdy[j] = s1;
      sdyx[j] = s2;
      if (!dx) continue;
      const rs = f(rstd[j]!);
      const gm = f(s1 / m);
      const kk = f(f(f(f(s2) * rs) * rs) / m);
      const w = weight ? weight[(c0 + j) % C]! : 1;
      for (let n = 0; n < N; n++) backApply(x, dy, dx, (n * channels + j) * S, S, mu, gm, kk, rs, w);
    }
  },

  planeScale({ dy, dx, S, planes, r, w }) {
    for (let j = 0; j < planes; j++) {
      const rj = r[j]!;
      const wj = w[j]!;
      for (let i = j * S, end = i + S; i < end; i++) dx[i] = f(dy[i]! * rj) * wj;
    }
  },

  rowForward({ x, out, D, rows, eps, weight, bias, mean, variance, rstd }) {
    const inv = 1 / D;
    for (let k = 0; k < rows; k++) {
      const base = k * D;
      const K = D > 0 ? x[base]! : 0;
      sumsAbout(x, base, D, K);
      const dm = R1 * inv;
      const mu = K + dm;
      const v = Math.max(0, R2 * inv - dm * dm);
      const rs = 1 / Math.sqrt(v + eps);
      mean[k] = mu;
      variance[k] = v;
      rstd[k] = rs;
      const M = f(mu);
      const A = f(rs);
      if (rowFloat32(v, eps, M, A)) {
        for (let i = 0; i < D; i++) {
          let u = f(f(x[base + i]! - M) * A);
          if (weight) u = f(u * weight[i]!);
          if (bias) u = f(u + bias[i]!);
          out[base + i] = u;
        }
        continue;
      }
      for (let i = 0; i < D; i++) {
        const xhat = (x[base + i]! - mu) * rs;
        out[base + i] = (weight ? xhat * weight[i]! : xhat) + (bias ? bias[i]! : 0);
      }
    }
  },

  rowBackward({ x, dy, dx, D, rows, mean, rstd, weight, gw, gb }) {
    for (let k = 0; k < rows; k++) {
      const base = k * D;
      const mu = mean[k]!;
      const rs = rstd[k]!;
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
      let b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0, b7 = 0;
      const end8 = D - (D & 7);
      let i = 0;
      // Eight interleaved sums of dxhat = dy * w and dxhat * xhat (see the file comment).
      for (; i < end8; i += 8) {
        for (let h = 0; h < 8; h++) {
          const g = dy[base + i + h]!;
          const xh = (x[base + i + h]! - mu) * rs;
          const d = g * (weight ? weight[i + h]! : 1);
          const e = d * xh;
          switch (h) {
            case 0: a0 += d; b0 += e; break;
            case 1: a1 += d; b1 += e; break;
            case 2: a2 += d; b2 += e; break;
            case 3: a3 += d; b3 += e; break;
            case 4: a4 += d; b4 += e; break;
            case 5: a5 += d; b5 += e; break;
            case 6: a6 += d; b6 += e; break;
            default: a7 += d; b7 += e;
          }
          if (gw) gw[i + h]! += g * xh;
          if (gb) gb[i + h]! += g;
        }
      }
      let A = a0 + a2 + (a4 + a6) + (a1 + a3 + (a5 + a7));
      let B = b0 + b2 + (b4 + b6) + (b1 + b3 + (b5 + b7));
      for (; i < D; i++) {
        const g = dy[base + i]!;
        const xh = (x[base + i]! - mu) * rs;
        const d = g * (weight ? weight[i]! : 1);
        A += d;
        B += d * xh;
        if (gw) gw[i]! += g * xh;
        if (gb) gb[i]! += g;
      }
      if (!dx) continue;
      A /= D;
      B /= D;
      for (let j = 0; j < D; j++) {
        const xh = (x[base + j]! - mu) * rs;
        dx[base + j] = rs * (dy[base + j]! * (weight ? weight[j]! : 1) - A - xh * B);
      }
    }
  },
};
