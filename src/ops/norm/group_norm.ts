/** `groupNorm`: statistics per (instance, group of C/G channels); affine per channel. */
import { type Tensor, assertTensor } from '../../tensor/tensor.js';
import { normStats } from '../../kernels/backend.js';
import { applyNorm, layoutOf, normMetaOutput, rstdOf } from './core.js';
import { checkGroupNorm } from './checks.js';

export interface GroupNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  eps?: number;
}

export function groupNorm(input: Tensor, numGroups: number, o: GroupNormOptions = {}): Tensor {
  assertTensor(input, 'group_norm: input');
  checkGroupNorm(input.shape, numGroups, o.weight?.numel(), o.bias?.numel());
  if (input.isMeta) return normMetaOutput(input);
  const layout = layoutOf(input.shape, true, input.shape[1]! / numGroups, true);
  const { mean, variance } = normStats(input.data, layout);
  return applyNorm('group_norm', input, layout, mean, rstdOf(variance, o.eps ?? 1e-5, true), o.weight ?? null, o.bias ?? null, true);
}
