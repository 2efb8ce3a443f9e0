/**
 * Functional ops a model's forward calls between its modules (PyTorch's
 * names and keyword arguments): arithmetic, cat/chunk, slicing, reshapes,
 * reductions, interpolate (also with the size taken from another value), pad,
 * matmul and the pointwise activations. Each `run` calls the op that eager
 * execution calls, on real or meta tensors alike.
 */
import { SpecError, ValueError } from '../../errors.js';
import { relu, leakyRelu, sigmoid, tanh, gelu, elu } from '../../ops/activation.js';
import { add, div, mul, sub } from '../../ops/elementwise.js';
import { interpolate } from '../../ops/interpolate.js';
import { matmul } from '../../ops/matmul.js';
import { pad, type PadMode } from '../../ops/pad.js';
import { mean, sum } from '../../ops/reduce.js';
import { cat, flatten, permute, reshape, slice, squeeze, transpose, unsqueeze } from '../../ops/shape_ops.js';
import { softmax } from '../../ops/softmax.js';
import type { ArgReader } from '../../spec/args.js';
import { normDim } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { FunctionOp } from '../registry.js';

type Attrs = Record<string, unknown>;

/** A functional op from its name, arity, argument reader and run (one output unless `outputs` says more). */
export function fn(
  name: string,
  arity: readonly [number, number],
  read: (a: ArgReader, nInputs: number) => Attrs,
  run: (xs: readonly Tensor[], at: Attrs) => Tensor | Tensor[],
  outputs: (at: Attrs) => number = () => 1,
): FunctionOp {
  return {
    kind: 'function',
    name,
    arity,
    read,
    outputs,
    run: (xs, at) => {
      const out = run(xs, at);
      return Array.isArray(out) ? out : [out];
    },
  };
}

/** `add(input, other)` with two tensors, or one tensor and a number `other`. */
function binary(name: string, op: (a: Tensor, b: Tensor | number) => Tensor): FunctionOp {
  return fn(
    name,
    [1, 2],
    (a, n) => {
      if (n === 2) return {};
      if (!a.has('other')) throw new SpecError(a.path, `${name}: with one input, argument 'other' (a number) is required`);
      return { other: a.float('other') };
    },
    (xs, at) => op(xs[0]!, xs.length === 2 ? xs[1]! : (at['other'] as number)),
  );
}

const noArgs = () => ({});
const unary = (name: string, op: (x: Tensor) => Tensor) => fn(name, [1, 1], noArgs, (xs) => op(xs[0]!));

const INTERPOLATE_MODES = ['nearest', 'nearest-exact', 'linear', 'bilinear', 'trilinear'] as const;

export const functionalOps: FunctionOp[] = [
  binary('add', add),
  binary('sub', sub),
  binary('mul', mul),
  binary('div', div),
  fn('cat', [1, Infinity], (a) => ({ dim: a.int('dim', 0) }), (xs, at) => cat(xs, at['dim'] as number)),
  fn(
    'chunk',
    [1, 1],
    (a) => ({ chunks: a.int('chunks', undefined, { min: 1 }), dim: a.int('dim', 0) }),
    (xs, at) => chunk(xs[0]!, at['chunks'] as number, at['dim'] as number),
    (at) => at['chunks'] as number,
  ),
  fn(
    'slice',
    [1, 1],
    (a) => ({ dim: a.int('dim'), start: a.optInt('start') ?? 0, end: a.optInt('end') ?? null, step: a.int('step', 1, { min: 1 }) }),
    (xs, at) => slice(xs[0]!, at['dim'] as number, at['start'] as number, (at['end'] as number | null) ?? undefined, at['step'] as number),
  ),
  fn('reshape', [1, 1], (a) => ({ shape: a.ints('shape') }), (xs, at) => reshape(xs[0]!, at['shape'] as number[])),
  fn('view', [1, 1], (a) => ({ shape: a.ints('shape') }), (xs, at) => reshape(xs[0]!, at['shape'] as number[])),
  fn('flatten', [1, 1], (a) => ({ start_dim: a.int('start_dim', 0), end_dim: a.int('end_dim', -1) }), (xs, at) => flatten(xs[0]!, at['start_dim'] as number, at['end_dim'] as number)),
  fn('permute', [1, 1], (a) => ({ dims: a.ints('dims') }), (xs, at) => permute(xs[0]!, at['dims'] as number[])),
  fn('transpose', [1, 1], (a) => ({ dim0: a.int('dim0'), dim1: a.int('dim1') }), (xs, at) => transpose(xs[0]!, at['dim0'] as number, at['dim1'] as number)),
  fn('squeeze', [1, 1], (a) => ({ dim: a.optInt('dim') ?? null }), (xs, at) => squeeze(xs[0]!, (at['dim'] as number | null) ?? undefined)),
  fn('unsqueeze', [1, 1], (a) => ({ dim: a.int('dim') }), (xs, at) => unsqueeze(xs[0]!, at['dim'] as number)),
  fn('mean', [1, 1], (a) => ({ dim: a.ints('dim'), keepdim: a.bool('keepdim', false) }), (xs, at) => mean(xs[0]!, at['dim'] as number[], { keepdim: at['keepdim'] as boolean })),
  fn('sum', [1, 1], (a) => ({ dim: a.ints('dim'), keepdim: a.bool('keepdim', false) }), (xs, at) => sum(xs[0]!, at['dim'] as number[], { keepdim: at['keepdim'] as boolean })),
  fn(
    'interpolate',
    [1, 2],
    (a, n) => {
      const at: Attrs = { mode: a.str('mode', INTERPOLATE_MODES, 'nearest') };
      const size = a.optNumberOrList('size');
      const scale = a.optNumberOrList('scale_factor');
      if (a.args['align_corners'] != null) at['align_corners'] = a.bool('align_corners');
      else a.ignore('align_corners');
      const given = [n === 2, size !== undefined, scale !== undefined].filter(Boolean).length;
      if (given !== 1) {
        throw new SpecError(a.path, `interpolate: give exactly one of 'size', 'scale_factor' or a second input whose spatial size is taken (got ${given})`);
      }
      if (size !== undefined) at['size'] = size;
      if (scale !== undefined) at['scale_factor'] = scale;
      return at;
    },
    (xs, at) =>
      interpolate(xs[0]!, {
        // F.interpolate(x, size=other.shape[2:]): the size comes from the second input.
        size: xs.length === 2 ? xs[1]!.shape.slice(2) : (at['size'] as number | number[] | undefined),
        scaleFactor: at['scale_factor'] as number | number[] | undefined,
        mode: at['mode'] as string,
        alignCorners: at['align_corners'] as boolean | undefined,
      }),
  ),
  fn(
    'pad',
    [1, 1],
    (a) => ({ pad: a.ints('pad'), mode: a.str('mode', ['constant', 'reflect', 'replicate', 'circular'] as const, 'constant'), value: a.float('value', 0) }),
    // F.pad takes a value only in constant mode (reflect/replicate refuse one).
    (xs, at) => (at['mode'] === 'constant' ? pad(xs[0]!, at['pad'] as number[], 'constant', at['value'] as number) : pad(xs[0]!, at['pad'] as number[], at['mode'] as PadMode)),
  ),
  fn('matmul', [2, 2], noArgs, (xs) => matmul(xs[0]!, xs[1]!)),
  unary('relu', relu),
  unary('sigmoid', sigmoid),
  unary('tanh', tanh),
  fn('leaky_relu', [1, 1], (a) => ({ negative_slope: a.float('negative_slope', 0.01) }), (xs, at) => leakyRelu(xs[0]!, at['negative_slope'] as number)),
  fn('gelu', [1, 1], (a) => ({ approximate: a.str('approximate', ['none', 'tanh'] as const, 'none') }), (xs, at) => gelu(xs[0]!, at['approximate'] as 'none' | 'tanh')),
  fn('elu', [1, 1], (a) => ({ alpha: a.float('alpha', 1) }), (xs, at) => elu(xs[0]!, at['alpha'] as number)),
  fn('softmax', [1, 1], (a) => ({ dim: a.int('dim') }), (xs, at) => softmax(xs[0]!, at['dim'] as number)),
];

/**
 * `a, b = torch.chunk(x, 2, dim)`: pieces of ceil(size / chunks) along `dim`,
 * the last one smaller. torch returns fewer pieces when they run out; a node
 * with `chunks` outputs then fails as Python's unpacking does.
 */
function chunk(x: Tensor, chunks: number, dim: number): Tensor[] {
  const d = normDim(dim, x.ndim);
  const size = x.shape[d]!;
  const step = Math.max(1, Math.ceil(size / chunks));
  const pieces = Math.ceil(size / step);
  if (pieces !== chunks) throw new ValueError(`not enough values to unpack (expected ${chunks}, got ${pieces}): chunk of a dimension of size ${size}`, { inputSize: x.shape, kind: 'mismatch' });
  const out: Tensor[] = [];
  for (let start = 0; out.length < chunks; start += step) out.push(slice(x, d, start, start + step));
  return out;
}
