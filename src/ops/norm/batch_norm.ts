/**
 * `batchNorm`: per-channel statistics over the batch and spatial elements in
 * training (updating the running statistics with the unbiased variance), the
 * running statistics otherwise (PyTorch's F.batch_norm).
 */
import { normStats } from '../../kernels/backend.js';
import { RuntimeError } from '../../errors.js';
import { checkOptions, type OptionSpec } from '../../options.js';
import { type Tensor, assertTensor } from '../../tensor/tensor.js';
import { checkStatistics, type WarnSite } from './stat_warnings.js';
import { applyNorm, emptyNormOutput, layoutOf, normMetaOutput, rstdOf } from './core.js';
import { checkAtLeast2d, checkFeatureCount, checkFiniteOption, checkNoChannelsAffine, checkOptionalTensor, verifyBatchSize } from './checks.js';

export interface BatchNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  training?: boolean;
  momentum?: number;
  eps?: number;
  /** The layer calling (warnings are emitted once per layer); undefined: once for F.batchNorm. */
  warnSite?: WarnSite;
}

/** The checks F.batch_norm and ATen make before computing (shared with the analyzer). */
export function checkBatchNorm(input: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, o: BatchNormOptions): void {
  const shape = input.shape;
  checkAtLeast2d(shape, 'batch_norm');
  const training = o.training ?? false;
  if (training) verifyBatchSize(shape);
  const C = shape[1]!;
  if (runningMean) checkFeatureCount('running_mean', C, runningMean.numel(), shape);
  else if (!training) throw new RuntimeError('running_mean must be defined in evaluation mode');
  if (runningVar) checkFeatureCount('running_var', C, runningVar.numel(), shape);
  else if (!training) throw new RuntimeError('running_var must be defined in evaluation mode');
  if (o.weight) checkFeatureCount('weight', C, o.weight.numel(), shape);
  if (o.bias) checkFeatureCount('bias', C, o.bias.numel(), shape);
  checkNoChannelsAffine(C, !!(o.weight || o.bias), shape);
}

/** The options F.batchNorm takes after the running statistics (PyTorch's keyword arguments, camelCase). */
const BATCH_NORM_FN_OPTIONS: OptionSpec = { weight: 'any', bias: 'any', training: 'boolean', momentum: 'number', eps: 'number', warnSite: 'any' };

/** `fusedRelu` (not PyTorch's; nn/fusion.ts, inference only): max(out, 0) in the same kernel call. */
export function batchNorm(input: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, o: BatchNormOptions = {}, fusedRelu = false): Tensor {
  assertTensor(input, 'batch_norm: input');
  // PyTorch's F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps): the rest by name here
  checkOptions('batch_norm', o, BATCH_NORM_FN_OPTIONS, { position: 4, positional: 'weight' });
  checkOptionalTensor(runningMean, 'batch_norm', 'running_mean');
  checkOptionalTensor(runningVar, 'batch_norm', 'running_var');
  checkOptionalTensor(o.weight, 'batch_norm', 'weight');
  checkOptionalTensor(o.bias, 'batch_norm', 'bias');
  checkBatchNorm(input, runningMean, runningVar, o);
  // Validated where used: a NaN momentum or eps would poison the running statistics for good.
  if (o.eps !== undefined) checkFiniteOption('eps', o.eps);
  if (o.momentum !== undefined) checkFiniteOption('momentum', o.momentum);
  if (input.isMeta) return normMetaOutput(input);
  // PyTorch returns early on an empty input: running statistics are left alone.
  if (input.numel() === 0) return emptyNormOutput('batch_norm', input, o.weight ?? null, o.bias ?? null);
  const eps = o.eps ?? 1e-5;
  const momentum = o.momentum ?? 0.1;
  const layout = layoutOf(input.shape, false, 1);
  if (!(o.training ?? false)) {
    const mean = Float64Array.from(runningMean!.data);
    return applyNorm('batch_norm', input, layout, mean, rstdOf(runningVar!.data, eps), o.weight ?? null, o.bias ?? null, false, undefined, fusedRelu);
  }
  const { mean, variance, K, maxSq } = normStats(input.data, layout);
  const n = layout.N * layout.S;
  checkStatistics('batch_norm', o.warnSite, input, variance, n);
  if (runningMean) {
    const d = runningMean.data;
    for (let c = 0; c < d.length; c++) d[c] = (1 - momentum) * d[c]! + momentum * mean[c]!;
  }
  if (runningVar) {
    const d = runningVar.data;
    const bessel = n / (n - 1);
    for (let c = 0; c < d.length; c++) d[c] = (1 - momentum) * d[c]! + momentum * variance[c]! * bessel;
  }
  return applyNorm('batch_norm', input, layout, mean, rstdOf(variance, eps), o.weight ?? null, o.bias ?? null, true, { variance, eps, K, maxSq }, fusedRelu);
}
