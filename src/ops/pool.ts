/**
 * 2-D pooling: max_pool2d, avg_pool2d, adaptive_avg_pool2d, adaptive_max_pool2d.
 * Their shape rules (`pool2dOutputShape`, `adaptivePool2dOutputShape`) hold
 * PyTorch's checks and are what the shape-flow analyzer calls.
 */
import { checkNumel, numel as numelOf } from '../tensor/shape.js';
import { record } from '../autograd/record.js';
import { isGradEnabled } from '../tensor/grad_mode.js';
import { NormkitError, RuntimeError, TypeError, fmtSize, pyTypeName } from '../errors.js';
import { checkOptions } from '../options.js';
import * as K from '../kernels/pool.js';
import type { Shape } from '../tensor/shape.js';
import { Tensor, assertTensor } from '../tensor/tensor.js';
import { expandParam, windowedFacts, type IntOrTuple } from './window_args.js';

export interface MaxPool2dOptions {
  /** Defaults to the kernel size (PyTorch's `stride=None`). */
  stride?: IntOrTuple | null;
  padding?: IntOrTuple;
  dilation?: IntOrTuple;
  ceilMode?: boolean;
}

export interface AvgPool2dOptions {
  stride?: IntOrTuple | null;
  padding?: IntOrTuple;
  ceilMode?: boolean;
  /** Count the zero padding in the divisor (default true). */
  countIncludePad?: boolean;
  /** Divide every window by this instead. */
  divisorOverride?: number | null;
}

/** Resolved per-axis (height, width) pooling parameters. */
export interface Pool2dParams {
  kernel: number[];
  stride: number[];
  padding: number[];
  dilation: number[];
  ceilMode: boolean;
}

/**
 * One axis of PyTorch's `pooling_output_shape`: floor (or ceil) of
 * (in + 2*pad - dilation*(k-1) - 1) / stride, plus 1; in ceil mode the last
 * window must start inside the input or its left padding.
 */
export function poolOutputSize(inputSize: number, kernel: number, pad: number, stride: number, dilation: number, ceilMode: boolean): number {
  if (stride === 0) throw new RuntimeError('stride should not be zero', { kind: 'argument' });
  if (pad < 0) throw new RuntimeError(`pad must be non-negative, but got pad: ${pad}`, { kind: 'argument' });
  if (pad > Math.floor(kernel / 2)) {
    throw new RuntimeError(`pad should be at most half of kernel size, but got pad=${pad} and kernel_size=${kernel}`, { kind: 'argument' });
  }
  const num = inputSize + 2 * pad - dilation * (kernel - 1) - 1 + (ceilMode ? stride - 1 : 0);
  let out = Math.floor(num / stride) + 1;
  if (ceilMode && (out - 1) * stride >= inputSize + pad) out--;
  return out;
}

/** Runs a check that knows no input size, adding it to the error. */
function withInputSize<T>(input: Shape, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof NormkitError && e.inputSize === undefined) e.inputSize = [...input];
    throw e;
  }
}

function resolvePool(opName: string, kernelSize: IntOrTuple, stride: IntOrTuple | null | undefined, padding: IntOrTuple, dilation: IntOrTuple, ceilMode: boolean): Pool2dParams {
  const kernel = expandParam(kernelSize, 2, 'kernel_size', `${opName}: kernel_size must either be a single int, or a tuple of two ints`);
  const omitted = stride === null || stride === undefined || (Array.isArray(stride) && stride.length === 0);
  return {
    kernel,
    stride: omitted ? [...kernel] : expandParam(stride, 2, 'stride', `${opName}: stride must either be omitted, a single int, or a tuple of two ints`),
    padding: expandParam(padding, 2, 'padding', `${opName}: padding must either be a single int, or a tuple of two ints`),
    dilation: expandParam(dilation, 2, 'dilation', `${opName}: dilation must be either a single int, or a tuple of two ints`),
    ceilMode,
  };
}

/**
 * Output shape of max/avg pooling over the last two dims of a [C, H, W] or
 * [N, C, H, W] input, with PyTorch's `pool2d_shape_check` errors.
 */
export function pool2dOutputShape(input: Shape, p: Pool2dParams): number[] {
  const nd = input.length;
  if (nd !== 3 && nd !== 4) {
    throw new RuntimeError(`non-empty 3D or 4D (batch mode) tensor expected for input, but got input of size ${fmtSize(input)}`, { inputSize: input, kind: 'rank' });
  }
  const [C, H, W] = input.slice(nd - 3) as [number, number, number];
  const [kh, kw] = p.kernel as [number, number];
  const [sh, sw] = p.stride as [number, number];
  const [ph, pw] = p.padding as [number, number];
  const [dh, dw] = p.dilation as [number, number];
  const arg = { inputSize: input, kind: 'argument' } as const;
  const outH = withInputSize(input, () => poolOutputSize(H, kh, ph, sh, dh, p.ceilMode));
  const outW = withInputSize(input, () => poolOutputSize(W, kw, pw, sw, dw, p.ceilMode));
  if (kh <= 0 || kw <= 0) throw new RuntimeError(`kernel size should be greater than zero, but got kH: ${kh} kW: ${kw}`, arg);
  if (sh <= 0 || sw <= 0) throw new RuntimeError(`stride should be greater than zero, but got dH: ${sh} dW: ${sw}`, arg);
  if (dh <= 0 || dw <= 0) throw new RuntimeError(`dilation should be greater than zero, but got dilationH: ${dh} dilationW: ${dw}`, arg);
  const validDims = input[1] !== 0 && input[2] !== 0 && (nd === 3 ? input[0] !== 0 : input[3] !== 0);
  if (!validDims) {
    throw new RuntimeError(`Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:${fmtSize(input)}`, { inputSize: input, kind: 'rank' });
  }
  if (outH < 1 || outW < 1) {
    throw new RuntimeError(`Given input size: (${C}x${H}x${W}). Calculated output size: (${C}x${outH}x${outW}). Output size is too small`, {
      inputSize: input,
      kind: 'kernel',
    });
  }
  return [...input.slice(0, nd - 2), outH, outW];
}

/** Output shape of `max_pool2d(input, kernelSize, opts)`. */
export function maxPool2dOutputShape(input: Shape, kernelSize: IntOrTuple, opts: MaxPool2dOptions = {}): number[] {
  return pool2dOutputShape(input, resolvePool('max_pool2d', kernelSize, opts.stride, opts.padding ?? 0, opts.dilation ?? 1, opts.ceilMode ?? false));
}

/** Output shape of `avg_pool2d(input, kernelSize, opts)`. */
export function avgPool2dOutputShape(input: Shape, kernelSize: IntOrTuple, opts: AvgPool2dOptions = {}): number[] {
  if (opts.divisorOverride === 0) throw new RuntimeError('divisor must be not zero', { inputSize: input, kind: 'argument' });
  return pool2dOutputShape(input, resolvePool('avg_pool2d', kernelSize, opts.stride, opts.padding ?? 0, 1, opts.ceilMode ?? false));
}

function planesOf(shape: Shape): number {
  return shape.length === 4 ? shape[0]! * shape[1]! : shape[0]!;
}

function geom(input: Shape, out: Shape, p: Pool2dParams): K.PoolGeom2d {
  const n = input.length;
  return {
    H: input[n - 2]!,
    W: input[n - 1]!,
    outH: out[n - 2]!,
    outW: out[n - 1]!,
    kh: p.kernel[0]!,
    kw: p.kernel[1]!,
    sh: p.stride[0]!,
    sw: p.stride[1]!,
    ph: p.padding[0]!,
    pw: p.padding[1]!,
    dh: p.dilation[0]!,
    dw: p.dilation[1]!,
  };
}

/**
 * 2-D max pooling (PyTorch's `F.max_pool2d`); the padding never wins (it is
 * -inf). The gradient goes to each window's first maximal element.
 */
export function maxPool2d(x: Tensor, kernelSize: IntOrTuple, opts: MaxPool2dOptions = {}): Tensor {
  assertTensor(x, 'input');
  checkOptions('max_pool2d', opts, { stride: 'ints|null', padding: 'ints', dilation: 'ints', ceilMode: 'boolean' }, { position: 3, positional: 'stride' });
  const p = resolvePool('max_pool2d', kernelSize, opts.stride, opts.padding ?? 0, opts.dilation ?? 1, opts.ceilMode ?? false);
  const outShape = pool2dOutputShape(x.shape, p);
  // Every window of a constant map holds copies of one value (padding is ignored).
  if (x.isMeta) return Tensor.meta(outShape, windowedFacts(x, outShape, 2, true));
  checkNumel(numelOf(outShape), outShape);
  const g = geom(x.shape, outShape, p);
  const planes = planesOf(x.shape);
  // inference: the values alone (no argmax), in SIMD
  if (!isGradEnabled() || !x.requiresGrad) return new Tensor(K.maxPool2dValues(x.data, planes, g), outShape);
  const { out, indices } = K.maxPool2d(x.data, planes, g);
  return record(new Tensor(out, outShape), [x], 'max_pool2d', (gOut) => [
    new Tensor(K.maxPoolBackward(gOut.data, indices, planes, g.H * g.W, g.outH * g.outW), x.shape),
  ]);
}

/**
 * 2-D average pooling (PyTorch's `F.avg_pool2d`): windows are clipped to the
 * padded input; the divisor is the clipped window size counting padding
 * (`countIncludePad`, default), without it, or `divisorOverride`.
 */
export function avgPool2d(x: Tensor, kernelSize: IntOrTuple, opts: AvgPool2dOptions = {}): Tensor {
  assertTensor(x, 'input');
  checkOptions('avg_pool2d', opts, { stride: 'ints|null', padding: 'ints', ceilMode: 'boolean', countIncludePad: 'boolean', divisorOverride: 'int|null' }, { position: 3, positional: 'stride' });
  if (opts.divisorOverride === 0) throw new RuntimeError('divisor must be not zero', { inputSize: x.shape, kind: 'argument' });
  const p = resolvePool('avg_pool2d', kernelSize, opts.stride, opts.padding ?? 0, 1, opts.ceilMode ?? false);
  const outShape = pool2dOutputShape(x.shape, p);
  const mode: K.AvgPoolMode = { countIncludePad: opts.countIncludePad ?? true };
  if (opts.divisorOverride !== null && opts.divisorOverride !== undefined) mode.divisorOverride = opts.divisorOverride;
  if (x.isMeta) {
    // Averages of a constant map stay constant unless zeros or a fixed divisor enter some windows.
    const padded = p.padding.some((v) => v > 0);
    const preserves = mode.divisorOverride === undefined && (!padded || !mode.countIncludePad);
    return Tensor.meta(outShape, windowedFacts(x, outShape, 2, preserves));
  }
  checkNumel(numelOf(outShape), outShape);
  const g = geom(x.shape, outShape, p);
  const planes = planesOf(x.shape);
  const out = K.avgPool2d(x.data, planes, g, mode);
  return record(new Tensor(out, outShape), [x], 'avg_pool2d', (gOut) => [new Tensor(K.avgPoolBackward(gOut.data, planes, g, mode), x.shape)]);
}

export type AdaptiveSize = number | readonly (number | null)[];

/**
 * Output shape of adaptive pooling to `outputSize` (an int, or [h, w] where
 * null keeps that input size) over a [C, H, W] or [N, C, H, W] input.
 */
export function adaptivePool2dOutputShape(input: Shape, outputSize: AdaptiveSize, opName = 'adaptive_avg_pool2d'): number[] {
  if (typeof outputSize !== 'number' && !Array.isArray(outputSize)) {
    throw new TypeError(`${opName}(): argument 'output_size' (position 2) must be tuple of ints, not ${pyTypeName(outputSize)}`, { kind: 'argument' });
  }
  const list = typeof outputSize === 'number' ? [outputSize, outputSize] : [...outputSize];
  if (list.length !== 2) throw new RuntimeError(`${opName}: output_size must be 2`, { inputSize: input, kind: 'argument' });
  const nd = input.length;
  if (nd !== 3 && nd !== 4) throw new RuntimeError(`${opName}(): Expected 3D or 4D tensor, but got ${fmtSize(input)}`, { inputSize: input, kind: 'rank' });
  for (const i of [nd - 2, nd - 1]) {
    if (input[i] === 0) {
      throw new RuntimeError(
        `${opName}(): Expected input to have non-zero size for non-batch dimensions, but input has sizes ${fmtSize(input)} with dimension ${i} being empty`,
        { inputSize: input, kind: 'rank' },
      );
    }
  }
  const out = list.map((s, i) => s ?? input[nd - 2 + i]!);
  if (out.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new RuntimeError(`${opName}: elements of output_size must be greater than or equal to 0 but received {${out.join(', ')}}`, { inputSize: input, kind: 'argument' });
  }
  return [...input.slice(0, nd - 2), ...out];
}

/** Adaptive average pooling: window i spans [floor(i*in/out), ceil((i+1)*in/out)). */
export function adaptiveAvgPool2d(x: Tensor, outputSize: AdaptiveSize): Tensor {
  assertTensor(x, 'input');
  const outShape = adaptivePool2dOutputShape(x.shape, outputSize, 'adaptive_avg_pool2d');
  if (x.isMeta) return Tensor.meta(outShape, windowedFacts(x, outShape, 2, true));
  checkNumel(numelOf(outShape), outShape);
  const n = x.ndim;
  const [H, W, oH, oW] = [x.shape[n - 2]!, x.shape[n - 1]!, outShape[n - 2]!, outShape[n - 1]!];
  const planes = planesOf(x.shape);
  const out = K.adaptiveAvgPool2d(x.data, planes, H, W, oH, oW);
  return record(new Tensor(out, outShape), [x], 'adaptive_avg_pool2d', (g) => [
    new Tensor(K.adaptiveAvgPoolBackward(g.data, planes, H, W, oH, oW), x.shape),
  ]);
}

/** Adaptive max pooling, windows as in `adaptiveAvgPool2d`. */
export function adaptiveMaxPool2d(x: Tensor, outputSize: AdaptiveSize): Tensor {
  assertTensor(x, 'input');
  const outShape = adaptivePool2dOutputShape(x.shape, outputSize, 'adaptive_max_pool2d');
  if (x.isMeta) return Tensor.meta(outShape, windowedFacts(x, outShape, 2, true));
  checkNumel(numelOf(outShape), outShape);
  const n = x.ndim;
  const [H, W, oH, oW] = [x.shape[n - 2]!, x.shape[n - 1]!, outShape[n - 2]!, outShape[n - 1]!];
  const planes = planesOf(x.shape);
  const { out, indices } = K.adaptiveMaxPool2d(x.data, planes, H, W, oH, oW);
  return record(new Tensor(out, outShape), [x], 'adaptive_max_pool2d', (g) => [
    new Tensor(K.maxPoolBackward(g.data, indices, planes, H * W, oH * oW), x.shape),
  ]);
}
