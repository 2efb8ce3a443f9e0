/** What bench:conv and bench:models share: medians, timed runs, and the check of a peer's result against normkit's. */

export const median = (a: number[]): number => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Median ms of `iters` runs after `warmup` (async runs awaited). */
export async function time(run: () => unknown, warmup: number, iters: number): Promise<number> {
  for (let i = 0; i < warmup; i++) await run();
  const t: number[] = [];
  for (let i = 0; i < iters; i++) {
    const t0 = performance.now();
    await run();
    t.push(performance.now() - t0);
  }
  return median(t);
}

/** Worst |a - b| relative to b's scale, max(1, max |b|). */
export function maxRelError(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let scale = 1;
  for (const v of b) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / scale);
  return Number.isNaN(worst) ? Infinity : worst;
}
