/**
 * AdamW (PyTorch's `torch.optim.AdamW`): Adam whose weight decay is decoupled
 * from the gradient, `p *= 1 - lr * weight_decay` before the Adam step. The
 * default weight decay is 0.01 (Adam's is 0). As PyTorch 1.13's, it takes no
 * `differentiable` or `fused` (Adam does), and its param_groups list
 * `foreach` before `maximize`.
 */
import { given } from '../options.js';
import { ADAMW_OPTIONS, AdamFamily, type AdamOptions } from './adam.js';
import { optimizerOptions, type ParamsInput } from './optimizer.js';
import { typeNameOf } from '../type_name.js';

export type AdamWOptions = Omit<AdamOptions, 'differentiable' | 'fused'>;

export class AdamW extends AdamFamily {
  static readonly typeName: string = 'AdamW';
  protected readonly decoupledWeightDecay: boolean = true;

  /** As Adam's; the default weight decay is 0.01. */
  constructor(params: ParamsInput<AdamWOptions>, opts: number | Partial<AdamWOptions> = {}, ...extra: never[]) {
    const o = optimizerOptions<AdamWOptions>(typeNameOf(new.target), opts, ADAMW_OPTIONS, extra);
    // PyTorch 1.13's defaults, in its param_group order
    super(params as ParamsInput<AdamOptions>, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, foreach: null, maximize: false, capturable: false, ...given(o) } as AdamOptions);
  }
}
