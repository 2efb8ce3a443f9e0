/**
 * Padding as a gather: along each dim, output index i reads input index
 * map[d][i] (-1 = the fill value). Every padding mode (constant, reflect,
 * replicate, circular) is just a different map; the gradient is the matching
 * scatter-add. No shape semantics here.
 */
import { numel, stridesOf, type Shape } from '../tensor/shape.js';
import { allocStorage } from '../tensor/storage.js';

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
  const gx = allocStorage(numel(inShape)).fill(0);
  const rank = outShape.length;
  if (g.length === 0) return gx;
  if (rank < 2) return scatterPadGradRec(gx, g, outShape, maps, inShape);
  const mh = maps[rank - 2]!;
  const mw = maps[rank - 1]!;
  const H = outShape[rank - 2]!;
  const W = outShape[rank - 1]!;
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
  let o = 0;
  for (const base of outerOffsets(inShape, maps, outShape)) {
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
