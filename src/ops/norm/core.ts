/**
 * Shared machinery of the channel norms (instance, batch, group): run the
 * fused kernel and record one autograd node for input, weight and bias.
 */
import { record } from '../../autograd/record.js';
import { normApply, normBackward, normForward } from '../../kernels/backend.js';
import type { ApplyBounds, NormGrads, NormLayout } from '../../kernels/norm.js';
import { numel, type Shape } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { isGradEnabled } from '../../tensor/grad_mode.js';
import { relu as reluOp } from '../activation.js';

export function layoutOf(shape: Shape, perSample: boolean, groupSize: number, groupNorm = false): NormLayout {
  return { N: shape[0]!, C: shape[1]!, S: numel(shape.slice(2)), perSample, groupSize, groupNorm };
}

/**
 * 1 / sqrt(var + eps). ATen's batch norm adds eps as a double; its group and
 * layer norm kernels add it as a float (`floatEps`). On a constant plane that
 * choice is the whole output (1/sqrt(eps)), so it follows ATen.
 */
export function rstdOf(variance: ArrayLike<number>, eps: number, floatEps = false): Float64Array {
  const e = floatEps ? Math.fround(eps) : eps;
  const r = new Float64Array(variance.length);
  for (let i = 0; i < r.length; i++) r[i] = 1 / Math.sqrt(Math.max(variance[i]!, 0) + e);
  return r;
}

/**
 * out = (x - mean) * rstd * weight + bias, differentiable in x (through the
 * statistics too when `statsFromInput`), weight and bias. `bounds`: those
 * statistics' bounds on x (normStats), for the float32 output form.
 * `relu`: max(out, 0) in the same kernel call (a fused norm -> relu, inference
 * only: nn/fusion.ts; the ReLU op's values).
 */
export function applyNorm(
  name: string,
  input: Tensor,
  layout: NormLayout,
  mean: Float64Array,
  rstd: Float64Array,
  weight: Tensor | null,
  bias: Tensor | null,
  statsFromInput: boolean,
  bounds?: ApplyBounds,
  relu = false,
): Tensor {
  if (relu && recording(input, weight, bias)) return reluOp(applyNorm(name, input, layout, mean, rstd, weight, bias, statsFromInput, bounds));
  const out = normApply(input.data, layout, mean, rstd, weight?.data ?? null, bias?.data ?? null, bounds, relu);
  return recordNorm(name, input, out, layout, mean, rstd, weight, bias, statsFromInput);
}

/**
 * Statistics from the input and the normalized output in one pass (instance
 * and group norm); the statistics are returned for the running averages.
 * `relu` as applyNorm's.
 */
export function normalizeWithInputStats(
  name: string,
  input: Tensor,
  layout: NormLayout,
  eps: number,
  weight: Tensor | null,
  bias: Tensor | null,
  relu = false,
): { out: Tensor; mean: Float64Array; variance: Float64Array } {
  if (relu && recording(input, weight, bias)) {
    const r = normalizeWithInputStats(name, input, layout, eps, weight, bias);
    return { ...r, out: reluOp(r.out) };
  }
  const r = normForward(input.data, layout, eps, weight?.data ?? null, bias?.data ?? null, relu);
  return { out: recordNorm(name, input, r.out, layout, r.mean, r.rstd, weight, bias, true), mean: r.mean, variance: r.variance };
}

/** Whether an autograd node would be recorded (the fused ReLU has no backward of its own: then the ReLU op). */
const recording = (input: Tensor, weight: Tensor | null, bias: Tensor | null): boolean =>
  isGradEnabled() && (input.requiresGrad || weight?.requiresGrad === true || bias?.requiresGrad === true);

/** Wraps a computed output and attaches the backward of the fused kernel. */
function recordNorm(
  name: string,
  input: Tensor,
  outData: Float32Array,
  layout: NormLayout,
  mean: Float64Array,
  rstd: Float64Array,
  weight: Tensor | null,
  bias: Tensor | null,
  statsFromInput: boolean,
): Tensor {
  const w = weight?.data ?? null;
  const out = new Tensor(outData, input.shape);
  const inputs = [input, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  return record(out, inputs, name, (g) => {
    const grads = normBackward(input.data, g.data, layout, mean, rstd, w, statsFromInput, {
      input: input.requiresGrad,
      weight: weight?.requiresGrad ?? false,
      bias: bias?.requiresGrad ?? false,
    });
    return normGradTensors(grads, input, weight, bias);
  });
}

/** A norm kernel's gradients as the autograd node's list: input, then weight and bias when present. */
export function normGradTensors(grads: NormGrads, input: Tensor, weight: Tensor | null, bias: Tensor | null): (Tensor | null)[] {
  const res: (Tensor | null)[] = [grads.gradInput && new Tensor(grads.gradInput, input.shape)];
  if (weight) res.push(grads.gradWeight && new Tensor(grads.gradWeight, weight.shape));
  if (bias) res.push(grads.gradBias && new Tensor(grads.gradBias, bias.shape));
  return res;
}

/**
 * A norm of an input with no elements (a zero batch or a zero spatial size):
 * PyTorch returns an empty output at once, and backward gives an empty input
 * gradient and zero weight and bias gradients (sums over no elements). The
 * kernels are not called: their statistics of nothing would be NaN.
 */
export function emptyNormOutput(name: string, input: Tensor, weight: Tensor | null, bias: Tensor | null): Tensor {
  const out = new Tensor(new Float32Array(0), input.shape);
  const inputs = [input, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  return record(out, inputs, name, () => [
    new Tensor(new Float32Array(0), input.shape),
    ...(weight ? [new Tensor(new Float32Array(weight.numel()), weight.shape)] : []),
    ...(bias ? [new Tensor(new Float32Array(bias.numel()), bias.shape)] : []),
  ]);
}

/** The facts a norm's meta output carries: constant planes stay constant (the output is the bias). */
export function normMetaOutput(input: Tensor): Tensor {
  return Tensor.meta(input.shape, input.facts);
}
