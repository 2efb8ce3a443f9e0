/**
 * AdamW (PyTorch's `torch.optim.AdamW`): Adam whose weight decay is decoupled
 * from the gradient, `p *= 1 - lr * weight_decay` before the Adam step. The
 * default weight decay is 0.01 (Adam's is 0).
 */
import { Adam, type AdamOptions } from './adam.js';
import type { ParamsInput } from './optimizer.js';

export class AdamW extends Adam {
  protected override readonly decoupledWeightDecay: boolean = true;

  constructor(params: ParamsInput<AdamOptions>, opts: Partial<AdamOptions> = {}) {
    super(params, { weightDecay: 1e-2, ...opts });
  }
}
