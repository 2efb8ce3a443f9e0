/** Data movement on contiguous storage: permute, slice, concatenate. */
import { numel, stridesOf, type Shape } from '../tensor/shape.js';
import { allocStorage } from '../tensor/storage.js';
import { useWasmPointwise } from './wasm_pointwise.js';

/**
 * Copies `x` of `shape` into the layout of its permutation by `perm`, into
 * fresh (recyclable) storage. Dims that stay neighbours are merged first;
 * a permutation that is then a batch of 2-D transposes (NCHW <-> NHWC,
 * [B, N, C] <-> [B, C, N]) moves 32x32 tiles (reads and writes both along
 * cache lines), any other one walks the output with the input's strides.
 */
export function permuteData(x: Float32Array, shape: Shape, perm: readonly number[]): Float32Array {
  const out = allocStorage(numel(shape));
  if (shape.length === 0) {
    out[0] = x[0]!;
    return out;
  }
  const [dims, p] = mergeDims(shape, perm);
  if (p.length === 2 && p[0] === 1) transposeBlocks(x, out, 1, dims[0]!, dims[1]!);
  else if (p.length === 3 && p[0] === 0 && p[1] === 2 && p[2] === 1) transposeBlocks(x, out, dims[0]!, dims[1]!, dims[2]!);
  else stridedCopy(x, out, dims, p);
  return out;
}

/** The same permutation on fewer dims: input dims that are neighbours in the output too become one. */
function mergeDims(shape: Shape, perm: readonly number[]): [number[], number[]] {
  // runs of the output order whose input dims are consecutive
  const runs: number[][] = [];
  for (const d of perm) {
    if (shape[d] === 1) continue; // size-1 dims move nothing
    const last = runs[runs.length - 1];
    if (last && last[last.length - 1]! + 1 === d) last.push(d);
    else runs.push([d]);
  }
  if (runs.length === 0) return [[1], [0]];
  // number the runs in input order
  const byInput = [...runs].sort((a, b) => a[0]! - b[0]!);
  const dims = byInput.map((r) => r.reduce((n, d) => n * shape[d]!, 1));
  const p = runs.map((r) => byInput.indexOf(r));
  return [dims, p];
}

/** Matrices from this size on are transposed in wasm SIMD (below, the copies in and out cost more than they save). */
const WASM_MIN = 1024;
/** And up to this size (each goes through wasm memory whole, with its transpose beside it). */
const WASM_MAX = 1 << 22;

/** out[b][j][i] = x[b][i][j] for `batch` matrices of rows x cols: in wasm SIMD (asm/transpose.ts) where it pays, else by 32x32 tiles. */
function transposeBlocks(x: Float32Array, out: Float32Array, batch: number, rows: number, cols: number): void {
  const T = 32;
  const plane = rows * cols;
  const w = plane >= WASM_MIN && plane <= WASM_MAX ? useWasmPointwise(plane) : null;
  if (w !== null) {
    w.reset();
    const xi = w.alloc(plane);
    const xo = w.alloc(plane);
    const F = w.f32();
    for (let b = 0; b < batch; b++) {
      F.set(x.subarray(b * plane, (b + 1) * plane), xi);
      w.transpose(xi, xo, rows, cols);
      out.set(F.subarray(xo, xo + plane), b * plane);
    }
    return;
  }
  for (let b = 0; b < batch; b++) {
    const o = b * plane;
    for (let i0 = 0; i0 < rows; i0 += T) {
      const i1 = Math.min(rows, i0 + T);
      for (let j0 = 0; j0 < cols; j0 += T) {
        const j1 = Math.min(cols, j0 + T);
        for (let j = j0; j < j1; j++) {
          const w = o + j * rows;
          for (let i = i0; i < i1; i++) out[w + i] = x[o + i * cols + j]!;
        }
      }
    }
  }
}

/** The general walk: the output in order, the input by its permuted strides (the innermost dim as a tight loop). */
function stridedCopy(x: Float32Array, out: Float32Array, shape: readonly number[], perm: readonly number[]): void {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]!);
  const inStrides = stridesOf(shape);
  const s = perm.map((p) => inStrides[p]!);
  const n = out.length;
  const inner = outShape[rank - 1]!;
  const innerStride = s[rank - 1]!;
  const idx = new Array<number>(rank).fill(0);
  let off = 0;
  for (let o = 0; o < n; o += inner) {
    let q = off;
    for (let i = 0; i < inner; i++) {
      out[o + i] = x[q]!;
      q += innerStride;
    }
    for (let d = rank - 2; d >= 0; d--) {
      idx[d]!++;
      off += s[d]!;
      if (idx[d]! < outShape[d]!) break;
      off -= s[d]! * outShape[d]!;
      idx[d] = 0;
    }
  }
}

/** out = x[..., start:start+len*step:step, ...] along `dim`. */
export function sliceData(x: Float32Array, shape: Shape, dim: number, start: number, len: number, step: number): Float32Array {
  const outer = numel(shape.slice(0, dim));
  const size = shape[dim]!;
  const inner = numel(shape.slice(dim + 1));
  const out = new Float32Array(outer * len * inner);
  let o = 0;
  for (let a = 0; a < outer; a++) {
    for (let j = 0; j < len; j++) {
      const base = (a * size + start + j * step) * inner;
      out.set(x.subarray(base, base + inner), o);
      o += inner;
    }
  }
  return out;
}

/** Adds `g` (the slice's gradient) into a zero tensor of `shape` at the slice's positions. */
export function unsliceData(g: Float32Array, shape: Shape, dim: number, start: number, len: number, step: number): Float32Array {
  const outer = numel(shape.slice(0, dim));
  const size = shape[dim]!;
  const inner = numel(shape.slice(dim + 1));
  const out = new Float32Array(numel(shape));
  let o = 0;
  for (let a = 0; a < outer; a++) {
    for (let j = 0; j < len; j++) {
      const base = (a * size + start + j * step) * inner;
      for (let i = 0; i < inner; i++) out[base + i]! += g[o + i]!;
      o += inner;
    }
  }
  return out;
}

/** Concatenates along `dim` parts that agree on every other size. */
export function catData(parts: readonly { data: Float32Array; shape: Shape }[], dim: number, outShape: Shape): Float32Array {
  const outer = numel(outShape.slice(0, dim));
  const inner = numel(outShape.slice(dim + 1));
  const out = new Float32Array(numel(outShape));
  let o = 0;
  for (let a = 0; a < outer; a++) {
    for (const p of parts) {
      const chunk = p.shape[dim]! * inner;
      out.set(p.data.subarray(a * chunk, (a + 1) * chunk), o);
      o += chunk;
    }
  }
  return out;
}
