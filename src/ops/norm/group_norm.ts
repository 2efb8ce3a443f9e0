/** `groupNorm`: statistics per (instance, group of C/G channels); affine per channel. */
import { checkOptions } from '../../options.js';
import { type Tensor, assertTensor } from '../../tensor/tensor.js';
import { checkStatistics, type WarnSite } from './stat_warnings.js';
import { layoutOf, normalizeWithInputStats, normMetaOutput } from './core.js';
import { checkFiniteOption, checkGroupNorm, checkOptionalTensor } from './checks.js';

export interface GroupNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  eps?: number;
  /** The layer calling (warnings are emitted once per layer); undefined: once for F.groupNorm. */
  warnSite?: WarnSite;
}

export function groupNorm(input: Tensor, numGroups: number, o: GroupNormOptions = {}): Tensor {
  assertTensor(input, 'group_norm: input');
  // PyTorch's F.group_norm(input, num_groups, weight, bias, eps): the rest by name here
  checkOptions('group_norm', o, { weight: 'any', bias: 'any', eps: 'number', warnSite: 'any' }, { position: 3, positional: 'weight' });
  checkOptionalTensor(o.weight, 'group_norm', 'weight');
  checkOptionalTensor(o.bias, 'group_norm', 'bias');
  checkGroupNorm(input.shape, numGroups, o.weight?.numel(), o.bias?.numel());
  if (o.eps !== undefined) checkFiniteOption('eps', o.eps);
  if (input.isMeta) return normMetaOutput(input);
  const layout = layoutOf(input.shape, true, input.shape[1]! / numGroups, true);
  // ATen's group norm adds eps as a float (see rstdOf's floatEps): hand the kernel that value.
  const eps = Math.fround(o.eps ?? 1e-5);
  const r = normalizeWithInputStats('group_norm', input, layout, eps, o.weight ?? null, o.bias ?? null);
  checkStatistics('group_norm', o.warnSite, input, r.variance, layout.groupSize * layout.S);
  return r.out;
}
