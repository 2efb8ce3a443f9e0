/** Hot loops for elementwise maps over contiguous float32 storage (no shape semantics here). */
import { broadcastStrides, numel, sameShape, type Shape } from '../tensor/shape.js';
import { allocStorage } from '../tensor/storage.js';
import { pointwiseInWasm, useWasmPointwise } from './wasm_pointwise.js';

export function mapUnary(x: Float32Array, f: (v: number) => number): Float32Array {
  const out = allocStorage(x.length);
  for (let i = 0; i < x.length; i++) out[i] = f(x[i]!);
  return out;
}

/** The unary ops with loops of their own (mapUnary's call of a shared `f` per element cannot be inlined once several ops use it). */
export type UnaryOp = 'neg' | 'exp' | 'log' | 'sqrt' | 'rsqrt' | 'abs' | 'reciprocal';

/** mapUnary of the op `op` names, in its own loop: the same float64 operation rounded once. */
export function unaryLoop(op: UnaryOp, x: Float32Array): Float32Array {
  const n = x.length;
  const out = allocStorage(n);
  if (op === 'neg') for (let i = 0; i < n; i++) out[i] = -x[i]!;
  else if (op === 'exp') for (let i = 0; i < n; i++) out[i] = Math.exp(x[i]!);
  else if (op === 'log') for (let i = 0; i < n; i++) out[i] = Math.log(x[i]!);
  else if (op === 'sqrt') for (let i = 0; i < n; i++) out[i] = Math.sqrt(x[i]!);
  else if (op === 'rsqrt') for (let i = 0; i < n; i++) out[i] = 1 / Math.sqrt(x[i]!);
  else if (op === 'abs') for (let i = 0; i < n; i++) out[i] = Math.abs(x[i]!);
  else for (let i = 0; i < n; i++) out[i] = 1 / x[i]!;
  return out;
}

/**
 * a + b over two arrays of one length: mapBinary's same-shape loop with the
 * addition written in (mapBinary's `f` is a call per element it cannot inline,
 * being shared by every binary op: ~3x slower measured on residual adds of
 * 0.5-4M values). The same float32 sums, bit for bit.
 */
export function addSame(a: Float32Array, b: Float32Array): Float32Array {
  return addInto(a, b, allocStorage(a.length));
}

/**
 * out = a + b over a's length (layer_threads.ts runs it on ranges of a call):
 * in WebAssembly SIMD when the gemm module loaded (f32x4.add, through its
 * memory chunk by chunk as ReLU: ~2x faster than the loop here measured on
 * 0.5-4M values), else in JavaScript; the same float32 sums.
 */
export function addInto(a: Float32Array, b: Float32Array, out: Float32Array): Float32Array {
  const n = a.length;
  const w = useWasmPointwise(n);
  if (w === null) {
    for (let i = 0; i < n; i++) out[i] = a[i]! + b[i]!;
    return out;
  }
  return pointwiseInWasm(w, [a, b], out, ([ab, bb], len) => w.add(ab!, bb!, bb!, len));
}

/** The four arithmetic ops, which mapBinary runs in loops of their own (a call of `f` per element cannot be inlined: 3-10x slower). */
export type Arith = 'add' | 'sub' | 'mul' | 'div';

/**
 * out[o + i] = a[pa + i * sa] op b[pb + i * sb] for i < len, sa and sb in {0, 1}
 * (a run of the innermost dim: both along, or one of them held): the float64
 * operation of float32 values rounded once, as `f` would give it.
 */
function arithRun(op: Arith, a: Float32Array, pa: number, sa: number, b: Float32Array, pb: number, sb: number, out: Float32Array, o: number, len: number): void {
  if (sa === 1 && sb === 1) {
    if (op === 'add') for (let i = 0; i < len; i++) out[o + i] = a[pa + i]! + b[pb + i]!;
    else if (op === 'sub') for (let i = 0; i < len; i++) out[o + i] = a[pa + i]! - b[pb + i]!;
    else if (op === 'mul') for (let i = 0; i < len; i++) out[o + i] = a[pa + i]! * b[pb + i]!;
    else for (let i = 0; i < len; i++) out[o + i] = a[pa + i]! / b[pb + i]!;
  } else if (sa === 1) {
    const v = b[pb]!;
    if (op === 'add') for (let i = 0; i < len; i++) out[o + i] = a[pa + i]! + v;
    else if (op === 'sub') for (let i = 0; i < len; i++) out[o + i] = a[pa + i]! - v;
    else if (op === 'mul') for (let i = 0; i < len; i++) out[o + i] = a[pa + i]! * v;
    else for (let i = 0; i < len; i++) out[o + i] = a[pa + i]! / v;
  } else {
    const v = a[pa]!;
    if (op === 'add') for (let i = 0; i < len; i++) out[o + i] = v + b[pb + i]!;
    else if (op === 'sub') for (let i = 0; i < len; i++) out[o + i] = v - b[pb + i]!;
    else if (op === 'mul') for (let i = 0; i < len; i++) out[o + i] = v * b[pb + i]!;
    else for (let i = 0; i < len; i++) out[o + i] = v / b[pb + i]!;
  }
}

/**
 * out[i] = f(a[ia], b[ib]) with a, b broadcast to `outShape`; `op`, when
 * given, names f (one of the four arithmetic ops), whose runs along the
 * innermost dim (or along the last dims a or b does not broadcast over, e.g.
 * a [N, C, 1, 1] scale over [N, C, H, W]) go through loops of their own.
 */
export function mapBinary(
  a: Float32Array,
  aShape: Shape,
  b: Float32Array,
  bShape: Shape,
  outShape: Shape,
  f: (x: number, y: number) => number,
  op?: Arith,
): Float32Array {
  const n = numel(outShape);
  const out = allocStorage(n);
  if (op && arithBroadcast(op, a, aShape, b, bShape, outShape, out)) return out;
  // Same shapes are a flat zip only when nothing is broadcast ([1] and [1] into [3] is not).
  if (sameShape(aShape, bShape) && a.length === n) {
    for (let i = 0; i < n; i++) out[i] = f(a[i]!, b[i]!);
    return out;
  }
  if (b.length === 1) {
    const bv = b[0]!;
    if (a.length === n) {
      for (let i = 0; i < n; i++) out[i] = f(a[i]!, bv);
      return out;
    }
  }
  if (a.length === 1 && b.length === n) {
    const av = a[0]!;
    for (let i = 0; i < n; i++) out[i] = f(av, b[i]!);
    return out;
  }
  const rank = outShape.length;
  const sa = broadcastStrides(aShape, outShape);
  const sb = broadcastStrides(bShape, outShape);
  // Innermost dim as a tight loop; the outer dims by the run walk.
  const inner = rank === 0 ? 1 : outShape[rank - 1]!;
  const ia1 = rank === 0 ? 0 : sa[rank - 1]!;
  const ib1 = rank === 0 ? 0 : sb[rank - 1]!;
  forEachRun(outShape, sa, sb, Math.max(rank - 1, 0), inner, (offA, offB, o) => {
    let pa = offA;
    let pb = offB;
    for (let i = 0; i < inner; i++) {
      out[o + i] = f(a[pa]!, b[pb]!);
      pa += ia1;
      pb += ib1;
    }
  });
  return out;
}

/**
 * Visits the runs of `len` consecutive outputs that the dims after the first
 * `outer` make, in order: their first output `o` and a's and b's offsets
 * there (strides sa, sb over outShape; an index counter over the outer dims).
 */
function forEachRun(outShape: Shape, sa: readonly number[], sb: readonly number[], outer: number, len: number, visit: (offA: number, offB: number, o: number) => void): void {
  const n = numel(outShape);
  const idx = new Array<number>(outer).fill(0);
  let offA = 0;
  let offB = 0;
  for (let o = 0; o < n; o += len) {
    visit(offA, offB, o);
    for (let k = outer - 1; k >= 0; k--) {
      idx[k]!++;
      offA += sa[k]!;
      offB += sb[k]!;
      if (idx[k]! < outShape[k]!) break;
      offA -= sa[k]! * outShape[k]!;
      offB -= sb[k]! * outShape[k]!;
      idx[k] = 0;
    }
  }
}

/**
 * The arithmetic ops by runs: the trailing output dims along which each of a
 * and b is either contiguous or held (stride 0) merge into one run (the whole
 * tensor for same shapes or a scalar); false when the innermost dim has
 * neither (then mapBinary's general walk runs).
 */
function arithBroadcast(op: Arith, a: Float32Array, aShape: Shape, b: Float32Array, bShape: Shape, outShape: Shape, out: Float32Array): boolean {
  const rank = outShape.length;
  if (rank === 0 || out.length === 0) return false;
  const sa = broadcastStrides(aShape, outShape);
  const sb = broadcastStrides(bShape, outShape);
  const kind = (s: number[], d: number, run: number) => (s[d] === 0 ? 0 : s[d] === run ? 1 : -1);
  // grow the run over trailing dims while a and b keep one kind (contiguous or held) each
  let len = 1;
  let d = rank - 1;
  const ka = kind(sa, d, 1);
  const kb = kind(sb, d, 1);
  if (ka < 0 || kb < 0 || (ka === 0 && kb === 0)) return false;
  while (d >= 0 && kind(sa, d, ka === 1 ? len : 0) === ka && kind(sb, d, kb === 1 ? len : 0) === kb) len *= outShape[d--]!;
  if (ka !== kb && heldRunsInWasm(op, ka === 1 ? a : b, ka === 1 ? b : a, ka === 1 ? sb : sa, outShape, d + 1, len, out, ka !== 1)) return true;
  if (ka === 1 && kb === 1 && cyclicRunsInWasm(op, a, b, len, out)) return true;
  forEachRun(outShape, sa, sb, d + 1, len, (offA, offB, o) => arithRun(op, a, offA, ka, b, offB, kb, out, o, len));
  return true;
}

const ARITH_CODE: Record<Arith, number> = { add: 0, sub: 1, mul: 2, div: 3 };

/** Floats of x per pass through wasm memory (whole runs; at least one). */
const HELD_CHUNK = 1 << 18;

/**
 * arithBroadcast's runs where both operands run along the innermost `len`
 * values and one of them (y) is that single run, repeated over the whole
 * output ([C] over [..., C], a layer scale or a bias): in WebAssembly SIMD
 * (asm/gemm.ts cycRuns), chunks of whole runs at a time. False (nothing
 * done) without the module, for short runs, or when neither operand is
 * the whole output and the other one run. The same float32 values as arithRun.
 */
function cyclicRunsInWasm(op: Arith, a: Float32Array, b: Float32Array, len: number, out: Float32Array): boolean {
  const n = out.length;
  const yFirst = a.length === len && b.length === n;
  if (!yFirst && !(b.length === len && a.length === n)) return false;
  const w = len >= 16 && n > len ? useWasmPointwise(n) : null;
  if (w === null) return false;
  const [x, y] = yFirst ? [b, a] : [a, b];
  const runs = n / len;
  const per = Math.max(1, Math.min(runs, Math.floor(HELD_CHUNK / len)));
  w.reset();
  const xo = w.alloc(per * len);
  const yo = w.alloc(len);
  w.f32().set(y, yo);
  for (let r0 = 0; r0 < runs; r0 += per) {
    const k = Math.min(per, runs - r0);
    w.f32().set(x.subarray(r0 * len, (r0 + k) * len), xo);
    w.cycRuns(ARITH_CODE[op], xo, k, len, yo, xo, yFirst);
    out.set(w.f32().subarray(xo, xo + k * len), r0 * len);
  }
  return true;
}

/**
 * arithBroadcast's runs where one operand (x) is the whole output's shape and
 * the other (held, strides sh) gives one value per run of `len` (a
 * [N, C, 1, 1] scale or shift over [N, C, H, W], an SE block's): in
 * WebAssembly SIMD (asm/gemm.ts heldRuns), chunks of whole runs at a time.
 * False (nothing done) without the module, for short runs or when x is
 * itself broadcast. The same float32 values as arithRun.
 */
function heldRunsInWasm(op: Arith, x: Float32Array, held: Float32Array, sh: number[], outShape: Shape, outer: number, len: number, out: Float32Array, heldFirst: boolean): boolean {
  const n = out.length;
  const w = len >= 16 && x.length === n ? useWasmPointwise(n) : null;
  if (w === null) return false;
  const runs = n / len;
  const vals = new Float32Array(runs);
  let r = 0;
  forEachRun(outShape, sh, sh, outer, len, (offH) => void (vals[r++] = held[offH]!));
  const per = Math.max(1, Math.min(runs, Math.floor(HELD_CHUNK / len)));
  w.reset();
  const xo = w.alloc(per * len);
  const vo = w.alloc(per);
  for (let r0 = 0; r0 < runs; r0 += per) {
    const k = Math.min(per, runs - r0);
    const F = w.f32();
    F.set(x.subarray(r0 * len, (r0 + k) * len), xo);
    F.set(vals.subarray(r0, r0 + k), vo);
    w.heldRuns(ARITH_CODE[op], xo, k, len, vo, xo, heldFirst);
    out.set(w.f32().subarray(xo, xo + k * len), r0 * len);
  }
  return true;
}

/** Materializes `x` (of `shape`) broadcast to `target`. */
export function broadcastTo(x: Float32Array, shape: Shape, target: Shape): Float32Array {
  if (sameShape(shape, target)) return Float32Array.from(x);
  const zero = new Float32Array(1);
  return mapBinary(x, shape, zero, [1], target, (v) => v);
}
