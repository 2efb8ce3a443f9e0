/**
 * Attaches the ops as Tensor methods (`x.add(y)`, `x.mean([2, 3])`), the
 * TypeScript way to split a large class by op family (declaration merging).
 */
import { backward, type BackwardOptions } from '../autograd/backward.js';
import * as ew from '../ops/elementwise.js';
import { matmul } from '../ops/matmul.js';
import * as red from '../ops/reduce.js';
import * as so from '../ops/shape_ops.js';
import type { TensorLike } from '../ops/util.js';
import { formatTensor } from './print.js';
import { checkSizeArg } from './shape.js';
import { Tensor, assertTensorArg } from './tensor.js';
import type { NestedArray } from './creation.js';

declare module './tensor.js' {
  interface Tensor {
    add(other: TensorLike): Tensor;
    sub(other: TensorLike): Tensor;
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
P.add = function (o) { return ew.add(this, o); };
P.sub = function (o) { return ew.sub(this, o); };
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
P.detach = function () { return so.detach(this); };
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
