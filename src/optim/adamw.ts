/**
 * AdamW (PyTorch's `torch.optim.AdamW`): Adam whose weight decay is decoupled
 * from the gradient, `p *= 1 - lr * weight_decay` before the Adam step. The
 * default weight decay is 0.01 (Adam's is 0).
 */
import { ADAM_OPTIONS, Adam, type AdamOptions } from './adam.js';
import { optimizerOptions, type ParamsInput } from './optimizer.js';

export class AdamW extends Adam {
  static readonly typeName: string = 'AdamW';
  protected override readonly decoupledWeightDecay: boolean = true;

  /** As Adam's; the default weight decay is 0.01. */
  constructor(params: ParamsInput<AdamOptions>, opts: number | Partial<AdamOptions> = {}, ...extra: never[]) {
    super(params, { weightDecay: 1e-2, ...optimizerOptions<AdamOptions>('AdamW', opts, ADAM_OPTIONS, extra) });
  }
}
