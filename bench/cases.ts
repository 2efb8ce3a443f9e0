/**
 * What the benchmark measures: the ops, passes and shapes, the inputs (the
 * same numbers for every implementation), and normkit's runners.
 */
import { noGrad } from '../src/tensor/grad_mode.js';
import { nn, Tensor } from '../src/index.js';
import type { Module } from '../src/nn/module.js';

export type OpName = 'InstanceNorm2d' | 'BatchNorm2d' | 'GroupNorm' | 'LayerNorm';
export type Pass = 'forward' | 'forward+backward';
export type Shape4 = [number, number, number, number];

export interface BenchCase {
  op: OpName;
  pass: Pass;
}

/**
 * InstanceNorm2d (affine) forward and forward+backward; BatchNorm2d with
 * batch statistics (training) forward and forward+backward; GroupNorm with
 * GROUPS groups and LayerNorm over the last two dims [H, W], forward.
 */
export const CASES: readonly BenchCase[] = [
  { op: 'InstanceNorm2d', pass: 'forward' },
  { op: 'InstanceNorm2d', pass: 'forward+backward' },
  { op: 'BatchNorm2d', pass: 'forward' },
  { op: 'BatchNorm2d', pass: 'forward+backward' },
  { op: 'GroupNorm', pass: 'forward' },
  { op: 'LayerNorm', pass: 'forward' },
];

export const SHAPES: readonly Shape4[] = [
  [8, 64, 64, 64],
  [16, 64, 128, 128],
  [32, 256, 8, 8],
  [1, 32, 256, 256],
];

export const GROUPS = 8;
export const EPS = 1e-5;

/** The inputs of one shape: x, the output gradient dy, per-channel and per-[H, W] affine parameters. */
export interface BenchData {
  shape: Shape4;
  x: Float32Array;
  dy: Float32Array;
  w: Float32Array;
  b: Float32Array;
  lw: Float32Array;
  lb: Float32Array;
}

/** Uniform values in [lo, hi) from a fixed xorshift stream (no dependence on Math.random). */
function uniform(n: number, seed: number, lo: number, hi: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = lo + ((s >>> 0) / 4294967296) * (hi - lo);
  }
  return out;
}

export function makeData(shape: Shape4): BenchData {
  const [N, C, H, W] = shape;
  const n = N * C * H * W;
  return {
    shape,
    x: uniform(n, 1, -1.5, 2.5),
    dy: uniform(n, 2, -1, 1),
    w: uniform(C, 3, 0.5, 1.5),
    b: uniform(C, 4, -0.5, 0.5),
    lw: uniform(H * W, 5, 0.5, 1.5),
    lb: uniform(H * W, 6, -0.5, 0.5),
  };
}

/** The arrays a pass produces: [y] forward; [dx, dweight, dbias] forward+backward. */
export type PassResult = Float32Array[];

function moduleFor(op: OpName, d: BenchData): Module {
  const [, C, H, W] = d.shape;
  const m =
    op === 'InstanceNorm2d' ? new nn.InstanceNorm2d(C, { affine: true })
    : op === 'BatchNorm2d' ? new nn.BatchNorm2d(C)
    : op === 'GroupNorm' ? new nn.GroupNorm(GROUPS, C)
    : new nn.LayerNorm([H, W]);
  const perHW = op === 'LayerNorm';
  m.getParameter('weight')!.data.set(perHW ? d.lw : d.w);
  m.getParameter('bias')!.data.set(perHW ? d.lb : d.b);
  return m.train();
}

/**
 * normkit's pass through its nn module (whatever backend and threads are set
 * when it runs). `reuse` (forward only): each call disposes the previous
 * call's output first, as an inference loop that is done with it would, so
 * the new output takes its memory (see src/tensor/storage.ts).
 */
export function normkitRunner(c: BenchCase, d: BenchData, reuse = false): () => PassResult {
  const m = moduleFor(c.op, d);
  const x = new Tensor(d.x, d.shape);
  if (c.pass === 'forward' && reuse) {
    let last: Tensor | null = null;
    return () => {
      last?.dispose();
      last = noGrad(() => m.call(x));
      return [last.data];
    };
  }
  if (c.pass === 'forward') return () => [noGrad(() => m.call(x)).data];
  x.requiresGrad = true;
  const dy = new Tensor(d.dy, d.shape);
  const [w, b] = [m.getParameter('weight')!, m.getParameter('bias')!];
  return () => {
    x.grad = null;
    m.zeroGrad();
    m.call(x).backward(dy);
    return [x.grad!.data, w.grad!.data, b.grad!.data];
  };
}
