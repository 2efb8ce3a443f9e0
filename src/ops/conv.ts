/**
 * Convolutions: conv1d, conv2d and conv_transpose2d. The shape rules and
 * checks (`conv2dOutputShape` & co., which the shape-flow analyzer calls) live
 * in conv_shape.ts, the im2col/gemm compute drivers in conv_compute.ts; this
 * module checks the arguments, handles meta tensors and dispatches.
 */
import { Tensor, assertTensor } from '../tensor/tensor.js';
import { convForward, convTransposeForward } from './conv_compute.js';
import {
  batchify,
  convOutputShapeBatched,
  resolveConv,
  resolveConvTranspose,
  unbatch,
  type ConvOptions,
  type ConvParams,
  type ConvTransposeOptions,
} from './conv_shape.js';
import { windowedFacts } from './window_args.js';

export {
  conv1dOutputShape,
  conv2dOutputShape,
  convOutputShapeBatched,
  convTranspose2dOutputShape,
  type ConvOptions,
  type ConvPadding,
  type ConvParams,
  type ConvTransposeOptions,
} from './conv_shape.js';

function checkTensors(x: Tensor, weight: Tensor, bias: Tensor | null): void {
  assertTensor(x, 'input');
  assertTensor(weight, 'weight');
  if (bias !== null && bias !== undefined) assertTensor(bias, 'bias');
}

/** Constancy survives a convolution without zero padding (every window sees the same values). */
function convFacts(x: Tensor, p: ConvParams, outShape: number[], nd: number) {
  const unpadded = !p.transposed && p.padBefore.every((v) => v === 0) && p.padAfter.every((v) => v === 0);
  return windowedFacts(x, outShape, nd, unpadded);
}

function convNd(nd: 1 | 2, x: Tensor, weight: Tensor, bias: Tensor | null, opts: ConvOptions): Tensor {
  checkTensors(x, weight, bias);
  const opName = nd === 1 ? 'conv1d' : 'conv2d';
  const b = batchify(x.shape, nd, opName);
  const p = resolveConv(weight.shape, opts, nd);
  const outShape = unbatch(convOutputShapeBatched(b, weight.shape, p, bias?.shape), b.length === x.ndim);
  if (x.isMeta || weight.isMeta || bias?.isMeta) return Tensor.meta(outShape, convFacts(x, p, outShape, nd));
  return convForward(x, weight, bias ?? null, p, nd, outShape);
}

/**
 * 1-D convolution (PyTorch's `F.conv1d`): input [N, C_in, L] or [C_in, L],
 * weight [C_out, C_in / groups, k], optional bias [C_out].
 */
export function conv1d(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts: ConvOptions = {}): Tensor {
  return convNd(1, x, weight, bias, opts);
}

/**
 * 2-D convolution (PyTorch's `F.conv2d`): input [N, C_in, H, W] or [C_in, H, W],
 * weight [C_out, C_in / groups, kH, kW], optional bias [C_out].
 * out = floor((in + 2*padding - dilation*(k-1) - 1) / stride) + 1 per spatial dim.
 */
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts: ConvOptions = {}): Tensor {
  return convNd(2, x, weight, bias, opts);
}

/**
 * Transposed 2-D convolution (PyTorch's `F.conv_transpose2d`): input [N, C_in, H, W],
 * weight [C_in, C_out / groups, kH, kW].
 * out = (in - 1)*stride - 2*padding + dilation*(k-1) + output_padding + 1.
 */
export function convTranspose2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts: ConvTransposeOptions = {}): Tensor {
  checkTensors(x, weight, bias);
  const b = batchify(x.shape, 2, 'conv_transpose2d');
  const p = resolveConvTranspose(opts, 2);
  const outShape = unbatch(convOutputShapeBatched(b, weight.shape, p, bias?.shape), b.length === x.ndim);
  if (x.isMeta || weight.isMeta || bias?.isMeta) return Tensor.meta(outShape, convFacts(x, p, outShape, 2));
  return convTransposeForward(x, weight, bias ?? null, p, outShape);
}
