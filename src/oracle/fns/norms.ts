/** The normalization functions of the oracle's `function` cases (PyTorch names and kwargs). */
import { adaptiveInstanceNorm } from '../../ops/norm/adain.js';
import { batchNorm } from '../../ops/norm/batch_norm.js';
import { groupNorm } from '../../ops/norm/group_norm.js';
import { instanceNorm } from '../../ops/norm/instance_norm.js';
import { layerNorm } from '../../ops/norm/layer_norm.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { OracleFn } from './index.js';

const T = (x: unknown) => (x as Tensor | undefined) ?? null;
const num = (x: unknown, d: number) => (typeof x === 'number' ? x : d);

export const fns: Record<string, OracleFn> = {
  instance_norm: (i, k) =>
    instanceNorm(i['input'] as Tensor, {
      runningMean: T(i['running_mean']),
      runningVar: T(i['running_var']),
      weight: T(i['weight']),
      bias: T(i['bias']),
      useInputStats: (k['use_input_stats'] as boolean | undefined) ?? true,
      momentum: num(k['momentum'], 0.1),
      eps: num(k['eps'], 1e-5),
    }),
  batch_norm: (i, k) =>
    batchNorm(i['input'] as Tensor, T(i['running_mean']), T(i['running_var']), {
      weight: T(i['weight']),
      bias: T(i['bias']),
      training: (k['training'] as boolean | undefined) ?? false,
      momentum: num(k['momentum'], 0.1),
      eps: num(k['eps'], 1e-5),
    }),
  group_norm: (i, k) => groupNorm(i['input'] as Tensor, k['num_groups'] as number, { weight: T(i['weight']), bias: T(i['bias']), eps: num(k['eps'], 1e-5) }),
  layer_norm: (i, k) => layerNorm(i['input'] as Tensor, k['normalized_shape'] as number[], { weight: T(i['weight']), bias: T(i['bias']), eps: num(k['eps'], 1e-5) }),
  adaptive_instance_norm: (i, k) => adaptiveInstanceNorm(i['content'] as Tensor, i['style'] as Tensor, num(k['eps'], 1e-5)),
};
