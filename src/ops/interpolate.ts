/**
 * `interpolate` (PyTorch's `F.interpolate`) for the modes nearest, nearest-exact,
 * linear (3-D input), bilinear (4-D) and trilinear (5-D). The argument checks
 * follow `torch/nn/functional.py` (1.13) in order; the source-index rules follow
 * ATen's `UpSample.h` (float32 arithmetic, as the CPU kernels do for float input):
 *
 * - scale per dim = 1/scale_factor when a scale factor is given (and not recomputed),
 *   else in/out; with align_corners (linear modes) it is (in-1)/(out-1).
 * - nearest: src = min(floor(dst * scale), in-1), except out == in (copy) and
 *   out == 2*in (dst >> 1); nearest-exact: src = min(floor((dst + 0.5) * scale), in-1).
 * - linear: src = scale * (dst + 0.5) - 0.5 clamped at 0 (align_corners: scale * dst),
 *   blending floor(src) and the next index by src - floor(src).
 *
 * Multi-dim modes apply the 1-D rule axis by axis (their tensor product).
 */
import { checkNumel, numel as numelOf } from '../tensor/shape.js';
import { record } from '../autograd/record.js';
import { NotImplementedError, RuntimeError, TypeError, ValueError, fmtSize, fmtValue, pyTypeName } from '../errors.js';
import { checkOptions } from '../options.js';
import { resampleAxis, resampleBackward, type AxisTable } from '../kernels/interpolate.js';
import { nearestLayer } from '../kernels/layer_threads.js';
import { numel, type Shape } from '../tensor/shape.js';
import { Tensor, assertTensor, type MetaFacts } from '../tensor/tensor.js';
import { nearest2dGrad } from '../kernels/nearest_grad.js';

export type InterpolateMode = 'nearest' | 'nearest-exact' | 'linear' | 'bilinear' | 'trilinear';

export interface InterpolateOptions {
  /** Output spatial size: one int for every spatial dim, or one per dim. */
  size?: number | readonly number[];
  /** Multiplier of the spatial sizes: one number, or one per dim (non-integers allowed). */
  scaleFactor?: number | readonly number[];
  /** Default 'nearest'. PyTorch's 'bicubic' and 'area' are not implemented. */
  mode?: string;
  /** Linear modes only; leaving it undefined is PyTorch's `None` (= false for linear modes). */
  alignCorners?: boolean;
  /** Compute the output size from the scale factor, then interpolate as if `size` had been given. */
  recomputeScaleFactor?: boolean;
}

/** What the checks resolve: the output shape and the per-dim scale factors the kernels use. */
export interface InterpolatePlan {
  readonly mode: InterpolateMode;
  readonly outShape: number[];
  readonly alignCorners: boolean;
  /** The user's scale factor per spatial dim, or undefined where the scale comes from the sizes. */
  readonly scales: readonly (number | undefined)[];
}

const NEAREST_LIKE = new Set(['nearest', 'area', 'nearest-exact']);
/** The input rank each linear mode needs (PyTorch's "Got 4D input, but linear mode needs 3D input"). */
const LINEAR_RANK: Record<string, number> = { linear: 3, bilinear: 4, trilinear: 5 };

function pyList(v: readonly number[]): string {
  return `[${v.join(', ')}]`;
}

/**
 * The shape rule and every check of `interpolate`, in PyTorch's order; throws
 * PyTorch's error types. The shape-flow analyzer calls this too.
 */
export function interpolatePlan(inShape: Shape, opts: InterpolateOptions): InterpolatePlan {
  const mode = opts.mode ?? 'nearest';
  if (NEAREST_LIKE.has(mode) && opts.alignCorners !== undefined) {
    throw new ValueError('align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear');
  }
  const alignCorners = opts.alignCorners ?? false;
  const dim = inShape.length - 2;
  const spatialIn = inShape.slice(2);
  // null is PyTorch's None: unset.
  const size = opts.size ?? undefined;
  const scaleFactor = opts.scaleFactor ?? undefined;
  for (const [name, v] of [['size', size], ['scale_factor', scaleFactor]] as const) {
    if (v !== undefined && v !== null && typeof v !== 'number' && !Array.isArray(v)) {
      throw new TypeError(`interpolate(): ${name} must be a number or a list of numbers, not ${pyTypeName(v)}`, { kind: 'argument' });
    }
  }
  let outSize: number[] | undefined;
  let scales: (number | undefined)[] | undefined;
  if (size !== undefined && scaleFactor !== undefined) {
    throw new ValueError('only one of size or scale_factor should be defined');
  } else if (size !== undefined) {
    if (typeof size !== 'number') {
      if (size.length !== dim) {
        throw new ValueError(
          `Input and output must have the same number of spatial dimensions, but got input with spatial dimensions of ${pyList(spatialIn)} and output size of ${pyList(size)}. ` +
            'Please provide input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format.',
        );
      }
      outSize = [...size];
    } else {
      outSize = new Array<number>(Math.max(dim, 0)).fill(size);
    }
    for (const s of outSize) {
      if (!Number.isInteger(s)) throw new TypeError(`interpolate(): size must be integers, got ${fmtValue(size)}`, { kind: 'argument' });
    }
  } else if (scaleFactor !== undefined) {
    if (typeof scaleFactor !== 'number') {
      if (scaleFactor.length !== dim) {
        throw new ValueError(
          `Input and scale_factor must have the same number of spatial dimensions, but got input with spatial dimensions of ${pyList(spatialIn)} and scale_factor of shape ${pyList(scaleFactor)}. ` +
            'Please provide input tensor in (N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format.',
        );
      }
      scales = [...scaleFactor];
    } else {
      scales = new Array<number>(Math.max(dim, 0)).fill(scaleFactor);
    }
  } else {
    throw new ValueError('either size or scale_factor should be defined');
  }
  if (opts.recomputeScaleFactor && size !== undefined) {
    throw new ValueError('recompute_scale_factor is not meaningful with an explicit size.');
  }
  if (opts.recomputeScaleFactor && scales !== undefined) {
    // Python computes the size in double precision, then forgets the scale.
    outSize = scales.map((s, i) => Math.floor(spatialIn[i]! * s!));
    scales = undefined;
  }
  checkModeRank(mode, inShape.length);
  // ATen: output size = (int64) (input size * scale), i.e. truncation.
  const spatialOut = outSize ?? scales!.map((s, i) => Math.trunc(spatialIn[i]! * s!));
  if (spatialIn.some((s) => s <= 0) || spatialOut.some((s) => !(s > 0))) {
    const names = ['D', 'H', 'W'].slice(3 - dim);
    const fmt = (v: readonly number[]) => v.map((s, i) => `${names[i]}: ${s}`).join(', ');
    throw new RuntimeError(`Input and output sizes should be greater than 0, but got input (${fmt(spatialIn)}) output (${fmt(spatialOut)})`);
  }
  if (inShape[1] === 0) {
    throw new RuntimeError(`Non-empty ${inShape.length}D data tensor expected but got a tensor with sizes ${fmtSize(inShape)}`);
  }
  return {
    mode: mode as InterpolateMode,
    outShape: [...inShape.slice(0, 2), ...spatialOut],
    alignCorners,
    scales: scales ?? new Array<undefined>(dim).fill(undefined),
  };
}

/** PyTorch's dispatch on (input rank, mode) and the errors when nothing matches. */
function checkModeRank(mode: string, rank: number): void {
  const supported = rank >= 3 && rank <= 5;
  if ((mode === 'nearest' || mode === 'nearest-exact') && supported) return;
  const need = LINEAR_RANK[mode];
  if (need !== undefined && rank === need) return;
  if ((mode === 'area' && supported) || (mode === 'bicubic' && rank === 4)) {
    throw new NotImplementedError(`interpolate(): mode '${mode}' is not implemented in normkit (supported: nearest | nearest-exact | linear | bilinear | trilinear)`);
  }
  if (need !== undefined && supported) {
    throw new NotImplementedError(`Got ${rank}D input, but ${mode} mode needs ${need}D input`, { kind: 'rank' });
  }
  throw new NotImplementedError(
    `Input Error: Only 3D, 4D and 5D input Tensors supported (got ${rank}D) for the modes: nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact (got ${mode})`, { kind: 'rank' },
  );
}

/** Output shape of `interpolate(x, opts)` for an input of `inShape` (throws as `interpolate` would). */
export function interpolateOutputShape(inShape: Shape, opts: InterpolateOptions): number[] {
  return interpolatePlan(inShape, opts).outShape;
}

const f32 = Math.fround;

const GRAD_NAMES: Record<InterpolateMode, string> = {
  nearest: 'Nearest',
  'nearest-exact': 'NearestExact',
  linear: 'Linear',
  bilinear: 'Bilinear',
  trilinear: 'Trilinear',
};

/** ATen's `compute_scales_value<float>`: 1/scale_factor when one was given, else in/out. */
function scaleValue(scale: number | undefined, inLen: number, outLen: number): number {
  return scale !== undefined && scale > 0 ? f32(1 / scale) : f32(inLen / outLen);
}

function nearestTable(inLen: number, outLen: number, scale: number | undefined, exact: boolean): AxisTable {
  const i0 = new Int32Array(outLen);
  const s = scaleValue(scale, inLen, outLen);
  for (let j = 0; j < outLen; j++) {
    if (exact) i0[j] = Math.min(Math.floor(f32((j + 0.5) * s)), inLen - 1);
    else if (outLen === inLen) i0[j] = j;
    else if (outLen === 2 * inLen) i0[j] = j >> 1;
    else i0[j] = Math.min(Math.floor(f32(j * s)), inLen - 1);
  }
  return { i0, i1: i0, w0: new Float32Array(outLen).fill(1), w1: new Float32Array(outLen) };
}

function linearTable(inLen: number, outLen: number, scale: number | undefined, alignCorners: boolean): AxisTable {
  const i0 = new Int32Array(outLen);
  const i1 = new Int32Array(outLen);
  const w0 = new Float32Array(outLen);
  const w1 = new Float32Array(outLen);
  const s = alignCorners ? (outLen > 1 ? f32((inLen - 1) / (outLen - 1)) : 0) : scaleValue(scale, inLen, outLen);
  for (let j = 0; j < outLen; j++) {
    if (outLen === inLen) {
      i0[j] = i1[j] = j;
      w0[j] = 1;
      continue;
    }
    let src = alignCorners ? f32(s * j) : f32(s * (j + 0.5) - 0.5);
    if (src < 0) src = 0;
    const a = Math.min(Math.trunc(src), inLen - 1);
    i0[j] = a;
    i1[j] = a < inLen - 1 ? a + 1 : a;
    const l1 = Math.min(Math.max(f32(src - a), 0), 1);
    w1[j] = l1;
    w0[j] = f32(1 - l1);
  }
  return { i0, i1, w0, w1 };
}

/** Longest index table an axis may have (typed arrays' limit; an empty batch can ask for more). */
const MAX_AXIS = 2 ** 31 - 1;

function axisTables(inShape: Shape, plan: InterpolatePlan): AxisTable[] {
  const nearest = plan.mode === 'nearest' || plan.mode === 'nearest-exact';
  return plan.scales.map((scale, d) => {
    const inLen = inShape[d + 2]!;
    const outLen = plan.outShape[d + 2]!;
    // PyTorch's own index buffer fails there too (8 bytes an entry)
    if (outLen > MAX_AXIS) throw new RuntimeError(`DefaultCPUAllocator: can't allocate memory: you tried to allocate ${outLen * 8} bytes`);
    return nearest ? nearestTable(inLen, outLen, scale, plan.mode === 'nearest-exact') : linearTable(inLen, outLen, scale, plan.alignCorners);
  });
}

/** Whether every weight of `t` is nearest's (w0 = 1, w1 = 0). */
const isNearest = (t: AxisTable): boolean => t.w1.every((w) => w === 0) && t.w0.every((w) => w === 1);

/** Resamples every spatial axis in turn (identity axes are skipped); nearest images in one pass. */
function forwardData(x: Float32Array, inShape: Shape, outShape: Shape, tables: readonly AxisTable[]): Float32Array {
  if (tables.length === 2 && tables.every(isNearest) && x.length > 0) {
    return nearestLayer(x, inShape[0]! * inShape[1]!, inShape[2]!, inShape[3]!, tables[0]!.i0, tables[1]!.i0);
  }
  let data = x;
  const cur = [...inShape];
  tables.forEach((t, d) => {
    const ax = d + 2;
    if (cur[ax] === outShape[ax] && t.w1.every((w) => w === 0) && t.i0.every((i, j) => i === j)) return;
    data = resampleAxis(data, numel(cur.slice(0, ax)), cur[ax]!, numel(cur.slice(ax + 1)), t);
    cur[ax] = outShape[ax]!;
  });
  return data === x ? Float32Array.from(x) : data;
}

/** The gradient of the resampling (nearest images by their own kernel, the same values). */
function backwardData(g: Float32Array, inShape: Shape, outShape: Shape, tables: readonly AxisTable[]): Float32Array {
  if (tables.length === 2 && tables.every((t) => t.w1.every((w) => w === 0) && t.w0.every((w) => w === 1))) {
    return nearest2dGrad(g, inShape[0]! * inShape[1]!, inShape[2]!, inShape[3]!, tables[0]!.i0, tables[1]!.i0);
  }
  return resampleBackward(g, inShape[0]! * inShape[1]!, inShape.slice(2), outShape.slice(2), tables);
}

/** Facts for meta execution: resampling a spatially constant map gives a spatially constant map. */
function resampleFacts(x: Tensor): MetaFacts {
  const constant = x.facts.spatiallyConstant === true || numel(x.shape.slice(2)) === 1;
  if (!constant) return {};
  const since = x.facts.constantSince;
  return since === undefined ? { spatiallyConstant: true } : { spatiallyConstant: true, constantSince: since };
}

/**
 * Up/down-samples the spatial dims of `x` ([N, C, L], [N, C, H, W] or [N, C, D, H, W]),
 * PyTorch's `F.interpolate(x, size, scale_factor, mode, align_corners, recompute_scale_factor)`.
 *
 * @example interpolate(x, { scaleFactor: 2, mode: 'nearest' })     // [1, 3, 4, 4] -> [1, 3, 8, 8]
 * @example interpolate(x, { size: [5, 7], mode: 'bilinear', alignCorners: true })
 */
export function interpolate(x: Tensor, opts: InterpolateOptions = {}): Tensor {
  assertTensor(x);
  checkOptions('interpolate', opts, { size: 'ints|null', scaleFactor: 'numbers|null', mode: 'string', alignCorners: 'boolean|null', recomputeScaleFactor: 'boolean|null' }, { position: 2, positional: 'size' });
  const plan = interpolatePlan(x.shape, opts);
  if (x.isMeta) return Tensor.meta(plan.outShape, resampleFacts(x));
  checkNumel(numelOf(plan.outShape), plan.outShape);
  const tables = axisTables(x.shape, plan);
  const out = new Tensor(forwardData(x.data, x.shape, plan.outShape, tables), plan.outShape);
  const name = `Upsample${GRAD_NAMES[plan.mode]}${x.ndim - 2}DBackward0`;
  return record(out, [x], name, (g) => [new Tensor(backwardData(g.data, x.shape, plan.outShape, tables), x.shape)]);
}
