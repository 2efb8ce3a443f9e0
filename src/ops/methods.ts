/**
 * Attaches the ops as Tensor methods (`x.add(y)`, `x.mean([2, 3])`), the
 * TypeScript way to split a large class by op family (declaration merging).
 */
import { backward, type BackwardOptions } from '../autograd/backward.js';
import * as ew from './elementwise.js';
import { matmul } from './matmul.js';
import * as red from './reduce.js';
import * as so from './shape_ops.js';
import { logSoftmax, softmax } from './softmax.js';
import { emitWarning } from '../nn/warnings.js';
import { isGradEnabled, noGrad as withoutGrad } from '../tensor/grad_mode.js';
import { RuntimeError, TypeError, pyTypeName } from '../errors.js';
import type { TensorLike } from './util.js';
import { checkOptions } from '../options.js';
import { formatTensor } from '../tensor/print.js';
import { checkSizeArg } from '../tensor/shape.js';
import { Tensor, assertTensorArg } from '../tensor/tensor.js';
import type { NestedArray } from '../tensor/creation.js';

declare module '../tensor/tensor.js' {
  interface Tensor {
    /** `this + alpha * other` (PyTorch's keyword-only alpha: `x.add(y, { alpha: 2 })`). */
    add(other: TensorLike, opts?: { alpha?: number }): Tensor;
    /** `this - alpha * other`. */
    sub(other: TensorLike, opts?: { alpha?: number }): Tensor;
    mul(other: TensorLike): Tensor;
    div(other: TensorLike): Tensor;
    pow(other: TensorLike): Tensor;
    neg(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    sqrt(): Tensor;
    rsqrt(): Tensor;
    abs(): Tensor;
    square(): Tensor;
    clamp(min?: number, max?: number): Tensor;
    matmul(other: Tensor): Tensor;
    /** `x.sum(1, { keepdim: true })` or PyTorch's positional `x.sum(1, true)`; likewise mean, max, min, argmax. */
    sum(dim?: number | readonly number[], opts?: red.ReduceOptions | boolean): Tensor;
    mean(dim?: number | readonly number[], opts?: red.ReduceOptions | boolean): Tensor;
    /** `x.var(1, { unbiased: false, keepdim: true })` or PyTorch's positional `x.var(1, false, true)`. */
    var(dim?: number | readonly number[], opts?: red.VarOptions | boolean, keepdim?: boolean): Tensor;
    std(dim?: number | readonly number[], opts?: red.VarOptions | boolean, keepdim?: boolean): Tensor;
    max(dim?: number, opts?: red.ReduceOptions | boolean): Tensor;
    min(dim?: number, opts?: red.ReduceOptions | boolean): Tensor;
    argmax(dim: number, opts?: red.ReduceOptions | boolean): Tensor;
    reshape(...shape: number[] | [readonly number[]]): Tensor;
    view(...shape: number[] | [readonly number[]]): Tensor;
    flatten(startDim?: number, endDim?: number): Tensor;
    permute(...dims: number[] | [readonly number[]]): Tensor;
    transpose(dim0: number, dim1: number): Tensor;
    squeeze(dim?: number): Tensor;
    unsqueeze(dim: number): Tensor;
    expand(...shape: number[] | [readonly number[]]): Tensor;
    slice(dim: number, start?: number, end?: number, step?: number): Tensor;
    clone(): Tensor;
    detach(): Tensor;
    backward(gradient?: Tensor | null, opts?: BackwardOptions): void;
    toArray(): NestedArray;
    /** PyTorch's `tolist()`: nested arrays of numbers (a plain number for a 0-d tensor). */
    tolist(): NestedArray;
    softmax(dim: number): Tensor;
    logSoftmax(dim: number): Tensor;
    /**
     * PyTorch's `x.T`: the transpose of a 2-d tensor; a 0-d or 1-d tensor is
     * returned as is, other ranks get their dimensions reversed (with
     * PyTorch's deprecation warning).
     */
    readonly T: Tensor;
    /** In place `this += alpha * other` (other broadcasts to this tensor's shape); returns this. */
    add_(other: TensorLike, alpha?: number): this;
    /** In place `this *= other`; returns this. */
    mul_(other: TensorLike): this;
    /** In place: every element set to 0; returns this. */
    zero_(): this;
    /** In place: every element set to `value`; returns this. */
    fill_(value: number): this;
    /** In place clamp to `[min, max]`; returns this. */
    clamp_(min?: number, max?: number): this;
    toString(): string;
  }
}

/** Sizes given as a list or one by one; one by one, a bad size is named by its type as PyTorch's parser does. */
function dimsArg(args: number[] | [readonly number[]], fn?: string, name = 'size'): readonly number[] {
  if (args.length === 1 && Array.isArray(args[0])) return args[0] as readonly number[];
  if (fn !== undefined) checkSizeArg(args, fn, { name, varargs: true });
  return args as number[];
}

const P = Tensor.prototype;
/** PyTorch's keyword-only `alpha` of add/sub: other scaled first. */
function scaled(fn: string, o: TensorLike, opts: { alpha?: number } | undefined): TensorLike {
  const alpha = checkOptions(fn, opts, { alpha: 'number' }, { position: 2, positional: 'alpha' }).alpha ?? 1;
  if (alpha === 1) return o;
  return typeof o === 'number' ? o * alpha : ew.mul(o, alpha);
}
P.add = function (o, opts) { return ew.add(this, scaled('add', o, opts)); };
P.sub = function (o, opts) { return ew.sub(this, scaled('sub', o, opts)); };
P.mul = function (o) { return ew.mul(this, o); };
P.div = function (o) { return ew.div(this, o); };
P.pow = function (o) { return ew.pow(this, o); };
P.neg = function () { return ew.neg(this); };
P.exp = function () { return ew.exp(this); };
P.log = function () { return ew.log(this); };
P.sqrt = function () { return ew.sqrt(this); };
P.rsqrt = function () { return ew.rsqrt(this); };
P.abs = function () { return ew.abs(this); };
P.square = function () { return ew.square(this); };
P.clamp = function (lo, hi) { return ew.clamp(this, lo, hi); };
P.matmul = function (o) { assertTensorArg(o, 'matmul', 'other', 1); return matmul(this, o); };
P.sum = function (d, o) { return red.sum(this, d, o); };
P.mean = function (d, o) { return red.mean(this, d, o); };
P.var = function (d, o, k) { return red.variance(this, d, o, k); };
P.std = function (d, o, k) { return red.std(this, d, o, k); };
P.max = function (d, o) { return red.max(this, d, o); };
P.min = function (d, o) { return red.min(this, d, o); };
P.argmax = function (d, o) { return red.argmax(this, d, o); };
P.reshape = function (...s) { return so.reshape(this, dimsArg(s, 'reshape', 'shape')); };
P.view = function (...s) { return so.reshape(this, dimsArg(s, 'view')); };
P.flatten = function (s, e) { return so.flatten(this, s, e); };
P.permute = function (...d) { return so.permute(this, dimsArg(d, 'permute', 'dims')); };
P.transpose = function (a, b) { return so.transpose(this, a, b); };
P.squeeze = function (d) { return so.squeeze(this, d); };
P.unsqueeze = function (d) { return so.unsqueeze(this, d); };
P.expand = function (...s) { return so.expand(this, dimsArg(s, 'expand')); };
P.slice = function (d, s, e, st) { return so.slice(this, d, s, e, st); };
P.clone = function () { return so.clone(this); };
P.detach = function (...args: unknown[]) {
  // PyTorch's Tensor.detach() takes none (a flag meant for requiresGrad_ would be silently dropped)
  if (args.length > 0) throw new TypeError(`_TensorBase.detach() takes no arguments (${args.length} given)`, { kind: 'argument' });
  return so.detach(this);
};
P.backward = function (g, o) { backward(this, g, o); };
P.toArray = function (): NestedArray {
  const data = this.data;
  const shape = this.shape;
  let pos = 0;
  const rec = (depth: number): NestedArray => {
    if (depth === shape.length) return data[pos++]!;
    return Array.from({ length: shape[depth]! }, () => rec(depth + 1));
  };
  return rec(0);
};
P.toString = function () { return formatTensor(this); };
(P as unknown as Record<symbol, unknown>)[Symbol.for('nodejs.util.inspect.custom')] = function (this: Tensor) {
  return formatTensor(this);
};

P.tolist = function () { return this.toArray(); };
P.softmax = function (d) { return softmax(this, d); };
P.logSoftmax = function (d) { return logSoftmax(this, d); };

let warnedT = false;
Object.defineProperty(P, 'T', {
  configurable: true,
  enumerable: false,
  get(this: Tensor): Tensor {
    if (this.ndim === 2) return so.transpose(this, 0, 1);
    if (this.ndim < 2) return this;
    if (!warnedT) {
      warnedT = true;
      emitWarning({
        code: 'NK_TENSOR_T_DEPRECATED',
        module: 'Tensor',
        message: 'The use of `x.T` on tensors of dimension other than 2 to reverse their shape is deprecated and it will throw an error in a future release. Consider `x.mT` to transpose batches of matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a tensor.',
      });
    }
    return so.permute(this, Array.from({ length: this.ndim }, (_, i) => this.ndim - 1 - i));
  },
});

/**
 * The check before an in-place op: PyTorch refuses a leaf that requires grad
 * while grad mode is on; normkit also refuses a non-leaf in a graph (its
 * autograd has no version counters to notice the change).
 */
function checkInPlace(t: Tensor): void {
  if (!isGradEnabled()) return;
  if (t.requiresGrad && t.isLeaf) throw new RuntimeError('a leaf Variable that requires grad is being used in an in-place operation.', { kind: 'argument' });
  if (t.gradNode !== null) {
    throw new RuntimeError('in-place operations on a tensor that is part of an autograd graph are not supported by normkit; use the out-of-place op (add instead of add_) or run it under noGrad', { kind: 'argument' });
  }
}

/** Writes `result` (computed out of place, without grad) into `t`'s storage; the shapes must match as PyTorch's in-place broadcast requires. */
function writeInto(t: Tensor, result: Tensor): Tensor {
  if (result.shape.length !== t.shape.length || result.shape.some((s, i) => s !== t.shape[i])) {
    throw new RuntimeError(`output with shape [${t.shape.join(', ')}] doesn't match the broadcast shape [${result.shape.join(', ')}]`, { kind: 'mismatch' });
  }
  if (result.data !== t.data) t.data.set(result.data);
  return t;
}

function scalarArg(v: unknown, fn: string, name: string, pos: number): void {
  if (typeof v !== 'number') throw new TypeError(`${fn}(): argument '${name}' (position ${pos}) must be Number, not ${pyTypeName(v)}`, { kind: 'argument' });
}

P.add_ = function (o, alpha = 1) {
  checkInPlace(this);
  scalarArg(alpha, 'add_', 'alpha', 2);
  return withoutGrad(() => writeInto(this, ew.add(this, alpha === 1 ? o : typeof o === 'number' ? o * alpha : ew.mul(o, alpha)))) as typeof this;
};
P.mul_ = function (o) {
  checkInPlace(this);
  return withoutGrad(() => writeInto(this, ew.mul(this, o))) as typeof this;
};
P.zero_ = function () {
  checkInPlace(this);
  this.data.fill(0);
  return this;
};
P.fill_ = function (v) {
  checkInPlace(this);
  scalarArg(v, 'fill_', 'value', 1);
  this.data.fill(v);
  return this;
};
P.clamp_ = function (lo, hi) {
  checkInPlace(this);
  return withoutGrad(() => writeInto(this, ew.clamp(this, lo, hi))) as typeof this;
};
