/**
 * Losses (PyTorch's `F.mse_loss`, `F.l1_loss`, `F.nll_loss`, `F.cross_entropy`,
 * `F.binary_cross_entropy_with_logits`). Everything but `nllLoss` is composed
 * from differentiable ops; `nllLoss` is a primitive (a gather with its scatter
 * gradient). Class indices are given as a Tensor of integer-valued floats or as
 * plain numbers, since normkit tensors are float32.
 */
import { record } from '../autograd/record.js';
import { checkOptions } from '../options.js';
import { IndexError, RuntimeError, ValueError, fmtSize } from '../errors.js';
import { tensor, type NestedArray } from '../tensor/creation.js';
import { broadcastShapes, numel, sameShape } from '../tensor/shape.js';
import { Tensor, assertTensor, isTensor } from '../tensor/tensor.js';
import { abs, add, clamp, div, exp, log, mul, neg, square, sub, where } from './elementwise.js';
import { mean, sum } from './reduce.js';
import { reshape } from './shape_ops.js';
import { mseGrad, negated, squaredErrorSum } from '../kernels/mse.js';
import { logSoftmax } from './softmax.js';

export type Reduction = 'mean' | 'sum' | 'none';

export interface LossOptions {
  /** How per-element losses are combined (default `'mean'`). */
  reduction?: Reduction;
}

export interface NllLossOptions extends LossOptions {
  /** A weight per class, shape [C]. */
  weight?: Tensor | null;
  /** Targets equal to this contribute nothing, not even to the mean's denominator (default -100). */
  ignoreIndex?: number;
}

export interface CrossEntropyOptions extends NllLossOptions {
  /** Mixes the target with the uniform distribution: (1 - s) * target + s / C (default 0). */
  labelSmoothing?: number;
}

export interface BceWithLogitsOptions extends LossOptions {
  /** Rescales each element's loss (broadcast against the input). */
  weight?: Tensor | null;
  /** Weight of the positive term, per class (broadcast against the input). */
  posWeight?: Tensor | null;
}

/** Class-index targets: a Tensor, or numbers / nested arrays of numbers. */
export type TargetLike = Tensor | NestedArray;

export function checkReduction(reduction: unknown): Reduction {
  if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none') {
    throw new ValueError(`${String(reduction)} is not a valid value for reduction`);
  }
  return reduction;
}

function reduce(loss: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'mean') return mean(loss);
  if (reduction === 'sum') return sum(loss);
  return loss;
}

/** `(input - target)^2`, reduced; input and target broadcast as in PyTorch. */
export function mseLoss(input: Tensor, target: Tensor, opts: LossOptions = {}): Tensor {
  checkOptions('mse_loss', opts, { reduction: 'string' }, { position: 3, positional: 'reduction' });
  const reduction = checkReduction(opts.reduction ?? 'mean');
  assertTensor(input, 'mse_loss(): input');
  assertTensor(target, 'mse_loss(): target');
  if (reduction !== 'none' && sameShape(input.shape, target.shape) && !input.isMeta && !target.isMeta) return mseReduced(input, target, reduction);
  return reduce(square(sub(input, target)), reduction);
}

/**
 * mse_loss of same-shape operands, reduced, as one recorded op (PyTorch's
 * MseLossBackward0): the value is the composed form's (each square rounded
 * to float32, summed in float64), the gradient ATen's mse_loss_backward,
 * norm * (input - target) * grad in float32 (norm = 2 / numel for the mean).
 */
function mseReduced(input: Tensor, target: Tensor, reduction: 'mean' | 'sum'): Tensor {
  const n = input.numel();
  const s = squaredErrorSum(input.data, target.data);
  const out = new Tensor(new Float32Array([reduction === 'mean' ? Math.fround(s) / n : s]), []);
  return record(out, [input, target], 'mse_loss', (g) => {
    const gi = mseGrad(input.data, target.data, reduction === 'mean' ? 2 / n : 2, g.data[0]!);
    return [new Tensor(gi, input.shape), target.requiresGrad ? new Tensor(negated(gi), target.shape) : null];
  });
}

/** `|input - target|`, reduced (the gradient at 0 is 0, as PyTorch's sign). */
export function l1Loss(input: Tensor, target: Tensor, opts: LossOptions = {}): Tensor {
  checkOptions('l1_loss', opts, { reduction: 'string' }, { position: 3, positional: 'reduction' });
  const reduction = checkReduction(opts.reduction ?? 'mean');
  assertTensor(input, 'l1_loss(): input');
  assertTensor(target, 'l1_loss(): target');
  return reduce(abs(sub(input, target)), reduction);
}

function asTarget(target: TargetLike): Tensor {
  return isTensor(target) ? target : tensor(target);
}

/**
 * The shape rule of `nll_loss` / `cross_entropy` with class indices: input
 * [C], [N, C] or [N, C, d1, ...], target [], [N] or [N, d1, ...]. Returns the
 * unreduced loss shape (the target's).
 */
export function nllLossShape(input: readonly number[], target: readonly number[], weight?: readonly number[]): number[] {
  if (input.length < 1) throw new ValueError(`Expected 1 or more dimensions (got ${input.length})`);
  if (input.length !== 1 && input[0] !== target[0]) {
    throw new ValueError(`Expected input batch_size (${input[0]}) to match target batch_size (${target[0] ?? 0}).`);
  }
  const classes = input.length === 1 ? input[0]! : input[1]!;
  if (weight !== undefined && (weight.length !== 1 || weight[0] !== classes)) {
    throw new RuntimeError(
      `weight tensor should be defined either for all ${classes} classes or no classes but got weight tensor of shape: ${fmtSize(weight)}`,
    );
  }
  if (input.length === 1) {
    if (target.length !== 0) throw new RuntimeError(`size mismatch (got input: ${fmtSize(input)}, target: ${fmtSize(target)})`);
    return [];
  }
  if (input.length === 2) {
    if (target.length !== 1) throw new RuntimeError('0D or 1D target tensor expected, multi-target not supported');
    return [...target];
  }
  const want = [input[0]!, ...input.slice(2)];
  if (!sameShape(want, target)) throw new RuntimeError(`Expected target size ${fmtSize(want)}, got ${fmtSize(target)}`);
  return want;
}

/**
 * Negative log-likelihood of log-probabilities `input` at the class indices
 * `target`: `-w[t] * input[n, t, ...]`. The mean divides by the summed weights
 * of the non-ignored targets (NaN when there are none, as in PyTorch).
 */
export function nllLoss(input: Tensor, target: TargetLike, opts: NllLossOptions = {}): Tensor {
  checkOptions('nll_loss', opts, { reduction: 'string', weight: 'any', ignoreIndex: 'int' }, { position: 3, positional: 'reduction' });
  const reduction = checkReduction(opts.reduction ?? 'mean');
  const ignoreIndex = opts.ignoreIndex ?? -100;
  assertTensor(input, 'nll_loss(): input');
  const t = asTarget(target);
  const weight = opts.weight ?? undefined;
  const lossShape = nllLossShape(input.shape, t.shape, weight?.shape);
  const outShape = reduction === 'none' ? lossShape : [];
  if (input.isMeta || t.isMeta || weight?.isMeta) return Tensor.meta(outShape);

  const classes = input.ndim === 1 ? input.shape[0]! : input.shape[1]!;
  const inner = numel(input.shape.slice(2));
  const x = input.data;
  const td = t.data;
  const w = weight?.data;
  // Input offset of each target position (-1: ignored) and its weight.
  const at = new Int32Array(td.length);
  const wt = new Float32Array(td.length);
  for (let p = 0; p < td.length; p++) {
    const cls = td[p]!;
    if (!Number.isInteger(cls)) throw new RuntimeError(`nll_loss(): class indices must be integers, got ${cls}`);
    if (cls === ignoreIndex) {
      at[p] = -1;
      continue;
    }
    if (cls < 0 || cls >= classes) throw new IndexError(`Target ${cls} is out of bounds.`);
    const n = Math.floor(p / inner);
    const s = p - n * inner;
    at[p] = (n * classes + cls) * inner + s;
    wt[p] = w === undefined ? 1 : w[cls]!;
  }
  let out: Tensor;
  let totalWeight = 0;
  if (reduction === 'none') {
    const o = new Float32Array(td.length);
    for (let p = 0; p < td.length; p++) if (at[p]! >= 0) o[p] = -x[at[p]!]! * wt[p]!;
    out = new Tensor(o, outShape);
  } else {
    let s = 0;
    for (let p = 0; p < td.length; p++) {
      if (at[p]! < 0) continue;
      s -= x[at[p]!]! * wt[p]!;
      totalWeight += wt[p]!;
    }
    // Mean over no (or zero-weight) targets is 0/0 = NaN, as in PyTorch.
    out = new Tensor(new Float32Array([reduction === 'mean' ? s / totalWeight : s]), []);
  }
  return record(out, [input], 'nll_loss', (g) => {
    const gi = new Float32Array(x.length);
    const gd = g.data;
    for (let p = 0; p < td.length; p++) {
      if (at[p]! < 0) continue;
      const go = reduction === 'none' ? gd[p]! : reduction === 'mean' ? gd[0]! / totalWeight : gd[0]!;
      gi[at[p]!] = -wt[p]! * go;
    }
    return [new Tensor(gi, input.shape)];
  });
}

/** Weight [C] reshaped to broadcast along the class dim of an input of rank `rank`. */
function classWeight(weight: Tensor, rank: number, classDim: number): Tensor {
  const shape = new Array<number>(rank).fill(1);
  shape[classDim] = weight.shape[0]!;
  return reshape(weight, shape);
}

function checkLabelSmoothing(s: number): void {
  // PyTorch checks only the upper bound (a negative value acts as no smoothing).
  if (s > 1) throw new RuntimeError(`label_smoothing must be between 0.0 and 1.0. Got: ${s}`);
}

/** Cross entropy with class probabilities: target has the input's shape. */
function crossEntropyProbs(input: Tensor, target: Tensor, classDim: number, reduction: Reduction, opts: CrossEntropyOptions): Tensor {
  const classes = input.shape[classDim]!;
  const weight = opts.weight ?? undefined;
  if (weight !== undefined && (weight.ndim !== 1 || weight.numel() !== classes)) {
    throw new RuntimeError(
      `cross_entropy: weight tensor should be defined either for all ${classes} classes or no classes but got weight tensor of shape: ${fmtSize(weight.shape)}`,
    );
  }
  if ((opts.ignoreIndex ?? -100) >= 0) throw new RuntimeError('ignore_index is not supported for floating point target');
  const s = opts.labelSmoothing ?? 0;
  checkLabelSmoothing(s);
  const logp = logSoftmax(input, classDim);
  let p = target;
  if (s > 0) p = add(mul(target, 1 - s), s / classes);
  let terms = mul(logp, p);
  if (weight !== undefined) terms = mul(terms, classWeight(weight, input.ndim, classDim));
  if (reduction === 'none') return neg(sum(terms, classDim));
  const total = neg(sum(terms));
  if (reduction === 'sum') return total;
  // The mean is over the N * d1 * ... positions (NaN for an empty input).
  return div(total, input.numel() / classes);
}

/**
 * Cross entropy of logits `input` ([C], [N, C] or [N, C, d1, ...]) against
 * class indices (`target` of shape [], [N] or [N, d1, ...]) or class
 * probabilities (`target` of the input's shape). Uses a stable log-softmax;
 * `weight`, `ignoreIndex`, `labelSmoothing` and `reduction` as in PyTorch.
 */
export function crossEntropy(input: Tensor, target: TargetLike, opts: CrossEntropyOptions = {}): Tensor {
  checkOptions('cross_entropy', opts, { reduction: 'string', weight: 'any', ignoreIndex: 'int', labelSmoothing: 'number' }, { position: 3, positional: 'reduction' });
  const reduction = checkReduction(opts.reduction ?? 'mean');
  assertTensor(input, 'cross_entropy(): input');
  const t = asTarget(target);
  if (input.ndim < 1) throw new ValueError(`Expected 1 or more dimensions (got ${input.ndim})`);
  const classDim = input.ndim === 1 ? 0 : 1;
  if (sameShape(input.shape, t.shape)) return crossEntropyProbs(input, t, classDim, reduction, opts);

  const s = opts.labelSmoothing ?? 0;
  const nllOpts: NllLossOptions = { reduction, ignoreIndex: opts.ignoreIndex ?? -100, weight: opts.weight ?? null };
  if (!(s > 0)) return nllLoss(logSoftmax(input, classDim), t, nllOpts);
  checkLabelSmoothing(s);
  const logp = logSoftmax(input, classDim);
  const nll = nllLoss(logp, t, nllOpts);
  if (nll.isMeta) return nll;

  // Smoothing term: -sum_c w_c * logp_c per position, 0 at ignored targets.
  const classes = input.shape[classDim]!;
  const weight = opts.weight ?? undefined;
  const weighted = weight === undefined ? logp : mul(logp, classWeight(weight, input.ndim, classDim));
  const ignoreIndex = nllOpts.ignoreIndex!;
  const keep = new Tensor(Float32Array.from(t.data, (c) => (c === ignoreIndex ? 0 : 1)), t.shape);
  const smooth = where(keep, neg(sum(weighted, classDim)), 0);
  let ret: Tensor;
  if (reduction === 'none') ret = smooth;
  else if (reduction === 'sum') ret = sum(smooth);
  else {
    let denom = 0;
    t.data.forEach((c) => {
      if (c !== ignoreIndex) denom += weight === undefined ? 1 : weight.data[c]!;
    });
    ret = div(sum(smooth), denom);
  }
  return add(mul(nll, 1 - s), mul(ret, s / classes));
}

/**
 * Binary cross entropy on logits, in the stable form
 * `(1 - t) x + (1 + (pw - 1) t) * softplus(-x)`, with
 * `softplus(-x) = m + log(exp(-m) + exp(-x - m))`, `m = max(-x, 0)`.
 */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, opts: BceWithLogitsOptions = {}): Tensor {
  checkOptions('binary_cross_entropy_with_logits', opts, { reduction: 'string', weight: 'any', posWeight: 'any' }, { position: 3, positional: 'reduction' });
  const reduction = checkReduction(opts.reduction ?? 'mean');
  assertTensor(input, 'binary_cross_entropy_with_logits(): input');
  assertTensor(target, 'binary_cross_entropy_with_logits(): target');
  if (!sameShape(input.shape, target.shape)) {
    throw new ValueError(`Target size (${fmtSize(target.shape)}) must be the same as input size (${fmtSize(input.shape)})`);
  }
  const weight = opts.weight ?? undefined;
  const posWeight = opts.posWeight ?? undefined;
  if (weight !== undefined) broadcastShapes(input.shape, weight.shape);
  if (posWeight !== undefined) broadcastShapes(input.shape, posWeight.shape);
  const m = clamp(neg(input), 0);
  const softplusNeg = add(m, log(add(exp(neg(m)), exp(sub(neg(input), m)))));
  const positive = posWeight === undefined ? softplusNeg : mul(add(mul(sub(posWeight, 1), target), 1), softplusNeg);
  let loss = add(mul(sub(1, target), input), positive);
  if (weight !== undefined) loss = mul(loss, weight);
  return reduce(loss, reduction);
}
