/** Containers: `Sequential`, `Residual` (x + body(x)) and `Concat` (cat of branches). */
import { add } from '../ops/elementwise.js';
import { cat } from '../ops/shape_ops.js';
import { tensorCount, type Tensor } from '../tensor/tensor.js';
import { planning, releaseIntermediate, trustModuleClass } from '../tensor/plan.js';
import { IndexError, KeyError, RuntimeError, TypeError, pyTypeName } from '../errors.js';
import { checkOptions } from '../options.js';
import { fusedRun, type FusedRun } from './fusion.js';
import { Module } from './module.js';

/** PyTorch's TypeError for a container member that is not a module. */
function checkModule(m: unknown): asserts m is Module {
  if (!(m instanceof Module)) throw new TypeError(`${pyTypeName(m)} is not a Module subclass`, { kind: 'argument' });
}

/**
 * Layers run in order. `new Sequential(a, b)` or `new Sequential([a, b])`
 * (an array: no argument spreading, so 100,000 layers are fine); forward,
 * namedModules, stateDict and toString loop over the layers without
 * recursing per layer.
 */
export class Sequential extends Module {
  static readonly typeName: string = 'Sequential';
  constructor(...layers: Module[] | [readonly Module[]]) {
    super();
    const list = (layers.length === 1 && Array.isArray(layers[0]) ? layers[0] : layers) as readonly unknown[];
    for (let i = 0; i < list.length; i++) {
      const m = list[i];
      checkModule(m);
      this.registerModule(String(i), m);
    }
  }

  get length(): number {
    return this._modules.size;
  }

  at(i: number): Module {
    return this.getSubmodule(String(i < 0 ? i + this.length : i));
  }

  append(m: Module): this {
    checkModule(m);
    this.registerModule(String(this._modules.size), m);
    return this;
  }

  /**
   * Under noGrad each layer's output is disposed once the next layer has read
   * it (tensor/plan.ts), and runs of layers that fuse (nn/fusion.ts:
   * ReflectionPad2d -> Conv2d -> ReLU) run as one forward.
   */
  forward(x: Tensor): Tensor {
    if (planning()) return this.#planned(x);
    let y = x;
    for (const [name, m] of this._modules) y = this.callChildModule(name, m, y);
    return y;
  }

  #planned(x: Tensor): Tensor {
    const since = tensorCount();
    const names = [...this._modules.keys()];
    const layers = [...this._modules.values()];
    let y = x;
    for (let i = 0; i < layers.length; ) {
      const prev = y;
      const run = fusedRun(layers, i);
      if (run) {
        y = this.#fused(run, names, layers, i, prev);
        i += run.count;
      } else {
        y = this.callChildModule(names[i]!, layers[i]!, y);
        i++;
      }
      if (prev !== x && prev !== y) releaseIntermediate(prev, since);
    }
    return y;
  }

  /**
   * A fused run's forward. On an error, a run without side effects runs its
   * layers one by one (which raise it as they would unfused); another's
   * error is its first layer's.
   */
  #fused(run: FusedRun, names: readonly string[], layers: readonly Module[], at: number, x: Tensor): Tensor {
    if (!run.pure) return this.callChildAs(names[at]!, layers[at]!, () => run.forward(x));
    try {
      return run.forward(x);
    } catch {
      let y = x;
      for (let k = at; k < at + run.count; k++) y = this.callChildModule(names[k]!, layers[k]!, y);
      return y;
    }
  }
}

/** `x + body(x)`: the skip connection of residual blocks. */
export class Residual extends Module {
  static readonly typeName: string = 'Residual';
  constructor(body: Module) {
    super();
    this.registerModule('body', body);
  }

  get body(): Module {
    return this.getSubmodule('body');
  }

  forward(x: Tensor): Tensor {
    const since = tensorCount();
    const body = this.callChild('body', x);
    const out = add(x, body);
    if (body !== x && planning()) releaseIntermediate(body, since);
    return out;
  }
}

/**
 * Holds submodules by index without a forward of its own (PyTorch's
 * `ModuleList`): `at(i)` (negative from the end), `length`, `for (const m of
 * list)`, `append`, `extend`, `insert`; its members are registered as `0`,
 * `1`, ... so `namedModules`, `parameters` and `stateDict` see them as
 * PyTorch does.
 */
export class ModuleList extends Module {
  static readonly typeName: string = 'ModuleList';
  constructor(modules: Iterable<Module> = []) {
    super();
    if (modules === null || typeof modules !== 'object' || typeof (modules as Iterable<Module>)[Symbol.iterator] !== 'function' || modules instanceof Module) {
      throw new TypeError(`ModuleList expects a list of modules, got ${pyTypeName(modules)}`, { kind: 'argument' });
    }
    this.extend(modules);
  }

  get length(): number {
    return this._modules.size;
  }

  /** PyTorch's `list[i]`; IndexError `index 5 is out of range` past either end. */
  at(i: number): Module {
    const n = this._modules.size;
    if (!Number.isInteger(i)) throw new TypeError(`ModuleList indices must be integers, not ${pyTypeName(i)}`, { kind: 'argument' });
    if (i < -n || i >= n) throw new IndexError(`index ${i} is out of range`, { kind: 'argument' });
    return this._modules.get(String(i < 0 ? i + n : i))!;
  }

  /** PyTorch's `list[i] = m`. */
  set(i: number, m: Module): this {
    checkModule(m);
    const n = this._modules.size;
    if (!Number.isInteger(i) || i < -n || i >= n) throw new IndexError(`index ${i} is out of range`, { kind: 'argument' });
    this._modules.set(String(i < 0 ? i + n : i), m);
    return this;
  }

  append(m: Module): this {
    checkModule(m);
    this.registerModule(String(this._modules.size), m);
    return this;
  }

  extend(modules: Iterable<Module>): this {
    if (modules === null || typeof modules !== 'object' || typeof (modules as Iterable<Module>)[Symbol.iterator] !== 'function') {
      throw new TypeError(`ModuleList.extend should be called with an iterable, but got ${pyTypeName(modules)}`, { kind: 'argument' });
    }
    for (const m of modules) this.append(m);
    return this;
  }

  /** PyTorch's `insert(index, module)`: later members move up one index. */
  insert(index: number, m: Module): this {
    checkModule(m);
    const list = [...this._modules.values()];
    const n = list.length;
    const at = index < 0 ? Math.max(0, index + n) : Math.min(index, n);
    list.splice(at, 0, m);
    this._modules.clear();
    list.forEach((x, k) => this._modules.set(String(k), x));
    return this;
  }

  [Symbol.iterator](): IterableIterator<Module> {
    return this._modules.values();
  }

  forward(x: Tensor): Tensor {
    void x;
    throw new RuntimeError('ModuleList has no forward; call its members');
  }
}

/** PyTorch's checks on a module name (`add_module`). */
function checkModuleName(key: unknown): asserts key is string {
  if (typeof key !== 'string') throw new TypeError(`module name should be a string. Got ${pyTypeName(key)}`, { kind: 'argument' });
  if (key.includes('.')) throw new KeyError(`module name can't contain ".", got: ${key}`, { kind: 'argument' });
  if (key === '') throw new KeyError('module name can\'t be empty string ""', { kind: 'argument' });
}

/**
 * Submodules by name, in insertion order (PyTorch's `ModuleDict`): `get`,
 * `set`, `has`, `delete` (PyTorch's `pop`), `keys`, `values`, `entries`
 * (PyTorch's `items`), `update`, `length`; iterating gives the keys, as in
 * Python. Paths in `namedModules`/`stateDict` are the keys (`blocks.conv.weight`).
 */
export class ModuleDict extends Module {
  static readonly typeName: string = 'ModuleDict';
  constructor(modules: Record<string, Module> | Iterable<readonly [string, Module]> = {}) {
    super();
    this.update(modules);
  }

  get length(): number {
    return this._modules.size;
  }

  /** PyTorch's `dict[key]`; KeyError `'key'` when absent. */
  get(key: string): Module {
    const m = this._modules.get(key);
    if (m === undefined) throw new KeyError(`'${key}'`, { kind: 'argument' });
    return m;
  }

  /** PyTorch's `dict[key] = module`. */
  set(key: string, m: Module): this {
    checkModuleName(key);
    checkModule(m);
    this.registerModule(key, m);
    return this;
  }

  has(key: string): boolean {
    return this._modules.has(key);
  }

  /** PyTorch's `pop(key)`: removes and returns the module. */
  delete(key: string): Module {
    const m = this.get(key);
    this._modules.delete(key);
    return m;
  }

  clear(): void {
    this._modules.clear();
  }

  keys(): string[] {
    return [...this._modules.keys()];
  }

  values(): Module[] {
    return [...this._modules.values()];
  }

  entries(): [string, Module][] {
    return [...this._modules.entries()];
  }

  /** Adds or replaces members from an object, a Map or `[key, module]` pairs. */
  update(modules: Record<string, Module> | Iterable<readonly [string, Module]>): this {
    if (modules === null || typeof modules !== 'object' || modules instanceof Module) {
      throw new TypeError(`ModuleDict.update should be called with an iterable of key/value pairs, but got ${pyTypeName(modules)}`, { kind: 'argument' });
    }
    const pairs: Iterable<readonly [string, Module]> = typeof (modules as Iterable<unknown>)[Symbol.iterator] === 'function'
      ? (modules as Iterable<readonly [string, Module]>)
      : Object.entries(modules as Record<string, Module>);
    for (const pair of pairs) {
      if (!Array.isArray(pair) || pair.length !== 2) throw new TypeError(`ModuleDict update sequence element has the wrong form; a [key, module] pair is required, got ${pyTypeName(pair)}`, { kind: 'argument' });
      this.set(pair[0] as string, pair[1] as Module);
    }
    return this;
  }

  [Symbol.iterator](): IterableIterator<string> {
    return this._modules.keys();
  }

  forward(x: Tensor): Tensor {
    void x;
    throw new RuntimeError('ModuleDict has no forward; call its members');
  }
}

/**
 * The number of parameter values in `module` (each shared parameter counted
 * once, as PyTorch's `parameters()` yields it once): PyTorch's
 * `sum(p.numel() for p in m.parameters())`; `{ trainable: true }` counts only
 * those with `requiresGrad` (`... if p.requires_grad`), `{ trainable: false }`
 * only the frozen ones.
 */
export function numParameters(module: Module, opts: { trainable?: boolean } = {}): number {
  if (!(module instanceof Module)) throw new TypeError(`numParameters: expected a Module, got ${pyTypeName(module)}`, { kind: 'argument' });
  checkOptions('numParameters', opts, { trainable: 'boolean' }, { position: 2, positional: 'trainable' });
  const seen = new Set<Tensor>();
  let n = 0;
  for (const p of module.parameters()) {
    if (seen.has(p)) continue;
    seen.add(p);
    if (opts.trainable !== undefined && p.requiresGrad !== opts.trainable) continue;
    n += p.numel();
  }
  return n;
}

/** `cat([branch(x) for branch in branches], dim)`. */
export class Concat extends Module {
  static readonly typeName: string = 'Concat';
  readonly dimension: number;

  constructor(branches: Module[], dim = 1) {
    super();
    this.dimension = dim;
    this.registerModule('branches', new ModuleList(branches));
  }

  forward(x: Tensor): Tensor {
    const n = (this.getSubmodule('branches') as ModuleList).length;
    const since = tensorCount();
    const outs = Array.from({ length: n }, (_, i) => this.callChild(`branches.${i}`, x));
    const out = cat(outs, this.dimension);
    if (planning()) for (const o of outs) if (o !== x && o !== out) releaseIntermediate(o, since);
    return out;
  }

  extraRepr(): string {
    return `dim=${this.dimension}`;
  }
}

// Their forwards keep no reference to what flows through them (the planner frees it).
for (const cls of [Sequential, Residual, Concat, ModuleList, ModuleDict]) trustModuleClass(cls);
