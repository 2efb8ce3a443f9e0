/**
 * The optimizer base (PyTorch's `torch.optim.Optimizer`): parameter groups
 * with per-group hyperparameters, per-parameter state, `zeroGrad`, and a
 * `step` that updates `param.data` in place (parameters keep their identity,
 * so modules and other references see the new values).
 */
import { noGrad } from '../tensor/grad_mode.js';
import { RuntimeError, TypeError, ValueError, pyTypeName } from '../errors.js';
import { checkOptions, describeValue, type OptionSpec, given } from '../options.js';
import { Tensor } from '../tensor/tensor.js';
import { typeNameOf } from '../type_name.js';
import { emitWarning } from '../nn/warnings.js';

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

/** What `stateDict()` returns: PyTorch's layout and key names. */
export interface OptimizerStateDict {
  state: Record<number, Record<string, unknown>>;
  param_groups: ({ params: number[] } & Record<string, unknown>)[];
}

function snakeCase(k: string): string {
  return k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function camelCase(k: string): string {
  return k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
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

  /** PyTorch's class name (`Adam`): the class's static `typeName` (minification-proof), or a user subclass's class name. */
  get typeName(): string {
    return typeNameOf(this.constructor);
  }

  /** Adds a group; missing hyperparameters come from the defaults. */
  addParamGroup(group: ParamGroupInput<O>): void {
    const spec = Object.fromEntries(['params', ...Object.keys(this.defaults)].map((k) => [k, 'any' as const]));
    checkOptions(`${this.typeName} parameter group`, group, spec);
    const params = group.params;
    if (!Array.isArray(params)) throw new TypeError('a parameter group needs "params": a list of Tensors');
    for (const p of params) {
      if (!(p instanceof Tensor)) throw new TypeError(`optimizer can only optimize Tensors, but one of the params is ${typeof p}`);
      if (!p.isLeaf) throw new ValueError("can't optimize a non-leaf Tensor");
    }
    const seen = new Set(this.paramGroups.flatMap((g) => g.params));
    if (params.some((p) => seen.has(p))) throw new ValueError('some parameters appear in more than one parameter group');
    const unique = [...new Set(params)];
    if (unique.length !== params.length) {
      // PyTorch 1.13 warns and then steps such a parameter once per listing; normkit keeps it once
      emitWarning({
        code: 'NK_OPTIM_DUPLICATE_PARAMS',
        module: this.constructor.name,
        message:
          'optimizer contains a parameter group with duplicate parameters; in future, this will cause an error; see github.com/pytorch/pytorch/issues/40967 for more information ' +
          `(normkit keeps each parameter once: ${params.length - unique.length} duplicate${params.length - unique.length === 1 ? '' : 's'} dropped)`,
      });
    }
    const full = { ...this.defaults, ...given(group), params: unique } as ParamGroup<O>;
    // Every hyperparameter has its default's type (a number, a boolean, a list of numbers; `foreach`'s None default: a boolean or null), before validate compares values.
    for (const [k, d] of Object.entries(this.defaults)) {
      const v: unknown = (full as unknown as Record<string, unknown>)[k];
      const ok = Array.isArray(d)
        ? Array.isArray(v) && v.every((x) => typeof x === 'number')
        : d === null
          ? v === null || typeof v === 'boolean'
          : typeof v === typeof d;
      const want = Array.isArray(d) ? 'a list of numbers' : d === null ? 'a boolean or null' : `a ${typeof d}`;
      if (!ok) throw new TypeError(`optimizer: ${k} must be ${want}, not ${pyTypeName(v)}`, { kind: 'argument' });
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

  /**
   * PyTorch's `optimizer.state_dict()`: `{ state: { 0: { exp_avg, step, ... } },
   * param_groups: [{ lr, weight_decay, ..., params: [0, 1] }] }`, parameters
   * numbered in group order, keys spelled as PyTorch's (snake_case), buffers as
   * tensors (copies: later steps do not change a saved dict). Only parameters
   * that have taken a step have state, as in PyTorch.
   */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    const paramGroups = this.paramGroups.map((g) => {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(g)) if (k !== 'params') out[snakeCase(k)] = Array.isArray(v) ? [...(v as unknown[])] : v;
      out['params'] = g.params.map((p) => {
        const i = index.size;
        index.set(p, i);
        return i;
      });
      return out as OptimizerStateDict['param_groups'][number];
    });
    const state: Record<number, Record<string, unknown>> = {};
    for (const [p, st] of this.state) {
      const i = index.get(p);
      if (i === undefined) continue;
      state[i] = this.saveState(p, st);
    }
    return { state, param_groups: paramGroups };
  }

  /** A parameter's state as PyTorch's state_dict holds it: snake_case names, buffers as tensor copies of the parameter's shape. */
  protected saveState(p: Tensor, st: S): Record<string, unknown> {
    const entry: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(st as object)) entry[snakeCase(k)] = v instanceof Float32Array ? new Tensor(Float32Array.from(v), p.shape) : v;
    return entry;
  }

  /** The inverse of saveState: tensors (of the parameter's size) to copied buffers, names to camelCase. */
  protected loadState(p: Tensor, key: string, entry: Record<string, unknown>): S {
    const st: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(entry)) {
      if (v instanceof Tensor) {
        if (v.numel() !== p.numel()) throw new ValueError(`loadStateDict: state '${k}' of parameter ${key} has ${v.numel()} values, the parameter has ${p.numel()}`);
        st[camelCase(k)] = Float32Array.from(v.data);
      } else st[camelCase(k)] = Array.isArray(v) ? [...(v as unknown[])] : v;
    }
    return st as S;
  }

  /**
   * PyTorch's `optimizer.load_state_dict(d)`: the groups' hyperparameters and
   * the per-parameter state come from `d` (copied), the parameters stay this
   * optimizer's own, matched by position. Raises PyTorch's ValueErrors when the
   * groups do not match.
   */
  loadStateDict(dict: OptimizerStateDict): void {
    if (dict === null || typeof dict !== 'object' || !Array.isArray(dict.param_groups) || dict.state === null || typeof dict.state !== 'object') {
      throw new TypeError(`loadStateDict: expected { state, param_groups } as stateDict() returns, got ${pyTypeName(dict)}`, { kind: 'argument' });
    }
    const saved = dict.param_groups;
    if (saved.length !== this.paramGroups.length) throw new ValueError('loaded state dict has a different number of parameter groups');
    saved.forEach((sg, gi) => {
      if (!Array.isArray(sg.params) || sg.params.length !== this.paramGroups[gi]!.params.length) {
        throw new ValueError("loaded state dict contains a parameter group that doesn't match the size of optimizer's group");
      }
    });
    const byIndex = new Map<number, Tensor>();
    saved.forEach((sg, gi) => sg.params.forEach((id, k) => byIndex.set(id, this.paramGroups[gi]!.params[k]!)));
    const newState = new Map<Tensor, S>();
    for (const [key, entry] of Object.entries(dict.state)) {
      const p = byIndex.get(Number(key));
      if (p === undefined) continue; // PyTorch ignores state of unknown ids too
      newState.set(p, this.loadState(p, key, entry));
    }
    const groups = saved.map((sg, gi) => {
      const g = this.paramGroups[gi]!;
      const opts: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(sg)) if (k !== 'params') opts[camelCase(k)] = Array.isArray(v) ? [...(v as unknown[])] : v;
      return { ...g, ...opts, params: g.params } as ParamGroup<O>;
    });
    for (const g of groups) this.validate(g);
    this.paramGroups.splice(0, this.paramGroups.length, ...groups);
    this.state.clear();
    for (const [p, st] of newState) this.state.set(p, st);
  }

  /** One update of every parameter that has a gradient. */
  step(): void {
    for (const group of this.paramGroups) {
      const g = group as unknown as Record<string, unknown>;
      // PyTorch 1.13's errors for the flags that need what normkit does not have (CUDA tensors, autograd through the step)
      if (!group.params.some((p) => p.grad !== null)) continue;
      if (g['capturable'] === true) throw new RuntimeError('If capturable=True, params and state_steps must be CUDA tensors.');
      if (g['differentiable'] === true) throw new RuntimeError('a leaf Variable that requires grad is being used in an in-place operation.');
    }
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
