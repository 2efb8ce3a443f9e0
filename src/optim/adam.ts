/**
 * Adam (PyTorch's `torch.optim.Adam`), with L2 weight decay added to the
 * gradient; AdamW (adamw.ts) reuses it with decoupled decay. Per step t:
 *   m = b1 m + (1 - b1) g,  v = b2 v + (1 - b2) g^2   (v_max = max(v_max, v) with amsgrad)
 *   p = p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 */
import { ValueError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { OptionSpec } from '../options.js';
import { Optimizer, optimizerOptions, pyFloat, type ParamGroup, type ParamsInput } from './optimizer.js';
import { typeNameOf } from '../type_name.js';

/** The options Adam and AdamW take (PyTorch's keyword arguments, camelCase). */
export const ADAM_OPTIONS: OptionSpec = { lr: 'number', betas: 'numbers', eps: 'number', weightDecay: 'number', amsgrad: 'boolean', maximize: 'boolean' };

export interface AdamOptions {
  lr: number;
  betas: readonly [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  /** Ascend instead of descend. */
  maximize: boolean;
}

export interface AdamState {
  step: number;
  expAvg: Float32Array;
  expAvgSq: Float32Array;
  /** Only with amsgrad. */
  maxExpAvgSq: Float32Array | null;
}

export class Adam extends Optimizer<AdamOptions, AdamState> {
  static readonly typeName: string = 'Adam';
  /** AdamW: weight decay shrinks the parameter (p *= 1 - lr * wd) instead of adding to the gradient. */
  protected readonly decoupledWeightDecay: boolean = false;

  /** `new Adam(params)`, `new Adam(params, { lr: 0.01, betas: [0.9, 0.99] })`, or PyTorch's positional `new Adam(params, 0.01)`. */
  constructor(params: ParamsInput<AdamOptions>, opts: number | Partial<AdamOptions> = {}, ...extra: never[]) {
    const o = optimizerOptions<AdamOptions>(typeNameOf(new.target), opts, ADAM_OPTIONS, extra);
    super(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, ...o });
  }

  protected validate(g: ParamGroup<AdamOptions>): void {
    if (!(g.lr >= 0)) throw new ValueError(`Invalid learning rate: ${pyFloat(g.lr)}`);
    if (!(g.eps >= 0)) throw new ValueError(`Invalid epsilon value: ${pyFloat(g.eps)}`);
    if (g.betas.length !== 2) throw new ValueError(`betas must be a pair, got ${g.betas.length} values`);
    g.betas.forEach((b, i) => {
      if (!(b >= 0 && b < 1)) throw new ValueError(`Invalid beta parameter at index ${i}: ${pyFloat(b)}`);
    });
    if (!(g.weightDecay >= 0)) throw new ValueError(`Invalid weight_decay value: ${pyFloat(g.weightDecay)}`);
  }

  protected initState(p: Tensor, g: ParamGroup<AdamOptions>): AdamState {
    const n = p.numel();
    return { step: 0, expAvg: new Float32Array(n), expAvgSq: new Float32Array(n), maxExpAvgSq: g.amsgrad ? new Float32Array(n) : null };
  }

  protected update(p: Float32Array, grad: Float32Array, g: ParamGroup<AdamOptions>, s: AdamState): void {
    const { lr, eps, weightDecay, amsgrad, maximize } = g;
    const [beta1, beta2] = g.betas;
    s.step += 1;
    const n = p.length;
    if (this.decoupledWeightDecay) {
      for (let i = 0; i < n; i++) p[i] = p[i]! * (1 - lr * weightDecay);
    }
    const l2 = this.decoupledWeightDecay ? 0 : weightDecay;
    const bc1 = 1 - Math.pow(beta1, s.step);
    const bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, s.step));
    const stepSize = lr / bc1;
    // A group switched to amsgrad after its first step starts its running max now.
    if (amsgrad && s.maxExpAvgSq === null) s.maxExpAvgSq = new Float32Array(n);
    const { expAvg: m, expAvgSq: v } = s;
    const vmax = amsgrad ? s.maxExpAvgSq : null;
    for (let i = 0; i < n; i++) {
      const gi = (maximize ? -grad[i]! : grad[i]!) + l2 * p[i]!;
      m[i] = beta1 * m[i]! + (1 - beta1) * gi;
      v[i] = beta2 * v[i]! + (1 - beta2) * gi * gi;
      let vi = v[i]!;
      if (vmax !== null) {
        if (vi > vmax[i]! || Number.isNaN(vi)) vmax[i] = vi;
        vi = vmax[i]!;
      }
      p[i] = p[i]! - (stepSize * m[i]!) / (Math.sqrt(vi) / bc2Sqrt + eps);
    }
  }
}
