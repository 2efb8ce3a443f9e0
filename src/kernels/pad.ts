/**
 * Padding as a gather: along each dim, output index i reads input index
 * map[d][i] (-1 = the fill value). Every padding mode (constant, reflect,
 * replicate, circular) is just a different map; the gradient is the matching
 * scatter-add. No shape semantics here.
 */
import { numel, stridesOf, type Shape } from '../tensor/shape.js';
import { allocStorage } from '../tensor/storage.js';
import { padGradWasm } from './pad_grad_wasm.js';
import { useWasmPointwise } from './wasm_pointwise.js';
import type { WasmGemm } from './gemm_wasm.js';

/** Input offset of each outer index (every dim but the last two; -1 where a padded outer dim reads the fill), in output order. */
function outerOffsets(inShape: Shape, maps: readonly Int32Array[], outShape: Shape): Int32Array {
  const rank = outShape.length;
  const inStrides = stridesOf(inShape);
  let offs = Int32Array.of(0);
  for (let d = 0; d < rank - 2; d++) {
    const map = maps[d]!;
    const n = outShape[d]!;
    const next = new Int32Array(offs.length * n);
    let k = 0;
    for (const base of offs) {
      for (let i = 0; i < n; i++, k++) next[k] = base < 0 || map[i]! < 0 ? -1 : base + map[i]! * inStrides[d]!;
    }
    offs = next;
  }
  return offs;
}

/** The longest run [a, b) of the last dim's map that reads consecutive input elements. */
function identityRun(map: Int32Array): [number, number] {
  let best: [number, number] = [0, 0];
  for (let a = 0; a < map.length; ) {
    let b = a + 1;
    if (map[a]! >= 0) while (b < map.length && map[b] === map[b - 1]! + 1) b++;
    if (map[a]! >= 0 && b - a > best[1] - best[0]) best = [a, b];
    a = b;
  }
  return best;
}

/** Writes every element of its (recyclable: tensor/storage.ts) output. */
export function gatherPad(x: Float32Array, inShape: Shape, maps: readonly Int32Array[], outShape: Shape, fill: number): Float32Array {
  const out = allocStorage(numel(outShape));
  if (out.length === 0) return out;
  const rank = outShape.length;
  if (rank < 2) return gatherPadRec(out, x, inShape, maps, outShape, fill);
  // Row by row: the outer offsets once, then each output row's border values by their map
  // and its interior as one bulk copy (the common reflect/replicate/zero padding of images).
  const mh = maps[rank - 2]!;
  const mw = maps[rank - 1]!;
  const H = outShape[rank - 2]!;
  const W = outShape[rank - 1]!;
  const inW = inShape[rank - 1]!;
  const planes = planePad(inShape, maps, outShape, fill);
  if (planes !== null) return padPlanes(out, x, planes, 0, planes.bases.length);
  const [a, b] = identityRun(mw);
  const bulk = b - a >= 16;
  let o = 0;
  for (const base of outerOffsets(inShape, maps, outShape)) {
    for (let h = 0; h < H; h++, o += W) {
      const sh = mh[h]!;
      if (base < 0 || sh < 0) {
        out.fill(fill, o, o + W);
        continue;
      }
      const src = base + sh * inW;
      if (bulk) {
        for (let w = 0; w < a; w++) out[o + w] = mw[w]! >= 0 ? x[src + mw[w]!]! : fill;
        out.set(x.subarray(src + mw[a]!, src + mw[a]! + (b - a)), o + a);
        for (let w = b; w < W; w++) out[o + w] = mw[w]! >= 0 ? x[src + mw[w]!]! : fill;
      } else {
        for (let w = 0; w < W; w++) out[o + w] = mw[w]! >= 0 ? x[src + mw[w]!]! : fill;
      }
    }
  }
  return out;
}

/**
 * gatherPad of images that are padded, not cropped (each input plane is
 * the interior of its output plane, at row `top` and column `left`), plane by
 * plane with few calls per row: the input plane is copied in one block to the
 * end of its output plane, each row moved to its place from there
 * (copyWithin, a memmove: no subarray per row, ~2-4x faster than a `set` of
 * each row measured), then the border columns read their row's interior and
 * the border rows are copies of interior output rows. Rows move to lower
 * addresses in order, and a row (with its borders) never reaches the block
 * position of a later row, as the output is at least as wide and tall. The
 * values are gatherPad's: each output element is its source input element
 * (copied, bits kept) or the fill.
 */
/** How padPlanes pads: each output plane's input plane (-1: the fill), the row and column maps and where the interior starts. */
export interface PlanePad {
  bases: Int32Array;
  inH: number;
  inW: number;
  mh: Int32Array;
  mw: Int32Array;
  H: number;
  W: number;
  top: number;
  left: number;
  fill: number;
}

/** padPlanes' plan when it applies (images padded, not cropped, rows of at least 16), else null. */
export function planePad(inShape: Shape, maps: readonly Int32Array[], outShape: Shape, fill: number): PlanePad | null {
  const rank = outShape.length;
  if (rank < 2 || numel(outShape) === 0) return null;
  const mh = maps[rank - 2]!;
  const mw = maps[rank - 1]!;
  const inH = inShape[rank - 2]!;
  const inW = inShape[rank - 1]!;
  const [left, right] = identityRun(mw);
  const [top, bottom] = identityRun(mh);
  if (inW < 16 || right - left !== inW || mw[left] !== 0 || bottom - top !== inH || mh[top] !== 0) return null;
  return { bases: outerOffsets(inShape, maps, outShape), inH, inW, mh, mw, H: outShape[rank - 2]!, W: outShape[rank - 1]!, top, left, fill };
}

/** Output floats per pass of the WebAssembly plane padding (whole planes; at least one). */
const PAD_CHUNK = 1 << 16;

/**
 * Output planes [p0, p1) of `plan` into `out` (layer_threads.ts splits a
 * call by planes): in WebAssembly (asm/pad_planes.ts, chunks of whole
 * planes through its memory: a plane of rows of 32 costs one call instead
 * of a few per row) when the module loaded, else in TypeScript.
 */
export function padPlanes(out: Float32Array, x: Float32Array, plan: PlanePad, p0: number, p1: number): Float32Array {
  const w = useWasmPointwise((p1 - p0) * plan.H * plan.W);
  if (w !== null) return padPlanesWasm(w, out, x, plan, p0, p1);
  const { bases, inH, inW, mh, mw, H, W, top, left, fill } = plan;
  const plane = H * W;
  const inPlane = inH * inW;
  for (let p = p0; p < p1; p++) {
    const base = bases[p]!;
    const ob = p * plane;
    if (base < 0) {
      out.fill(fill, ob, ob + plane);
      continue;
    }
    const block = ob + plane - inPlane;
    out.set(x.subarray(base, base + inPlane), block);
    for (let r = 0; r < inH; r++) {
      const o = ob + (top + r) * W;
      const row = o + left;
      out.copyWithin(row, block + r * inW, block + (r + 1) * inW);
      for (let w = 0; w < left; w++) out[o + w] = mw[w]! >= 0 ? out[row + mw[w]!]! : fill;
      for (let w = left + inW; w < W; w++) out[o + w] = mw[w]! >= 0 ? out[row + mw[w]!]! : fill;
    }
    for (let h = 0; h < H; h++) {
      if (h >= top && h < top + inH) continue;
      const o = ob + h * W;
      if (mh[h]! < 0) out.fill(fill, o, o + W);
      else out.copyWithin(o, ob + (top + mh[h]!) * W, ob + (top + mh[h]! + 1) * W);
    }
  }
  return out;
}

function padPlanesWasm(w: WasmGemm, out: Float32Array, x: Float32Array, plan: PlanePad, p0: number, p1: number): Float32Array {
  // every output row from its input row (mh), the interior rows and the border ones alike
  const { bases, inH, inW, mh, mw, H, W, left, fill } = plan;
  const plane = H * W;
  const inPlane = inH * inW;
  const per = Math.max(1, Math.min(p1 - p0, Math.floor(PAD_CHUNK / plane)));
  w.reset();
  const xo = w.alloc(per * inPlane);
  const yo = w.alloc(per * plane);
  const mho = w.alloc(H);
  const mwo = w.alloc(W);
  const haso = w.alloc(Math.ceil(per / 4));
  const I = w.i32();
  I.set(mh, mho);
  I.set(mw, mwo);
  for (let c0 = p0; c0 < p1; c0 += per) {
    const c1 = Math.min(p1, c0 + per);
    const F = w.f32();
    const has = new Uint8Array(F.buffer, haso * 4, c1 - c0);
    for (let p = c0; p < c1; ) {
      const base = bases[p]!;
      if (base < 0) {
        has[p - c0] = 0;
        p++;
        continue;
      }
      // a run of input planes that follow each other in x: one copy
      let q = p + 1;
      while (q < c1 && bases[q] === base + (q - p) * inPlane) q++;
      F.set(x.subarray(base, base + (q - p) * inPlane), xo + (p - c0) * inPlane);
      has.fill(1, p - c0, q - c0);
      p = q;
    }
    w.padPlanes(xo, c1 - c0, haso * 4, inH, inW, mho, mwo, H, W, left, fill, yo);
    out.set(w.f32().subarray(yo, yo + (c1 - c0) * plane), c0 * plane);
  }
  return out;
}

function gatherPadRec(out: Float32Array, x: Float32Array, inShape: Shape, maps: readonly Int32Array[], outShape: Shape, fill: number): Float32Array {
  const rank = outShape.length;
  if (rank === 0) {
    out[0] = x[0]!;
    return out;
  }
  const inStrides = stridesOf(inShape);
  let o = 0;
  const rec = (d: number, inOff: number, valid: boolean): void => {
    const map = maps[d]!;
    const n = outShape[d]!;
    if (d === rank - 1) {
      for (let i = 0; i < n; i++, o++) {
        const s = map[i]!;
        out[o] = valid && s >= 0 ? x[inOff + s]! : fill;
      }
      return;
    }
    const stride = inStrides[d]!;
    for (let i = 0; i < n; i++) {
      const s = map[i]!;
      rec(d + 1, inOff + Math.max(s, 0) * stride, valid && s >= 0);
    }
  };
  rec(0, 0, true);
  return out;
}

/**
 * The adjoint of `gatherPad`: adds each output gradient into the input
 * element it read (row by row, as gatherPad: in output order, as ATen's
 * padding backwards). Its output is recyclable storage (a backward pass
 * frees it once spent), zeroed here.
 */
export function scatterPadGrad(g: Float32Array, outShape: Shape, maps: readonly Int32Array[], inShape: Shape): Float32Array {
  const gx = allocStorage(numel(inShape));
  const rank = outShape.length;
  if (g.length === 0) return gx.fill(0);
  if (rank < 2) return scatterPadGradRec(gx.fill(0), g, outShape, maps, inShape);
  const mh = maps[rank - 2]!;
  const mw = maps[rank - 1]!;
  const H = outShape[rank - 2]!;
  const W = outShape[rank - 1]!;
  const inH = inShape[rank - 2]!;
  const inW = inShape[rank - 1]!;
  const [a, b] = identityRun(mw);
  // The border columns that read the input (output column, input column), left of the interior run and right of it.
  const border = (w0: number, w1: number): [Int32Array, Int32Array] => {
    const ws: number[] = [];
    for (let w = w0; w < w1; w++) if (mw[w]! >= 0) ws.push(w);
    return [Int32Array.from(ws), Int32Array.from(ws, (w) => mw[w]!)];
  };
  const [lw, ls] = border(0, a);
  const [rw, rs] = border(b, W);
  const shift = b > a ? mw[a]! - a : 0;
  const outer = outerOffsets(inShape, maps, outShape);
  // Image planes with no padded outer dim: in float32 SIMD where the gemm module runs (the same sums).
  const wasm = useWasmPointwise(g.length);
  if (wasm !== null && outer.length * inH * inW === gx.length && outer.every((base, i) => base === i * inH * inW)) {
    padGradWasm(wasm, g, gx, outer.length, H, W, inH, inW, { rows: mh, a, b, dst0: a + shift, lw, ls, rw, rs });
    return gx;
  }
  gx.fill(0);
  let o = 0;
  for (const base of outer) {
    for (let h = 0; h < H; h++, o += W) {
      const sh = mh[h]!;
      if (base < 0 || sh < 0) continue;
      const dst = base + sh * inW;
      for (let k = 0; k < lw.length; k++) gx[dst + ls[k]!] = gx[dst + ls[k]!]! + g[o + lw[k]!]!;
      // The interior: consecutive input elements, no map lookups.
      const d0 = dst + shift;
      for (let w = a; w < b; w++) gx[d0 + w] = gx[d0 + w]! + g[o + w]!;
      for (let k = 0; k < rw.length; k++) gx[dst + rs[k]!] = gx[dst + rs[k]!]! + g[o + rw[k]!]!;
    }
  }
  return gx;
}

function scatterPadGradRec(gx: Float32Array, g: Float32Array, outShape: Shape, maps: readonly Int32Array[], inShape: Shape): Float32Array {
  const rank = outShape.length;
  if (rank === 0) {
    gx[0] = g[0]!;
    return gx;
  }
  const inStrides = stridesOf(inShape);
  let o = 0;
  const rec = (d: number, inOff: number, valid: boolean): void => {
    const map = maps[d]!;
    const n = outShape[d]!;
    if (d === rank - 1) {
      for (let i = 0; i < n; i++, o++) {
        const s = map[i]!;
        if (valid && s >= 0) gx[inOff + s] = gx[inOff + s]! + g[o]!;
      }
      return;
    }
    const stride = inStrides[d]!;
    for (let i = 0; i < n; i++) {
      const s = map[i]!;
      rec(d + 1, inOff + Math.max(s, 0) * stride, valid && s >= 0);
    }
  };
  rec(0, 0, true);
  return gx;
}
