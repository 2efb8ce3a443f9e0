/**
 * Functional ops only ONNX graphs need: the integer shape arithmetic torch's
 * exporter writes (Shape, Gather, Slice with input tensors, Concat, Unsqueeze,
 * ConstantOfShape, Expand, Range, Reshape with 0 and -1, Cast, ...) and a few
 * ONNX forms of float ops (Gemm with transposes, ReduceMean with axes).
 *
 * Integer values travel as ordinary float32 tensors holding whole numbers
 * (exact up to 2^24; torch's INT64_MAX "to the end" sentinels stay huge). A
 * `Shape` of a meta tensor has known values, so shape arithmetic always runs
 * on real data, also in shape-only analysis; data inputs may be meta, and
 * then the output is a meta tensor of the computed shape. Index arguments
 * (starts, axes, shapes) must be real: a meta one is a RuntimeError.
 */
import { RuntimeError, SpecError } from '../../errors.js';
import { add, clamp, div, mul, pow, sqrt, sub } from '../../ops/elementwise.js';
import { interpolate } from '../../ops/interpolate.js';
import { erf } from '../../ops/activation.js';
import { propagateElementwiseFacts } from '../../ops/meta_facts.js';
import { matmul } from '../../ops/matmul.js';
import { pad, type PadMode } from '../../ops/pad.js';
import { mean } from '../../ops/reduce.js';
import { logSoftmax, softmax } from '../../ops/softmax.js';
import { permute as torchPermute, transpose as torchTranspose } from '../../ops/shape_ops.js';
import type { ArgReader } from '../../spec/args.js';
import { numel } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import type { FunctionOp } from '../registry.js';
import { fn } from './functional.js';

type Attrs = Record<string, unknown>;

/** Sizes past this are computed as meta tensors (shape only): shape arithmetic never allocates much. */
const MAX_MATERIALIZED = 1 << 24;


/**
 * Exact values of integer tensors whose values float32 cannot hold (|v| > 2^24,
 * e.g. a product of sizes): kept beside the float32 data, read by `valuesOf`.
 */
const exact = new WeakMap<Tensor, readonly number[]>();
const EXACT_F32 = 2 ** 24;

/** A tensor of whole numbers, exact beyond float32's 2^24. */
export function intTensor(values: ArrayLike<number>, shape?: readonly number[]): Tensor {
  const t = new Tensor(Float32Array.from(values), shape ?? [values.length]);
  for (let i = 0; i < values.length; i++) {
    if (Math.abs(values[i]!) > EXACT_F32) {
      exact.set(t, Array.from(values));
      break;
    }
  }
  return t;
}

/** A tensor's values: the exact integers when it has them, else its data. */
export function valuesOf(t: Tensor): ArrayLike<number> {
  return exact.get(t) ?? t.data;
}

/** The values of an index argument (real data, whole numbers). */
export function intsOf(t: Tensor | undefined, what: string): number[] {
  if (t === undefined) throw new RuntimeError(`${what} is missing`);
  if (t.isMeta) throw new RuntimeError(`${what} must have known values (it depends on tensor data, not only on shapes)`);
  return Array.from(valuesOf(t), (v) => (Number.isFinite(v) ? Math.trunc(v) : v > 0 ? Number.MAX_SAFE_INTEGER : -Number.MAX_SAFE_INTEGER));
}

const ints = (values: readonly number[], shape?: readonly number[]) => intTensor(values, shape ?? [values.length]);

function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
}

/** Output of shape `outShape` whose element at multi-index `idx` is input[src(idx)] (flat offset); meta in, meta out. */
function gatherBy(x: Tensor, outShape: readonly number[], src: (idx: number[]) => number): Tensor {
  if (x.isMeta || numel(outShape) > MAX_MATERIALIZED) return Tensor.meta(outShape);
  const n = numel(outShape);
  const ex = exact.get(x);
  const out = ex ? new Array<number>(n) : new Float32Array(n);
  const data = ex ?? x.data;
  const idx = new Array<number>(outShape.length).fill(0);
  for (let k = 0; k < n; k++) {
    out[k] = data[src(idx)]!;
    for (let d = outShape.length - 1; d >= 0; d--) {
      if (++idx[d]! < outShape[d]!) break;
      idx[d] = 0;
    }
  }
  return ex ? intTensor(out, outShape) : new Tensor(out as Float32Array, outShape);
}

const normAxis = (a: number, rank: number, what = 'axis') => {
  const r = a < 0 ? a + rank : a;
  if (!Number.isInteger(r) || r < 0 || r >= Math.max(rank, 1)) throw new RuntimeError(`${what} ${a} is out of range for rank ${rank}`);
  return r;
};

/** ONNX multidirectional broadcasting of two shapes. */
function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new RuntimeError(`shapes [${a.join(', ')}] and [${b.join(', ')}] cannot be broadcast`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

function expandTo(x: Tensor, shape: readonly number[]): Tensor {
  const out = broadcastShapes(x.shape, shape);
  const st = stridesOf(x.shape);
  const off = out.length - x.ndim;
  return gatherBy(x, out, (idx) => {
    let s = 0;
    for (let d = 0; d < x.ndim; d++) if (x.shape[d] !== 1) s += idx[d + off]! * st[d]!;
    return s;
  });
}

/** Elementwise integer arithmetic (ONNX Add/Sub/Mul/Div/Mod on int64: division truncates). */
function intBinary(a: Tensor, b: Tensor, op: string): Tensor {
  const shape = broadcastShapes(a.shape, b.shape);
  if (a.isMeta || b.isMeta) return Tensor.meta(shape);
  const ea = valuesOf(expandTo(a, shape));
  const eb = valuesOf(expandTo(b, shape));
  const out = new Array<number>(ea.length);
  for (let i = 0; i < out.length; i++) {
    const x = ea[i]!;
    const y = eb[i]!;
    switch (op) {
      case 'add': out[i] = x + y; break;
      case 'sub': out[i] = x - y; break;
      case 'mul': out[i] = x * y; break;
      case 'div':
        if (y === 0) throw new RuntimeError('ZeroDivisionError: integer division by zero');
        out[i] = Math.trunc(x / y);
        break;
      default: throw new RuntimeError(`unknown integer op ${op}`);
    }
  }
  return intTensor(out, shape);
}

function onnxSlice(x: Tensor, starts: number[], ends: number[], axes: number[] | undefined, steps: number[] | undefined): Tensor {
  const r = x.ndim;
  const ax = (axes ?? starts.map((_, i) => i)).map((a) => normAxis(a, r));
  const begin = x.shape.map(() => 0);
  const step = x.shape.map(() => 1);
  const outShape = [...x.shape];
  ax.forEach((a, k) => {
    const dim = x.shape[a]!;
    const st = steps?.[k] ?? 1;
    if (st === 0) throw new RuntimeError('slice step cannot be zero');
    let s = starts[k]!;
    let e = ends[k]!;
    if (s < 0) s += dim;
    if (e < 0) e += dim;
    if (st > 0) {
      s = Math.min(Math.max(s, 0), dim);
      e = Math.min(Math.max(e, 0), dim);
      outShape[a] = Math.max(0, Math.ceil((e - s) / st));
    } else {
      s = Math.min(Math.max(s, 0), dim - 1);
      e = Math.min(Math.max(e, -1), dim - 1);
      outShape[a] = Math.max(0, Math.ceil((e - s) / st));
    }
    begin[a] = s;
    step[a] = st;
  });
  const strides = stridesOf(x.shape);
  return gatherBy(x, outShape, (idx) => idx.reduce((s, i, d) => s + (begin[d]! + i * step[d]!) * strides[d]!, 0));
}

function onnxGather(x: Tensor, indices: Tensor, axis: number): Tensor {
  const a = normAxis(axis, x.ndim);
  const idx = intsOf(indices, 'Gather indices').map((i) => {
    const d = x.shape[a]!;
    if (i < -d || i >= d) throw new RuntimeError(`index ${i} is out of bounds for dimension ${a} with size ${d}`);
    return i < 0 ? i + d : i;
  });
  const outShape = [...x.shape.slice(0, a), ...indices.shape, ...x.shape.slice(a + 1)];
  const strides = stridesOf(x.shape);
  const q = indices.ndim;
  const iStrides = stridesOf(indices.shape);
  return gatherBy(x, outShape, (o) => {
    let s = 0;
    for (let d = 0; d < a; d++) s += o[d]! * strides[d]!;
    let flat = 0;
    for (let d = 0; d < q; d++) flat += o[a + d]! * iStrides[d]!;
    s += idx[flat]! * strides[a]!;
    for (let d = a + 1; d < x.ndim; d++) s += o[d - 1 + q]! * strides[d]!;
    return s;
  });
}

function onnxConcat(xs: readonly Tensor[], axis: number): Tensor {
  const nonEmpty = xs;
  const r = nonEmpty[0]!.ndim;
  const a = normAxis(axis, r);
  for (const t of nonEmpty) {
    if (t.ndim !== r || t.shape.some((d, i) => i !== a && d !== nonEmpty[0]!.shape[i])) {
      throw new RuntimeError(`Concat: shapes ${xs.map((t) => `[${t.shape.join(', ')}]`).join(', ')} differ outside axis ${axis}`);
    }
  }
  const outShape = [...nonEmpty[0]!.shape];
  outShape[a] = nonEmpty.reduce((s, t) => s + t.shape[a]!, 0);
  if (nonEmpty.some((t) => t.isMeta) || numel(outShape) > MAX_MATERIALIZED) return Tensor.meta(outShape);
  const anyExact = nonEmpty.some((t) => exact.has(t));
  const out = anyExact ? new Array<number>(numel(outShape)) : new Float32Array(numel(outShape));
  const outer = numel(outShape.slice(0, a));
  const inner = numel(outShape.slice(a + 1));
  let o = 0;
  for (let i = 0; i < outer; i++) {
    for (const t of nonEmpty) {
      const chunk = t.shape[a]! * inner;
      const src = valuesOf(t);
      for (let j = 0; j < chunk; j++) out[o + j] = src[i * chunk + j]!;
      o += chunk;
    }
  }
  return anyExact ? intTensor(out, outShape) : new Tensor(out as Float32Array, outShape);
}

function reshapeTo(x: Tensor, shape: readonly number[]): Tensor {
  if (x.isMeta) return Tensor.meta(shape);
  const ex = exact.get(x);
  return ex ? intTensor(ex, shape) : new Tensor(Float32Array.from(x.data), shape);
}

function onnxReshape(x: Tensor, spec: number[], allowzero: boolean): Tensor {
  const out = spec.map((d, i) => (d === 0 && !allowzero ? x.shape[i]! : d));
  const unknown = out.filter((d) => d === -1).length;
  if (unknown > 1) throw new RuntimeError('only one dimension can be inferred');
  if (out.some((d) => d < -1)) throw new RuntimeError(`invalid shape dimension in [${spec.join(', ')}]`);
  const known = out.reduce((p, d) => (d === -1 ? p : p * d), 1);
  const total = numel(x.shape);
  if (unknown === 1) {
    if (known === 0 || total % known !== 0) throw new RuntimeError(`shape '[${spec.join(', ')}]' is invalid for input of size ${total}`);
    out[out.indexOf(-1)] = total / known;
  } else if (known !== total) {
    throw new RuntimeError(`shape '[${spec.join(', ')}]' is invalid for input of size ${total}`);
  }
  return reshapeTo(x, out);
}

function onnxTranspose(x: Tensor, perm: number[] | null): Tensor {
  const p = perm ?? x.shape.map((_, i) => x.ndim - 1 - i);
  // float data: torch.permute's copy (kernels/layout.ts); exact integers keep their values through gatherBy
  if (!exact.has(x) && p.length === x.ndim) {
    const axes = p.map((d) => normAxis(d, x.ndim));
    if (new Set(axes).size === x.ndim) return torchPermute(x, axes);
  }
  const outShape = p.map((d) => x.shape[d]!);
  const strides = stridesOf(x.shape);
  return gatherBy(x, outShape, (idx) => idx.reduce((s, i, k) => s + i * strides[p[k]!]!, 0));
}

function onnxUnsqueeze(x: Tensor, axes: number[]): Tensor {
  const r = x.ndim + axes.length;
  const ax = new Set(axes.map((a) => normAxis(a, r)));
  const out: number[] = [];
  let k = 0;
  for (let i = 0; i < r; i++) out.push(ax.has(i) ? 1 : x.shape[k++]!);
  return reshapeTo(x, out);
}

function onnxSqueeze(x: Tensor, axes: number[] | null): Tensor {
  const ax = axes === null ? x.shape.flatMap((d, i) => (d === 1 ? [i] : [])) : axes.map((a) => normAxis(a, x.ndim));
  for (const a of ax) if (x.shape[a] !== 1) throw new RuntimeError(`cannot squeeze dimension ${a} of size ${x.shape[a]}`);
  return reshapeTo(x, x.shape.filter((_, i) => !ax.includes(i)));
}

function cast(x: Tensor, to: string): Tensor {
  if (x.isMeta || to === 'float') return x.isMeta ? Tensor.meta(x.shape, x.facts) : x;
  const out = Array.from(valuesOf(x), (v) => (to === 'bool' ? (v !== 0 ? 1 : 0) : Number.isFinite(v) ? Math.trunc(v) : v));
  return intTensor(out, x.shape);
}

function gemm(a: Tensor, b: Tensor, c: Tensor | undefined, at: Attrs): Tensor {
  const A = at['trans_a'] ? torchTranspose(a, 0, 1) : a;
  const B = at['trans_b'] ? torchTranspose(b, 0, 1) : b;
  let y = matmul(A, B);
  const alpha = at['alpha'] as number;
  const beta = at['beta'] as number;
  if (alpha !== 1) y = mul(y, alpha);
  if (c !== undefined) y = add(y, beta === 1 ? c : mul(c, beta));
  return y;
}

function onnxPad(x: Tensor, pads: number[], mode: string, value: number, axes: number[] | undefined): Tensor {
  const r = x.ndim;
  const ax = (axes ?? x.shape.map((_, i) => i)).map((a) => normAxis(a, r));
  const n = ax.length;
  if (pads.length !== 2 * n) throw new RuntimeError(`Pad: ${pads.length} pads for ${n} axes`);
  const per = new Map<number, [number, number]>();
  ax.forEach((a, k) => per.set(a, [pads[k]!, pads[k + n]!]));
  // torch's order: last dim first, from the first padded dim on.
  const first = Math.min(...[...per].filter(([, [b, e]]) => b !== 0 || e !== 0).map(([a]) => a), r);
  const list: number[] = [];
  for (let d = r - 1; d >= first; d--) list.push(...(per.get(d) ?? [0, 0]));
  if (list.length === 0) return x;
  const m: PadMode = mode === 'edge' ? 'replicate' : mode === 'wrap' ? 'circular' : (mode as PadMode);
  return pad(x, list, m, m === 'constant' ? value : undefined);
}

function range(start: number, limit: number, delta: number): Tensor {
  if (delta === 0) throw new RuntimeError('Range: delta cannot be zero');
  const n = Math.max(Math.ceil((limit - start) / delta), 0);
  if (n > MAX_MATERIALIZED) throw new RuntimeError(`Range of ${n} elements is too large`);
  return ints(Array.from({ length: n }, (_, i) => start + i * delta));
}

const opt = (xs: readonly Tensor[], i: number) => xs[i];
const reader = (keys: string[]) => (a: ArgReader) => {
  const out: Attrs = {};
  for (const k of keys) out[k] = a.args[k] ?? null;
  a.ignore(...keys);
  return out;
};

const f32 = Math.fround;

/** Pointwise functions of one value (ONNX op → function; bool results as 0/1). */
export const UNARY: Record<string, (x: number, at: Attrs) => number> = {
  Abs: Math.abs,
  Neg: (x) => -x,
  Exp: Math.exp,
  Log: Math.log,
  Reciprocal: (x) => 1 / x,
  Floor: Math.floor,
  Ceil: Math.ceil,
  Round: (x) => {
    const r = Math.round(x);
    return Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : r;
  },
  Sign: Math.sign,
  Erf: erf,
  Sin: Math.sin,
  Cos: Math.cos,
  Tan: Math.tan,
  Asin: Math.asin,
  Acos: Math.acos,
  Atan: Math.atan,
  Sinh: Math.sinh,
  Cosh: Math.cosh,
  Asinh: Math.asinh,
  Acosh: Math.acosh,
  Atanh: Math.atanh,
  Not: (x) => (x === 0 ? 1 : 0),
  IsNaN: (x) => (Number.isNaN(x) ? 1 : 0),
  Softsign: (x) => x / (1 + Math.abs(x)),
  HardSigmoid: (x, at) => Math.max(0, Math.min(1, (at['alpha'] as number) * x + (at['beta'] as number))),
  ThresholdedRelu: (x, at) => (x > (at['alpha'] as number) ? x : 0),
  Celu: (x, at) => Math.max(0, x) + Math.min(0, (at['alpha'] as number) * (Math.exp(x / (at['alpha'] as number)) - 1)),
  Shrink: (x, at) => (x < -(at['lambd'] as number) ? x + (at['bias'] as number) : x > (at['lambd'] as number) ? x - (at['bias'] as number) : 0),
};

/** Pointwise functions of two values (broadcast). */
export const BINARY: Record<string, (a: number, b: number, at: Attrs) => number> = {
  Max: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)),
  Min: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b)),
  Sum: (a, b) => a + b,
  Equal: (a, b) => (a === b ? 1 : 0),
  Less: (a, b) => (a < b ? 1 : 0),
  LessOrEqual: (a, b) => (a <= b ? 1 : 0),
  Greater: (a, b) => (a > b ? 1 : 0),
  GreaterOrEqual: (a, b) => (a >= b ? 1 : 0),
  And: (a, b) => (a !== 0 && b !== 0 ? 1 : 0),
  Or: (a, b) => (a !== 0 || b !== 0 ? 1 : 0),
  Xor: (a, b) => ((a !== 0) !== (b !== 0) ? 1 : 0),
  Mod: (a, b, at) => (at['fmod'] ? a % b : b === 0 ? 0 : a - Math.floor(a / b) * b),
};

function mapBinary(a: Tensor, b: Tensor, f: (x: number, y: number) => number): Tensor {
  const shape = broadcastShapes(a.shape, b.shape);
  if (a.isMeta || b.isMeta) return Tensor.meta(shape);
  const ea = expandTo(a, shape).data;
  const eb = expandTo(b, shape).data;
  return new Tensor(Float32Array.from(ea, (x, i) => f(x, eb[i]!)), shape);
}

/** Reductions over axes: ONNX op → [initial value, step, finish(acc, count)]. */
const REDUCE: Record<string, [number, (acc: number, x: number) => number, (acc: number, n: number) => number]> = {
  ReduceSum: [0, (a, x) => a + x, (a) => a],
  ReduceMean: [0, (a, x) => a + x, (a, n) => a / n],
  ReduceMax: [-Infinity, (a, x) => (Number.isNaN(x) || x > a ? x : a), (a) => a],
  ReduceMin: [Infinity, (a, x) => (Number.isNaN(x) || x < a ? x : a), (a) => a],
  ReduceProd: [1, (a, x) => a * x, (a) => a],
  ReduceL1: [0, (a, x) => a + Math.abs(x), (a) => a],
  ReduceL2: [0, (a, x) => a + x * x, (a) => Math.sqrt(a)],
  ReduceSumSquare: [0, (a, x) => a + x * x, (a) => a],
  ReduceLogSum: [0, (a, x) => a + x, (a) => Math.log(a)],
  ReduceLogSumExp: [0, (a, x) => a + Math.exp(x), (a) => Math.log(a)],
};

function reduce(x: Tensor, op: string, axes: number[], keep: boolean): Tensor {
  const ax = new Set(axes.map((a) => normAxis(a, x.ndim)));
  const outShape = x.shape.map((d, i) => (ax.has(i) ? 1 : d));
  const finalShape = keep ? outShape : x.shape.filter((_, i) => !ax.has(i));
  if (x.isMeta) return Tensor.meta(finalShape);
  const [init, step, finish] = REDUCE[op]!;
  const n = numel(outShape);
  const acc = new Float64Array(n).fill(init);
  const oStrides = stridesOf(outShape);
  const idx = new Array<number>(x.ndim).fill(0);
  const data = x.data;
  for (let k = 0; k < data.length; k++) {
    let o = 0;
    for (let d = 0; d < x.ndim; d++) if (!ax.has(d)) o += idx[d]! * oStrides[d]!;
    acc[o] = step(acc[o]!, data[k]!);
    for (let d = x.ndim - 1; d >= 0; d--) {
      if (++idx[d]! < x.shape[d]!) break;
      idx[d] = 0;
    }
  }
  const count = numel(x.shape) / Math.max(n, 1);
  return new Tensor(Float32Array.from(acc, (a) => f32(finish(a, count))), finalShape);
}

/**
 * ONNX Resize as the ONNX reference computes it (onnx/reference/ops/op_resize.py),
 * axis by axis: for the modes and coordinate transforms PyTorch has no
 * interpolate mode for (nearest with half_pixel, cubic, asymmetric linear, ...).
 */
function resizeAxis(x: Tensor, axis: number, outLen: number, scale: number, at: Attrs): Tensor {
  const inLen = x.shape[axis]!;
  const outShape = [...x.shape];
  outShape[axis] = outLen;
  if (x.isMeta) return Tensor.meta(outShape);
  const mode = at['mode'] as string;
  const coord = at['coord'] as string;
  const A = at['cubic_a'] as number;
  const outWidth = scale * inLen;
  const rows: { idx: number[]; w: number[] }[] = [];
  for (let o = 0; o < outLen; o++) {
    let xo: number;
    switch (coord) {
      case 'align_corners': xo = outWidth === 1 ? 0 : (o * (inLen - 1)) / (outWidth - 1); break;
      case 'asymmetric': xo = o / scale; break;
      case 'pytorch_half_pixel': xo = outWidth === 1 ? -0.5 : (o + 0.5) / scale - 0.5; break;
      case 'tf_half_pixel_for_nn': xo = (o + 0.5) / scale; break;
      default: xo = (o + 0.5) / scale - 0.5;
    }
    const fl = Math.floor(xo);
    const ratio = Number.isInteger(xo) ? 1 : xo - fl;
    let coeffs: number[];
    if (mode === 'nearest') {
      const nm = at['nearest_mode'] as string;
      coeffs = ratio === 1 ? [0, 1] : nm === 'round_prefer_floor' ? [ratio <= 0.5 ? 1 : 0, ratio > 0.5 ? 1 : 0] : nm === 'round_prefer_ceil' ? [ratio < 0.5 ? 1 : 0, ratio >= 0.5 ? 1 : 0] : nm === 'floor' ? [1, 0] : [0, 1];
    } else if (mode === 'linear') coeffs = [1 - ratio, ratio];
    else {
      const r = ratio;
      coeffs = [
        ((A * (r + 1) - 5 * A) * (r + 1) + 8 * A) * (r + 1) - 4 * A,
        ((A + 2) * r - (A + 3)) * r * r + 1,
        ((A + 2) * (1 - r) - (A + 3)) * (1 - r) * (1 - r) + 1,
        ((A * (1 - r + 1) - 5 * A) * (1 - r + 1) + 8 * A) * (1 - r + 1) - 4 * A,
      ];
    }
    const n = coeffs.length;
    // The n integer positions nearest xo (ties to the lower), in order; outside the input they repeat the edge.
    const first = n === 2 ? (ratio === 1 ? fl - 1 : fl) : ratio === 1 ? fl - 2 : fl - 1;
    const idx = Array.from({ length: n }, (_, i) => first + i);
    if (at['exclude_outside']) {
      idx.forEach((i, k) => {
        if (i < 0 || i >= inLen) coeffs[k] = 0;
      });
      const sum = coeffs.reduce((a, b) => a + b, 0);
      coeffs = coeffs.map((c) => c / sum);
    }
    rows.push({ idx: idx.map((i) => Math.min(Math.max(i, 0), inLen - 1)), w: coeffs });
  }
  const outer = numel(x.shape.slice(0, axis));
  const inner = numel(x.shape.slice(axis + 1));
  const out = new Float32Array(numel(outShape));
  const d = x.data;
  for (let a = 0; a < outer; a++) {
    for (let o = 0; o < outLen; o++) {
      const { idx, w } = rows[o]!;
      for (let i = 0; i < inner; i++) {
        let acc = 0;
        for (let k = 0; k < idx.length; k++) if (w[k] !== 0) acc += w[k]! * d[(a * inLen + idx[k]!) * inner + i]!;
        out[(a * outLen + o) * inner + i] = acc;
      }
    }
  }
  return new Tensor(out, outShape);
}

/** The ONNX-only functional ops (prefix `onnx_`). Attributes are set by the importer. */
export const onnxOps: FunctionOp[] = [
  fn('onnx_shape', [1, 1], reader(['start', 'end']), (xs, at) => {
    const s = xs[0]!.shape;
    const r = s.length;
    const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
    return ints(s.slice(clamp((at['start'] as number | null) ?? 0), clamp((at['end'] as number | null) ?? r)));
  }),
  fn('onnx_size', [1, 1], reader([]), (xs) => ints([numel(xs[0]!.shape)], [])),
  fn('onnx_gather', [2, 2], reader(['axis']), (xs, at) => onnxGather(xs[0]!, xs[1]!, (at['axis'] as number | null) ?? 0)),
  fn('onnx_slice', [3, 5], reader([]), (xs) =>
    onnxSlice(xs[0]!, intsOf(xs[1], 'Slice starts'), intsOf(xs[2], 'Slice ends'), opt(xs, 3) && intsOf(xs[3], 'Slice axes'), opt(xs, 4) && intsOf(xs[4], 'Slice steps')),
  ),
  fn('onnx_concat', [1, Infinity], reader(['axis']), (xs, at) => onnxConcat(xs, at['axis'] as number)),
  fn('onnx_reshape', [2, 2], reader(['allowzero']), (xs, at) => onnxReshape(xs[0]!, intsOf(xs[1], 'Reshape shape'), at['allowzero'] === true)),
  fn('onnx_transpose', [1, 1], reader(['perm']), (xs, at) => onnxTranspose(xs[0]!, at['perm'] as number[] | null)),
  fn('onnx_unsqueeze', [1, 2], reader(['axes']), (xs, at) => onnxUnsqueeze(xs[0]!, xs[1] ? intsOf(xs[1], 'Unsqueeze axes') : (at['axes'] as number[]))),
  fn('onnx_squeeze', [1, 2], reader(['axes']), (xs, at) => onnxSqueeze(xs[0]!, xs[1] ? intsOf(xs[1], 'Squeeze axes') : ((at['axes'] as number[] | null) ?? null))),
  fn('onnx_cast', [1, 1], reader(['to', 'dtype']), (xs, at) => cast(xs[0]!, at['to'] as string)),
  fn('onnx_identity', [1, 1], reader([]), (xs) => xs[0]!),
  fn('onnx_constant_of_shape', [1, 1], reader(['value', 'dtype']), (xs, at) => {
    const shape = intsOf(xs[0], 'ConstantOfShape shape');
    if (shape.some((d) => d < 0)) throw new RuntimeError(`ConstantOfShape: negative size in [${shape.join(', ')}]`);
    if (numel(shape) > MAX_MATERIALIZED) return Tensor.meta(shape);
    return new Tensor(new Float32Array(numel(shape)).fill((at['value'] as number | null) ?? 0), shape);
  }),
  fn('onnx_expand', [2, 2], reader([]), (xs) => expandTo(xs[0]!, intsOf(xs[1], 'Expand shape'))),
  fn('onnx_tile', [2, 2], reader([]), (xs) => {
    const x = xs[0]!;
    const reps = intsOf(xs[1], 'Tile repeats');
    if (reps.length !== x.ndim) throw new RuntimeError(`Tile: ${reps.length} repeats for rank ${x.ndim}`);
    const outShape = x.shape.map((d, i) => d * reps[i]!);
    const strides = stridesOf(x.shape);
    return gatherBy(x, outShape, (idx) => idx.reduce((s, i, d) => s + (i % x.shape[d]!) * strides[d]!, 0));
  }),
  fn('onnx_range', [3, 3], reader([]), (xs) => {
    const [s, l, d] = xs.map((t, i) => {
      if (t.isMeta || t.numel() !== 1) throw new RuntimeError(`Range input ${i} must be a known scalar`);
      return t.data[0]!;
    });
    return range(s!, l!, d!);
  }),
  fn('onnx_int_binary', [2, 2], reader(['op']), (xs, at) => intBinary(xs[0]!, xs[1]!, at['op'] as string)),
  fn('onnx_float_binary', [2, 2], reader(['op']), (xs, at) => {
    const f = { add, sub, mul, div, pow }[at['op'] as 'add'];
    if (f === undefined) throw new SpecError('', `unknown op ${String(at['op'])}`);
    const [a, b] = xs;
    if (a!.isMeta || b!.isMeta) return Tensor.meta(broadcastShapes(a!.shape, b!.shape), a!.isMeta ? a!.facts : b!.facts);
    return f(a!, b!);
  }),
  fn('onnx_sqrt', [1, 1], reader([]), (xs) => sqrt(xs[0]!)),
  fn('onnx_reduce_mean', [1, 2], reader(['axes', 'keepdims', 'noop_with_empty_axes']), (xs, at) => {
    const x = xs[0]!;
    let axes = xs[1] ? intsOf(xs[1], 'ReduceMean axes') : ((at['axes'] as number[] | null) ?? []);
    if (axes.length === 0) {
      if (at['noop_with_empty_axes']) return x;
      axes = x.shape.map((_, i) => i);
    }
    return mean(x, axes.map((a) => normAxis(a, x.ndim)), { keepdim: at['keepdims'] !== false });
  }),
  fn('onnx_gemm', [2, 3], reader(['alpha', 'beta', 'trans_a', 'trans_b']), (xs, at) => gemm(xs[0]!, xs[1]!, xs[2], at)),
  fn('onnx_softmax', [1, 1], reader(['axis']), (xs, at) => softmax(xs[0]!, at['axis'] as number)),
  fn('onnx_log_softmax', [1, 1], reader(['axis']), (xs, at) => logSoftmax(xs[0]!, at['axis'] as number)),
  fn('onnx_pad', [1, 4], reader(['mode', 'value', 'pads']), (xs, at) => {
    const x = xs[0]!;
    const pads = xs[1] ? intsOf(xs[1], 'Pad pads') : (at['pads'] as number[]);
    const value = xs[2] && xs[2].numel() > 0 ? (xs[2].isMeta ? 0 : xs[2].data[0]!) : ((at['value'] as number | null) ?? 0);
    const axes = xs[3] ? intsOf(xs[3], 'Pad axes') : undefined;
    return onnxPad(x, pads, (at['mode'] as string | null) ?? 'constant', value, axes);
  }),
  fn('onnx_clip', [1, 1], reader(['min', 'max']), (xs, at) => clamp(xs[0]!, (at['min'] as number | null) ?? undefined, (at['max'] as number | null) ?? undefined)),
  fn('onnx_flatten', [1, 1], reader(['axis']), (xs, at) => {
    const x = xs[0]!;
    const a = (at['axis'] as number) < 0 ? (at['axis'] as number) + x.ndim : (at['axis'] as number);
    if (a < 0 || a > x.ndim) throw new RuntimeError(`Flatten axis ${String(at['axis'])} is out of range for rank ${x.ndim}`);
    return reshapeTo(x, [numel(x.shape.slice(0, a)), numel(x.shape.slice(a))]);
  }),
  fn(
    'onnx_split',
    [1, 1],
    reader(['axis', 'split', 'outputs']),
    (xs, at) => {
      const x = xs[0]!;
      const a = normAxis(at['axis'] as number, x.ndim);
      const n = at['outputs'] as number;
      const dim = x.shape[a]!;
      let split = at['split'] as number[] | null;
      if (split === null) {
        const step = Math.ceil(dim / n);
        split = Array.from({ length: n }, (_, i) => Math.max(0, Math.min(step, dim - i * step)));
      }
      if (split.length !== n || split.reduce((s, v) => s + v, 0) !== dim) throw new RuntimeError(`Split: sizes [${split.join(', ')}] do not add up to ${dim}`);
      let start = 0;
      return split.map((len) => {
        const out = onnxSlice(x, [start], [start + len], [a], [1]);
        start += len;
        return out;
      });
    },
    (at) => at['outputs'] as number,
  ),
  // auto_pad SAME_UPPER / SAME_LOWER: pads from the input size, so that out = ceil(in / stride).
  fn('onnx_same_pad', [1, 1], reader(['kernel', 'strides', 'dilations', 'upper', 'value']), (xs, at) => {
    const x = xs[0]!;
    const kernel = at['kernel'] as number[];
    const list: number[] = [];
    for (let d = kernel.length - 1; d >= 0; d--) {
      const size = x.shape[2 + d]!;
      const s = (at['strides'] as number[])[d]!;
      const eff = (kernel[d]! - 1) * (at['dilations'] as number[])[d]! + 1;
      const total = Math.max(0, (Math.ceil(size / s) - 1) * s + eff - size);
      const small = Math.floor(total / 2);
      list.push(at['upper'] ? small : total - small, at['upper'] ? total - small : small);
    }
    return pad(x, list, 'constant', at['value'] as number);
  }),
  fn('onnx_depth_to_space', [1, 1], reader(['blocksize', 'mode']), (xs, at) => {
    const x = xs[0]!;
    const b = at['blocksize'] as number;
    const [n, c, h, w] = x.shape as [number, number, number, number];
    if (x.ndim !== 4 || c % (b * b) !== 0) throw new RuntimeError(`DepthToSpace: input [${x.shape.join(', ')}] with blocksize ${b}`);
    const dcr = at['mode'] === 'DCR';
    const t = onnxReshape(x, dcr ? [n, b, b, c / (b * b), h, w] : [n, c / (b * b), b, b, h, w], false);
    const p = onnxTranspose(t, dcr ? [0, 3, 4, 1, 5, 2] : [0, 1, 4, 2, 5, 3]);
    return onnxReshape(p, [n, c / (b * b), h * b, w * b], false);
  }),
  fn('onnx_space_to_depth', [1, 1], reader(['blocksize']), (xs, at) => {
    const x = xs[0]!;
    const b = at['blocksize'] as number;
    const [n, c, h, w] = x.shape as [number, number, number, number];
    if (x.ndim !== 4 || h % b !== 0 || w % b !== 0) throw new RuntimeError(`SpaceToDepth: input [${x.shape.join(', ')}] with blocksize ${b}`);
    const t = onnxReshape(x, [n, c, h / b, b, w / b, b], false);
    return onnxReshape(onnxTranspose(t, [0, 3, 5, 1, 2, 4]), [n, c * b * b, h / b, w / b], false);
  }),
  // LayerNormalization's Mean and InvStdDev outputs (float32 statistics over the axes from `axis` on, kept as dims of 1).
  fn(
    'onnx_layer_norm_stats',
    [1, 1],
    reader(['axis', 'epsilon']),
    (xs, at) => {
      const x = xs[0]!;
      const a = normAxis(at['axis'] as number, x.ndim);
      const outShape = x.shape.map((d, i) => (i < a ? d : 1));
      if (x.isMeta) return [Tensor.meta(outShape), Tensor.meta(outShape)];
      const inner = numel(x.shape.slice(a));
      const outer = numel(x.shape.slice(0, a));
      const m = new Float32Array(outer);
      const inv = new Float32Array(outer);
      for (let o = 0; o < outer; o++) {
        let sum = 0;
        for (let i = 0; i < inner; i++) sum += x.data[o * inner + i]!;
        const mu = sum / inner;
        let sq = 0;
        for (let i = 0; i < inner; i++) sq += (x.data[o * inner + i]! - mu) ** 2;
        m[o] = mu;
        inv[o] = 1 / Math.sqrt(sq / inner + (at['epsilon'] as number));
      }
      return [new Tensor(m, outShape), new Tensor(inv, outShape)];
    },
    () => 2,
  ),
  fn('onnx_unary', [1, 1], reader(['op', 'alpha', 'beta', 'lambd', 'bias']), (xs, at) => {
    const x = xs[0]!;
    const f = UNARY[at['op'] as string];
    if (f === undefined) throw new SpecError('', `unknown unary op ${String(at['op'])}`);
    if (x.isMeta) return Tensor.meta(x.shape, propagateElementwiseFacts([x]));
    return new Tensor(Float32Array.from(x.data, (v) => f(v, at)), x.shape);
  }),
  fn('onnx_binary', [1, Infinity], reader(['op', 'fmod']), (xs, at) => {
    const f = BINARY[at['op'] as string];
    if (f === undefined) throw new SpecError('', `unknown binary op ${String(at['op'])}`);
    let out = xs[0]!;
    for (const y of xs.slice(1)) out = mapBinary(out, y, (a, b) => f(a, b, at));
    return out;
  }),
  fn('onnx_mean', [1, Infinity], reader([]), (xs) => {
    let out = xs[0]!;
    for (const y of xs.slice(1)) out = mapBinary(out, y, (a, b) => a + b);
    return out.isMeta ? out : new Tensor(Float32Array.from(out.data, (v) => v / xs.length), out.shape);
  }),
  fn('onnx_where', [3, 3], reader([]), (xs) => {
    const [c, a, b] = xs as [Tensor, Tensor, Tensor];
    const shape = broadcastShapes(broadcastShapes(c.shape, a.shape), b.shape);
    if (c.isMeta || a.isMeta || b.isMeta) return Tensor.meta(shape);
    const ec = expandTo(c, shape).data;
    const ea = expandTo(a, shape).data;
    const eb = expandTo(b, shape).data;
    return new Tensor(Float32Array.from(ec, (v, i) => (v !== 0 ? ea[i]! : eb[i]!)), shape);
  }),
  fn('onnx_reduce', [1, 2], reader(['op', 'axes', 'keepdims', 'noop_with_empty_axes']), (xs, at) => {
    const x = xs[0]!;
    let axes = xs[1] ? intsOf(xs[1], 'reduction axes') : ((at['axes'] as number[] | null) ?? []);
    if (axes.length === 0) {
      if (at['noop_with_empty_axes']) return x;
      axes = x.shape.map((_, i) => i);
    }
    return reduce(x, at['op'] as string, axes, at['keepdims'] !== false);
  }),
  fn('onnx_resize_general', [2, 2], reader(['mode', 'coord', 'nearest_mode', 'cubic_a', 'exclude_outside', 'by']), (xs, at) => {
    let x = xs[0]!;
    const v = xs[1]!;
    if (v.isMeta) throw new RuntimeError('Resize scales/sizes must have known values');
    const values = Array.from(v.data);
    if (values.length !== x.ndim) throw new RuntimeError(`Resize: ${values.length} ${String(at['by'])} for rank ${x.ndim}`);
    const sizes = at['by'] === 'sizes' ? values.map(Math.trunc) : x.shape.map((d, i) => Math.floor(d * values[i]!));
    const scales = at['by'] === 'sizes' ? sizes.map((s2, i) => s2 / x.shape[i]!) : values;
    for (let a = 0; a < x.ndim; a++) if (sizes[a] !== x.shape[a] || scales[a] !== 1) x = resizeAxis(x, a, sizes[a]!, scales[a]!, at);
    return x;
  }),
  // ArgMax/ArgMin (keepdims, select_last_index), Hardmax, CumSum, Trilu: along one axis / the last two dims.
  fn('onnx_arg', [1, 1], reader(['op', 'axis', 'keepdims', 'select_last_index']), (xs, at) => {
    const x = xs[0]!;
    const a = normAxis(at['axis'] as number, x.ndim);
    const keep = at['keepdims'] !== false;
    const outShape = x.shape.map((d, i) => (i === a ? 1 : d));
    const finalShape = keep ? outShape : x.shape.filter((_, i) => i !== a);
    if (x.isMeta) return Tensor.meta(finalShape);
    const len = x.shape[a]!;
    const inner = numel(x.shape.slice(a + 1));
    const outer = numel(x.shape.slice(0, a));
    const max = at['op'] === 'ArgMax';
    const last = at['select_last_index'] === true;
    const out = new Float32Array(outer * inner);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let best = 0;
        let bv = x.data[o * len * inner + i]!;
        for (let k = 1; k < len; k++) {
          const v = x.data[(o * len + k) * inner + i]!;
          if (max ? v > bv || (last && v === bv) : v < bv || (last && v === bv)) {
            bv = v;
            best = k;
          }
        }
        out[o * inner + i] = best;
      }
    }
    return new Tensor(out, finalShape);
  }),
  fn('onnx_hardmax', [1, 1], reader(['axis']), (xs, at) => {
    const x = xs[0]!;
    if (x.isMeta) return Tensor.meta(x.shape);
    const a = normAxis(at['axis'] as number, x.ndim);
    const len = x.shape[a]!;
    const inner = numel(x.shape.slice(a + 1));
    const outer = numel(x.shape.slice(0, a));
    const out = new Float32Array(x.numel());
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let best = 0;
        for (let k = 1; k < len; k++) if (x.data[(o * len + k) * inner + i]! > x.data[(o * len + best) * inner + i]!) best = k;
        out[(o * len + best) * inner + i] = 1;
      }
    }
    return new Tensor(out, x.shape);
  }),
  fn('onnx_cumsum', [2, 2], reader(['exclusive', 'reverse']), (xs, at) => {
    const x = xs[0]!;
    if (x.isMeta) return Tensor.meta(x.shape);
    const a = normAxis(intsOf(xs[1], 'CumSum axis')[0]!, x.ndim);
    const len = x.shape[a]!;
    const inner = numel(x.shape.slice(a + 1));
    const outer = numel(x.shape.slice(0, a));
    const src = valuesOf(x);
    const out = new Array<number>(x.numel()).fill(0);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let acc = 0;
        for (let j = 0; j < len; j++) {
          const k = at['reverse'] ? len - 1 - j : j;
          const at_ = (o * len + k) * inner + i;
          if (at['exclusive']) {
            out[at_] = acc;
            acc += src[at_]!;
          } else {
            acc += src[at_]!;
            out[at_] = acc;
          }
        }
      }
    }
    return exact.has(x) ? intTensor(out, x.shape) : new Tensor(Float32Array.from(out), x.shape);
  }),
  fn('onnx_trilu', [1, 2], reader(['upper']), (xs, at) => {
    const x = xs[0]!;
    if (x.isMeta) return Tensor.meta(x.shape);
    const k = xs[1] ? intsOf(xs[1], 'Trilu k')[0]! : 0;
    const r = x.shape[x.ndim - 2]!;
    const c = x.shape[x.ndim - 1]!;
    const out = Float32Array.from(x.data);
    for (let b = 0; b < out.length / Math.max(r * c, 1); b++) {
      for (let i = 0; i < r; i++) {
        for (let j = 0; j < c; j++) {
          const keep = at['upper'] ? j - i >= k : j - i <= k;
          if (!keep) out[b * r * c + i * c + j] = 0;
        }
      }
    }
    return new Tensor(out, x.shape);
  }),
  fn('onnx_resize', [2, 2], reader(['mode', 'align_corners']), (xs, at) => {
    const sizes = intsOf(xs[1], 'Resize sizes');
    const x = xs[0]!;
    if (sizes[0] !== x.shape[0] || sizes[1] !== x.shape[1]) throw new RuntimeError(`Resize: sizes [${sizes.join(', ')}] change the batch or channel dim of [${x.shape.join(', ')}]`);
    return interpolate(x, { size: sizes.slice(2), mode: at['mode'] as string, alignCorners: (at['align_corners'] as boolean | null) ?? undefined });
  }),
];

export { onnxPad, broadcastShapes };
