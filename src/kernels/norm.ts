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
 * Backward of normApply. With `statsFromInput`, mean and rstd depend on x:
 *   dx = (dy - mean(dy) - (x - mean) * k) * rstd * w,  k = mean((x - mean) * dy) * rstd^2
 * otherwise (running statistics) dx = dy * rstd * w. Per-element arithmetic is
 * float32 in ATen's order; sums accumulate in float64.
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
  const f = Math.fround;
  const { N, C, S } = l;
  const k = statCount(l);
  const sumDy = new Float64Array(k);
  const dotp = new Float64Array(k);
  const gw = need.weight ? new Float64Array(C) : null;
  const gb = need.bias ? new Float64Array(C) : null;
  const perChannel = l.groupSize === 1;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const st = statIndex(l, n, c);
      const base = (n * C + c) * S;
      const mu = f(mean[st]!);
      let sdy = 0;
      let sdyx = 0;
      for (let i = 0; i < S; i++) {
        const g = dy[base + i]!;
        sdy += g;
        sdyx += f(x[base + i]! - mu) * g;
      }
      // One channel per statistic (batch, instance): plain sums, weight applied last as in ATen.
      // Several (group norm): sums of dy * w, since the weight varies inside the statistic.
      const w = perChannel || !weight ? 1 : weight[c]!;
      sumDy[st]! += w * sdy;
      dotp[st]! += w * sdyx;
      if (gw) gw[c]! += sdyx * f(rstd[st]!);
      if (gb) gb[c]! += sdy;
    }
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
        if (perChannel) {
          for (let i = 0; i < S; i++) {
            const xc = f(x[base + i]! - mu);
            gradInput[base + i] = f(f(f(dy[base + i]! - gm) - xc * kk) * r) * w;
          }
        } else {
          for (let i = 0; i < S; i++) {
            const xc = f(x[base + i]! - mu);
            gradInput[base + i] = f(f(w * dy[base + i]!) - gm - xc * kk) * r;
          }
        }
      }
    }
  }
  return {
    gradInput,
    gradWeight: gw ? Float32Array.from(gw) : null,
    gradBias: gb ? Float32Array.from(gb) : null,
  };
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
