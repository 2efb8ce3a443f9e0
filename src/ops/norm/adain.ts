/**
 * Adaptive instance normalization (AdaIN), composed from primitive ops:
 * per (instance, channel) mean and unbiased variance over the spatial elements,
 * eps added to the variance: (content - mean_c) / std_c * std_s + mean_s.
 */
import { ValueError, fmtSize } from '../../errors.js';
import { checkArgument } from '../../options.js';
import { broadcastShapes, numel } from '../../tensor/shape.js';
import { Tensor, assertTensor } from '../../tensor/tensor.js';
import { add, div, mul, sqrt, sub } from '../elementwise.js';
import { mean, variance } from '../reduce.js';
import { reshape } from '../shape_ops.js';
import { checkFiniteOption } from './checks.js';

function statShape(t: Tensor, rank: number): number[] {
  return [t.shape[0]!, t.shape[1]!, ...new Array<number>(rank - 2).fill(1)];
}

/** AdaIN's checks: both inputs (N, C, *spatial) with more than one spatial element. */
export function checkAdain(content: Tensor, style: Tensor): number[] {
  for (const [name, t] of [['content', content], ['style', style]] as const) {
    if (t.ndim < 3) throw new ValueError(`adaptive_instance_norm: ${name} must be (N, C, *spatial), got input size ${fmtSize(t.shape)}`, { inputSize: t.shape });
  }
  for (const t of [content, style]) {
    if (numel(t.shape.slice(2)) <= 1) {
      throw new ValueError(`Expected more than 1 spatial element when training, got input size ${fmtSize(t.shape)}`, { kind: 'statistics', inputSize: t.shape });
    }
  }
  return broadcastShapes(content.shape, statShape(style, content.ndim));
}

function stats(t: Tensor, eps: number, rank: number): { mu: Tensor; sigma: Tensor } {
  const flat = reshape(t, [t.shape[0]!, t.shape[1]!, -1]);
  const shape = statShape(t, rank);
  return {
    mu: reshape(mean(flat, 2), shape),
    sigma: reshape(sqrt(add(variance(flat, 2, { unbiased: true }), eps)), shape),
  };
}

export function adaptiveInstanceNorm(content: Tensor, style: Tensor, eps = 1e-5): Tensor {
  assertTensor(content, 'adaptive_instance_norm: content');
  assertTensor(style, 'adaptive_instance_norm: style');
  checkArgument('adaptive_instance_norm', 'eps', eps, 'number');
  const outShape = checkAdain(content, style);
  checkFiniteOption('eps', eps);
  if (content.isMeta || style.isMeta) return Tensor.meta(outShape);
  const c = stats(content, eps, content.ndim);
  const s = stats(style, eps, content.ndim);
  return add(mul(div(sub(content, c.mu), c.sigma), s.sigma), s.mu);
}
