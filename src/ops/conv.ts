/**
 * Convolutions: conv1d, conv2d, conv_transpose1d and conv_transpose2d. The
 * shape rules and checks (`conv2dOutputShape` & co., which the shape-flow
 * analyzer calls) live in conv_shape.ts, the compute drivers in
 * conv_compute.ts (and the kernels they pick, kernels/conv_fwd.ts); this
 * module checks the arguments, handles meta tensors and dispatches.
 */
import { checkOptions } from '../options.js';
import { Tensor, assertTensor } from '../tensor/tensor.js';
import { convForward, convTransposeForward } from './conv_compute.js';
import {
  conv1dOutputShape,
  conv2dOutputShape,
  convTranspose1dOutputShape,
  convTranspose2dOutputShape,
  lift1d,
  liftTransposeOptions,
  resolveConv,
  resolveConvTranspose,
  type ConvOptions,
  type ConvParams,
  type ConvTransposeOptions,
} from './conv_shape.js';
import { reshape } from './shape_ops.js';
import { windowedFacts } from './window_args.js';

export {
  conv1dOutputShape,
  conv2dOutputShape,
  conv3dOutputShape,
  convOutputShapeBatched,
  convTranspose1dOutputShape,
  convTranspose2dOutputShape,
  convTranspose3dOutputShape,
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
  checkOptions('conv_transpose1d', opts, { stride: 'ints', padding: 'ints', outputPadding: 'ints', groups: 'int', dilation: 'ints' }, { position: 4, positional: 'stride' });
  const outShape = convTranspose1dOutputShape(x.shape, weight.shape, opts, bias?.shape);
  const y = convTranspose2d(reshape(x, lift1d(x.shape)), reshape(weight, lift1d(weight.shape)), bias, liftTransposeOptions(opts));
  return reshape(y, outShape);
}
