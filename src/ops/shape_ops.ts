/**
 * Shape ops: reshape/view, permute, transpose, squeeze, unsqueeze, expand,
 * cat, slice, flatten. Their shape rules and checks live here, next to the
 * gradients; storage moves through kernels/layout.ts.
 */
import { record } from '../autograd/record.js';
import { RuntimeError, TypeError, fmtSize, fmtValue, pyTypeName } from '../errors.js';
import { broadcastTo } from '../kernels/elementwise.js';
import { catData, permuteData, sliceData, unsliceData } from '../kernels/layout.js';
import { checkNumel, checkSizeArg, inferShape, normDim, numel, sameShape, type Shape } from '../tensor/shape.js';
import { Tensor, assertTensor } from '../tensor/tensor.js';
import { sumTo } from './reduce.js';

export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  assertTensor(x, 'reshape: input');
  checkSizeArg(shape, 'reshape', { name: 'shape' });
  const target = inferShape(shape, x.numel(), x.shape);
  if (x.isMeta) return Tensor.meta(target, x.facts);
  // Contiguous storage: a reshape shares the buffer (a view, as in PyTorch).
  const out = new Tensor(x.data, target);
  return record(out, [x], 'reshape', (g) => [new Tensor(g.data, x.shape)]);
}

export const view = reshape;

export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normDim(startDim, x.ndim);
  const e = normDim(endDim, x.ndim);
  if (s > e) throw new RuntimeError('flatten() has invalid args: start_dim cannot come after end_dim');
  const shape = [...x.shape.slice(0, s), numel(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)];
  return reshape(x, shape);
}

export function permute(x: Tensor, dims: readonly number[]): Tensor {
  assertTensor(x, 'permute: input');
  if (!Array.isArray(dims)) throw new TypeError(`permute(): argument 'dims' (position 1) must be tuple of ints, not ${pyTypeName(dims)}`, { kind: 'argument' });
  if (dims.length !== x.ndim) {
    throw new RuntimeError(
      `permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = ${x.ndim} is not equal to len(dims) = ${dims.length}`,
    );
  }
  const perm = dims.map((d) => normDim(d, x.ndim));
  if (new Set(perm).size !== perm.length) throw new RuntimeError('permute(): duplicate dims are not allowed.');
  const shape = perm.map((p) => x.shape[p]!);
  if (x.isMeta) return Tensor.meta(shape);
  const out = new Tensor(permuteData(x.data, x.shape, perm), shape);
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return record(out, [x], 'permute', (g) => [new Tensor(permuteData(g.data, shape, inv), x.shape)]);
}

export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  const a = normDim(dim0, x.ndim);
  const b = normDim(dim1, x.ndim);
  const perm = x.shape.map((_, i) => i);
  perm[a] = b;
  perm[b] = a;
  return permute(x, perm);
}

export function squeeze(x: Tensor, dim?: number): Tensor {
  if (dim === undefined) return reshape(x, x.shape.filter((d) => d !== 1));
  const d = normDim(dim, x.ndim);
  if (x.shape[d] !== 1) return x;
  return reshape(x, x.shape.filter((_, i) => i !== d));
}

export function unsqueeze(x: Tensor, dim: number): Tensor {
  const d = normDim(dim, x.ndim + 1);
  const shape = [...x.shape];
  shape.splice(d, 0, 1);
  return reshape(x, shape);
}

/** The shape rule of `expand` (-1 keeps a size; new leading dims allowed). */
export function expandedShape(from: Shape, to: readonly number[]): number[] {
  checkSizeArg(to, 'expand');
  if (to.length < from.length) {
    throw new RuntimeError(
      `expand: the number of sizes provided (${to.length}) must be greater or equal to the number of dimensions in the tensor (${from.length})`,
    );
  }
  const off = to.length - from.length;
  return to.map((t, i) => {
    const f = i >= off ? from[i - off]! : undefined;
    const size = t === -1 ? f : t;
    if (size === undefined) throw new RuntimeError('expand: -1 is not allowed in a leading, non-existing dimension');
    if (f !== undefined && f !== size && f !== 1) {
      throw new RuntimeError(
        `The expanded size of the tensor (${size}) must match the existing size (${f}) at non-singleton dimension ${i}.  Target sizes: ${fmtSize(to)}.  Tensor sizes: ${fmtSize(from)}`,
      );
    }
    // PyTorch 1.13's message for a negative size (other than -1) on a new or size-1 dim.
    if (size < 0) throw new RuntimeError('numel: integer multiplication overflow', { kind: 'argument' });
    return size;
  });
}

export function expand(x: Tensor, shape: readonly number[]): Tensor {
  const target = expandedShape(x.shape, shape);
  if (x.isMeta) return Tensor.meta(target, x.facts);
  if (sameShape(target, x.shape)) return x;
  checkNumel(numel(target), target);
  const out = new Tensor(broadcastTo(x.data, x.shape, target), target);
  return record(out, [x], 'expand', (g) => [sumTo(g, x.shape)]);
}

/** The shape rule of `cat`. */
export function catShape(shapes: readonly Shape[], dim: number): number[] {
  if (shapes.length === 0) throw new RuntimeError('torch.cat(): expected a non-empty list of Tensors');
  const first = shapes[0]!;
  const d = normDim(dim, first.length);
  const out = [...first];
  out[d] = 0;
  shapes.forEach((s, k) => {
    if (s.length !== first.length) {
      throw new RuntimeError(
        `Tensors must have same number of dimensions: got ${first.length} and ${s.length}`, { kind: 'rank' },
      );
    }
    s.forEach((size, i) => {
      if (i !== d && size !== first[i]) {
        throw new RuntimeError(
          `Sizes of tensors must match except in dimension ${d}. Expected size ${first[i]} but got size ${size} for tensor number ${k} in the list.`, { kind: 'mismatch' },
        );
      }
    });
    out[d]! += s[d]!;
  });
  return out;
}

export function cat(xs: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(xs)) throw new TypeError(`cat(): argument 'tensors' (position 1) must be tuple of Tensors, not ${pyTypeName(xs)}`, { kind: 'argument' });
  xs.forEach((x: unknown, i) => {
    if (!(x instanceof Tensor)) throw new TypeError(`expected Tensor as element ${i} in argument 0, but got ${pyTypeName(x)}`, { kind: 'argument' });
  });
  const shape = catShape(xs.map((x) => x.shape), dim);
  const d = normDim(dim, shape.length);
  if (xs.some((x) => x.isMeta)) {
    const constant = xs.every((x) => x.facts.spatiallyConstant) && d < 2;
    return Tensor.meta(shape, constant ? { spatiallyConstant: true, ...(xs[0]!.facts.constantSince ? { constantSince: xs[0]!.facts.constantSince } : {}) } : {});
  }
  const out = new Tensor(catData(xs.map((x) => ({ data: x.data, shape: x.shape })), d, shape), shape);
  return record(out, xs, 'cat', (g) => {
    let start = 0;
    return xs.map((x) => {
      const len = x.shape[d]!;
      const part = new Tensor(sliceData(g.data, g.shape, d, start, len, 1), x.shape);
      start += len;
      return part;
    });
  });
}

/** `torch.stack`: joins equal-shaped tensors along a new dimension `dim` (in `[-(ndim+1), ndim]`); gradients flow to each input. */
export function stack(xs: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(xs)) throw new TypeError(`stack(): argument 'tensors' (position 1) must be tuple of Tensors, not ${pyTypeName(xs)}`, { kind: 'argument' });
  xs.forEach((x: unknown, i) => {
    if (!(x instanceof Tensor)) throw new TypeError(`expected Tensor as element ${i} in argument 0, but got ${pyTypeName(x)}`, { kind: 'argument' });
  });
  if (xs.length === 0) throw new RuntimeError('stack expects a non-empty TensorList', { kind: 'argument' });
  const first = xs[0]!.shape;
  xs.forEach((x, i) => {
    if (!sameShape(x.shape, first)) {
      throw new RuntimeError(`stack expects each tensor to be equal size, but got [${first.join(', ')}] at entry 0 and [${x.shape.join(', ')}] at entry ${i}`, { kind: 'mismatch' });
    }
  });
  const d = normDim(dim, first.length + 1);
  return cat(xs.map((x) => unsqueeze(x, d)), d);
}

/** x[..., start:end:step, ...] along `dim` (PyTorch's `narrow`/slicing; clamps like Python). */
export function slice(x: Tensor, dim: number, start = 0, end?: number, step = 1): Tensor {
  assertTensor(x, 'slice: input');
  const d = normDim(dim, x.ndim);
  const size = x.shape[d]!;
  // Python's rule for slice indices: integers (or None) only; a fractional index would silently pick other elements.
  for (const v of [start, end ?? null, step] as unknown[]) {
    if (v !== null && (typeof v !== 'number' || !Number.isInteger(v))) {
      throw new TypeError('slice indices must be integers or None or have an __index__ method', { kind: 'argument' });
    }
  }
  if (step <= 0) throw new RuntimeError('slice step must be positive', { kind: 'argument' });
  const clampIdx = (i: number) => Math.min(Math.max(i < 0 ? i + size : i, 0), size);
  const s = clampIdx(start);
  const e = clampIdx(end ?? size);
  const len = Math.max(0, Math.ceil((e - s) / step));
  const shape = [...x.shape];
  shape[d] = len;
  if (x.isMeta) return Tensor.meta(shape);
  const out = new Tensor(sliceData(x.data, x.shape, d, s, len, step), shape);
  return record(out, [x], 'slice', (g) => [new Tensor(unsliceData(g.data, x.shape, d, s, len, step), x.shape)]);
}

/** A copy that shares no storage and no graph (PyTorch's `detach().clone()` when data is needed). */
export function clone(x: Tensor): Tensor {
  if (x.isMeta) return Tensor.meta(x.shape, x.facts);
  const out = new Tensor(Float32Array.from(x.data), x.shape);
  return record(out, [x], 'clone', (g) => [g]);
}

/** Same values, cut from the graph (shares storage, as PyTorch's `detach`). */
export function detach(x: Tensor): Tensor {
  if (x.isMeta) return Tensor.meta(x.shape, x.facts);
  return new Tensor(x.data, x.shape);
}
