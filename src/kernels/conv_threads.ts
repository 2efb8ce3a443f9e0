/**
 * Convolution forward on every core: the batch's images, or (one image, one
 * group) its output channels in multiples of 8, split between this thread and
 * the workers of the shared pool (backend.ts's, the normalization kernels'
 * pool). The workers read the input, weight and bias from shared memory
 * (copied there unless they already are) and write their share of a shared
 * output in place. Problems under ~30 MFLOP stay on one thread: posting and
 * waking a worker and the copies cost more than the second core saves there.
 * Results are identical to one thread's (each output element is computed the
 * same way by whichever thread owns it).
 */
import { isShared } from '../tensor/storage.js';
import { taskPool, threadCount } from './backend.js';
import { convForwardImages, convPath, type ConvDims } from './conv_fwd.js';
import { gemmBackend } from './gemm.js';
import { runConvForwardTask, type ConvForwardTask } from './tasks.js';

/** Multiply-adds x 2 below which a convolution stays on one thread. */
let minFlops = 3e7;

/** Moves the single-thread threshold (tests: 0 threads every convolution). */
export function setConvThreadMinFlops(flops: number): void {
  minFlops = Math.max(0, flops);
}

const staging = new Map<string, Float32Array>();

/** `a` itself if shared, else a copy in a reused shared buffer named `role`. */
function shared(a: Float32Array, role: string): Float32Array {
  if (isShared(a)) return a;
  let buf = staging.get(role);
  if (!buf || buf.length < a.length) {
    buf = new Float32Array(new SharedArrayBuffer(Math.ceil(a.length * 1.25) * 4 + 64));
    staging.set(role, buf);
  }
  const view = buf.subarray(0, a.length);
  view.set(a);
  return view;
}

/** Splits [0, n) into `parts` ranges of multiples of `unit` (the last takes the rest); empty ranges dropped. */
function split(n: number, parts: number, unit: number): [number, number][] {
  const per = Math.max(unit, Math.ceil(n / parts / unit) * unit);
  const out: [number, number][] = [];
  for (let a = 0; a < n; a += per) out.push([a, Math.min(n, a + per)]);
  return out;
}

/**
 * The forward of all images into a new output, on as many threads as pay;
 * `alloc(n, shared)` makes the output (shared memory when threads write it).
 */
export function convForwardAll(d: ConvDims, xd: Float32Array, wd: Float32Array, bd: Float32Array | null, alloc: (n: number, shared: boolean) => Float32Array): Float32Array {
  const path = convPath(d);
  const { N, C, Cout, G, g } = d;
  const L = g.outH * g.outW;
  const flops = 2 * N * Cout * L * (C / G) * g.kh * g.kw;
  const threads = threadCount();
  const pool = threads >= 2 && flops >= minFlops ? taskPool() : null;
  let ranges: { n: [number, number]; co: [number, number] }[] = [];
  if (pool) {
    const parts = Math.min(threads, pool.size + 1);
    if (N >= parts) ranges = split(N, parts, 1).map((n) => ({ n, co: [0, Cout] }));
    else if (G === 1 && Cout >= 16) ranges = split(Cout, parts, 8).map((co) => ({ n: [0, N], co }));
  }
  if (!pool || ranges.length < 2) {
    const out = alloc(N * Cout * L, false);
    convForwardImages(path, d, xd, wd, bd, out, 0, N);
    return out;
  }
  const out = alloc(N * Cout * L, true);
  const base = { path, gemm: gemmBackend, d, x: shared(xd, 'x'), w: shared(wd, 'w'), b: bd ? shared(bd, 'b') : null, out };
  const task = (r: (typeof ranges)[number]): ConvForwardTask => ({ ...base, n0: r.n[0], n1: r.n[1], co0: r.co[0], co1: r.co[1] });
  const [mine, ...theirs] = ranges.map(task);
  const ran = pool.runTask(
    'conv_fwd',
    theirs as unknown as Record<string, unknown>[],
    () => runConvForwardTask(mine!),
    (t) => runConvForwardTask(t as unknown as ConvForwardTask),
    out.length,
  );
  if (!ran) convForwardImages(path, d, xd, wd, bd, out, 0, N);
  return out;
}
