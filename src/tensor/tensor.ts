import { RuntimeError, TypeError, fmtValue, pyTypeName } from '../errors.js';
import { numel, type Shape } from './shape.js';
import type { GradNode } from './grad_node.js';
import { releaseStorage, retainStorage } from './storage.js';

/**
 * What shape-only ("meta") execution knows about a tensor besides its shape.
 * `spatiallyConstant`: every (n, c) plane holds a single repeated value (e.g. a
 * nearest-upsampled 1x1 map); statistics over such planes are degenerate.
 */
export interface MetaFacts {
  spatiallyConstant?: boolean;
  /** Why the tensor is spatially constant: the module path that made it so. */
  constantSince?: string;
}

/** Tensors made so far: each tensor's `serial` is its place in that count. */
let made = 0;

/** The serial the next tensor will get: a forward that starts here made exactly the tensors with `serial >= tensorCount()`. */
export function tensorCount(): number {
  return made;
}

/**
 * A float32, contiguous, row-major tensor, or a meta tensor (shape only, no data).
 * Ops are attached as methods by `ops/methods.ts`; the class itself holds storage,
 * shape and autograd bookkeeping only.
 */
export class Tensor {
  static readonly typeName: string = 'Tensor';
  readonly shape: readonly number[];
  /** Storage; `null` for a meta tensor. */
  readonly #data: Float32Array | null;
  #disposed = false;
  requiresGrad = false;
  /** Accumulated gradient of a leaf after `backward()`. */
  grad: Tensor | null = null;
  /** The op that produced this tensor, when it is part of an autograd graph. */
  gradNode: GradNode | null = null;
  /** Facts carried by meta tensors through shape-only execution. */
  facts: MetaFacts = {};
  /** Creation order (see tensorCount): the memory planner only frees tensors made during the forward it plans. */
  readonly serial: number = made++;

  constructor(data: Float32Array | null, shape: Shape) {
    if (!Array.isArray(shape)) throw new TypeError(`Tensor: shape must be a list of sizes, not ${pyTypeName(shape)}`, { kind: 'argument' });
    if (data !== null && !(data instanceof Float32Array)) {
      throw new TypeError(`Tensor: data must be a Float32Array or null, not ${pyTypeName(data)}`, { kind: 'argument' });
    }
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new RuntimeError(`invalid size ${fmtValue(d)} in shape ${fmtValue(shape)}`, { kind: 'argument' });
    }
    if (data !== null && data.length !== numel(shape)) {
      throw new RuntimeError(`data of length ${data.length} does not fit shape ${fmtValue(shape)}`, { kind: 'argument' });
    }
    this.#data = data;
    this.shape = Object.freeze([...shape]);
    if (data !== null) retainStorage(data, this);
  }

  /** A shape-only tensor: ops compute its output shape and checks, but no values. */
  static meta(shape: Shape, facts: MetaFacts = {}): Tensor {
    const t = new Tensor(null, shape);
    t.facts = { ...facts };
    return t;
  }

  get isMeta(): boolean {
    return this.#data === null;
  }

  /** The storage; throws on a meta tensor and after dispose(). */
  get data(): Float32Array {
    if (this.#data === null) throw new RuntimeError('a meta tensor has no data');
    if (this.#disposed) throw new RuntimeError(`this tensor of shape [${this.shape.join(', ')}] was disposed; its data is gone`);
    return this.#data;
  }

  /**
   * Ends this tensor's use: reading its data afterwards throws. Outputs made
   * under noGrad give their memory back for the next output of the same size
   * once every tensor on it (views, reshapes) is disposed, outputs made while
   * gradients are recorded once also a backward pass has freed the ops that
   * read them: arrays read from `.data` before may then be overwritten. Safe
   * to call twice.
   */
  dispose(): void {
    if (this.#disposed || this.#data === null) return;
    this.#disposed = true;
    releaseStorage(this.#data);
  }

  get isDisposed(): boolean {
    return this.#disposed;
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** PyTorch's `x.dim()`: the number of dimensions (the same as `ndim`). */
  dim(): number {
    return this.shape.length;
  }

  /** PyTorch's alias of `dim()`. */
  ndimension(): number {
    return this.shape.length;
  }

  numel(): number {
    return numel(this.shape);
  }

  size(dim?: number): number | readonly number[] {
    if (dim === undefined) return this.shape;
    const d = dim < 0 ? dim + this.shape.length : dim;
    const s = this.shape[d];
    if (s === undefined) throw new RuntimeError(`dimension ${dim} out of range for shape [${this.shape.join(', ')}]`);
    return s;
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.numel() !== 1) {
      throw new RuntimeError(`a Tensor with ${this.numel()} elements cannot be converted to Scalar`);
    }
    return this.data[0]!;
  }

  /** Marks a leaf as requiring a gradient (in place, returns this). */
  requiresGrad_(flag = true): this {
    if (typeof flag !== 'boolean') throw new TypeError(`requires_grad_(): argument 'requires_grad' (position 1) must be bool, not ${pyTypeName(flag)}`, { kind: 'argument' });
    if (this.gradNode !== null && !flag) {
      throw new RuntimeError("you can only change requires_grad flags of leaf variables.");
    }
    this.requiresGrad = flag;
    return this;
  }

  get isLeaf(): boolean {
    return this.gradNode === null;
  }
}

export function isTensor(x: unknown): x is Tensor {
  return x instanceof Tensor;
}

/** Throws PyTorch's TypeError when `x` is not a tensor. */
export function assertTensor(x: unknown, what = 'input'): asserts x is Tensor {
  if (!(x instanceof Tensor)) {
    const got = x === null ? 'null' : Array.isArray(x) ? 'Array' : typeof x;
    throw new TypeError(`${what} must be a Tensor, not ${got}`, { kind: 'argument' });
  }
}

/** PyTorch's parser message for a tensor argument: `matmul(): argument 'other' (position 1) must be Tensor, not int`. */
export function assertTensorArg(x: unknown, fn: string, name: string, pos: number): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${fn}(): argument '${name}' (position ${pos}) must be Tensor, not ${pyTypeName(x)}`, { kind: 'argument' });
}
