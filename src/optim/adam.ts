/**
 * Adam (PyTorch's `torch.optim.Adam`), with L2 weight decay added to the
 * gradient; AdamW (adamw.ts) shares its update with decoupled decay. Per step t:
 *   m = b1 m + (1 - b1) g,  v = b2 v + (1 - b2) g^2   (v_max = max(v_max, v) with amsgrad)
 *   p = p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 * In float32 WebAssembly SIMD where the gemm module runs (kernels/adam.ts:
 * PyTorch's tensor operations one by one, each rounded to float32), else the
 * TypeScript loops below (float64, each state rounded as its store rounds it).
 */
import { RuntimeError, ValueError, pyTypeName } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { given, type OptionSpec } from '../options.js';
import { Optimizer, optimizerOptions, pyFloat, type ParamGroup, type ParamsInput } from './optimizer.js';
import { typeNameOf } from '../type_name.js';
import { adamStepWasm } from '../kernels/adam.js';

/** The options Adam takes (PyTorch 1.13's keyword arguments, camelCase). */
export const ADAM_OPTIONS: OptionSpec = {
  lr: 'number', betas: 'numbers', eps: 'number', weightDecay: 'number', amsgrad: 'boolean', maximize: 'boolean',
  foreach: 'boolean|null', capturable: 'boolean', differentiable: 'boolean', fused: 'boolean',
};

/** AdamW's: PyTorch 1.13's AdamW has no `differentiable` or `fused`. */
export const ADAMW_OPTIONS: OptionSpec = { lr: 'number', betas: 'numbers', eps: 'number', weightDecay: 'number', amsgrad: 'boolean', foreach: 'boolean|null', maximize: 'boolean', capturable: 'boolean' };

export interface AdamOptions {
  lr: number;
  betas: readonly [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  /** Ascend instead of descend. */
  maximize: boolean;
  /** PyTorch's choice of implementation (null: its default); normkit's one loop gives the same result either way. */
  foreach: boolean | null;
  /** CUDA graph capture: PyTorch 1.13 then needs CUDA tensors at step(); so does normkit, which has none. */
  capturable: boolean;
  /** Autograd through the step (Adam only): PyTorch 1.13 then raises on leaf parameters at step(), as normkit does. */
  differentiable: boolean;
  /** The fused CUDA kernel (Adam only): refused, as PyTorch refuses it for CPU tensors. */
  fused: boolean;
}

export interface AdamState {
  step: number;
  expAvg: Float32Array;
  expAvgSq: Float32Array;
  /** Only with amsgrad. */
  maxExpAvgSq: Float32Array | null;
}

/** Adam's update; AdamW's decay is decoupled. Both keep PyTorch 1.13's state_dict layout (`step` a float32 scalar tensor). */
export abstract class AdamFamily extends Optimizer<AdamOptions, AdamState> {
  /** AdamW: weight decay shrinks the parameter (p *= 1 - lr * wd) instead of adding to the gradient. */
  protected abstract readonly decoupledWeightDecay: boolean;

  protected constructor(params: ParamsInput<AdamOptions>, defaults: AdamOptions) {
    super(params, defaults);
    if (defaults.fused) {
      if (defaults.differentiable) throw new RuntimeError('`fused` cannot be `differentiable`');
      throw new RuntimeError('FusedAdam requires all the params to be CUDA, floating point');
    }
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

  /** PyTorch 1.13 keeps `step` as a float32 scalar tensor, and `max_exp_avg_sq` only with amsgrad. */
  protected override saveState(p: Tensor, st: AdamState): Record<string, unknown> {
    const entry: Record<string, unknown> = {
      step: new Tensor(Float32Array.of(st.step), []),
      exp_avg: new Tensor(Float32Array.from(st.expAvg), p.shape),
      exp_avg_sq: new Tensor(Float32Array.from(st.expAvgSq), p.shape),
    };
    if (st.maxExpAvgSq !== null) entry['max_exp_avg_sq'] = new Tensor(Float32Array.from(st.maxExpAvgSq), p.shape);
    return entry;
  }

  /** Takes PyTorch 1.13's layout (`step` a tensor) and the older one (`step` a number). */
  protected override loadState(p: Tensor, key: string, entry: Record<string, unknown>): AdamState {
    const { step, ...rest } = entry;
    const st = super.loadState(p, key, rest) as Partial<AdamState>;
    const n = step instanceof Tensor ? (step.numel() === 1 ? step.data[0]! : NaN) : step;
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) throw new ValueError(`loadStateDict: state 'step' of parameter ${key} must be a number or a one-value tensor, got ${pyTypeName(step)}`);
    if (!(st.expAvg instanceof Float32Array) || !(st.expAvgSq instanceof Float32Array)) throw new ValueError(`loadStateDict: state of parameter ${key} needs exp_avg and exp_avg_sq tensors`);
    return { step: n, expAvg: st.expAvg, expAvgSq: st.expAvgSq, maxExpAvgSq: st.maxExpAvgSq ?? null };
  }

  protected update(p: Float32Array, grad: Float32Array, g: ParamGroup<AdamOptions>, s: AdamState): void {
    const { lr, eps, weightDecay, amsgrad, maximize } = g;
    const [beta1, beta2] = g.betas;
    s.step += 1;
    const n = p.length;
    const l2 = this.decoupledWeightDecay ? 0 : weightDecay;
    const bc1 = 1 - Math.pow(beta1, s.step);
    const bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, s.step));
    const stepSize = lr / bc1;
    // A group switched to amsgrad after its first step starts its running max now.
    if (amsgrad && s.maxExpAvgSq === null) s.maxExpAvgSq = new Float32Array(n);
    const { expAvg: m, expAvgSq: v } = s;
    const vmax = amsgrad ? s.maxExpAvgSq : null;
    const shrink = this.decoupledWeightDecay ? 1 - lr * weightDecay : 1;
    const hyper = { shrink, l2, maximize, b1: beta1, c1: 1 - beta1, b2: beta2, c2: 1 - beta2, negStep: -stepSize, bc2: bc2Sqrt, eps };
    if (adamStepWasm(p, grad, m, v, vmax, hyper)) return;
    if (this.decoupledWeightDecay) {
      for (let i = 0; i < n; i++) p[i] = p[i]! * shrink;
    }
    if (vmax === null && !maximize && l2 === 0) {
      plainStep(p, grad, m, v, beta1, beta2, stepSize, bc2Sqrt, eps);
      return;
    }
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

/**
 * The update without amsgrad, maximize or L2 decay (the usual case): the
 * general loop's values bit for bit (the same float64 expressions, each
 * state rounded to float32 as its store rounds it), as a function of its
 * own with the per-element branches gone (~3x faster on 1.7M parameters).
 * Without decay the gradient is used as is, as PyTorch does (the general
 * loop's g + 0 * p is NaN for an infinite parameter).
 */
function plainStep(p: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, beta1: number, beta2: number, stepSize: number, bc2Sqrt: number, eps: number): void {
  const c1 = 1 - beta1;
  const c2 = 1 - beta2;
  for (let i = 0; i < p.length; i++) {
    const gi = grad[i]!;
    const mi = Math.fround(beta1 * m[i]! + c1 * gi);
    const vi = Math.fround(beta2 * v[i]! + c2 * gi * gi);
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i]! - (stepSize * mi) / (Math.sqrt(vi) / bc2Sqrt + eps);
  }
}

export class Adam extends AdamFamily {
  static readonly typeName: string = 'Adam';
  protected readonly decoupledWeightDecay: boolean = false;

  /** `new Adam(params)`, `new Adam(params, { lr: 0.01, betas: [0.9, 0.99] })`, or PyTorch's positional `new Adam(params, 0.01)`. */
  constructor(params: ParamsInput<AdamOptions>, opts: number | Partial<AdamOptions> = {}, ...extra: never[]) {
    const o = optimizerOptions<AdamOptions>(typeNameOf(new.target), opts, ADAM_OPTIONS, extra);
    // PyTorch 1.13's defaults, in its param_group order
    super(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, foreach: null, capturable: false, differentiable: false, fused: false, ...given(o) });
  }
}
