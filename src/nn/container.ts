/** Containers: `Sequential`, `Residual` (x + body(x)) and `Concat` (cat of branches). */
import { add } from '../ops/elementwise.js';
import { cat } from '../ops/shape_ops.js';
import type { Tensor } from '../tensor/tensor.js';
import { RuntimeError, TypeError, pyTypeName } from '../errors.js';
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

  forward(x: Tensor): Tensor {
    let y = x;
    for (const [name, m] of this._modules) y = this.callChildModule(name, m, y);
    return y;
  }
}

/** `x + body(x)`: the skip connection of residual blocks. */
export class Residual extends Module {
  constructor(body: Module) {
    super();
    this.registerModule('body', body);
  }

  get body(): Module {
    return this.getSubmodule('body');
  }

  forward(x: Tensor): Tensor {
    return add(x, this.callChild('body', x));
  }
}

/** Holds submodules by index without a forward of its own (PyTorch's `ModuleList`). */
export class ModuleList extends Module {
  constructor(modules: readonly Module[] = []) {
    super();
    if (!Array.isArray(modules)) throw new TypeError(`ModuleList expects a list of modules, got ${pyTypeName(modules)}`, { kind: 'argument' });
    for (let i = 0; i < modules.length; i++) {
      const m: unknown = modules[i];
      checkModule(m);
      this.registerModule(String(i), m);
    }
  }

  get length(): number {
    return this._modules.size;
  }

  forward(x: Tensor): Tensor {
    void x;
    throw new RuntimeError('ModuleList has no forward; call its members');
  }
}

/** `cat([branch(x) for branch in branches], dim)`. */
export class Concat extends Module {
  readonly dimension: number;

  constructor(branches: Module[], dim = 1) {
    super();
    this.dimension = dim;
    this.registerModule('branches', new ModuleList(branches));
  }

  forward(x: Tensor): Tensor {
    const n = (this.getSubmodule('branches') as ModuleList).length;
    const outs = Array.from({ length: n }, (_, i) => this.callChild(`branches.${i}`, x));
    return cat(outs, this.dimension);
  }

  extraRepr(): string {
    return `dim=${this.dimension}`;
  }
}
