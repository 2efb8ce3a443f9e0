// Adam's update in float32 SIMD (src/kernels/adam.ts drives it), compiled into gemm.wasm.

@inline function splat(v: f32): v128 {
  return f32x4.splat(v);
}

/**
 * One Adam (or AdamW) step over n floats: the operations of PyTorch 1.13's
 * single-tensor Adam, each rounded to float32 as its tensor ops round them:
 *   p *= shrink (AdamW's decoupled decay; skipped when shrink is 1)
 *   g = maximize ? -g : g;  g = g + l2 * p (L2 decay; skipped when l2 is 0)
 *   m = m * b1 + c1 * g;  v = v * b2 + (c2 * g) * g
 *   vmax = max(vmax, v) (amsgrad, when vmax is not 0; NaN propagates, as torch.maximum)
 *   p = p + negStep * (m / (sqrt(v or vmax) / bc2 + eps))
 * Byte offsets; every array holds n floats.
 */
export function adamF(
  p: usize, g: usize, m: usize, v: usize, vmax: usize, n: i32,
  shrink: f32, l2: f32, maximize: bool, b1: f32, c1: f32, b2: f32, c2: f32, negStep: f32, bc2: f32, eps: f32,
): void {
  const end = <usize>(n * 4);
  const amsgrad = vmax !== 0;
  const decoupled = shrink !== 1;
  const coupled = l2 !== 0;
  let i: usize = 0;
  for (; i + 16 <= end; i += 16) {
    let pi = v128.load(p + i);
    if (decoupled) pi = f32x4.mul(pi, splat(shrink));
    let gi = v128.load(g + i);
    if (maximize) gi = f32x4.neg(gi);
    if (coupled) gi = f32x4.add(gi, f32x4.mul(splat(l2), pi));
    const mi = f32x4.add(f32x4.mul(v128.load(m + i), splat(b1)), f32x4.mul(splat(c1), gi));
    let vi = f32x4.add(f32x4.mul(v128.load(v + i), splat(b2)), f32x4.mul(f32x4.mul(splat(c2), gi), gi));
    v128.store(m + i, mi);
    v128.store(v + i, vi);
    if (amsgrad) {
      const a = v128.load(vmax + i);
      // f32x4.max (and f32.max below) propagate NaN from either side
      vi = f32x4.max(a, vi);
      v128.store(vmax + i, vi);
    }
    const denom = f32x4.add(f32x4.div(f32x4.sqrt(vi), splat(bc2)), splat(eps));
    v128.store(p + i, f32x4.add(pi, f32x4.mul(splat(negStep), f32x4.div(mi, denom))));
  }
  for (; i < end; i += 4) {
    let pi = load<f32>(p + i);
    if (decoupled) pi = pi * shrink;
    let gi = load<f32>(g + i);
    if (maximize) gi = -gi;
    if (coupled) gi = gi + l2 * pi;
    const mi: f32 = load<f32>(m + i) * b1 + c1 * gi;
    let vi: f32 = load<f32>(v + i) * b2 + c2 * gi * gi;
    store<f32>(m + i, mi);
    store<f32>(v + i, vi);
    if (amsgrad) {
      const a = load<f32>(vmax + i);
      vi = max(a, vi);
      store<f32>(vmax + i, vi);
    }
    const denom: f32 = Mathf.sqrt(vi) / bc2 + eps;
    store<f32>(p + i, pi + negStep * (mi / denom));
  }
}
