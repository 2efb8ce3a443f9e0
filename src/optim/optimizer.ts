/**
 * The optimizer base (PyTorch's `torch.optim.Optimizer`): parameter groups
 * with per-group hyperparameters, per-parameter state, `zeroGrad`, and a
 * `step` that updates `param.data` in place (parameters keep their identity,
 * so modules and other references see the new values).
 */
import { noGrad } from '../autograd/grad_mode.js';
import { TypeError, ValueError, pyTypeName } from '../errors.js';
import { checkOptions, describeValue, type OptionSpec } from '../options.js';
import { Tensor } from '../tensor/tensor.js';

/** A group's hyperparameters (every optimizer has a learning rate). */
export interface GroupOptions {
  lr: number;
}

/** A parameter group as given by the user: its parameters and any overrides of the defaults. */
export type ParamGroupInput<O extends GroupOptions> = { params: readonly Tensor[] } & Partial<O>;

/** A flat list of parameters, or a list of groups. */
export type ParamsInput<O extends GroupOptions> = readonly Tensor[] | readonly ParamGroupInput<O>[];

export type ParamGroup<O extends GroupOptions> = O & { params: Tensor[] };

/** Python's repr of a float (`0.1`, `-1.0`), for messages that quote PyTorch's. */
export function pyFloat(v: number): string {
  return Number.isInteger(v) ? v.toFixed(1) : String(v);
}

/**
 * An optimizer's options as given: PyTorch's positional learning rate
 * (`new optim.Adam(params, 0.01)`, PyTorch's `Adam(params, 0.01)`) or an
 * options object whose keys are checked against `spec` (an unknown or
 * snake_case key raises a TypeError naming the right one). PyTorch's further
 * positional arguments (betas, momentum, ...) must go by name: extra
 * arguments raise.
 */
export function optimizerOptions<O>(where: string, opts: number | Partial<O> | undefined, spec: OptionSpec, extra: readonly unknown[]): Partial<O> {
  if (extra.length > 0) {
    const names = Object.keys(spec).filter((k) => k !== 'lr');
    throw new TypeError(
      `${where}: takes (params, lr) or (params, options); pass PyTorch's further positional arguments by name, e.g. { lr, ${names.slice(0, 2).join(', ')} } (got ${describeValue(extra[0])} as argument 3)`,
      { kind: 'argument' },
    );
  }
  if (typeof opts === 'number') return { lr: opts } as unknown as Partial<O>;
  return checkOptions(where, opts, spec, { position: 2 });
}

export abstract class Optimizer<O extends GroupOptions, S = unknown> {
  readonly paramGroups: ParamGroup<O>[] = [];
  readonly defaults: O;
  /** Per-parameter state (momentum buffers, moments), created on a parameter's first update. */
  readonly state = new Map<Tensor, S>();

  constructor(params: ParamsInput<O>, defaults: O) {
    this.defaults = { ...defaults };
    if (!Array.isArray(params)) throw new TypeError('params argument given to the optimizer should be an iterable of Tensors or dicts');
    if (params.length === 0) throw new ValueError('optimizer got an empty parameter list');
    const groups: ParamGroupInput<O>[] = params[0] instanceof Tensor ? [{ params: params as Tensor[] } as unknown as ParamGroupInput<O>] : (params as ParamGroupInput<O>[]);
    for (const g of groups) this.addParamGroup(g);
  }

  /** Adds a group; missing hyperparameters come from the defaults. */
  addParamGroup(group: ParamGroupInput<O>): void {
    const spec = Object.fromEntries(['params', ...Object.keys(this.defaults)].map((k) => [k, 'any' as const]));
    checkOptions(`${this.constructor.name} parameter group`, group, spec);
    const params = group.params;
    if (!Array.isArray(params)) throw new TypeError('a parameter group needs "params": a list of Tensors');
    for (const p of params) {
      if (!(p instanceof Tensor)) throw new TypeError(`optimizer can only optimize Tensors, but one of the params is ${typeof p}`);
      if (!p.isLeaf) throw new ValueError("can't optimize a non-leaf Tensor");
    }
    const seen = new Set(this.paramGroups.flatMap((g) => g.params));
    if (params.some((p) => seen.has(p)) || new Set(params).size !== params.length) {
      throw new ValueError('some parameters appear in more than one parameter group');
    }
    const full = { ...this.defaults, ...group, params: [...params] } as ParamGroup<O>;
    // Every hyperparameter has its default's type (a number, a boolean, a list of numbers), before validate compares values.
    for (const [k, d] of Object.entries(this.defaults)) {
      const v: unknown = (full as unknown as Record<string, unknown>)[k];
      const ok = Array.isArray(d)
        ? Array.isArray(v) && v.every((x) => typeof x === 'number')
        : typeof v === typeof d;
      if (!ok) throw new TypeError(`optimizer: ${k} must be ${Array.isArray(d) ? 'a list of numbers' : `a ${typeof d}`}, not ${pyTypeName(v)}`, { kind: 'argument' });
    }
    this.validate(full);
    this.paramGroups.push(full);
  }

  /** The first group's learning rate. */
  get lr(): number {
    return this.paramGroups[0]!.lr;
  }

  /** Sets the learning rate of every group (a schedule may change it between steps). */
  set lr(value: number) {
    if (!(value >= 0)) throw new ValueError(`Invalid learning rate: ${pyFloat(value)}`);
    for (const g of this.paramGroups) g.lr = value;
  }

  /**
   * Clears gradients. PyTorch 1.13's default zeroes them in place
   * (`set_to_none=False`), so a parameter without a new gradient still takes
   * a step (weight decay, momentum); pass `true` to drop them instead.
   */
  zeroGrad(setToNone = false): void {
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        if (p.grad === null) continue;
        if (setToNone) p.grad = null;
        else p.grad.data.fill(0);
      }
    }
  }

  /** One update of every parameter that has a gradient. */
  step(): void {
    noGrad(() => {
      for (const group of this.paramGroups) {
        for (const p of group.params) {
          if (p.grad === null) continue;
          this.update(p.data, p.grad.data, group, this.stateOf(p, group));
        }
      }
    });
  }

  private stateOf(p: Tensor, group: ParamGroup<O>): S {
    let s = this.state.get(p);
    if (s === undefined) {
      s = this.initState(p, group);
      this.state.set(p, s);
    }
    return s;
  }

  /** Throws ValueError (PyTorch's wording) for an invalid hyperparameter. */
  protected abstract validate(group: ParamGroup<O>): void;
  protected abstract initState(p: Tensor, group: ParamGroup<O>): S;
  /** Updates `param` in place from `grad` (both the parameter's own storage). */
  protected abstract update(param: Float32Array, grad: Float32Array, group: ParamGroup<O>, state: S): void;
}
