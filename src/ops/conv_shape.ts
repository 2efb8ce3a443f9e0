/**
 * The shape rules and checks of every convolution (PyTorch's
 * `check_shape_forward` and output-size formulas): pure functions on shapes and
 * parameters, used both by execution (ops/conv.ts) and by the shape-flow
 * analyzer, so the two can never disagree.
 */
import { NormkitError, RuntimeError, fmtSize } from '../errors.js';
import type { Shape } from '../tensor/shape.js';
import { expandParam, type IntOrTuple } from './window_args.js';

export type ConvPadding = IntOrTuple | 'same' | 'valid';

export interface ConvOptions {
  stride?: IntOrTuple;
  /** An int or tuple (both sides), or PyTorch's 'valid' (0) / 'same' (output size = input size, stride 1 only). */
  padding?: ConvPadding;
  dilation?: IntOrTuple;
  groups?: number;
}

export interface ConvTransposeOptions {
  stride?: IntOrTuple;
  padding?: IntOrTuple;
  /** Extra size added to one side of each output dim (must be smaller than stride or dilation). */
  outputPadding?: IntOrTuple;
  groups?: number;
  dilation?: IntOrTuple;
}

/** Resolved per-dimension convolution parameters. */
export interface ConvParams {
  stride: number[];
  /** Padding before / after along each spatial dim (they differ only for 'same' with an even kernel). */
  padBefore: number[];
  padAfter: number[];
  dilation: number[];
  outputPadding: number[];
  groups: number;
  transposed: boolean;
}

/** Runs a shape rule, reporting the caller's own input size (unbatched inputs included) in its errors. */
export function withInputSize<T>(input: Shape, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof NormkitError) e.inputSize = [...input];
    throw e;
  }
}

/** PyTorch's `batchify`: the input is [C, *spatial] (unbatched) or [N, C, *spatial]. */
export function batchify(shape: Shape, nd: number, opName: string): number[] {
  if (shape.length !== nd + 1 && shape.length !== nd + 2) {
    throw new RuntimeError(
      `Expected ${nd + 1}D (unbatched) or ${nd + 2}D (batched) input to ${opName}, but got input of size: ${fmtSize(shape)}`,
      { inputSize: shape, kind: 'rank' },
    );
  }
  return shape.length === nd + 2 ? [...shape] : [1, ...shape];
}

function checkWeightRank(weightShape: Shape, input: Shape): void {
  if (weightShape.length < 3) {
    throw new RuntimeError(`weight should have at least three dimensions, but got weight of size ${fmtSize(weightShape)}`, { inputSize: input, kind: 'argument' });
  }
  if (weightShape.length !== input.length) {
    throw new RuntimeError(
      `Expected ${weightShape.length}-dimensional input for ${weightShape.length}-dimensional weight ${fmtSize(weightShape)}, but got ${input.length}-dimensional input of size ${fmtSize(input)} instead`,
      { inputSize: input, kind: 'rank' },
    );
  }
}

export function resolveConv(weightShape: Shape, opts: ConvOptions, nd: number): ConvParams {
  const groups = opts.groups ?? 1;
  if (!Number.isInteger(groups) || groups <= 0) throw new RuntimeError('non-positive groups is not supported', { kind: 'argument' });
  const stride = expandParam(opts.stride ?? 1, nd, 'stride');
  const dilation = expandParam(opts.dilation ?? 1, nd, 'dilation');
  const pad = opts.padding ?? 0;
  let padBefore: number[];
  let padAfter: number[];
  if (pad === 'valid') {
    padBefore = new Array<number>(nd).fill(0);
    padAfter = [...padBefore];
  } else if (pad === 'same') {
    if (stride.some((s) => s !== 1)) throw new RuntimeError("padding='same' is not supported for strided convolutions", { kind: 'argument' });
    // The total d*(k-1) splits as evenly as possible, the extra unit going after (PyTorch's convolution_same).
    const total = weightShape.slice(2).map((k, i) => dilation[i]! * (k - 1));
    padBefore = total.map((t) => Math.floor(t / 2));
    padAfter = total.map((t, i) => t - padBefore[i]!);
  } else if (typeof pad === 'string') {
    throw new RuntimeError(`Invalid padding string '${pad}', should be one of {'valid', 'same'}`, { kind: 'argument' });
  } else {
    padBefore = expandParam(pad, nd, 'padding');
    padAfter = [...padBefore];
  }
  return { stride, padBefore, padAfter, dilation, outputPadding: new Array<number>(nd).fill(0), groups, transposed: false };
}

export function resolveConvTranspose(opts: ConvTransposeOptions, nd: number): ConvParams {
  const groups = opts.groups ?? 1;
  if (!Number.isInteger(groups) || groups <= 0) throw new RuntimeError('non-positive groups is not supported', { kind: 'argument' });
  const padding = expandParam(opts.padding ?? 0, nd, 'padding');
  return {
    stride: expandParam(opts.stride ?? 1, nd, 'stride'),
    padBefore: padding,
    padAfter: [...padding],
    dilation: expandParam(opts.dilation ?? 1, nd, 'dilation'),
    outputPadding: expandParam(opts.outputPadding ?? 0, nd, 'output_padding'),
    groups,
    transposed: true,
  };
}

/**
 * The shape rule of every convolution (PyTorch's `check_shape_forward` plus the
 * output-size formula) on a batched input shape; returns the batched output shape.
 */
export function convOutputShapeBatched(input: Shape, weight: Shape, p: ConvParams, biasShape?: Shape): number[] {
  checkWeightRank(weight, input);
  const nd = weight.length - 2;
  const { groups } = p;
  const arg = { inputSize: input, kind: 'argument' } as const;
  const channels = { inputSize: input, kind: 'channels' } as const;
  const kernelKind = { inputSize: input, kind: 'kernel' } as const;
  if (p.padBefore.some((v) => v < 0) || p.padAfter.some((v) => v < 0)) throw new RuntimeError('negative padding is not supported', arg);
  if (p.outputPadding.some((v) => v < 0)) throw new RuntimeError('negative output_padding is not supported', arg);
  if (p.stride.some((v) => v <= 0)) throw new RuntimeError('non-positive stride is not supported', arg);
  if (p.dilation.some((v) => v <= 0)) throw new RuntimeError('dilation should be greater than zero', arg);
  if (weight[0]! < groups) {
    throw new RuntimeError(`Given groups=${groups}, expected weight to be at least ${groups} at dimension 0, but got weight of size ${fmtSize(weight)} instead`, arg);
  }
  if (weight[0]! % groups !== 0) {
    throw new RuntimeError(`Given groups=${groups}, expected weight to be divisible by ${groups} at dimension 0, but got weight of size ${fmtSize(weight)} instead`, arg);
  }
  const kernel = weight.slice(2);
  if (kernel.some((k) => k <= 0)) throw new RuntimeError(`kernel size should be greater than zero, but got weight of size ${fmtSize(weight)}`, arg);
  if (!p.transposed) {
    const expectC = weight[1]! * groups;
    if (input[1] !== expectC) {
      throw new RuntimeError(
        `Given groups=${groups}, weight of size ${fmtSize(weight)}, expected input${fmtSize(input)} to have ${expectC} channels, but got ${input[1]} channels instead`,
        channels,
      );
    }
    if (biasShape !== undefined && (biasShape.length !== 1 || biasShape[0] !== weight[0])) {
      throw new RuntimeError(
        `Given weight of size ${fmtSize(weight)}, expected bias to be 1-dimensional with ${weight[0]} elements, but got bias of size ${fmtSize(biasShape)} instead`,
        arg,
      );
    }
    const padded = input.slice(2).map((s, i) => s + p.padBefore[i]! + p.padAfter[i]!);
    const span = kernel.map((k, i) => p.dilation[i]! * (k - 1) + 1);
    if (padded.some((s, i) => s < span[i]!)) {
      throw new RuntimeError(
        `Calculated padded input size per channel: (${padded.join(' x ')}). Kernel size: (${span.join(' x ')}). Kernel size can't be greater than actual input size`,
        kernelKind,
      );
    }
    const out = padded.map((s, i) => Math.floor((s - span[i]!) / p.stride[i]!) + 1);
    return [input[0]!, weight[0]!, ...out];
  }
  if (input[1] !== weight[0]) {
    throw new RuntimeError(
      `Given transposed=1, weight of size ${fmtSize(weight)}, expected input${fmtSize(input)} to have ${weight[0]} channels, but got ${input[1]} channels instead`,
      channels,
    );
  }
  const outC = weight[1]! * groups;
  if (biasShape !== undefined && (biasShape.length !== 1 || biasShape[0] !== outC)) {
    throw new RuntimeError(
      `Given transposed=1, weight of size ${fmtSize(weight)}, expected bias to be 1-dimensional with ${outC} elements, but got bias of size ${fmtSize(biasShape)} instead`,
      arg,
    );
  }
  const op = p.outputPadding;
  if (op.some((v, i) => v >= p.stride[i]! && v >= p.dilation[i]!)) {
    throw new RuntimeError(
      `output padding must be smaller than either stride or dilation, but got ${perDim('output_padding', op)} ${perDim('stride', p.stride)} ${perDim('dilation', p.dilation)}`,
      arg,
    );
  }
  const inSpatial = input.slice(2);
  const out = inSpatial.map(
    (s, i) => (s - 1) * p.stride[i]! - p.padBefore[i]! - p.padAfter[i]! + p.dilation[i]! * (kernel[i]! - 1) + op[i]! + 1,
  );
  if (out.some((o) => o < 1)) {
    throw new RuntimeError(
      `Given input size per channel: (${inSpatial.join(' x ')}). Calculated output size per channel: (${out.join(' x ')}). Output size is too small`,
      kernelKind,
    );
  }
  return [input[0]!, outC, ...out];
}

/** PyTorch's per-dimension listing in its transposed-convolution messages: `stride_height: 1 stride_width: 2`. */
function perDim(what: string, v: readonly number[]): string {
  const names = ['depth', 'height', 'width'].slice(3 - v.length);
  return v.map((x, i) => `${what}_${names[i]}: ${x}`).join(' ');
}

export function unbatch(out: number[], batched: boolean): number[] {
  return batched ? out : out.slice(1);
}

/** Output shape of `conv1d(input, weight, bias, opts)` (input [N, C, L] or [C, L]); throws PyTorch's errors. */
export function conv1dOutputShape(input: Shape, weight: Shape, opts: ConvOptions = {}, biasShape?: Shape): number[] {
  return withInputSize(input, () => {
    const b = batchify(input, 1, 'conv1d');
    return unbatch(convOutputShapeBatched(b, weight, resolveConv(weight, opts, 1), biasShape), b.length === input.length);
  });
}

/** Output shape of `conv2d(input, weight, bias, opts)` (input [N, C, H, W] or [C, H, W]); throws PyTorch's errors. */
export function conv2dOutputShape(input: Shape, weight: Shape, opts: ConvOptions = {}, biasShape?: Shape): number[] {
  return withInputSize(input, () => {
    const b = batchify(input, 2, 'conv2d');
    return unbatch(convOutputShapeBatched(b, weight, resolveConv(weight, opts, 2), biasShape), b.length === input.length);
  });
}

/** Output shape of `conv_transpose2d(input, weight, bias, opts)`; weight is [C_in, C_out / groups, kH, kW]. */
export function convTranspose2dOutputShape(input: Shape, weight: Shape, opts: ConvTransposeOptions = {}, biasShape?: Shape): number[] {
  return withInputSize(input, () => {
    const b = batchify(input, 2, 'conv_transpose2d');
    return unbatch(convOutputShapeBatched(b, weight, resolveConvTranspose(opts, 2), biasShape), b.length === input.length);
  });
}

/** Output shape of `conv3d(input, weight, bias, opts)` (input [N, C, D, H, W] or [C, D, H, W]); throws PyTorch's errors. */
export function conv3dOutputShape(input: Shape, weight: Shape, opts: ConvOptions = {}, biasShape?: Shape): number[] {
  return withInputSize(input, () => {
    const b = batchify(input, 3, 'conv3d');
    return unbatch(convOutputShapeBatched(b, weight, resolveConv(weight, opts, 3), biasShape), b.length === input.length);
  });
}

/** Output shape of `conv_transpose3d(input, weight, bias, opts)`; weight is [C_in, C_out / groups, kD, kH, kW]. */
export function convTranspose3dOutputShape(input: Shape, weight: Shape, opts: ConvTransposeOptions = {}, biasShape?: Shape): number[] {
  return withInputSize(input, () => {
    const b = batchify(input, 3, 'conv_transpose3d');
    return unbatch(convOutputShapeBatched(b, weight, resolveConvTranspose(opts, 3), biasShape), b.length === input.length);
  });
}

/** [..., L] -> [..., 1, L]: the height-1 2-D form PyTorch runs a 1-D transposed convolution in. */
export const lift1d = (s: Shape): number[] => [...s.slice(0, -1), 1, s[s.length - 1]!];

/** 1-D transposed-convolution options as the height-1 2-D ones. */
export function liftTransposeOptions(opts: ConvTransposeOptions): ConvTransposeOptions {
  const one = (v: IntOrTuple | undefined, dflt: number, what: string, h: number) => [h, expandParam(v ?? dflt, 1, what)[0]!];
  return {
    stride: one(opts.stride, 1, 'stride', 1),
    padding: one(opts.padding, 0, 'padding', 0),
    outputPadding: one(opts.outputPadding, 0, 'output_padding', 0),
    dilation: one(opts.dilation, 1, 'dilation', 1),
    groups: opts.groups ?? 1,
  };
}

/**
 * Output shape of `conv_transpose1d(input, weight, bias, opts)` (input [N, C_in, L]
 * or [C_in, L], weight [C_in, C_out / groups, k]). PyTorch checks ranks and
 * channels on the 1-D shapes, then sizes on the height-1 2-D form: so do its
 * messages here (`(1 x 1)` ... `(1 x -3)`).
 */
export function convTranspose1dOutputShape(input: Shape, weight: Shape, opts: ConvTransposeOptions = {}, biasShape?: Shape): number[] {
  return withInputSize(input, () => {
    const b = batchify(input, 1, 'conv_transpose1d');
    try {
      return unbatch(convOutputShapeBatched(b, weight, resolveConvTranspose(opts, 1), biasShape), b.length === input.length);
    } catch (e) {
      if (e instanceof NormkitError && (e.kind === 'kernel' || /^output padding/.test(e.message)) && weight.length === 3) {
        convOutputShapeBatched(lift1d(b), lift1d(weight), resolveConvTranspose(liftTransposeOptions(opts), 2), biasShape);
      }
      throw e;
    }
  });
}
