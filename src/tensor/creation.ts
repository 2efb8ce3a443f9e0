import { RuntimeError, TypeError } from '../errors.js';
import { defaultGenerator, type Generator } from './random.js';
import { numel, type Shape } from './shape.js';
import { Tensor } from './tensor.js';
import { metaParametersActive } from './meta_mode.js';

export type NestedArray = number | readonly NestedArray[];

export interface CreateOptions {
  requiresGrad?: boolean;
}

/** Zeroed storage for `shape`, with PyTorch's error for negative sizes (before allocating). */
function storage(shape: Shape): Float32Array {
  if (shape.some((d) => d < 0)) {
    throw new RuntimeError(`Trying to create tensor with negative dimension ${shape.find((d) => d < 0)}: [${shape.join(', ')}]`);
  }
  return new Float32Array(numel(shape));
}

/** A meta tensor of `shape` (withMetaParameters), with the same size checks as real storage. */
function meta(shape: Shape): Tensor {
  if (shape.some((d) => d < 0)) {
    throw new RuntimeError(`Trying to create tensor with negative dimension ${shape.find((d) => d < 0)}: [${shape.join(', ')}]`);
  }
  return Tensor.meta(shape);
}

function finish(t: Tensor, opts?: CreateOptions): Tensor {
  if (opts?.requiresGrad) t.requiresGrad = true;
  return t;
}

function inferNestedShape(x: NestedArray): number[] {
  const shape: number[] = [];
  let cur: NestedArray = x;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0] as NestedArray;
  }
  return shape;
}

function flattenInto(x: NestedArray, shape: number[], depth: number, out: number[]): void {
  if (depth === shape.length) {
    if (typeof x !== 'number') throw new TypeError(`expected a number at depth ${depth}, got ${typeof x}`);
    out.push(x);
    return;
  }
  if (!Array.isArray(x) || x.length !== shape[depth]) {
    throw new RuntimeError(`ragged nested array: expected length ${shape[depth]} at depth ${depth}`);
  }
  for (const el of x) flattenInto(el as NestedArray, shape, depth + 1, out);
}

/**
 * Creates a tensor from a number, nested arrays, or a flat typed/plain array with a shape.
 * `tensor([[1, 2], [3, 4]])`, `tensor(new Float32Array(6), [2, 3])`.
 */
export function tensor(
  values: NestedArray | Float32Array | Float64Array | readonly number[],
  shapeOrOpts?: Shape | CreateOptions,
  opts?: CreateOptions,
): Tensor {
  const shapeArg = Array.isArray(shapeOrOpts) ? (shapeOrOpts as Shape) : undefined;
  const options = Array.isArray(shapeOrOpts) ? opts : (shapeOrOpts as CreateOptions | undefined) ?? opts;
  if (values instanceof Float32Array || values instanceof Float64Array) {
    const shape = shapeArg ?? [values.length];
    return finish(new Tensor(Float32Array.from(values), shape), options);
  }
  if (shapeArg !== undefined) {
    const flat: number[] = [];
    flattenInto(values as NestedArray, inferNestedShape(values as NestedArray), 0, flat);
    if (flat.length !== numel(shapeArg)) {
      throw new RuntimeError(`${flat.length} values do not fit shape [${shapeArg.join(', ')}]`);
    }
    return finish(new Tensor(Float32Array.from(flat), shapeArg), options);
  }
  if (typeof values !== 'number' && !Array.isArray(values)) {
    throw new TypeError(`tensor() expects a number, nested arrays or a typed array, got ${typeof values}`);
  }
  const shape = inferNestedShape(values as NestedArray);
  const flat: number[] = [];
  flattenInto(values as NestedArray, shape, 0, flat);
  return finish(new Tensor(Float32Array.from(flat), shape), options);
}

export function full(shape: Shape, value: number, opts?: CreateOptions): Tensor {
  if (metaParametersActive()) return finish(meta(shape), opts);
  return finish(new Tensor(storage(shape).fill(value), shape), opts);
}

export function zeros(shape: Shape, opts?: CreateOptions): Tensor {
  if (metaParametersActive()) return finish(meta(shape), opts);
  return finish(new Tensor(storage(shape), shape), opts);
}

export function ones(shape: Shape, opts?: CreateOptions): Tensor {
  return full(shape, 1, opts);
}

export function zerosLike(t: Tensor): Tensor {
  return zeros(t.shape);
}

export function onesLike(t: Tensor): Tensor {
  return ones(t.shape);
}

/** `arange(end)`, `arange(start, end, step = 1)`. */
export function arange(startOrEnd: number, end?: number, step = 1): Tensor {
  const start = end === undefined ? 0 : startOrEnd;
  const stop = end === undefined ? startOrEnd : end;
  if (step === 0) throw new RuntimeError('step must be nonzero');
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return new Tensor(data, [n]);
}

export function linspace(start: number, end: number, steps: number): Tensor {
  const data = new Float32Array(steps);
  const step = steps > 1 ? (end - start) / (steps - 1) : 0;
  for (let i = 0; i < steps; i++) data[i] = start + i * step;
  return new Tensor(data, [steps]);
}

/** Uniform [0, 1) from the seedable generator (`manualSeed`). */
export function rand(shape: Shape, opts?: CreateOptions & { generator?: Generator }): Tensor {
  if (metaParametersActive()) return finish(meta(shape), opts);
  const g = opts?.generator ?? defaultGenerator;
  const data = storage(shape);
  for (let i = 0; i < data.length; i++) data[i] = g.random();
  return finish(new Tensor(data, shape), opts);
}

/** Standard normal from the seedable generator (`manualSeed`). */
export function randn(shape: Shape, opts?: CreateOptions & { generator?: Generator }): Tensor {
  if (metaParametersActive()) return finish(meta(shape), opts);
  const g = opts?.generator ?? defaultGenerator;
  const data = storage(shape);
  for (let i = 0; i < data.length; i++) data[i] = g.normal();
  return finish(new Tensor(data, shape), opts);
}

/** Uniform in [low, high). */
export function uniform(shape: Shape, low: number, high: number, generator: Generator = defaultGenerator): Tensor {
  if (metaParametersActive()) return meta(shape);
  const data = storage(shape);
  for (let i = 0; i < data.length; i++) data[i] = low + (high - low) * generator.random();
  return new Tensor(data, shape);
}
