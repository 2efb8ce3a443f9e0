/**
 * Pointwise activations: relu, leaky_relu, tanh, sigmoid, gelu (exact erf form
 * or tanh approximation), elu. Values are computed in float64 from float32
 * inputs; gradients follow PyTorch's backward formulas (incl. the value chosen
 * at the kink). Meta inputs keep their facts (pointwise ops cannot mix positions).
 */
import { checkNumberArg } from '../tensor/shape.js';
import { record } from '../autograd/record.js';
import { RuntimeError, TypeError, pyTypeName } from '../errors.js';
import { checkOptions, isOptionsObject, type OptionSpec } from '../options.js';
import { reluBackward } from '../kernels/relu.js';
import { reluLayer, tanhLayer } from '../kernels/layer_threads.js';
import { tanhBackward } from '../kernels/tanh.js';
import * as act from '../kernels/activations.js';
import type { Activation } from '../kernels/activations.js';
import { Tensor, assertTensor } from '../tensor/tensor.js';
import { allocStorage } from '../tensor/storage.js';
import { propagateElementwiseFacts } from './meta_facts.js';

/** erf in float64: the positive-term series 2/sqrt(pi) e^{-x^2} sum (2x^2)^n x / (2n+1)!! (no cancellation). */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax >= 6) return x > 0 ? 1 : -1; // 1 - erf(6) < 3e-17
  const x2 = ax * ax;
  let term = ax;
  let sum = ax;
  for (let n = 1; term > sum * 1e-17; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
  }
  const r = (2 / Math.sqrt(Math.PI)) * Math.exp(-x2) * sum;
  return x < 0 ? -r : r;
}

/** A pointwise op computed by `k`'s loops (kernels/activations.ts). */
function pointwise(name: string, x: Tensor, k: Activation): Tensor {
  assertTensor(x, 'input');
  if (x.isMeta) return Tensor.meta(x.shape, propagateElementwiseFacts([x]));
  const xd = x.data;
  const od = act.activationForward(k, xd);
  const out = new Tensor(od, x.shape);
  return record(out, [x], name, (g) => {
    const gx = allocStorage(xd.length);
    k.backward(xd, od, g.data, gx);
    return [new Tensor(gx, x.shape)];
  });
}

/** max(x, 0); NaN passes through; the gradient is 0 where the output is <= 0 (branch-free loops: kernels/relu.ts). */
export function relu(x: Tensor): Tensor {
  assertTensor(x, 'input');
  if (x.isMeta) return Tensor.meta(x.shape, propagateElementwiseFacts([x]));
  const od = reluLayer(x.data);
  const out = new Tensor(od, x.shape);
  return record(out, [x], 'relu', (g) => [new Tensor(reluBackward(od, g.data), x.shape)]);
}

/** PyTorch's keyword form as an options object: `leakyRelu(x, { negativeSlope: 0.2 })`. */
function keywords<T extends object>(where: string, v: unknown, spec: OptionSpec): T | undefined {
  return isOptionsObject(v) ? checkOptions(where, v as T, spec, { position: 2 }) : undefined;
}

/**
 * x for x > 0, else negativeSlope * x (the slope also applies at 0 in the
 * gradient). `leakyRelu(x, 0.2)` or, as PyTorch's keywords, `leakyRelu(x, { negativeSlope: 0.2 })`.
 */
export function leakyRelu(x: Tensor, negativeSlope: number | { negativeSlope?: number; inplace?: boolean } = 0.01): Tensor {
  const kw = keywords<{ negativeSlope?: number }>('leaky_relu', negativeSlope, { negativeSlope: 'number', inplace: 'boolean' });
  if (kw) negativeSlope = kw.negativeSlope ?? 0.01;
  checkNumberArg(negativeSlope, 'leaky_relu', 'negative_slope', 2);
  return pointwise('leaky_relu', x, act.leakyRelu(negativeSlope));
}

/** In float32 (kernels/tanh.ts: SIMD, within 3 ulps of the exact value); the gradient g (1 - y^2) as PyTorch's tanh_backward. */
export function tanh(x: Tensor): Tensor {
  assertTensor(x, 'input');
  if (x.isMeta) return Tensor.meta(x.shape, propagateElementwiseFacts([x]));
  const od = tanhLayer(x.data);
  const out = new Tensor(od, x.shape);
  return record(out, [x], 'tanh', (g) => [new Tensor(tanhBackward(od, g.data), x.shape)]);
}

export function sigmoid(x: Tensor): Tensor {
  return pointwise('sigmoid', x, act.sigmoid);
}

export type GeluApproximate = 'none' | 'tanh';


/**
 * GELU: x * Phi(x) with Phi the standard normal CDF, 0.5 * (1 + erf(x / sqrt 2));
 * `approximate: 'tanh'` uses 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
 */
export function gelu(x: Tensor, approximate: GeluApproximate | { approximate?: GeluApproximate } = 'none'): Tensor {
  // PyTorch's approximate is keyword-only: `gelu(x, { approximate: 'tanh' })`; the string alone works too
  const kw = keywords<{ approximate?: GeluApproximate }>('gelu', approximate, { approximate: 'string' });
  if (kw) approximate = kw.approximate ?? 'none';
  if (typeof approximate !== 'string') throw new TypeError(`gelu(): argument 'approximate' must be str, not ${pyTypeName(approximate)}`, { kind: 'argument' });
  if (approximate === 'tanh') return pointwise('gelu', x, act.geluTanh);
  if (approximate !== 'none') throw new RuntimeError(`approximate argument must be either none or tanh, but got '${String(approximate)}'`);
  return pointwise('gelu', x, act.gelu);
}

/** x for x > 0, else alpha * (exp(x) - 1); gradient alpha * exp(x) for x <= 0. `elu(x, 0.5)` or `elu(x, { alpha: 0.5 })`. */
export function elu(x: Tensor, alpha: number | { alpha?: number; inplace?: boolean } = 1): Tensor {
  const kw = keywords<{ alpha?: number }>('elu', alpha, { alpha: 'number', inplace: 'boolean' });
  if (kw) alpha = kw.alpha ?? 1;
  checkNumberArg(alpha, 'elu', 'alpha', 2);
  return pointwise('elu', x, act.elu(alpha));
}

/** min(max(x, 0), 6) (PyTorch's hardtanh(x, 0, 6)); the gradient is 0 at and beyond both ends. */
export function relu6(x: Tensor): Tensor {
  return pointwise('relu6', x, RELU6_KERNEL);
}

const SELU_ALPHA = 1.6732632423543772848170429916717;
const SELU_SCALE = 1.0507009873554804934193349852946;
/** The kernels of relu6 and selu (nn/fusion.ts fuses the same ones into a convolution). */
export const RELU6_KERNEL = act.hardtanh(0, 6);
export const SELU_KERNEL = act.elu(SELU_ALPHA, SELU_SCALE);

/** scale * (x for x > 0, else alpha * (exp(x) - 1)) with PyTorch's fixed alpha and scale. */
export function selu(x: Tensor): Tensor {
  return pointwise('selu', x, SELU_KERNEL);
}

/** x * sigmoid(x) (a.k.a. swish). */
export function silu(x: Tensor): Tensor {
  return pointwise('silu', x, act.silu);
}

/** x * relu6(x + 3) / 6; gradient 0 below -3, x/3 + 1/2 on [-3, 3], 1 above (PyTorch's choice at the ends). */
export function hardswish(x: Tensor): Tensor {
  return pointwise('hardswish', x, act.hardswish);
}

/**
 * log(1 + exp(beta x)) / beta, or x itself where beta x > threshold (PyTorch's
 * linear regime); gradient sigmoid(beta x) there, 1 beyond the threshold.
 */
export function softplus(x: Tensor, beta: number | { beta?: number; threshold?: number } = 1, threshold = 20): Tensor {
  const kw = keywords<{ beta?: number; threshold?: number }>('softplus', beta, { beta: 'number', threshold: 'number' });
  if (kw) [beta, threshold] = [kw.beta ?? 1, kw.threshold ?? 20];
  checkNumberArg(beta, 'softplus', 'beta', 2);
  checkNumberArg(threshold, 'softplus', 'threshold', 3);
  return pointwise('softplus', x, act.softplus(beta, threshold));
}
