/**
 * Stochastic gradient descent with momentum (PyTorch's `torch.optim.SGD`):
 *   d = g + weight_decay * p
 *   b = d on the first step, then b = momentum * b + (1 - dampening) * d
 *   d = d + momentum * b (nesterov) or d = b
 *   p = p - lr * d
 */
import { given } from '../options.js';
import { ValueError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { Optimizer, pyFloat, type ParamGroup, type ParamsInput, optimizerOptions } from './optimizer.js';

export interface SGDOptions {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  /** Ascend instead of descend. */
  maximize: boolean;
  /** PyTorch's choice of implementation (null: its default); normkit's one loop gives the same result either way. */
  foreach: boolean | null;
  /** Autograd through the step: PyTorch 1.13 then raises on leaf parameters at step(), as normkit does. */
  differentiable: boolean;
}

/** The options SGD takes (PyTorch 1.13's keyword arguments, camelCase). */
export const SGD_OPTIONS = { lr: 'number', momentum: 'number', dampening: 'number', weightDecay: 'number', nesterov: 'boolean', maximize: 'boolean', foreach: 'boolean|null', differentiable: 'boolean' } as const;

interface SGDState {
  /** null until the first step with momentum (PyTorch initializes it to the first gradient). */
  momentumBuffer: Float32Array | null;
}

export class SGD extends Optimizer<SGDOptions, SGDState> {
  static readonly typeName: string = 'SGD';
  /** `new SGD(params, { lr: 0.1, momentum: 0.9 })`, or PyTorch's positional `new SGD(params, 0.1)`. */
  constructor(params: ParamsInput<SGDOptions>, opts: number | (Partial<SGDOptions> & { lr: number }), ...extra: never[]) {
    const o = optimizerOptions<SGDOptions>('SGD', opts, SGD_OPTIONS, extra);
    // PyTorch 1.13's defaults, in its param_group order
    super(params, { lr: o.lr, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false, foreach: null, differentiable: false, ...given(o) } as SGDOptions);
  }

  protected validate(g: ParamGroup<SGDOptions>): void {
    if (g.lr === undefined) throw new ValueError("parameter group didn't specify a value of required optimization parameter lr");
    if (!(g.lr >= 0)) throw new ValueError(`Invalid learning rate: ${pyFloat(g.lr)}`);
    if (!(g.momentum >= 0)) throw new ValueError(`Invalid momentum value: ${pyFloat(g.momentum)}`);
    if (!(g.weightDecay >= 0)) throw new ValueError(`Invalid weight_decay value: ${pyFloat(g.weightDecay)}`);
    if (g.nesterov && (g.momentum <= 0 || g.dampening !== 0)) {
      throw new ValueError('Nesterov momentum requires a momentum and zero dampening');
    }
  }

  protected initState(_p: Tensor): SGDState {
    return { momentumBuffer: null };
  }

  protected update(p: Float32Array, grad: Float32Array, g: ParamGroup<SGDOptions>, state: SGDState): void {
    const { lr, momentum, dampening, weightDecay, nesterov, maximize } = g;
    const n = p.length;
    const d = new Float32Array(n);
    for (let i = 0; i < n; i++) d[i] = (maximize ? -grad[i]! : grad[i]!) + weightDecay * p[i]!;
    if (momentum !== 0) {
      let buf = state.momentumBuffer;
      if (buf === null) {
        buf = Float32Array.from(d);
        state.momentumBuffer = buf;
      } else {
        for (let i = 0; i < n; i++) buf[i] = momentum * buf[i]! + (1 - dampening) * d[i]!;
      }
      for (let i = 0; i < n; i++) d[i] = nesterov ? d[i]! + momentum * buf[i]! : buf[i]!;
    }
    for (let i = 0; i < n; i++) p[i] = p[i]! - lr * d[i]!;
  }
}
