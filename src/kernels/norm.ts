/**
 * Normalization on contiguous float32 storage, viewed as [N, C, S].
 *
 * Statistics are indexed by "stat" = which elements share a mean/variance:
 *   instance norm: one stat per (n, c)            perSample = true,  groupSize = 1
 *   group norm:    one stat per (n, group)        perSample = true,  groupSize = C / G
 *   batch norm:    one stat per c, over (n, s)    perSample = false, groupSize = 1
 * Layer norm (affine per element of the normalized block) has its own pair below.
 *
 * Numerics (ATen's float32 CPU kernels, within the oracle's tolerances):
 * statistics are one-pass shifted sums, d = f32(x - K) with K the stat's first
 * value (so a large common offset such as 1e4 cancels before squaring), summed
 * in float32 lanes over blocks of 64 values and in float64 across blocks, and
 * summed again about the plane's mean where K was far from it (sumsAbout in
 * norm_js.ts); the output is x * alpha + beta with float32
 * alpha = f32(rstd) * w and beta = f32(b - f32(mean) * alpha). Where the
 * rounding of x * alpha could move the result by more than 1e-6 (large
 * offsets, near-constant planes: see fusedNeeded in norm_js.ts) the product is
 * exact and the sum rounded once, as ATen's fused multiply-add does it (on
 * constant planes the result is then PyTorch's rounding residue, not an exact
 * zero); elsewhere it is a float32 multiply and add. The backward follows
 * ATen's float32 order with float64 sums.
 *
 * These drivers do the per-statistic bookkeeping (O(N * C)) and hand the loops
 * over the data to kernels (norm_js.ts, or its WebAssembly twin) through a
 * NormExecutor. The default executor runs the TypeScript kernels on this
 * thread: that is the reference path; kernels/backend.ts supplies the fast one.
 */
import { RuntimeError } from '../errors.js';
import type { KernelArgs, KernelName } from './norm_calls.js';
import { fusedNeeded, jsKernels } from './norm_js.js';

export interface NormLayout {
  N: number;
  C: number;
  S: number;
  perSample: boolean;
  groupSize: number;
  /** Group norm (ATen's separate group-norm kernel) rather than batch/instance norm. */
  groupNorm?: boolean;
}

/** Runs kernels and allocates their bulk outputs (which may live in shared memory). */
export interface NormExecutor {
  /** The output of the next `run` of `kernel`. */
  alloc(n: number, kernel: KernelName): Float32Array;
  /** Whether the call writing `out` (from alloc) is to be split over worker threads. */
  pooled?(out: Float32Array): boolean;
  run<K extends KernelName>(kernel: K, a: KernelArgs[K]): void;
}

export const referenceExecutor: NormExecutor = {
  alloc: (n) => new Float32Array(n),
  run: (kernel, a) => (jsKernels[kernel] as (a: unknown) => void)(a),
};

export function statCount(l: NormLayout): number {
  const groups = l.C / l.groupSize;
  return l.perSample ? l.N * groups : groups;
}

/** Elements behind each statistic. */
export function statSize(l: NormLayout): number {
  return l.perSample ? l.groupSize * l.S : l.N * l.groupSize * l.S;
}

function statIndex(l: NormLayout, n: number, c: number): number {
  const g = (c / l.groupSize) | 0;
  return l.perSample ? n * (l.C / l.groupSize) + g : g;
}

export interface NormStats {
  mean: Float64Array;
  variance: Float64Array;
}

/** What normStats also knows of each statistic's values, for normApply's choice of output form. */
export interface StatBounds {
  /** The shift: the stat's first value. */
  K: Float64Array;
  /** max f32(x - K)^2 over the stat's values (an upper bound; NaN when a value is). */
  maxSq: Float64Array;
}

/** Per-stat mean and biased variance (and the bounds normApply may use). */
export function normStats(x: Float32Array, l: NormLayout, exec: NormExecutor = referenceExecutor): NormStats & StatBounds {
  const { N, C, S } = l;
  const P = N * C;
  const shift = new Float64Array(P);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      // The stat's first element: plane (n, first channel of the group), or (0, c) for batch stats.
      const first = (l.perSample ? n * C : 0) + Math.floor(c / l.groupSize) * l.groupSize;
      shift[n * C + c] = S > 0 ? x[first * S]! : 0;
    }
  }
  const ps1 = new Float64Array(P);
  const ps2 = new Float64Array(P);
  const pmx = new Float64Array(P);
  exec.run('planeSums', { x, S, planes: P, shift, s1: ps1, s2: ps2, mx: pmx });
  const k = statCount(l);
  const s1 = new Float64Array(k);
  const s2 = new Float64Array(k);
  const K = new Float64Array(k);
  const maxSq = new Float64Array(k);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const st = statIndex(l, n, c);
      K[st] = shift[n * C + c]!;
      s1[st]! += ps1[n * C + c]!;
      s2[st]! += ps2[n * C + c]!;
      const m = pmx[n * C + c]!;
      // NaN sticks (the fused form is then kept).
      if (!(m <= maxSq[st]!)) maxSq[st] = m;
    }
  }
  const inv = 1 / statSize(l);
  const mean = new Float64Array(k);
  const variance = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    const dm = s1[i]! * inv;
    mean[i] = K[i]! + dm;
    variance[i] = Math.max(0, s2[i]! * inv - dm * dm);
  }
  return { mean, variance, K, maxSq };
}

export interface NormForward extends NormStats {
  out: Float32Array;
  rstd: Float64Array;
}

/**
 * Statistics from the input and the normalized output in one pass per group
 * (instance and group norm: `perSample` layouts). rstd = 1 / sqrt(var + eps).
 * Group norm (`groupNorm`, or several channels per group) takes ATen's
 * group-norm forms: bias = b - f32(mean * alpha), and f32(x - mean) * rstd
 * without weight and bias. `relu`: max(out, 0) in the same call (a fused
 * norm -> relu, nn/fusion.ts; the ReLU op's values).
 */
export function normForward(
  x: Float32Array,
  l: NormLayout,
  eps: number,
  weight: Float32Array | null,
  bias: Float32Array | null,
  exec: NormExecutor = referenceExecutor,
  relu = false,
): NormForward {
  if (!l.perSample) throw new RuntimeError('normForward: per-sample layouts only (use normStats + normApply)');
  const groups = statCount(l);
  const out = exec.alloc(x.length, 'groupForward');
  const mean = new Float64Array(groups);
  const variance = new Float64Array(groups);
  const rstd = new Float64Array(groups);
  const gn = l.groupNorm === true || l.groupSize !== 1 ? 1 : 0;
  exec.run('groupForward', { x, out, S: l.S, gs: l.groupSize, C: l.C, c0: 0, groups, eps, gn, weight, bias, mean, variance, rstd, relu: relu ? 1 : 0 });
  return { out, mean, variance, rstd };
}

/** Statistics from the input, with what normApply needs to use the float32 output form safely. */
export interface ApplyBounds extends StatBounds {
  variance: ArrayLike<number>;
  eps: number;
}

/**
 * out = x * alpha + beta with alpha = f32(rstd) * w[c], beta = f32(b[c] - f32(mean) * alpha):
 * batch and instance norm (group norm goes through normForward). As ATen's
 * fused multiply-add, or with `bounds` (statistics of x itself) as a float32
 * multiply and add on the planes where fusedNeeded allows (within about 1e-6
 * of the fused form, as normForward's output). `relu` as normForward's.
 */
export function normApply(
  x: Float32Array,
  l: NormLayout,
  mean: ArrayLike<number>,
  rstd: ArrayLike<number>,
  weight: Float32Array | null,
  bias: Float32Array | null,
  exec: NormExecutor = referenceExecutor,
  bounds?: ApplyBounds,
  relu = false,
): Float32Array {
  const f = Math.fround;
  const { N, C, S } = l;
  const alpha = new Float32Array(N * C);
  const beta = new Float32Array(N * C);
  const fused = new Float32Array(N * C).fill(1);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const st = statIndex(l, n, c);
      const a = f(f(rstd[st]!) * (weight ? weight[c]! : 1));
      alpha[n * C + c] = a;
      beta[n * C + c] = f((bias ? bias[c]! : 0) - f(mean[st]!) * a);
      if (bounds && !fusedNeeded(bounds.variance[st]!, bounds.eps, f(bounds.K[st]!), bounds.maxSq[st]!, a)) fused[n * C + c] = 0;
    }
  }
  const out = exec.alloc(x.length, 'planeAffine');
  exec.run('planeAffine', { x, out, S, planes: N * C, alpha, beta, fused, relu: relu ? 1 : 0 });
  return out;
}

export interface NormGrads {
  gradInput: Float32Array | null;
  gradWeight: Float32Array | null;
  gradBias: Float32Array | null;
}

export interface NormNeed {
  input: boolean;
  weight: boolean;
  bias: boolean;
}

/**
 * Backward of normApply/normForward, in ATen's float32 order (per-plane lane
 * sums as its AVX2 reduce_all, float64 across planes): where the result is
 * rounding residue (constant planes), it is PyTorch's residue.
 * Batch and instance norm (ATen's batch_norm_backward); with `statsFromInput`
 *   dx = (dy - mean(dy) - (x - mean) * k) * rstd * w,  k = mean((x - mean) * dy) * rstd^2
 * otherwise (running statistics) dx = dy * rstd * w. Group norm (`groupNorm`
 * or several channels per group) follows ATen's GroupNormKernel:
 *   ds = sum(dy * x), db = sum(dy) per plane; per group
 *   c1 = rstd * w, c2 = (db_g * mean - ds_g) * rstd^3 / M, c3 = -c2 * mean - db_g * rstd / M
 *   dx = c1 * dy + c2 * x + c3.
 */
export function normBackward(
  x: Float32Array,
  dy: Float32Array,
  l: NormLayout,
  mean: ArrayLike<number>,
  rstd: ArrayLike<number>,
  weight: Float32Array | null,
  statsFromInput: boolean,
  need: NormNeed,
  exec: NormExecutor = referenceExecutor,
): NormGrads {
  const f = Math.fround;
  const { N, C, S } = l;
  const P = N * C;
  const k = statCount(l);
  const gn = l.groupNorm === true || l.groupSize !== 1;
  if (gn && !(statsFromInput && l.perSample)) throw new RuntimeError('normBackward: group norm uses statistics from the input');
  // Per-plane float32 lane sums: sdy = sum(dy); sdyx = sum(f32(x - mean) * dy), or sum(dy * x) for group norm.
  let gradInput: Float32Array | null = null;
  const channelWise = statsFromInput && !l.perSample && !gn;
  if (channelWise) gradInput = need.input ? exec.alloc(x.length, 'channelBackward') : null;
  // Batch norm: sums and input gradient a channel at a time (one pass over x and dy from memory), on
  // this thread; or, where the executor measured its worker threads faster (fresh outputs, whose page
  // faults the threads share), the two passes below split over them.
  if (channelWise && !(gradInput && exec.pooled?.(gradInput))) {
    const sumDy = new Float64Array(C);
    const dotp = new Float64Array(C);
    exec.run('channelBackward', {
      x, dy, dx: gradInput, S, N, C, c0: 0, channels: C, mean: Float64Array.from(mean), rstd: Float64Array.from(rstd), weight, sdy: sumDy, sdyx: dotp,
    });
    return channelParamGrads(C, k, rstd, sumDy, dotp, need, gradInput);
  }
  const sdy = new Float64Array(P);
  const sdyx = new Float64Array(P);
  if (statsFromInput && l.perSample) {
    gradInput = need.input ? exec.alloc(x.length, 'groupBackward') : null;
    exec.run('groupBackward', {
      x, dy, dx: gradInput, S, gs: l.groupSize, C, c0: 0, groups: k,
      mean: Float64Array.from(mean), rstd: Float64Array.from(rstd), weight, gn: gn ? 1 : 0, sdy, sdyx,
    });
  } else {
    const mu = new Float32Array(P);
    for (let p = 0; p < P; p++) mu[p] = f(mean[statIndex(l, (p / C) | 0, p % C)]!);
    exec.run('planeBackSums', { x, dy, S, planes: P, mu, sdy, sdyx });
  }
  if (gn) return groupNormParamGrads(l, mean, rstd, sdy, sdyx, need, gradInput);

  const sumDy = new Float64Array(k);
  const dotp = new Float64Array(k);
  for (let p = 0; p < P; p++) {
    const st = statIndex(l, (p / C) | 0, p % C);
    sumDy[st]! += sdy[p]!;
    dotp[st]! += sdyx[p]!;
  }
  if (need.input && (!gradInput || channelWise)) {
    gradInput ??= exec.alloc(x.length, statsFromInput ? 'planeBackApply' : 'planeScale');
    const m = statSize(l);
    const mu = new Float32Array(P);
    const gm = new Float32Array(P);
    const kk = new Float32Array(P);
    const r = new Float32Array(P);
    const w = new Float32Array(P);
    for (let p = 0; p < P; p++) {
      const c = p % C;
      const st = statIndex(l, (p / C) | 0, c);
      const rs = f(rstd[st]!);
      r[p] = rs;
      w[p] = weight ? weight[c]! : 1;
      mu[p] = f(mean[st]!);
      gm[p] = f(sumDy[st]! / m);
      kk[p] = f(f(f(f(dotp[st]!) * rs) * rs) / m);
    }
    if (statsFromInput) exec.run('planeBackApply', { x, dy, dx: gradInput, S, planes: P, mu, gm, kk, r, w });
    else exec.run('planeScale', { dy, dx: gradInput, S, planes: P, r, w });
  }
  return channelParamGrads(C, k, rstd, sumDy, dotp, need, gradInput);
}

/** Batch/instance norm's weight and bias gradients from the per-statistic sums (float64, statistics in order). */
function channelParamGrads(
  C: number,
  k: number,
  rstd: ArrayLike<number>,
  sumDy: Float64Array,
  dotp: Float64Array,
  need: NormNeed,
  gradInput: Float32Array | null,
): NormGrads {
  const f = Math.fround;
  const gw = need.weight ? new Float32Array(C) : null;
  const gb = need.bias ? new Float32Array(C) : null;
  if (gw || gb) {
    const dw = new Float64Array(C);
    const db = new Float64Array(C);
    for (let st = 0; st < k; st++) {
      const c = st % C;
      dw[c]! += f(dotp[st]! * f(rstd[st]!));
      db[c]! += sumDy[st]!;
    }
    gw?.set(dw);
    gb?.set(db);
  }
  return { gradInput, gradWeight: gw, gradBias: gb };
}

/** Group norm's weight and bias gradients from the per-plane ds, db (float32, n ascending). */
function groupNormParamGrads(
  l: NormLayout,
  mean: ArrayLike<number>,
  rstd: ArrayLike<number>,
  db: Float64Array,
  ds: Float64Array,
  need: NormNeed,
  gradInput: Float32Array | null,
): NormGrads {
  const f = Math.fround;
  const { N, C } = l;
  const G = C / l.groupSize;
  const gw = need.weight ? new Float32Array(C) : null;
  const gb = need.bias ? new Float32Array(C) : null;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const st = n * G + ((c / l.groupSize) | 0);
      const p = n * C + c;
      if (gw) gw[c] = gw[c]! + f(f(ds[p]! - db[p]! * f(mean[st]!)) * f(rstd[st]!));
      if (gb) gb[c] = gb[c]! + db[p]!;
    }
  }
  return { gradInput, gradWeight: gw, gradBias: gb };
}

/** Layer norm statistics: mean and biased variance per contiguous row of length D. */
export function rowStats(x: Float32Array, rows: number, D: number, exec: NormExecutor = referenceExecutor): NormStats {
  return normStats(x, { N: rows, C: 1, S: D, perSample: true, groupSize: 1 }, exec);
}

/**
 * Layer norm forward over rows of D: statistics as normStats, then per row
 * u = f32(f32(x - f32(mean)) * f32(rstd)), out = f32(f32(u * w[i]) + b[i])
 * in float32 where that stays within about 1e-6 (plus 2^-22 relative) of the
 * float64 form (rowFloat32 in norm_js.ts: most rows), else the float64 form
 * out = f32(xhat * w[i] + b[i]) with xhat = (x - mean) * rstd.
 */
export function layerNormForward(
  x: Float32Array,
  rows: number,
  D: number,
  eps: number,
  weight: Float32Array | null,
  bias: Float32Array | null,
  exec: NormExecutor = referenceExecutor,
): NormForward {
  const out = exec.alloc(x.length, 'rowForward');
  const mean = new Float64Array(rows);
  const variance = new Float64Array(rows);
  const rstd = new Float64Array(rows);
  exec.run('rowForward', { x, out, D, rows, eps, weight, bias, mean, variance, rstd });
  return { out, mean, variance, rstd };
}

export function layerNormBackward(
  x: Float32Array,
  dy: Float32Array,
  rows: number,
  D: number,
  mean: ArrayLike<number>,
  rstd: ArrayLike<number>,
  weight: Float32Array | null,
  need: NormNeed,
  exec: NormExecutor = referenceExecutor,
): NormGrads {
  const gw = need.weight ? new Float64Array(D) : null;
  const gb = need.bias ? new Float64Array(D) : null;
  const gradInput = need.input ? exec.alloc(x.length, 'rowBackward') : null;
  exec.run('rowBackward', {
    x, dy, dx: gradInput, D, rows, mean: Float64Array.from(mean), rstd: Float64Array.from(rstd), weight, gw, gb,
  });
  return { gradInput, gradWeight: gw ? Float32Array.from(gw) : null, gradBias: gb ? Float32Array.from(gb) : null };
}
