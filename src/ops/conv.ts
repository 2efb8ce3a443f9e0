/**
 * Convolutions: conv1d, conv2d and conv_transpose2d with PyTorch's shape rules
 * and checks (`conv2dOutputShape` & co. are what the shape-flow analyzer calls),
 * computed as im2col + gemm per image and group; gradients by the adjoint
 * (gemm + col2im). conv1d runs as a conv2d over a height-1 image.
 */
import { checkNumel } from '../tensor/shape.js';
import { record } from '../autograd/record.js';
import { NormkitError, RuntimeError, fmtSize } from '../errors.js';
import { checkOptions } from '../options.js';
import { addBias, biasGrad, chunkRows, col2im, im2col, type ConvGeom2d } from '../kernels/conv.js';
import { gemm } from '../kernels/gemm.js';
import type { Shape } from '../tensor/shape.js';
import { Tensor, assertTensor } from '../tensor/tensor.js';
import { reshape } from './shape_ops.js';
import { expandParam, windowedFacts, type IntOrTuple } from './window_args.js';

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
function withInputSize<T>(input: Shape, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof NormkitError) e.inputSize = [...input];
    throw e;
  }
}

/** PyTorch's `batchify`: the input is [C, *spatial] (unbatched) or [N, C, *spatial]. */
function batchify(shape: Shape, nd: number, opName: string): number[] {
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

function resolveConv(weightShape: Shape, opts: ConvOptions, nd: number): ConvParams {
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

function resolveConvTranspose(opts: ConvTransposeOptions, nd: number): ConvParams {
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

function unbatch(out: number[], batched: boolean): number[] {
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
const lift1d = (s: Shape): number[] => [...s.slice(0, -1), 1, s[s.length - 1]!];

/** 1-D transposed-convolution options as the height-1 2-D ones. */
function liftTransposeOptions(opts: ConvTransposeOptions): ConvTransposeOptions {
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

/** Lifts 1-D parameters to the height-1 2-D geometry the kernels run. */
function geom2d(nd: number, p: ConvParams, kernel: Shape, image: Shape, positions: Shape): ConvGeom2d {
  const at = (arr: readonly number[], i: number, dflt: number) => (nd === 2 ? arr[i]! : i === 0 ? dflt : arr[0]!);
  return {
    H: at(image, 0, 1),
    W: at(image, 1, 1),
    kh: at(kernel, 0, 1),
    kw: at(kernel, 1, 1),
    sh: at(p.stride, 0, 1),
    sw: at(p.stride, 1, 1),
    ph: at(p.padBefore, 0, 0),
    pw: at(p.padBefore, 1, 0),
    dh: at(p.dilation, 0, 1),
    dw: at(p.dilation, 1, 1),
    outH: at(positions, 0, 1),
    outW: at(positions, 1, 1),
  };
}

function checkTensors(x: Tensor, weight: Tensor, bias: Tensor | null): void {
  assertTensor(x, 'input');
  assertTensor(weight, 'weight');
  if (bias !== null && bias !== undefined) assertTensor(bias, 'bias');
}

function convForward(x: Tensor, weight: Tensor, bias: Tensor | null, p: ConvParams, nd: number, outShape: number[]): Tensor {
  const xb = batchify(x.shape, nd, '');
  const ob = x.ndim === nd + 2 ? outShape : [1, ...outShape];
  const [N, C] = [xb[0]!, xb[1]!];
  const Cout = weight.shape[0]!;
  const g = geom2d(nd, p, weight.shape.slice(2), xb.slice(2), ob.slice(2));
  const G = p.groups;
  const Cig = C / G;
  const Cog = Cout / G;
  const Kg = Cig * g.kh * g.kw;
  const L = g.outH * g.outW;
  const HW = g.H * g.W;
  // A 1x1, stride-1, unpadded convolution reads the image itself as its column matrix.
  const direct = g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1 && g.ph === 0 && g.pw === 0 && g.outH === g.H && g.outW === g.W;
  const xd = x.data;
  const wd = weight.data;
  const out = new Float32Array(checkNumel(N * Cout * L, outShape));
  // Chunks of output rows keep each column matrix cache-sized.
  const rows = direct ? g.outH : chunkRows(C * g.kh * g.kw, g.outW, g.outH);
  const colSize = C * g.kh * g.kw * rows * g.outW;
  const col = direct ? xd : new Float32Array(checkNumel(colSize));
  const forChunks = (n: number, f: (oh0: number, oh1: number, Lc: number, colBase: number) => void) => {
    for (let oh0 = 0; oh0 < g.outH; oh0 += rows) {
      const oh1 = Math.min(g.outH, oh0 + rows);
      f(oh0, oh1, (oh1 - oh0) * g.outW, direct ? n * C * HW : 0);
    }
  };
  for (let n = 0; n < N; n++) {
    forChunks(n, (oh0, oh1, Lc, colBase) => {
      if (!direct) im2col(xd, n * C * HW, C, g, col, 0, oh0, oh1);
      for (let grp = 0; grp < G; grp++) {
        gemm(Cog, Lc, Kg, wd, col, out, {
          aOffset: grp * Cog * Kg,
          bOffset: colBase + grp * Kg * Lc,
          cOffset: (n * Cout + grp * Cog) * L + oh0 * g.outW,
          ldc: L,
        });
      }
    });
  }
  if (bias) addBias(out, bias.data, N, Cout, L);
  const result = new Tensor(out, outShape);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record(result, inputs, 'conv', (gOut) => {
    const gd = gOut.data;
    const gx = x.requiresGrad ? new Float32Array(x.numel()) : null;
    const gw = weight.requiresGrad ? new Float32Array(weight.numel()) : null;
    const bcol = gw && !direct ? new Float32Array(colSize) : xd;
    const gcol = gx && !direct ? new Float32Array(colSize) : gx;
    for (let n = 0; n < N; n++) {
      forChunks(n, (oh0, oh1, Lc, colBase) => {
        const gOff = n * Cout * L + oh0 * g.outW;
        if (gw) {
          if (!direct) im2col(xd, n * C * HW, C, g, bcol, 0, oh0, oh1);
          for (let grp = 0; grp < G; grp++) {
            gemm(Cog, Kg, Lc, gd, bcol, gw, {
              transB: true,
              accumulate: true,
              aOffset: gOff + grp * Cog * L,
              lda: L,
              bOffset: colBase + grp * Kg * Lc,
              cOffset: grp * Cog * Kg,
            });
          }
        }
        if (gx && gcol) {
          for (let grp = 0; grp < G; grp++) {
            gemm(Kg, Lc, Cog, wd, gd, gcol, {
              transA: true,
              aOffset: grp * Cog * Kg,
              bOffset: gOff + grp * Cog * L,
              ldb: L,
              cOffset: colBase + grp * Kg * Lc,
            });
          }
          if (!direct) col2im(gcol, 0, C, g, gx, n * C * HW, oh0, oh1);
        }
      });
    }
    const grads: (Tensor | null)[] = [gx && new Tensor(gx, x.shape), gw && new Tensor(gw, weight.shape)];
    if (bias) grads.push(bias.requiresGrad ? new Tensor(biasGrad(gd, N, Cout, L), bias.shape) : null);
    return grads;
  });
}

function convTransposeForward(x: Tensor, weight: Tensor, bias: Tensor | null, p: ConvParams, outShape: number[]): Tensor {
  const xb = batchify(x.shape, 2, '');
  const ob = x.ndim === 4 ? outShape : [1, ...outShape];
  const [N, Cin] = [xb[0]!, xb[1]!];
  const Cout = ob[1]!;
  // The image is the (larger) output; window positions are the input's pixels.
  const g = geom2d(2, p, weight.shape.slice(2), ob.slice(2), xb.slice(2));
  const G = p.groups;
  const Cig = Cin / G;
  const KgT = (Cout / G) * g.kh * g.kw;
  const Lin = g.outH * g.outW;
  const HWout = g.H * g.W;
  const xd = x.data;
  const wd = weight.data;
  const out = new Float32Array(checkNumel(N * Cout * HWout, outShape));
  // Chunks of input rows (the window positions) keep each column matrix cache-sized.
  const rows = chunkRows(Cout * g.kh * g.kw, g.outW, g.outH);
  const col = new Float32Array(checkNumel(Cout * g.kh * g.kw * rows * g.outW));
  const forChunks = (f: (r0: number, r1: number, Lc: number) => void) => {
    for (let r0 = 0; r0 < g.outH; r0 += rows) {
      const r1 = Math.min(g.outH, r0 + rows);
      f(r0, r1, (r1 - r0) * g.outW);
    }
  };
  for (let n = 0; n < N; n++) {
    forChunks((r0, r1, Lc) => {
      for (let grp = 0; grp < G; grp++) {
        gemm(KgT, Lc, Cig, wd, xd, col, {
          transA: true,
          aOffset: grp * Cig * KgT,
          bOffset: (n * Cin + grp * Cig) * Lin + r0 * g.outW,
          ldb: Lin,
          cOffset: grp * KgT * Lc,
        });
      }
      col2im(col, 0, Cout, g, out, n * Cout * HWout, r0, r1);
    });
  }
  if (bias) addBias(out, bias.data, N, Cout, HWout);
  const result = new Tensor(out, outShape);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record(result, inputs, 'conv_transpose', (gOut) => {
    const gd = gOut.data;
    const gx = x.requiresGrad ? new Float32Array(x.numel()) : null;
    const gw = weight.requiresGrad ? new Float32Array(weight.numel()) : null;
    const gcol = new Float32Array(col.length);
    for (let n = 0; n < N; n++) {
      forChunks((r0, r1, Lc) => {
        im2col(gd, n * Cout * HWout, Cout, g, gcol, 0, r0, r1);
        for (let grp = 0; grp < G; grp++) {
          const xo = (n * Cin + grp * Cig) * Lin + r0 * g.outW;
          if (gx) gemm(Cig, Lc, KgT, wd, gcol, gx, { aOffset: grp * Cig * KgT, bOffset: grp * KgT * Lc, cOffset: xo, ldc: Lin });
          if (gw) {
            gemm(Cig, KgT, Lc, xd, gcol, gw, { transB: true, accumulate: true, aOffset: xo, lda: Lin, bOffset: grp * KgT * Lc, cOffset: grp * Cig * KgT });
          }
        }
      });
    }
    const grads: (Tensor | null)[] = [gx && new Tensor(gx, x.shape), gw && new Tensor(gw, weight.shape)];
    if (bias) grads.push(bias.requiresGrad ? new Tensor(biasGrad(gd, N, Cout, HWout), bias.shape) : null);
    return grads;
  });
}

/** Constancy survives a convolution without zero padding (every window sees the same values). */
function convFacts(x: Tensor, p: ConvParams, outShape: number[], nd: number) {
  const unpadded = !p.transposed && p.padBefore.every((v) => v === 0) && p.padAfter.every((v) => v === 0);
  return windowedFacts(x, outShape, nd, unpadded);
}

function convNd(nd: 1 | 2, x: Tensor, weight: Tensor, bias: Tensor | null, opts: ConvOptions): Tensor {
  checkTensors(x, weight, bias);
  const outShape = nd === 1 ? conv1dOutputShape(x.shape, weight.shape, opts, bias?.shape) : conv2dOutputShape(x.shape, weight.shape, opts, bias?.shape);
  const p = resolveConv(weight.shape, opts, nd);
  if (x.isMeta || weight.isMeta || bias?.isMeta) return Tensor.meta(outShape, convFacts(x, p, outShape, nd));
  return convForward(x, weight, bias ?? null, p, nd, outShape);
}

/**
 * 1-D convolution (PyTorch's `F.conv1d`): input [N, C_in, L] or [C_in, L],
 * weight [C_out, C_in / groups, k], optional bias [C_out].
 */
export function conv1d(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts: ConvOptions = {}): Tensor {
  checkOptions('conv1d', opts, { stride: 'ints', padding: 'any', dilation: 'ints', groups: 'int' }, { position: 4, positional: 'stride' });
  return convNd(1, x, weight, bias, opts);
}

/**
 * 2-D convolution (PyTorch's `F.conv2d`): input [N, C_in, H, W] or [C_in, H, W],
 * weight [C_out, C_in / groups, kH, kW], optional bias [C_out].
 * out = floor((in + 2*padding - dilation*(k-1) - 1) / stride) + 1 per spatial dim.
 */
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts: ConvOptions = {}): Tensor {
  checkOptions('conv2d', opts, { stride: 'ints', padding: 'any', dilation: 'ints', groups: 'int' }, { position: 4, positional: 'stride' });
  return convNd(2, x, weight, bias, opts);
}

/**
 * Transposed 2-D convolution (PyTorch's `F.conv_transpose2d`): input [N, C_in, H, W],
 * weight [C_in, C_out / groups, kH, kW].
 * out = (in - 1)*stride - 2*padding + dilation*(k-1) + output_padding + 1.
 */
export function convTranspose2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts: ConvTransposeOptions = {}): Tensor {
  checkOptions('conv_transpose2d', opts, { stride: 'ints', padding: 'ints', outputPadding: 'ints', groups: 'int', dilation: 'ints' }, { position: 4, positional: 'stride' });
  checkTensors(x, weight, bias);
  const outShape = convTranspose2dOutputShape(x.shape, weight.shape, opts, bias?.shape);
  const p = resolveConvTranspose(opts, 2);
  if (x.isMeta || weight.isMeta || bias?.isMeta) return Tensor.meta(outShape, convFacts(x, p, outShape, 2));
  return convTransposeForward(x, weight, bias ?? null, p, outShape);
}

/**
 * Transposed 1-D convolution (PyTorch's `F.conv_transpose1d`): input [N, C_in, L]
 * or [C_in, L], weight [C_in, C_out / groups, k]; runs as conv_transpose2d over
 * a height-1 map, as PyTorch does.
 * out = (L - 1)*stride - 2*padding + dilation*(k-1) + output_padding + 1.
 */
export function convTranspose1d(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts: ConvTransposeOptions = {}): Tensor {
  checkTensors(x, weight, bias);
  const outShape = convTranspose1dOutputShape(x.shape, weight.shape, opts, bias?.shape);
  const y = convTranspose2d(reshape(x, lift1d(x.shape)), reshape(weight, lift1d(weight.shape)), bias, liftTransposeOptions(opts));
  return reshape(y, outShape);
}
