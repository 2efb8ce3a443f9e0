import { RuntimeError, TypeError, ValueError, fmtValue, pyTypeName } from '../errors.js';
import { checkOptions, describeValue, type OptionSpec } from '../options.js';
import { defaultGenerator, type Generator } from './random.js';
import { checkIntArg, checkNumberArg, checkNumel, checkSizeArg, numel, type Shape } from './shape.js';
import { Tensor, assertTensor } from './tensor.js';
import { metaParametersActive } from './meta_mode.js';

export type NestedArray = number | readonly NestedArray[];

export interface CreateOptions {
  requiresGrad?: boolean;
}

/**
 * Zeroed storage for `shape`, with PyTorch's errors (checked before
 * allocating): a TypeError for sizes that are not integers, a RuntimeError
 * for negative sizes and for more than MAX_NUMEL elements.
 */
function storage(shape: Shape, fn: string): Float32Array {
  checkSizeArg(shape, fn);
  if (shape.some((d) => d < 0)) {
    throw new RuntimeError(`Trying to create tensor with negative dimension ${shape.find((d) => d < 0)}: ${fmtValue(shape)}`, { kind: 'argument' });
  }
  return new Float32Array(checkNumel(numel(shape), shape));
}

/** A meta tensor of `shape` (withMetaParameters), after the same size checks as real storage. */
function meta(shape: Shape, fn = 'empty'): Tensor {
  checkSizeArg(shape, fn);
  if (shape.some((d) => d < 0)) {
    throw new RuntimeError(`Trying to create tensor with negative dimension ${shape.find((d) => d < 0)}: ${fmtValue(shape)}`, { kind: 'argument' });
  }
  return Tensor.meta(shape);
}

/** Python's repr of a float in messages (`inf`, `nan`, `5`). */
const pyNum = (v: number): string => (Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : String(v));

function finish(t: Tensor, opts?: CreateOptions): Tensor {
  if (opts?.requiresGrad) t.requiresGrad = true;
  return t;
}

/** Deeper nesting is refused (normkit's bound: flattening recurses once per level). */
const MAX_NESTED_DIMS = 1000;

function inferNestedShape(x: NestedArray): number[] {
  const shape: number[] = [];
  let cur: NestedArray = x;
  while (Array.isArray(cur)) {
    if (shape.length >= MAX_NESTED_DIMS) throw new ValueError(`tensor(): nested more than ${MAX_NESTED_DIMS} levels deep`, { kind: 'argument' });
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0] as NestedArray;
  }
  return shape;
}

function flattenInto(x: NestedArray, shape: number[], depth: number, out: number[]): void {
  if (depth === shape.length) {
    if (typeof x !== 'number') throw new TypeError(`expected a number at depth ${depth}, got ${pyTypeName(x)}`, { kind: 'argument' });
    out.push(x);
    return;
  }
  if (!Array.isArray(x) || x.length !== shape[depth]) {
    throw new RuntimeError(`ragged nested array: expected length ${shape[depth]} at depth ${depth}`, { kind: 'argument' });
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
  const options = checkOptions('tensor', Array.isArray(shapeOrOpts) ? opts : (shapeOrOpts as CreateOptions | undefined) ?? opts, CREATE_OPTIONS, { position: 2 });
  if (shapeArg !== undefined) checkSizeArg(shapeArg, 'tensor');
  if (values instanceof Float32Array || values instanceof Float64Array) {
    const shape = shapeArg ?? [values.length];
    return finish(new Tensor(Float32Array.from(values), shape), options);
  }
  if (shapeArg !== undefined) {
    const flat: number[] = [];
    flattenInto(values as NestedArray, inferNestedShape(values as NestedArray), 0, flat);
    if (flat.length !== numel(shapeArg)) {
      throw new RuntimeError(`${flat.length} values do not fit shape ${fmtValue(shapeArg)}`, { kind: 'argument' });
    }
    return finish(new Tensor(Float32Array.from(flat), shapeArg), options);
  }
  if (typeof values !== 'number' && !Array.isArray(values)) {
    throw new TypeError(`tensor() expects a number, nested arrays or a typed array, got ${pyTypeName(values)}`, { kind: 'argument' });
  }
  const shape = inferNestedShape(values as NestedArray);
  const flat: number[] = [];
  flattenInto(values as NestedArray, shape, 0, flat);
  return finish(new Tensor(Float32Array.from(flat), shape), options);
}

export type RandOptions = CreateOptions & { generator?: Generator };

/**
 * A size as PyTorch takes it: an array (`zeros([2, 3])`) or the sizes
 * themselves (`zeros(2, 3)`, PyTorch's `torch.zeros(2, 3)`), then an optional
 * options object. Anything else raises a TypeError naming the argument.
 */
export type SizeArgs<O> = [shape: Shape, opts?: O] | [...size: number[]] | [...size: number[], opts: O];

function sizeArgs<O extends object>(where: string, args: readonly unknown[], spec: OptionSpec): [number[], O | undefined] {
  const fail = (what: string): never => {
    throw new TypeError(`${where}(): ${what}; pass the size as ${where}([2, 3]) or ${where}(2, 3)`, { kind: 'argument' });
  };
  let shape: unknown[];
  let rest: readonly unknown[];
  if (Array.isArray(args[0])) {
    shape = args[0];
    rest = args.slice(1);
  } else {
    let n = 0;
    while (n < args.length && typeof args[n] === 'number') n++;
    shape = args.slice(0, n);
    rest = args.slice(n);
    if (n === 0 && !(args.length === 0 || (typeof args[0] === 'object' && args[0] !== null))) fail(`size must be integers or an array of them, got ${describeValue(args[0])}`);
  }
  // PyTorch's own message for a bad size (list or varargs form).
  checkSizeArg(shape, where, { elements: !Array.isArray(args[0]) });
  if (rest.length > 1 || (rest.length === 1 && (typeof rest[0] !== 'object' || rest[0] === null || Array.isArray(rest[0])) && rest[0] !== undefined)) {
    fail(`after the size comes an options object at most, got ${describeValue(rest[rest.length - 1])}`);
  }
  return [shape as number[], checkOptions(where, rest[0] as O | undefined, spec)];
}

const CREATE_OPTIONS: OptionSpec = { requiresGrad: 'boolean' };
const RAND_OPTIONS: OptionSpec = { requiresGrad: 'boolean', generator: 'any' };

export function full(shape: Shape, value: number, opts?: CreateOptions): Tensor {
  checkSizeArg(shape, 'full');
  checkNumberArg(value, 'full', 'fill_value', 2);
  checkOptions('full', opts, CREATE_OPTIONS, { position: 3 });
  if (metaParametersActive()) return finish(meta(shape, 'full'), opts);
  return finish(new Tensor(storage(shape, 'full').fill(value), shape), opts);
}

/** `zeros([2, 3])`, `zeros(2, 3)`, `zeros([2, 3], { requiresGrad: true })`. */
export function zeros(...args: SizeArgs<CreateOptions>): Tensor {
  const [shape, opts] = sizeArgs<CreateOptions>('zeros', args, CREATE_OPTIONS);
  if (metaParametersActive()) return finish(meta(shape, 'zeros'), opts);
  return finish(new Tensor(storage(shape, 'zeros'), shape), opts);
}

/** `ones([2, 3])`, `ones(2, 3)`, `ones([2, 3], { requiresGrad: true })`. */
export function ones(...args: SizeArgs<CreateOptions>): Tensor {
  const [shape, opts] = sizeArgs<CreateOptions>('ones', args, CREATE_OPTIONS);
  return full(shape, 1, opts);
}

/** PyTorch's `zeros_like(t)`: zeros of t's shape (`{ requiresGrad }` as PyTorch's keyword). */
export function zerosLike(t: Tensor, opts?: CreateOptions): Tensor {
  assertTensor(t, 'zeros_like(): input');
  return zeros(t.shape, checkOptions('zeros_like', opts, CREATE_OPTIONS, { position: 2 }));
}

/** PyTorch's `ones_like(t)`: ones of t's shape (`{ requiresGrad }` as PyTorch's keyword). */
export function onesLike(t: Tensor, opts?: CreateOptions): Tensor {
  assertTensor(t, 'ones_like(): input');
  return ones(t.shape, checkOptions('ones_like', opts, CREATE_OPTIONS, { position: 2 }));
}

/** `arange(end)`, `arange(start, end, step = 1)`. */
export function arange(startOrEnd: number, end?: number, step = 1): Tensor {
  checkNumberArg(startOrEnd, 'arange', end === undefined ? 'end' : 'start', 1);
  if (end !== undefined) checkNumberArg(end, 'arange', 'end', 2);
  checkNumberArg(step, 'arange', 'step', 3);
  const start = end === undefined ? 0 : startOrEnd;
  const stop = end === undefined ? startOrEnd : end;
  // PyTorch 1.13's checks, in its order and words.
  if (step === 0 || Number.isNaN(step)) throw new RuntimeError('step must be nonzero', { kind: 'argument' });
  if (!Number.isFinite(start) || !Number.isFinite(stop)) {
    throw new RuntimeError(`unsupported range: ${pyNum(start)} -> ${pyNum(stop)}`, { kind: 'argument' });
  }
  if ((step > 0 && stop < start) || (step < 0 && stop > start)) {
    throw new RuntimeError('upper bound and larger bound inconsistent with step sign', { kind: 'argument' });
  }
  const n = checkNumel(Math.max(0, Math.ceil((stop - start) / step)));
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return new Tensor(data, [n]);
}

export function linspace(start: number, end: number, steps: number): Tensor {
  checkNumberArg(start, 'linspace', 'start', 1);
  checkNumberArg(end, 'linspace', 'end', 2);
  checkIntArg(steps, 'linspace', 'steps', 3);
  if (steps < 0) throw new RuntimeError('number of steps must be non-negative', { kind: 'argument' });
  const data = new Float32Array(checkNumel(steps));
  const step = steps > 1 ? (end - start) / (steps - 1) : 0;
  for (let i = 0; i < steps; i++) data[i] = start + i * step;
  return new Tensor(data, [steps]);
}

/** Uniform [0, 1) from the seedable generator (`manualSeed`): `rand([2, 3])`, `rand(2, 3)`, `rand([2, 3], { generator })`. */
export function rand(...args: SizeArgs<RandOptions>): Tensor {
  const [shape, opts] = sizeArgs<RandOptions>('rand', args, RAND_OPTIONS);
  if (metaParametersActive()) return finish(meta(shape, 'rand'), opts);
  const g = opts?.generator ?? defaultGenerator;
  const data = storage(shape, 'rand');
  for (let i = 0; i < data.length; i++) data[i] = g.random();
  return finish(new Tensor(data, shape), opts);
}

/** Standard normal from the seedable generator (`manualSeed`): `randn([2, 3])`, `randn(2, 3)`, `randn([2, 3], { generator })`. */
export function randn(...args: SizeArgs<RandOptions>): Tensor {
  const [shape, opts] = sizeArgs<RandOptions>('randn', args, RAND_OPTIONS);
  if (metaParametersActive()) return finish(meta(shape, 'randn'), opts);
  const g = opts?.generator ?? defaultGenerator;
  const data = storage(shape, 'randn');
  for (let i = 0; i < data.length; i++) data[i] = g.normal();
  return finish(new Tensor(data, shape), opts);
}

/** Uniform in [low, high). */
export function uniform(shape: Shape, low: number, high: number, generator: Generator = defaultGenerator): Tensor {
  checkNumberArg(low, 'uniform', 'low', 2);
  checkNumberArg(high, 'uniform', 'high', 3);
  if (metaParametersActive()) return meta(shape, 'uniform');
  const data = storage(shape, 'uniform');
  for (let i = 0; i < data.length; i++) data[i] = low + (high - low) * generator.random();
  return new Tensor(data, shape);
}
