/**
 * `Module`: parameters, buffers, children, the `training` flag, state dicts
 * with PyTorch's names, forward hooks, and the error annotation that tells
 * which module (by its dotted `named_modules()` path) raised.
 */
import { NormkitError, RuntimeError, TypeError, ValueError, fmtSize, pyTypeName } from '../errors.js';
import { checkOptions } from '../options.js';
// Layers use tensor methods (x.add, x.mean): make sure they are attached whatever the entry point.
import '../ops/methods.js';
import { sameShape } from '../tensor/shape.js';
import { typeNameOf } from '../type_name.js';
import { Tensor, assertTensor } from '../tensor/tensor.js';
import { isTrustedModule, keepTensor, planning } from '../tensor/plan.js';

export type ForwardHook = (module: Module, inputs: readonly Tensor[], output: Tensor) => void;
/** Runs before `forward` with the inputs (PyTorch's `register_forward_pre_hook`). */
export type ForwardPreHook = (module: Module, inputs: readonly Tensor[]) => void;

/** PyTorch's `state_dict` keywords. */
export interface StateDictOptions {
  /** Put before every key (PyTorch's prefix), e.g. `'encoder.'`. */
  prefix?: string;
  /** The parameters and buffers themselves instead of detached tensors sharing their storage (PyTorch's keep_vars). */
  keepVars?: boolean;
  /** A Map to add the entries to (and return). */
  destination?: Map<string, Tensor>;
}

export interface LoadResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/** Marks a tensor as a trainable parameter (a leaf that requires grad). */
export function Parameter(t: Tensor): Tensor {
  t.requiresGrad = true;
  return t;
}

export abstract class Module {
  training = true;
  protected readonly _parameters = new Map<string, Tensor | null>();
  protected readonly _buffers = new Map<string, Tensor | null>();
  protected readonly _modules = new Map<string, Module>();
  private readonly _hooks: ForwardHook[] = [];
  private readonly _preHooks: ForwardPreHook[] = [];

  /**
   * PyTorch's class name (`InstanceNorm2d`), used in reprs, specs, the
   * analyzer and messages: the class's static `typeName` (minification-proof),
   * or the class name of a user's subclass that declares none.
   */
  get typeName(): string {
    return typeNameOf(this.constructor);
  }

  abstract forward(input: Tensor, ...rest: Tensor[]): Tensor;

  /** Whether forward or pre-forward hooks are registered (then `call` must run: nn/fusion.ts). */
  get hasHooks(): boolean {
    return this._hooks.length > 0 || this._preHooks.length > 0;
  }

  /**
   * Runs `forward` (PyTorch's `module(x)`): checks that inputs are tensors,
   * runs forward hooks, and tags errors with the raising module.
   */
  call(input: Tensor, ...rest: Tensor[]): Tensor {
    try {
      assertTensor(input, `${this.typeName}: input`);
      rest.forEach((r, i) => assertTensor(r, `${this.typeName}: input ${i + 1}`));
      for (const h of this._preHooks) h(this, [input, ...rest]);
      const out = this.forward(input, ...rest);
      for (const h of this._hooks) h(this, [input, ...rest], out);
      // A hook, or a forward normkit does not know, may hold on to these: the memory planner leaves them be.
      if ((this._hooks.length > 0 || this._preHooks.length > 0 || !isTrustedModule(this)) && planning()) {
        for (const t of [input, ...rest, out]) if (t instanceof Tensor) keepTensor(t);
      }
      return out;
    } catch (err) {
      if (err instanceof NormkitError && err.moduleType === undefined) {
        err.moduleType = this.typeName;
        err.modulePath = '';
      }
      throw err;
    }
  }

  /**
   * Calls the descendant at a dotted `path` (a child's name, or `branches.0`),
   * prefixing that path to the module path of any error it raises.
   */
  protected callChild(path: string, input: Tensor, ...rest: Tensor[]): Tensor {
    return this.callChildModule(path, this.getSubmodule(path), input, ...rest);
  }

  /** callChild with the descendant already looked up. */
  protected callChildModule(path: string, child: Module, input: Tensor, ...rest: Tensor[]): Tensor {
    return this.callChildAs(path, child, () => child.call(input, ...rest));
  }

  /**
   * Runs `f` in place of the call of descendant `child` at `path` (a fused
   * forward: nn/fusion.ts), its errors tagged as `child.call` and
   * callChildModule tag them.
   */
  protected callChildAs(path: string, child: Module, f: () => Tensor): Tensor {
    try {
      try {
        return f();
      } catch (err) {
        if (err instanceof NormkitError && err.moduleType === undefined) {
          err.moduleType = child.typeName;
          err.modulePath = '';
        }
        throw err;
      }
    } catch (err) {
      if (err instanceof NormkitError && err.modulePath !== undefined) {
        err.modulePath = err.modulePath === '' ? path : `${path}.${err.modulePath}`;
      }
      throw err;
    }
  }

  registerForwardPreHook(hook: ForwardPreHook): () => void {
    this._preHooks.push(hook);
    return () => {
      const i = this._preHooks.indexOf(hook);
      if (i >= 0) this._preHooks.splice(i, 1);
    };
  }

  registerForwardHook(hook: ForwardHook): () => void {
    this._hooks.push(hook);
    return () => {
      const i = this._hooks.indexOf(hook);
      if (i >= 0) this._hooks.splice(i, 1);
    };
  }

  registerParameter(name: string, t: Tensor | null): void {
    if (t !== null) t.requiresGrad = true;
    this._parameters.set(name, t);
  }

  registerBuffer(name: string, t: Tensor | null): void {
    this._buffers.set(name, t);
  }

  registerModule(name: string, m: Module): void {
    this._modules.set(name, m);
  }

  getParameter(name: string): Tensor | null {
    return this._parameters.get(name) ?? null;
  }

  getBuffer(name: string): Tensor | null {
    return this._buffers.get(name) ?? null;
  }

  getSubmodule(path: string): Module {
    if (path === '') return this;
    let m: Module = this;
    for (const part of path.split('.')) {
      const next = m._modules.get(part);
      if (next === undefined) throw new RuntimeError(`${m.typeName} has no attribute \`${part}\``);
      m = next;
    }
    return m;
  }

  train(mode = true): this {
    if (typeof mode !== 'boolean') throw new ValueError('training mode is expected to be boolean', { kind: 'argument' });
    this.training = mode;
    for (const m of this._modules.values()) {
      // Leaves directly (no call per layer of a 100,000-layer Sequential); subclasses that override train keep their hook.
      if (m._modules.size === 0 && m.train === Module.prototype.train) m.training = mode;
      else m.train(mode);
    }
    return this;
  }

  eval(...args: never[]): this {
    if (args.length > 0) throw new TypeError(`eval() takes no arguments (${args.length} given); for a mode, call train(mode)`, { kind: 'argument' });
    return this.train(false);
  }

  /**
   * Every registered child by name, a module registered twice under both
   * names (PyTorch's `_modules.items()`): what a container's forward runs.
   */
  *childEntries(): Generator<[string, Module]> {
    yield* this._modules.entries();
  }

  /** PyTorch's `named_children()`: a module registered under two names is listed once, under the first. */
  *namedChildren(): Generator<[string, Module]> {
    const seen = new Set<Module>();
    for (const [name, m] of this._modules) {
      if (seen.has(m)) continue;
      seen.add(m);
      yield [name, m];
    }
  }

  children(): Module[] {
    return [...this.namedChildren()].map(([, m]) => m);
  }

  /**
   * Pre-order, as PyTorch's `named_modules()`: with `removeDuplicate` (the
   * default, as PyTorch's) a module reachable under several paths is listed
   * once, at the first. An explicit stack, no recursion (deep or long models).
   */
  *namedModules(prefix = '', removeDuplicate = true): Generator<[string, Module]> {
    const seen = new Set<Module>();
    const stack: [string, Module][] = [[prefix, this]];
    while (stack.length > 0) {
      const [path, m] = stack.pop()!;
      if (removeDuplicate) {
        if (seen.has(m)) continue;
        seen.add(m);
      }
      yield [path, m];
      const kids = [...m._modules];
      for (let i = kids.length - 1; i >= 0; i--) {
        const [name, c] = kids[i]!;
        stack.push([path === '' ? name : `${path}.${name}`, c]);
      }
    }
  }

  modules(): Module[] {
    return [...this.namedModules()].map(([, m]) => m);
  }

  /** PyTorch's `named_parameters()`: each parameter once, under its first name (a shared module or a tied weight is not listed twice). */
  *namedParameters(prefix = ''): Generator<[string, Tensor]> {
    const seen = new Set<Tensor>();
    for (const [path, m] of this.namedModules(prefix)) {
      for (const [name, p] of m._parameters) {
        if (p === null || seen.has(p)) continue;
        seen.add(p);
        yield [path === '' ? name : `${path}.${name}`, p];
      }
    }
  }

  parameters(): Tensor[] {
    return [...this.namedParameters()].map(([, p]) => p);
  }

  /** PyTorch's `named_buffers()`: each buffer once, under its first name. */
  *namedBuffers(prefix = ''): Generator<[string, Tensor]> {
    const seen = new Set<Tensor>();
    for (const [path, m] of this.namedModules(prefix)) {
      for (const [name, b] of m._buffers) {
        if (b === null || seen.has(b)) continue;
        seen.add(b);
        yield [path === '' ? name : `${path}.${name}`, b];
      }
    }
  }

  buffers(): Tensor[] {
    return [...this.namedBuffers()].map(([, b]) => b);
  }

  /** Sets every parameter's gradient to null (PyTorch's `zero_grad(set_to_none=True)`). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /**
   * Parameters and buffers by PyTorch's state_dict names, in registration
   * order: PyTorch's `state_dict(destination=None, prefix='', keep_vars=False)`.
   * Each entry is detached (the same storage, no gradient tracking: writing
   * its `data` writes the parameter), or with `keepVars` the parameter or
   * buffer itself; `prefix` goes before every key (`'enc.'`); `destination`
   * is filled and returned. As PyTorch's, a shared module or parameter is
   * listed under every name it has (one tensor for all of them).
   */
  stateDict(opts: StateDictOptions = {}): Map<string, Tensor> {
    const o = checkOptions('stateDict', opts, { prefix: 'string', keepVars: 'boolean', destination: 'any' }, { position: 1 });
    if (o.destination !== undefined && !(o.destination instanceof Map)) throw new TypeError(`stateDict: destination must be a Map, got ${pyTypeName(o.destination)}`, { kind: 'argument' });
    const out = o.destination ?? new Map<string, Tensor>();
    const prefix = o.prefix ?? '';
    const seen = new Map<Tensor, Tensor>();
    const entry = (t: Tensor) => {
      if (o.keepVars === true) return t;
      let d = seen.get(t);
      if (d === undefined) seen.set(t, (d = t.isMeta ? Tensor.meta(t.shape, t.facts) : new Tensor(t.data, t.shape)));
      return d;
    };
    for (const [path, m] of this.namedModules('', false)) {
      const key = (n: string) => prefix + (path === '' ? n : `${path}.${n}`);
      for (const [n, p] of m._parameters) if (p !== null) out.set(key(n), entry(p));
      for (const [n, b] of m._buffers) if (b !== null) out.set(key(n), entry(b));
    }
    return out;
  }

  /**
   * Copies values in place (parameters keep their identity, so optimizers stay
   * attached). With `strict` (default), missing or unexpected keys raise like
   * PyTorch's `load_state_dict`; shapes must match either way.
   */
  loadStateDict(state: Map<string, Tensor> | Record<string, Tensor>, opts: { strict?: boolean } | boolean = {}): LoadResult {
    // PyTorch's positional `load_state_dict(sd, False)` or `{ strict: false }`
    const strict = typeof opts === 'boolean' ? opts : checkOptions('loadStateDict', opts, { strict: 'boolean' }, { position: 2, positional: 'strict' }).strict ?? true;
    if (state === null || typeof state !== 'object') {
      throw new TypeError(`Expected state_dict to be dict-like, got ${pyTypeName(state)}.`, { kind: 'argument' });
    }
    const src = state instanceof Map ? state : new Map(Object.entries(state));
    const own = this.stateDict();
    const missingKeys = [...own.keys()].filter((k) => !src.has(k));
    const unexpectedKeys = [...src.keys()].filter((k) => !own.has(k));
    const errors: string[] = [];
    if (strict) {
      // PyTorch lists missing keys first, then unexpected ones.
      if (missingKeys.length) errors.push(`Missing key(s) in state_dict: ${missingKeys.map((k) => `"${k}"`).join(', ')}. `);
      if (unexpectedKeys.length) errors.push(`Unexpected key(s) in state_dict: ${unexpectedKeys.map((k) => `"${k}"`).join(', ')}. `);
    }
    for (const [k, t] of own) {
      const s = src.get(k);
      if (s === undefined) continue;
      assertTensor(s, `state_dict["${k}"]`);
      if (!sameShape(s.shape, t.shape)) {
        errors.push(
          `size mismatch for ${k}: copying a param with shape ${fmtSize(s.shape)} from checkpoint, the shape in current model is ${fmtSize(t.shape)}.`,
        );
      }
    }
    if (errors.length) {
      throw new RuntimeError(`Error(s) in loading state_dict for ${this.typeName}:\n\t${errors.join('\n\t')}`);
    }
    for (const [k, t] of own) {
      const s = src.get(k);
      if (s !== undefined) t.data.set(s.data);
    }
    return { missingKeys, unexpectedKeys };
  }

  /** The part inside the parentheses of PyTorch's repr, e.g. `64, eps=1e-05`. */
  extraRepr(): string {
    return '';
  }

  /** `console.log(module)` and `util.inspect` print PyTorch's repr (`toString()`). */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  /** PyTorch's `Module.__repr__`: a one-line extra repr inline, otherwise one indented line per entry. */
  toString(): string {
    const extra = this.extraRepr();
    const extraLines = extra ? extra.split('\n') : [];
    const childLines: string[] = [];
    for (const [n, m] of this._modules) {
      const s = m.toString();
      childLines.push(`(${n}): ${s.includes('\n') ? s.split('\n').join('\n  ') : s}`);
    }
    const lines = [...extraLines, ...childLines];
    if (lines.length === 0) return `${this.typeName}()`;
    if (extraLines.length === 1 && childLines.length === 0) return `${this.typeName}(${extra})`;
    return `${this.typeName}(\n  ${lines.join('\n  ')}\n)`;
  }
}
