import { TypeError } from '../../errors.js';
import {
  binaryCrossEntropyWithLogits,
  crossEntropy,
  l1Loss,
  mseLoss,
  type Reduction,
  type TargetLike,
} from '../../ops/loss.js';
import { Tensor, assertTensor } from '../../tensor/tensor.js';
import { decodeTensor, isJsonTensor } from '../format.js';
import type { OracleFn } from './index.js';

/** Reads PyTorch keyword arguments, refusing any the function does not take (as Python would). */
function kw(fn: string, kwargs: Record<string, unknown>, allowed: readonly string[]) {
  for (const k of Object.keys(kwargs)) {
    if (!allowed.includes(k)) throw new TypeError(`${fn}() got an unexpected keyword argument '${k}'`);
  }
  return {
    reduction: (kwargs['reduction'] ?? 'mean') as Reduction,
    tensor(name: string): Tensor | null {
      const v = kwargs[name];
      if (v === undefined || v === null) return null;
      if (!isJsonTensor(v)) throw new TypeError(`${fn}(): argument '${name}' must be a Tensor`);
      return decodeTensor(v);
    },
    number(name: string, dflt: number): number {
      const v = kwargs[name] ?? dflt;
      if (typeof v !== 'number') throw new TypeError(`${fn}(): argument '${name}' must be a number, not ${typeof v}`);
      return v;
    },
  };
}

function tensorInput(inputs: Record<string, unknown>, name: string): Tensor {
  const t = inputs[name];
  assertTensor(t, name);
  return t;
}

/** Losses and other non-normalization functions. */
export const fns: Record<string, OracleFn> = {
  mse_loss: (inputs, kwargs) =>
    mseLoss(tensorInput(inputs, 'input'), tensorInput(inputs, 'target'), {
      reduction: kw('mse_loss', kwargs, ['reduction']).reduction,
    }),
  l1_loss: (inputs, kwargs) =>
    l1Loss(tensorInput(inputs, 'input'), tensorInput(inputs, 'target'), {
      reduction: kw('l1_loss', kwargs, ['reduction']).reduction,
    }),
  cross_entropy: (inputs, kwargs) => {
    const k = kw('cross_entropy', kwargs, ['weight', 'ignore_index', 'reduction', 'label_smoothing']);
    // Class indices arrive as a plain JSON list (PyTorch's int64 tensor).
    return crossEntropy(tensorInput(inputs, 'input'), inputs['target'] as TargetLike, {
      weight: k.tensor('weight'),
      ignoreIndex: k.number('ignore_index', -100),
      reduction: k.reduction,
      labelSmoothing: k.number('label_smoothing', 0),
    });
  },
  binary_cross_entropy_with_logits: (inputs, kwargs) => {
    const k = kw('binary_cross_entropy_with_logits', kwargs, ['weight', 'reduction', 'pos_weight']);
    return binaryCrossEntropyWithLogits(tensorInput(inputs, 'input'), tensorInput(inputs, 'target'), {
      weight: k.tensor('weight'),
      posWeight: k.tensor('pos_weight'),
      reduction: k.reduction,
    });
  },
};
