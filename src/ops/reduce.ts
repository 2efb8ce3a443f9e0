/**
 * Reductions over dims: sum, mean, var, std, max, min. Shape rule: `reducedShape`.
 * Kernels see the input permuted so that the reduced dims are innermost.
 */
import { record } from '../autograd/record.js';
import { permuteData } from '../kernels/layout.js';
import { extremeRows, sumRows, varRows } from '../kernels/reduce.js';
import { broadcastTo } from '../kernels/elementwise.js';
import { numel, normDims, sameShape, type Shape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { RuntimeError, fmtSize } from '../errors.js';
import { sqrt } from './elementwise.js';
import { checkOptions } from '../options.js';

export interface ReduceOptions {
  keepdim?: boolean;
}

export interface VarOptions extends ReduceOptions {
  /** Bessel's correction (default true = divide by N - 1), PyTorch's `unbiased`. */
  unbiased?: boolean;
  /** Explicit correction (overrides `unbiased`). */
  correction?: number;
}

/** `{ keepdim }`, or PyTorch's positional keepdim (`x.sum(1, true)`); other keys raise a TypeError. */
function reduceOptions(where: string, opts: ReduceOptions | boolean | undefined): ReduceOptions {
  if (typeof opts === 'boolean') return { keepdim: opts };
  return checkOptions(where, opts, { keepdim: 'boolean' }, { position: 2 });
}

/** `{ unbiased, keepdim, correction }`, or PyTorch's positional `(unbiased, keepdim)` (`x.var(1, false, true)`). */
function varOptions(where: string, opts: VarOptions | boolean | undefined, keepdim: boolean | undefined): VarOptions {
  if (typeof opts === 'boolean') return { unbiased: opts, keepdim: keepdim ?? false };
  if (keepdim !== undefined) checkOptions(where, { keepdim }, { keepdim: 'boolean' });
  const o = checkOptions(where, opts, { unbiased: 'boolean', keepdim: 'boolean', correction: 'number' }, { position: 2 });
  return keepdim === undefined ? o : { ...o, keepdim };
}

/** The shape rule shared by every reduction. */
export function reducedShape(shape: Shape, dims: readonly number[], keepdim: boolean): number[] {
  const set = new Set(dims);
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (!set.has(i)) out.push(d);
    else if (keepdim) out.push(1);
  });
  return out;
}

/** Lays the input out as [rows, len] with the reduced dims innermost. */
function asRows(x: Tensor, dims: readonly number[]): { data: Float32Array; rows: number; len: number } {
  const set = new Set(dims);
  const kept = x.shape.map((_, i) => i).filter((i) => !set.has(i));
  const perm = [...kept, ...dims];
  const identity = perm.every((p, i) => p === i);
  const data = identity ? x.data : permuteData(x.data, x.shape, perm);
  const len = numel(dims.map((d) => x.shape[d]!));
  return { data, rows: len === 0 ? numel(kept.map((d) => x.shape[d]!)) : data.length / len, len };
}

/** Expands a reduced gradient (keepdim-shaped) back over the input's shape. */
function expandBack(g: Tensor, inShape: Shape, dims: readonly number[]): Float32Array {
  const kd = reducedShape(inShape, dims, true);
  return broadcastTo(g.data, kd, inShape);
}

export function sum(x: Tensor, dim?: number | readonly number[], options?: ReduceOptions | boolean): Tensor {
  const opts = reduceOptions('sum', options);
  const dims = normDims(dim, x.ndim);
  const shape = reducedShape(x.shape, dims, opts.keepdim ?? false);
  if (x.isMeta) return Tensor.meta(shape);
  const { data, rows, len } = asRows(x, dims);
  const out = new Tensor(sumRows(data, rows, len), shape);
  return record(out, [x], 'sum', (g) => [new Tensor(expandBack(g, x.shape, dims), x.shape)]);
}

export function mean(x: Tensor, dim?: number | readonly number[], options?: ReduceOptions | boolean): Tensor {
  const opts = reduceOptions('mean', options);
  const dims = normDims(dim, x.ndim);
  const shape = reducedShape(x.shape, dims, opts.keepdim ?? false);
  if (x.isMeta) return Tensor.meta(shape);
  const { data, rows, len } = asRows(x, dims);
  const s = sumRows(data, rows, len);
  for (let i = 0; i < s.length; i++) s[i] = s[i]! / len;
  const out = new Tensor(s, shape);
  return record(out, [x], 'mean', (g) => {
    const e = expandBack(g, x.shape, dims);
    for (let i = 0; i < e.length; i++) e[i] = e[i]! / len;
    return [new Tensor(e, x.shape)];
  });
}

function correctionOf(opts: VarOptions): number {
  return opts.correction ?? (opts.unbiased === false ? 0 : 1);
}

export function variance(x: Tensor, dim?: number | readonly number[], options?: VarOptions | boolean, keepdim?: boolean): Tensor {
  const opts = varOptions('var', options, keepdim);
  const dims = normDims(dim, x.ndim);
  const shape = reducedShape(x.shape, dims, opts.keepdim ?? false);
  if (x.isMeta) return Tensor.meta(shape);
  const c = correctionOf(opts);
  const { data, rows, len } = asRows(x, dims);
  const out = new Tensor(varRows(data, rows, len, c), shape);
  return record(out, [x], 'var', (g) => {
    // d var / dx_i = 2 (x_i - mean) / (N - c)
    const ge = expandBack(g, x.shape, dims);
    const m = expandBack(new Tensor(sumRows(data, rows, len).map((v) => v / len), reducedShape(x.shape, dims, true)), x.shape, dims);
    const xd = x.data;
    const scale = 2 / Math.max(0, len - c);
    const gi = new Float32Array(xd.length);
    for (let i = 0; i < gi.length; i++) gi[i] = ge[i]! * (xd[i]! - m[i]!) * scale;
    return [new Tensor(gi, x.shape)];
  });
}

export function std(x: Tensor, dim?: number | readonly number[], options?: VarOptions | boolean, keepdim?: boolean): Tensor {
  const v = variance(x, dim, varOptions('std', options, keepdim));
  if (v.isMeta) return v;
  const vd = v.data;
  const sd = new Float32Array(vd.length);
  for (let i = 0; i < vd.length; i++) sd[i] = Math.sqrt(vd[i]!);
  const out = new Tensor(sd, v.shape);
  // Through sqrt's gradient: d std = d var / (2 std).
  return record(out, [v], 'sqrt', (g) => {
    const gd = g.data;
    const gv = new Float32Array(gd.length);
    for (let i = 0; i < gd.length; i++) gv[i] = gd[i]! / (2 * sd[i]!);
    return [new Tensor(gv, v.shape)];
  });
}

function extreme(x: Tensor, wantMax: boolean, dim?: number, opts: ReduceOptions = {}): Tensor {
  if (dim === undefined && x.numel() === 0) {
    throw new RuntimeError(`${wantMax ? 'max' : 'min'}(): Expected reduction dim to be specified for input.numel() == 0.`);
  }
  const dims = normDims(dim, x.ndim);
  const shape = reducedShape(x.shape, dims, opts.keepdim ?? false);
  if (dims.some((d) => x.shape[d] === 0)) {
    throw new RuntimeError(`cannot reduce over a zero-size dimension (input size ${fmtSize(x.shape)})`);
  }
  if (x.isMeta) return Tensor.meta(shape);
  const { data, rows, len } = asRows(x, dims);
  const { values, indices } = extremeRows(data, rows, len, wantMax);
  const out = new Tensor(values, shape);
  return record(out, [x], wantMax ? 'max' : 'min', (g) => {
    if (dim === undefined) {
      // Full reduction: PyTorch splits the gradient evenly among tied extremes (evenly_distribute_backward).
      const v = values[0]!;
      const xd = x.data;
      const hit = (u: number) => (Number.isNaN(v) ? Number.isNaN(u) : u === v);
      let count = 0;
      for (let i = 0; i < xd.length; i++) if (hit(xd[i]!)) count++;
      const share = g.data[0]! / count;
      return [new Tensor(xd.map((u) => (hit(u) ? share : 0)), x.shape)];
    }
    // Along a dim: the gradient flows to the (first) extreme element of each row, in the permuted layout.
    const set = new Set(dims);
    const kept = x.shape.map((_, i) => i).filter((i) => !set.has(i));
    const perm = [...kept, ...dims];
    const gp = new Float32Array(rows * len);
    const gd = g.data;
    for (let r = 0; r < rows; r++) gp[r * len + indices[r]!] = gd[r]!;
    const permShape = perm.map((p) => x.shape[p]!);
    const inv = new Array<number>(perm.length);
    perm.forEach((p, i) => (inv[p] = i));
    return [new Tensor(permuteData(gp, permShape, inv), x.shape)];
  });
}

export function max(x: Tensor, dim?: number, opts?: ReduceOptions | boolean): Tensor {
  return extreme(x, true, dim, reduceOptions('max', opts));
}

export function min(x: Tensor, dim?: number, opts?: ReduceOptions | boolean): Tensor {
  return extreme(x, false, dim, reduceOptions('min', opts));
}

/** Index of the max along `dim` (as float32 values), not differentiable. */
export function argmax(x: Tensor, dim: number, options?: ReduceOptions | boolean): Tensor {
  const opts = reduceOptions('argmax', options);
  const dims = normDims(dim, x.ndim);
  const shape = reducedShape(x.shape, dims, opts.keepdim ?? false);
  if (x.isMeta) return Tensor.meta(shape);
  const { data, rows, len } = asRows(x, dims);
  return new Tensor(Float32Array.from(extremeRows(data, rows, len, true).indices), shape);
}

/** Sums a broadcast gradient back down to `shape` (the inverse of broadcasting). */
export function sumTo(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  const dims: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) dims.push(i);
  }
  const { data, rows, len } = asRows(g, dims);
  return new Tensor(sumRows(data, rows, len), shape);
}
