/**
 * Fused convolutions for inference (nn/fusion.ts decides when): conv2d of
 * `x` reflection-padded by `reflect` (F.pad order: left, right, top,
 * bottom), without the padded tensor (the wasm kernels copy the image into
 * their memory reflection-padded, where they copied it zero-padded), and
 * with an activation `act` applied in the kernels' output pass (ReLU in
 * their loops, another with a SIMD kernel over each output still in wasm
 * memory: kernels/output_act.ts). Same values as pad -> conv2d -> the
 * activation, bit for bit: the kernels see the same padded image, round the
 * same sums, and run the activation's own SIMD kernel. Where the fusion does not apply (the js
 * convolution path, a 3-D input, padding the reflection cannot take, a meta
 * tensor, gradients recorded), it runs those ops one after the other.
 */
import { wasmConvEnabled } from '../kernels/conv_fwd.js';
import { isGradEnabled } from '../tensor/grad_mode.js';
import type { Tensor } from '../tensor/tensor.js';
import { conv2d, conv2dOutputShape } from './conv.js';
import { convForward } from './conv_compute.js';
import { resolveConv, type ConvOptions } from './conv_shape.js';
import { pad } from './pad.js';
import type { OutputAct } from '../kernels/output_act.js';

/** The activation of a fused run: its code for the kernels, and its op (run after the convolution where the fusion does not apply). */
export interface FusedAct {
  code: OutputAct;
  op(y: Tensor): Tensor;
}

/** conv2d(reflect ? pad(x, reflect, 'reflect') : x, weight, bias, opts), then `act` (if any). */
export function conv2dFused(x: Tensor, weight: Tensor, bias: Tensor | null, opts: ConvOptions, reflect: readonly number[] | null, act: FusedAct | null): Tensor {
  // The fused kernels record no backward of their own: with gradients on, the ops one by one.
  const recording = isGradEnabled() && (x.requiresGrad || weight.requiresGrad || bias?.requiresGrad === true);
  const fits = !recording && (reflect === null || (x.ndim === 4 && reflect.length === 4 && zeroPadding(opts.padding) && reflectFits(x.shape, reflect)));
  if (!fits || x.isMeta || weight.isMeta || bias?.isMeta || (reflect !== null && !wasmConvEnabled())) {
    const y = conv2d(reflect ? pad(x, [...reflect], 'reflect') : x, weight, bias, opts);
    return act ? act.op(y) : y;
  }
  const o = opts;
  if (reflect === null) return convForward(x, weight, bias, resolveConv(weight.shape, o, 2), 2, conv2dOutputShape(x.shape, weight.shape, o, bias?.shape), act ? { act: act.code } : {});
  const [l, r, t, b] = reflect as [number, number, number, number];
  const padded = [x.shape[0]!, x.shape[1]!, x.shape[2]! + t + b, x.shape[3]! + l + r];
  const o0 = { ...o, padding: 0 };
  return convForward(x, weight, bias, resolveConv(weight.shape, o0, 2), 2, conv2dOutputShape(padded, weight.shape, o0, bias?.shape), { reflect: { padded: padded.slice(2), top: t, left: l }, ...(act ? { act: act.code } : {}) });
}

/** No zero padding: 0, 'valid' or all zeros. */
function zeroPadding(p: ConvOptions['padding']): boolean {
  return p === undefined || p === 0 || p === 'valid' || (Array.isArray(p) && p.every((v) => v === 0));
}

/** Non-negative pads each below its axis's size (PyTorch's limit for reflection), on a non-empty image. */
function reflectFits(shape: readonly number[], p: readonly number[]): boolean {
  const [H, W] = [shape[2]!, shape[3]!];
  return p.every((v) => Number.isInteger(v) && v >= 0) && p[0]! < W && p[1]! < W && p[2]! < H && p[3]! < H && shape.every((s) => s > 0);
}
