/**
 * `pad` (PyTorch's `F.pad`): constant, reflect, replicate and circular modes,
 * with 1.13's checks. `pad` lists (before, after) pairs starting from the last
 * dim: [left, right, top, bottom, ...]; negative amounts crop. The shape rule
 * `padOutputShape` is what the shape-flow analyzer calls.
 */
import { checkNumel, numel as numelOf } from '../tensor/shape.js';
import { record } from '../autograd/record.js';
import { NotImplementedError, RuntimeError, TypeError, fmtSize, fmtValue, pyTypeName } from '../errors.js';
import { scatterPadGrad } from '../kernels/pad.js';
import { padLayer } from '../kernels/layer_threads.js';
import type { Shape } from '../tensor/shape.js';
import { checkOptions, isOptionsObject } from '../options.js';
import { Tensor, assertTensor } from '../tensor/tensor.js';
import { windowedFacts } from './window_args.js';

export type PadMode = 'constant' | 'reflect' | 'replicate' | 'circular';

const MODES: readonly string[] = ['constant', 'reflect', 'replicate', 'circular'];

/** (before, after) per padded dim, indexed by dim of the input. */
function pairsByDim(rank: number, pad: readonly number[]): Map<number, [number, number]> {
  const m = new Map<number, [number, number]>();
  for (let k = 0; k < pad.length / 2; k++) m.set(rank - 1 - k, [pad[2 * k]!, pad[2 * k + 1]!]);
  return m;
}

function checkNonConstant(input: Shape, pad: readonly number[], mode: PadMode): void {
  const rank = input.length;
  const nd = pad.length / 2;
  if (!((nd === 1 || nd === 2 || nd === 3) && (rank === nd + 1 || rank === nd + 2))) {
    throw new NotImplementedError('Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now');
  }
  // Every non-batch dim must be non-empty (PyTorch's reflection/replication checks).
  if (input.slice(rank - nd - 1).some((d) => d === 0) || (rank === nd + 1 && input[0] === 0)) {
    throw new RuntimeError(
      `Expected ${nd + 1}D or ${nd + 2}D (batch mode) tensor with possibly 0 batch size and other non-zero dimensions for input, but got: ${fmtSize(input)}`, { kind: 'rank' },
    );
  }
  const pairs = pairsByDim(rank, pad);
  for (const [dim, [before, after]] of pairs) {
    const size = input[dim]!;
    if (mode === 'reflect' && (before >= size || after >= size)) {
      const arg = 4 + 2 * (rank - 1 - dim);
      throw new RuntimeError(
        `Argument #${arg}: Padding size should be less than the corresponding input dimension, but got: padding (${before}, ${after}) at dimension ${dim} of input ${rank}`, { kind: 'padding' },
      );
    }
    if (mode === 'circular') {
      if (before > size || after > size) throw new RuntimeError('Padding value causes wrapping around more than once.');
      if (size + before + after < 0) throw new RuntimeError('Negative padding value is resulting in an empty dimension');
    }
  }
  const out = input.map((s, d) => s + (pairs.get(d)?.[0] ?? 0) + (pairs.get(d)?.[1] ?? 0));
  if (mode !== 'circular' && out.slice(rank - nd).every((s) => s < 1)) {
    throw new RuntimeError(
      `input (${input.slice(rank - nd).join(', ')}) is too small. Calculated output size: (${out.slice(rank - nd).join(', ')})`, { kind: 'padding' },
    );
  }
}

/** Output shape of `pad(input, pad, mode)`, with PyTorch's errors. */
export function padOutputShape(input: Shape, pad: readonly number[], mode: PadMode = 'constant'): number[] {
  if (!MODES.includes(mode)) throw new NotImplementedError(`Unrecognised padding mode ${fmtValue(mode)}`, { kind: 'argument' });
  if (!Array.isArray(pad)) throw new TypeError(`pad(): argument 'pad' (position 2) must be tuple of ints, not ${pyTypeName(pad)}`, { kind: 'argument' });
  if (!pad.every((v) => Number.isInteger(v))) throw new RuntimeError(`pad must be integers, but got ${fmtValue(pad)}`, { kind: 'argument' });
  if (pad.length % 2 !== 0) throw new RuntimeError('Padding length must be divisible by 2');
  if (pad.length > input.length * 2) throw new RuntimeError('Padding length too large');
  const rank = input.length;
  const pairs = pairsByDim(rank, pad);
  if (mode === 'constant') {
    // Pure cropping may leave an empty dim; once anything is padded every dim must stay non-empty.
    const anyPositive = pad.some((v) => v > 0);
    for (const [dim, [before, after]] of pairs) {
      const size = input[dim]!;
      const outSize = size + before + after;
      if (outSize < 0 || (outSize === 0 && anyPositive)) {
        throw new RuntimeError(
          `The input size ${size}, plus negative padding ${before} and ${after} resulted in a negative output size, which is invalid. Check dimension ${dim} of your input.`,
        );
      }
    }
  } else {
    checkNonConstant(input, pad, mode);
  }
  const out = input.map((s, d) => s + (pairs.get(d)?.[0] ?? 0) + (pairs.get(d)?.[1] ?? 0));
  const negative = out.find((s) => s < 0);
  if (negative !== undefined) throw new RuntimeError(`Trying to create tensor with negative dimension ${negative}: ${fmtSize(out)}`);
  return out;
}

/** The input index each output index reads along one dim (-1 = fill). */
function indexMap(size: number, before: number, outSize: number, mode: PadMode): Int32Array {
  const map = new Int32Array(outSize);
  for (let i = 0; i < outSize; i++) {
    let s = i - before;
    if (s < 0 || s >= size) {
      if (mode === 'constant') s = -1;
      else if (mode === 'reflect') s = s < 0 ? -s : 2 * (size - 1) - s;
      else if (mode === 'replicate') s = s < 0 ? 0 : size - 1;
      else s = ((s % size) + size) % size;
    }
    map[i] = s;
  }
  return map;
}

/**
 * Pads (or crops, with negative amounts) the last `pad.length / 2` dims.
 * `value` fills constant padding (default 0); other modes take no value.
 */
export function pad(x: Tensor, padding: readonly number[], modeArg: PadMode | { mode?: PadMode; value?: number | null } = 'constant', value?: number): Tensor {
  assertTensor(x, 'input');
  // PyTorch's keywords as an options object: pad(x, [1, 1], { mode: 'reflect' })
  let mode = modeArg as PadMode;
  if (isOptionsObject(modeArg)) {
    const o = checkOptions('pad', modeArg as { mode?: PadMode; value?: number | null }, { mode: 'string', value: 'number|null' }, { position: 3, positional: 'mode' });
    mode = o.mode ?? 'constant';
    value = o.value ?? undefined;
  } else if (typeof modeArg !== 'string') {
    throw new TypeError(`pad(): argument 'mode' (position 3) must be str, not ${pyTypeName(modeArg)}`, { kind: 'argument' });
  }
  if (value !== undefined && value !== null && typeof value !== 'number') {
    throw new TypeError(`pad(): argument 'value' (position 4) must be float, not ${pyTypeName(value)}`, { kind: 'argument' });
  }
  if (mode !== 'constant' && value !== undefined && MODES.includes(mode)) {
    throw new RuntimeError(`Padding mode "${mode}" doesn't take in value argument`);
  }
  const outShape = padOutputShape(x.shape, padding, mode);
  const pairs = pairsByDim(x.ndim, padding);
  if (x.isMeta) {
    // Reflect/replicate/circular copy the map's own values; constant padding of a spatial dim adds the fill value.
    const spatialPad = [...pairs].some(([dim, [b, a]]) => dim >= 2 && (b > 0 || a > 0));
    return Tensor.meta(outShape, windowedFacts(x, outShape, Math.max(outShape.length - 2, 0), mode !== 'constant' || !spatialPad));
  }
  checkNumel(numelOf(outShape), outShape);
  const maps = x.shape.map((size, d) => indexMap(size, pairs.get(d)?.[0] ?? 0, outShape[d]!, mode));
  const out = new Tensor(padLayer(x.data, x.shape, maps, outShape, value ?? 0), outShape);
  return record(out, [x], `pad_${mode}`, (g) => [new Tensor(scatterPadGrad(g.data, outShape, maps, x.shape), x.shape)]);
}
