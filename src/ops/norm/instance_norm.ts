/**
 * `instanceNorm`: per (instance, channel) statistics over the spatial elements,
 * or the running statistics when `useInputStats` is false (PyTorch's
 * F.instance_norm, including its running-statistics update).
 */
import { noGrad } from '../../tensor/grad_mode.js';
import { type Tensor, assertTensor } from '../../tensor/tensor.js';
import { checkStatistics, type WarnSite } from './stat_warnings.js';
import { applyNorm, emptyNormOutput, layoutOf, normalizeWithInputStats, normMetaOutput, rstdOf } from './core.js';
import { checkAtLeast2d, checkFeatureCount, checkFiniteOption, checkNoChannelsAffine, checkOptionalTensor, verifySpatialSize } from './checks.js';
import { RuntimeError } from '../../errors.js';
import { checkOptions, type OptionSpec } from '../../options.js';

export interface InstanceNormOptions {
  runningMean?: Tensor | null;
  runningVar?: Tensor | null;
  weight?: Tensor | null;
  bias?: Tensor | null;
  useInputStats?: boolean;
  momentum?: number;
  eps?: number;
  /** The layer calling (warnings are emitted once per layer); undefined: once for F.instanceNorm. */
  warnSite?: WarnSite;
}

/** The checks F.instance_norm makes before computing (shared with the analyzer). */
export function checkInstanceNorm(input: Tensor, o: InstanceNormOptions): void {
  const shape = input.shape;
  checkAtLeast2d(shape, 'instance_norm');
  const useInputStats = o.useInputStats ?? true;
  if (useInputStats) verifySpatialSize(shape);
  const [N, C] = [shape[0]!, shape[1]!];
  if (!useInputStats && (!o.runningMean || !o.runningVar)) {
    throw new RuntimeError('Expected running_mean and running_var to be defined when use_input_stats is false');
  }
  // ATen folds the batch into channels and repeats the per-channel tensors N times.
  if (o.runningMean) checkFeatureCount('running_mean', N * C, N * o.runningMean.numel(), shape);
  if (o.runningVar) checkFeatureCount('running_var', N * C, N * o.runningVar.numel(), shape);
  if (o.weight) checkFeatureCount('weight', N * C, N * o.weight.numel(), shape);
  if (o.bias) checkFeatureCount('bias', N * C, N * o.bias.numel(), shape);
  checkNoChannelsAffine(N * C, !!(o.weight || o.bias), shape);
}

/** The options F.instanceNorm takes (PyTorch's keyword arguments, camelCase; tensors' kinds are checked with PyTorch's words). */
const INSTANCE_NORM_FN_OPTIONS: OptionSpec = { runningMean: 'any', runningVar: 'any', weight: 'any', bias: 'any', useInputStats: 'boolean', momentum: 'number', eps: 'number', warnSite: 'any' };

/** `fusedRelu` (not PyTorch's; nn/fusion.ts, inference only): max(out, 0) in the same kernel call. */
export function instanceNorm(input: Tensor, o: InstanceNormOptions = {}, fusedRelu = false): Tensor {
  assertTensor(input, 'instance_norm: input');
  // PyTorch's F.instance_norm(input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps): by name here
  checkOptions('instance_norm', o, INSTANCE_NORM_FN_OPTIONS, { position: 2, positional: 'runningMean' });
  for (const k of ['runningMean', 'runningVar', 'weight', 'bias'] as const) checkOptionalTensor(o[k], 'instance_norm', k);
  checkInstanceNorm(input, o);
  if (o.eps !== undefined) checkFiniteOption('eps', o.eps);
  if (o.momentum !== undefined) checkFiniteOption('momentum', o.momentum);
  if (input.isMeta) return normMetaOutput(input);
  const eps = o.eps ?? 1e-5;
  const momentum = o.momentum ?? 0.1;
  const weight = o.weight ?? null;
  const bias = o.bias ?? null;
  if (input.numel() === 0) {
    // ATen runs batch norm on the [1, N*C, ...] view, which returns early on an empty input (the running
    // statistics are left alone), then copies back the batch mean of the repeated running statistics, in
    // any mode: with N = 0 that is a mean over no instances, NaN (checked in PyTorch 1.13).
    if (input.shape[0] === 0) {
      noGrad(() => {
        o.runningMean?.data.fill(NaN);
        o.runningVar?.data.fill(NaN);
      });
    }
    return emptyNormOutput('instance_norm', input, weight, bias);
  }
  if (!(o.useInputStats ?? true)) {
    const layout = layoutOf(input.shape, false, 1);
    const mean = Float64Array.from(o.runningMean!.data);
    return applyNorm('instance_norm', input, layout, mean, rstdOf(o.runningVar!.data, eps), weight, bias, false, undefined, fusedRelu);
  }
  const layout = layoutOf(input.shape, true, 1);
  const { out, mean, variance } = normalizeWithInputStats('instance_norm', input, layout, eps, weight, bias, fusedRelu);
  checkStatistics('instance_norm', o.warnSite, input, variance, layout.S);
  if (o.runningMean || o.runningVar) {
    noGrad(() => updateInstanceRunningStats(layout.N, layout.C, layout.S, mean, variance, o.runningMean ?? null, o.runningVar ?? null, momentum));
  }
  return out;
}

/** running = (1 - m) * running + m * (batch average of the per-instance statistics; unbiased variance). */
function updateInstanceRunningStats(
  N: number,
  C: number,
  S: number,
  mean: Float64Array,
  variance: Float64Array,
  rm: Tensor | null,
  rv: Tensor | null,
  m: number,
): void {
  const bessel = S > 1 ? S / (S - 1) : Infinity;
  for (let c = 0; c < C; c++) {
    let am = 0;
    let av = 0;
    for (let n = 0; n < N; n++) {
      am += mean[n * C + c]!;
      av += variance[n * C + c]! * bessel;
    }
    if (rm) rm.data[c] = (1 - m) * rm.data[c]! + (m * am) / N;
    if (rv) rv.data[c] = (1 - m) * rv.data[c]! + (m * av) / N;
  }
}
