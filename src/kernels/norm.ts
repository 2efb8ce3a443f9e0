/**
 * Normalization kernels on contiguous float32 storage, viewed as [N, C, S].
 *
 * Statistics are indexed by "stat" = which elements share a mean/variance:
 *   instance norm: one stat per (n, c)            perSample = true,  groupSize = 1
 *   group norm:    one stat per (n, group)        perSample = true,  groupSize = C / G
 *   batch norm:    one stat per c, over (n, s)    perSample = false, groupSize = 1
 * Layer norm (affine per element of the normalized block) has its own pair below.
 *
 * The forward reads the input twice: once for the statistics (a one-pass,
 * shifted sum in float64: data - K with K the stat's first element, so a large
 * common offset such as 1e4 cancels before squaring) and once to normalize with
 * a fused scale/shift. The backward reads x and dy twice.
 */

export interface NormLayout {
  N: number;
  C: number;
  S: number;
  perSample: boolean;
  groupSize: number;
  /** Group norm: ATen computes its backward by another formula (even with one channel per group). */
  groupNorm?: boolean;
}

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

/** Per-stat mean and biased variance. */
export function normStats(x: Float32Array, l: NormLayout): { mean: Float64Array; variance: Float64Array } {
  const k = statCount(l);
  const shift = new Float64Array(k).fill(NaN);
  const s1 = new Float64Array(k);
  const s2 = new Float64Array(k);
  const { N, C, S } = l;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const st = statIndex(l, n, c);
      const base = (n * C + c) * S;
      if (Number.isNaN(shift[st]!)) shift[st] = S > 0 ? x[base]! : 0;
      const K = shift[st]!;
      let a = 0;
      let b = 0;
      for (let i = 0; i < S; i++) {
        const d = x[base + i]! - K;
        a += d;
        b += d * d;
      }
      s1[st]! += a;
      s2[st]! += b;
    }
  }
  const m = statSize(l);
  const mean = new Float64Array(k);
  const variance = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    const dm = s1[i]! / m;
    mean[i] = shift[i]! + dm;
    variance[i] = Math.max(0, s2[i]! / m - dm * dm);
  }
  return { mean, variance };
}

/**
 * out = x * alpha + beta with alpha = rstd * w[c], beta = b[c] - mean * alpha,
 * in float32 arithmetic as ATen's CPU kernel does it (fused multiply-add: the
 * product is exact in float64 and rounded once). On constant planes the result
 * is then PyTorch's rounding residue, not an exact zero.
 */
export function normApply(
  x: Float32Array,
  l: NormLayout,
  mean: ArrayLike<number>,
  rstd: ArrayLike<number>,
  weight: Float32Array | null,
  bias: Float32Array | null,
): Float32Array {
  const out = new Float32Array(x.length);
  const f = Math.fround;
  const { N, C, S } = l;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const st = statIndex(l, n, c);
      const alpha = f(f(rstd[st]!) * (weight ? weight[c]! : 1));
      const beta = f((bias ? bias[c]! : 0) - f(mean[st]!) * alpha);
      const base = (n * C + c) * S;
      for (let i = 0; i < S; i++) out[base + i] = x[base + i]! * alpha + beta;
    }
  }
  return out;
}

export interface NormGrads {
  gradInput: Float32Array | null;
  gradWeight: Float32Array | null;
  gradBias: Float32Array | null;
}

/**
 * Sum of `len` float32 values from `base` as ATen's AVX2 `reduce_all` adds them:
 * eight float32 lanes (the tail into the first lanes), then a shuffle tree
 * ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7)); under eight values, one by one.
 * With `times`, the values are the float32 products a[i] * times[i] (or * scalar).
 */
export function laneSum(a: Float32Array, base: number, len: number, times: Float32Array | null = null, scalar = 1): number {
  const f = Math.fround;
  const at = times
    ? (i: number) => f(a[base + i]! * times[base + i]!)
    : scalar === 1
      ? (i: number) => a[base + i]!
      : (i: number) => f(a[base + i]! * scalar);
  if (len < 8) {
    let s = 0;
    for (let i = 0; i < len; i++) s = f(s + at(i));
    return s;
  }
  let l0 = at(0), l1 = at(1), l2 = at(2), l3 = at(3), l4 = at(4), l5 = at(5), l6 = at(6), l7 = at(7);
  let i = 8;
  for (; i + 8 <= len; i += 8) {
    l0 = f(l0 + at(i)); l1 = f(l1 + at(i + 1)); l2 = f(l2 + at(i + 2)); l3 = f(l3 + at(i + 3));
    l4 = f(l4 + at(i + 4)); l5 = f(l5 + at(i + 5)); l6 = f(l6 + at(i + 6)); l7 = f(l7 + at(i + 7));
  }
  const rest = len - i;
  if (rest > 0) l0 = f(l0 + at(i));
  if (rest > 1) l1 = f(l1 + at(i + 1));
  if (rest > 2) l2 = f(l2 + at(i + 2));
  if (rest > 3) l3 = f(l3 + at(i + 3));
  if (rest > 4) l4 = f(l4 + at(i + 4));
  if (rest > 5) l5 = f(l5 + at(i + 5));
  if (rest > 6) l6 = f(l6 + at(i + 6));
  return f(f(f(l0 + l4) + f(l2 + l6)) + f(f(l1 + l5) + f(l3 + l7)));
}

/**
 * Backward of normApply for one statistic per channel (instance, batch).
 * With `statsFromInput` (ATen's batch_norm_backward, training):
 *   dx = (dy - mean(dy) - (x - mean) * k) * rstd * w,  k = mean((x - mean) * dy) * rstd^2
 * otherwise (running statistics) dx = dy * rstd * w. Float32 arithmetic in
 * ATen's order (per-plane lane sums, float64 across planes): where the result
 * is rounding residue (constant planes), it is PyTorch's residue.
 */
export function normBackward(
  x: Float32Array,
  dy: Float32Array,
  l: NormLayout,
  mean: ArrayLike<number>,
  rstd: ArrayLike<number>,
  weight: Float32Array | null,
  statsFromInput: boolean,
  need: { input: boolean; weight: boolean; bias: boolean },
): NormGrads {
  if (l.groupNorm || l.groupSize !== 1) return groupNormBackward(x, dy, l, mean, rstd, weight, need);
  const f = Math.fround;
  const { N, C, S } = l;
  const k = statCount(l);
  const sumDy = new Float64Array(k);
  const dotp = new Float64Array(k);
  const xc = new Float32Array(S);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const st = statIndex(l, n, c);
      const base = (n * C + c) * S;
      const mu = f(mean[st]!);
      for (let i = 0; i < S; i++) xc[i] = x[base + i]! - mu;
      sumDy[st]! += laneSum(dy, base, S);
      dotp[st]! += laneSum(xc, 0, S, dy.subarray(base, base + S));
    }
  }
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
  let gradInput: Float32Array | null = null;
  if (need.input) {
    gradInput = new Float32Array(x.length);
    const m = statSize(l);
    for (let n = 0; n < N; n++) {
      for (let c = 0; c < C; c++) {
        const st = statIndex(l, n, c);
        const base = (n * C + c) * S;
        const r = f(rstd[st]!);
        const w = weight ? weight[c]! : 1;
        if (!statsFromInput) {
          for (let i = 0; i < S; i++) gradInput[base + i] = f(dy[base + i]! * r) * w;
          continue;
        }
        const mu = f(mean[st]!);
        const gm = f(sumDy[st]! / m);
        const kk = f(f(f(f(dotp[st]!) * r) * r) / m);
        for (let i = 0; i < S; i++) {
          const d = f(f(dy[base + i]! - gm) - f(f(x[base + i]! - mu) * kk));
          gradInput[base + i] = f(d * r) * w;
        }
      }
    }
  }
  return { gradInput, gradWeight: gw, gradBias: gb };
}

/**
 * Group norm backward in ATen's form (GroupNormKernel.cpp), float32:
 *   ds = sum(dy * x), db = sum(dy) per channel plane; per group
 *   c1 = rstd * w, c2 = (db_g * mean - ds_g) * rstd^3 / M, c3 = -c2 * mean - db_g * rstd / M
 *   dx = c1 * dy + c2 * x + c3
 * (fused multiply-adds where GCC contracts them).
 */
function groupNormBackward(
  x: Float32Array,
  dy: Float32Array,
  l: NormLayout,
  mean: ArrayLike<number>,
  rstd: ArrayLike<number>,
  weight: Float32Array | null,
  need: { input: boolean; weight: boolean; bias: boolean },
): NormGrads {
  const f = Math.fround;
  const { N, C, S, groupSize: D } = l;
  const G = C / D;
  const ds = new Float32Array(N * C);
  const db = new Float32Array(N * C);
  for (let p = 0; p < N * C; p++) {
    ds[p] = laneSum(dy, p * S, S, x);
    db[p] = laneSum(dy, p * S, S);
  }
  const gw = need.weight ? new Float32Array(C) : null;
  const gb = need.bias ? new Float32Array(C) : null;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const st = n * G + ((c / D) | 0);
      const p = n * C + c;
      if (gw) gw[c] = gw[c]! + f(f(ds[p]! - db[p]! * f(mean[st]!)) * f(rstd[st]!));
      if (gb) gb[c] = gb[c]! + db[p]!;
    }
  }
  if (!need.input) return { gradInput: null, gradWeight: gw, gradBias: gb };
  const gradInput = new Float32Array(x.length);
  const s = f(1 / (D * S));
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < G; g++) {
      const st = n * G + g;
      let dsv = 0;
      let dbv = 0;
      for (let j = 0; j < D; j++) {
        const w = weight ? weight[g * D + j]! : 1;
        dsv = f(dsv + ds[n * C + g * D + j]! * w);
        dbv = f(dbv + db[n * C + g * D + j]! * w);
      }
      const mu = f(mean[st]!);
      const r = f(rstd[st]!);
      const c2 = f(f(f(f(f(dbv * mu - dsv) * r) * r) * r) * s);
      const c3 = f(-c2 * mu - f(f(dbv * r) * s));
      for (let j = 0; j < D; j++) {
        const c = g * D + j;
        const c1 = f(r * (weight ? weight[c]! : 1));
        const base = (n * C + c) * S;
        for (let i = 0; i < S; i++) gradInput[base + i] = f(c1 * dy[base + i]! + f(c2 * x[base + i]!)) + c3;
      }
    }
  }
  return { gradInput, gradWeight: gw, gradBias: gb };
}

/** Layer norm statistics: mean and biased variance per contiguous row of length D. */
export function rowStats(x: Float32Array, rows: number, D: number): { mean: Float64Array; variance: Float64Array } {
  return normStats(x, { N: rows, C: 1, S: D, perSample: true, groupSize: 1 });
}

/** Layer norm forward: affine per element of the row. */
export function layerNormApply(
  x: Float32Array,
  rows: number,
  D: number,
  mean: ArrayLike<number>,
  rstd: ArrayLike<number>,
  weight: Float32Array | null,
  bias: Float32Array | null,
): Float32Array {
  const out = new Float32Array(x.length);
  for (let r = 0; r < rows; r++) {
    const mu = mean[r]!;
    const rs = rstd[r]!;
    const base = r * D;
    for (let i = 0; i < D; i++) {
      const xhat = (x[base + i]! - mu) * rs;
      out[base + i] = weight ? xhat * weight[i]! + (bias ? bias[i]! : 0) : xhat + (bias ? bias[i]! : 0);
    }
  }
  return out;
}

export function layerNormBackward(
  x: Float32Array,
  dy: Float32Array,
  rows: number,
  D: number,
  mean: ArrayLike<number>,
  rstd: ArrayLike<number>,
  weight: Float32Array | null,
  need: { input: boolean; weight: boolean; bias: boolean },
): NormGrads {
  const gw = need.weight ? new Float64Array(D) : null;
  const gb = need.bias ? new Float64Array(D) : null;
  const gradInput = need.input ? new Float32Array(x.length) : null;
  for (let r = 0; r < rows; r++) {
    const mu = mean[r]!;
    const rs = rstd[r]!;
    const base = r * D;
    let a = 0;
    let b = 0;
    for (let i = 0; i < D; i++) {
      const g = dy[base + i]!;
      const xhat = (x[base + i]! - mu) * rs;
      const dxhat = g * (weight ? weight[i]! : 1);
      a += dxhat;
      b += dxhat * xhat;
      if (gw) gw[i]! += g * xhat;
      if (gb) gb[i]! += g;
    }
    if (gradInput) {
      a /= D;
      b /= D;
      for (let i = 0; i < D; i++) {
        const xhat = (x[base + i]! - mu) * rs;
        gradInput[base + i] = rs * (dy[base + i]! * (weight ? weight[i]! : 1) - a - xhat * b);
      }
    }
  }
  return { gradInput, gradWeight: gw ? Float32Array.from(gw) : null, gradBias: gb ? Float32Array.from(gb) : null };
}
