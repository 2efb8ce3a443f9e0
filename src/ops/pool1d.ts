/**
 * 1-D pooling: max_pool1d, avg_pool1d, adaptive_avg_pool1d over [N, C, L] or
 * [C, L]. As in PyTorch 1.13 they run as the 2-D ops over a height-1 map (so
 * their "Output size is too small" errors read `(Cx1xL)`), after PyTorch's
 * own 1-D argument checks. `maxPool1dOutputShape`, `avgPool1dOutputShape` and
 * `adaptivePool1dOutputShape` are the shape rules.
 *
 * max_pool1d has two paths in PyTorch 1.13: when its input requires grad
 * (and grad mode is on) it is max_pool2d on the height-1 map, which refuses
 * an empty output; otherwise its own kernel returns an empty output when
 * the window fits nowhere and refuses only a negative size. Meta inputs take
 * the first path (shape-only analysis models a training call, whose inputs
 * come from layers with parameters).
 */
import { isGradEnabled } from '../tensor/grad_mode.js';
import { NormkitError, RuntimeError, TypeError, fmtSize, pyTypeName } from '../errors.js';
import { checkOptions } from '../options.js';
import type { Shape } from '../tensor/shape.js';
import { Tensor, assertTensor } from '../tensor/tensor.js';
import { adaptiveAvgPool2d, adaptivePool2dOutputShape, avgPool2d, avgPool2dOutputShape, maxPool2d, maxPool2dOutputShape, poolOutputSize } from './pool.js';
import { reshape } from './shape_ops.js';
import type { IntOrTuple } from './window_args.js';

export interface MaxPool1dOptions {
  /** Defaults to the kernel size (PyTorch's `stride=None`). */
  stride?: IntOrTuple | null;
  padding?: IntOrTuple;
  dilation?: IntOrTuple;
  ceilMode?: boolean;
}

export interface AvgPool1dOptions {
  stride?: IntOrTuple | null;
  padding?: IntOrTuple;
  ceilMode?: boolean;
  /** Count the zero padding in the divisor (default true). */
  countIncludePad?: boolean;
}

const list = (v: IntOrTuple): number[] => (typeof v === 'number' ? [v] : [...v]);
const omitted = (v: IntOrTuple | null | undefined) => v === null || v === undefined || (Array.isArray(v) && v.length === 0);

/** The input lifted to a height-1 map: [..., L] -> [..., 1, L]. */
const lift = (s: Shape): number[] => [...s.slice(0, -1), 1, s[s.length - 1]!];
const unlift = (s: Shape): number[] => [...s.slice(0, -2), s[s.length - 1]!];

/** Runs a 2-D rule on the lifted shape, reporting the caller's own input size in its errors. */
function as1d<T>(input: Shape, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof NormkitError) e.inputSize = [...input];
    throw e;
  }
}

/** PyTorch's `checkDimRange(..., 2, 4)`: the input of avg_pool1d / adaptive_avg_pool1d is 2-D or 3-D. */
function checkDims23(input: Shape, op: string): void {
  if (input.length < 2 || input.length > 3) {
    throw new RuntimeError(
      `Expected 2 to 3 dimensions, but got ${input.length}-dimensional tensor for argument #1 'self' (while checking arguments for ${op})`,
      { inputSize: input, kind: 'rank' },
    );
  }
}

/** PyTorch's `check1d`: an argument that must hold one int. */
function one(op: string, what: string, v: IntOrTuple, input: Shape): number {
  const l = list(v);
  if (l.length !== 1 || !Number.isInteger(l[0])) {
    throw new RuntimeError(`${op}() argument '${what}' should contain one int (got ${l.length})`, { inputSize: input, kind: 'argument' });
  }
  return l[0]!;
}

interface MaxPool1dParams {
  k: number;
  s: number;
  p: number;
  d: number;
  ceilMode: boolean;
}

/** The rank check both of PyTorch 1.13's max_pool1d paths start with. */
function checkMaxPool1dRank(input: Shape): void {
  const nd = input.length;
  const ok = (nd === 2 && input[0] !== 0 && input[1] !== 0) || (nd === 3 && input[1] !== 0 && input[2] !== 0);
  if (!ok) {
    throw new RuntimeError(`max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for input, but got:${fmtSize(input)}`, {
      inputSize: input,
      kind: 'rank',
    });
  }
}

/** The grad path's arguments (`max_pool1d_with_indices`: one int each, then max_pool2d's checks). */
function maxPool1dGradParams(input: Shape, kernelSize: IntOrTuple, o: MaxPool1dOptions): MaxPool1dParams {
  const op = 'max_pool1d';
  const k = one(op, 'kernel_size', kernelSize, input);
  const s = omitted(o.stride) ? k : one(op, 'stride', o.stride!, input);
  return { k, s, p: one(op, 'padding', o.padding ?? 0, input), d: one(op, 'dilation', o.dilation ?? 1, input), ceilMode: o.ceilMode ?? false };
}

/** The no-grad path's own checks (PyTorch 1.13's `check_max_pool1d`). */
function checkMaxPool1d(input: Shape, kernelSize: IntOrTuple, o: MaxPool1dOptions): MaxPool1dParams {
  const sized = (what: string, v: IntOrTuple): number => {
    const l = list(v);
    if (l.length !== 1 || !Number.isInteger(l[0])) {
      throw new RuntimeError(`max_pool1d() ${what} must be an int, list of ints or tuple of ints of size 1 but got size ${l.length}`, {
        inputSize: input,
        kind: 'argument',
      });
    }
    return l[0]!;
  };
  const k = sized('kernel_size', kernelSize);
  const s = omitted(o.stride) ? k : sized('stride', o.stride!);
  const p = sized('padding', o.padding ?? 0);
  const d = sized('dilation', o.dilation ?? 1);
  const arg = (msg: string) => new RuntimeError(`max_pool1d() ${msg}`, { inputSize: input, kind: 'argument' });
  if (k <= 0) throw arg(`kernel_size must be greater than zero, but got ${k}`);
  if (s <= 0) throw arg(`stride must be greater than zero, but got ${s}`);
  if (p < 0) throw arg(`padding must be non-negative, but got ${p}`);
  if (p > Math.floor(k / 2)) throw arg(`padding should be at most half of kernel size, but got padding=${p} and kernel_size=${k}`);
  if (d <= 0) throw arg(`dilation must be greater than zero, but got ${d}`);
  return { k, s, p, d, ceilMode: o.ceilMode ?? false };
}

const lifted2d = (q: MaxPool1dParams) => ({ stride: [1, q.s], padding: [0, q.p], dilation: [1, q.d], ceilMode: q.ceilMode });

function takesGradPath(x: Tensor): boolean {
  return isGradEnabled() && (x.requiresGrad || x.isMeta);
}

/**
 * Output shape of `max_pool1d(input, kernelSize, opts)`; `gradPath` says
 * whether the input requires grad (see the module comment for the difference).
 */
export function maxPool1dOutputShape(input: Shape, kernelSize: IntOrTuple, opts: MaxPool1dOptions = {}, gradPath = true): number[] {
  checkMaxPool1dRank(input);
  if (gradPath) {
    const q = maxPool1dGradParams(input, kernelSize, opts);
    return as1d(input, () => unlift(maxPool2dOutputShape(lift(input), [1, q.k], lifted2d(q))));
  }
  const q = checkMaxPool1d(input, kernelSize, opts);
  const out = as1d(input, () => poolOutputSize(input[input.length - 1]!, q.k, q.p, q.s, q.d, q.ceilMode));
  if (out < 0) throw new RuntimeError(`max_pool1d() Invalid computed output size: ${out}`, { inputSize: input, kind: 'kernel' });
  return [...input.slice(0, -1), out];
}

/** 1-D max pooling (PyTorch's `F.max_pool1d`); the gradient goes to each window's first maximum. */
export function maxPool1d(x: Tensor, kernelSize: IntOrTuple, opts: MaxPool1dOptions = {}): Tensor {
  assertTensor(x, 'input');
  checkOptions('max_pool1d', opts, { stride: 'ints|null', padding: 'ints', dilation: 'ints', ceilMode: 'boolean' }, { position: 3, positional: 'stride' });
  const gradPath = takesGradPath(x);
  const outShape = maxPool1dOutputShape(x.shape, kernelSize, opts, gradPath);
  if (outShape[outShape.length - 1] === 0 && !gradPath) return x.isMeta ? Tensor.meta(outShape) : new Tensor(new Float32Array(0), outShape);
  const q = gradPath ? maxPool1dGradParams(x.shape, kernelSize, opts) : checkMaxPool1d(x.shape, kernelSize, opts);
  return reshape(as1d(x.shape, () => maxPool2d(reshape(x, lift(x.shape)), [1, q.k], lifted2d(q))), outShape);
}

interface AvgPool1dParams {
  k: number;
  o2d: { stride: number[]; padding: number[]; ceilMode: boolean; countIncludePad: boolean };
}

function checkAvgPool1d(input: Shape, kernelSize: IntOrTuple, o: AvgPool1dOptions): AvgPool1dParams {
  const op = 'avg_pool1d';
  checkDims23(input, op);
  const k = one(op, 'kernel_size', kernelSize, input);
  const s = omitted(o.stride) ? k : one(op, 'stride', o.stride!, input);
  const p = one(op, 'padding', o.padding ?? 0, input);
  return { k, o2d: { stride: [1, s], padding: [0, p], ceilMode: o.ceilMode ?? false, countIncludePad: o.countIncludePad ?? true } };
}

/** Output shape of `avg_pool1d(input, kernelSize, opts)`. */
export function avgPool1dOutputShape(input: Shape, kernelSize: IntOrTuple, opts: AvgPool1dOptions = {}): number[] {
  const q = checkAvgPool1d(input, kernelSize, opts);
  return as1d(input, () => unlift(avgPool2dOutputShape(lift(input), [1, q.k], q.o2d)));
}

/** 1-D average pooling (PyTorch's `F.avg_pool1d`): avg_pool2d over the height-1 map. */
export function avgPool1d(x: Tensor, kernelSize: IntOrTuple, opts: AvgPool1dOptions = {}): Tensor {
  assertTensor(x, 'input');
  checkOptions('avg_pool1d', opts, { stride: 'ints|null', padding: 'ints', ceilMode: 'boolean', countIncludePad: 'boolean' }, { position: 3, positional: 'stride' });
  const q = checkAvgPool1d(x.shape, kernelSize, opts);
  const y = as1d(x.shape, () => avgPool2d(reshape(x, lift(x.shape)), [1, q.k], q.o2d));
  return reshape(y, unlift(y.shape));
}

function adaptiveTarget(input: Shape, outputSize: IntOrTuple | null): number {
  const op = 'adaptive_avg_pool1d';
  if (typeof outputSize !== 'number' && !Array.isArray(outputSize)) {
    throw new TypeError(`${op}(): argument 'output_size' (position 2) must be tuple of ints, not ${pyTypeName(outputSize)}`, { inputSize: input, kind: 'argument' });
  }
  checkDims23(input, op);
  return one(op, 'output_size', outputSize, input);
}

/** Output shape of `adaptive_avg_pool1d(input, outputSize)`. */
export function adaptivePool1dOutputShape(input: Shape, outputSize: IntOrTuple): number[] {
  const L = adaptiveTarget(input, outputSize);
  return as1d(input, () => unlift(adaptivePool2dOutputShape(lift(input), [1, L], 'adaptive_avg_pool2d')));
}

/** Adaptive 1-D average pooling: window i spans [floor(i*L/out), ceil((i+1)*L/out)). */
export function adaptiveAvgPool1d(x: Tensor, outputSize: IntOrTuple): Tensor {
  assertTensor(x, 'input');
  const L = adaptiveTarget(x.shape, outputSize);
  const y = as1d(x.shape, () => adaptiveAvgPool2d(reshape(x, lift(x.shape)), [1, L]));
  return reshape(y, unlift(y.shape));
}
