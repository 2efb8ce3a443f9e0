/**
 * Convolution forward as an implicit gemm (asm/gemm.ts `dconv`): no column
 * matrix. The image is copied into WebAssembly memory once, zero-padded and
 * split into its column phases (`polyPad`: for stride s along W, phase p holds
 * the padded columns p, p + s, p + 2s, ...), so that the input values a tap
 * multiplies for consecutive outputs are consecutive floats. A table of byte
 * offsets (one per tap (ci, i, j), in the gemm's K order) then makes the
 * convolution a gemm whose B operand is read straight from the image: each
 * 4-channel x 8-position register tile runs the whole K in registers, adds
 * the bias (and applies ReLU when asked) and is stored once. The sums are the
 * im2col path's, in the same order: the same float32 values.
 *
 * im2col writes a column matrix of C*kh*kw x positions values and the gemm
 * packs it again; each value then serves only Cout/4 register tiles. Here
 * nothing is written but the output, which pays most where K is large and
 * Cout small (a generator's 7x7 heads) and for strided layers.
 */
import type { ConvGeom2d } from './conv.js';
import type { Commit, ConvDims } from './conv_fwd.js';
import { copyImageRows } from './conv_fwd.js';
import { wasmGemm } from './gemm.js';

/** The padded, phase-split layout of one image, and the tap table, for a geometry. */
export interface DirectLayout {
  /** Output row length as computed (a multiple of 4; the extra positions are dropped). */
  outWp: number;
  /** Padded rows (all that any output row reads). */
  Hp: number;
  /** Floats per phase-plane row. */
  Wq: number;
  /** Phases (the stride along W). */
  s: number;
  /** Floats between phase planes: Hp * Wq rounded up to 16 floats, to an odd number of 16-float blocks so that the planes of a tap table spread over the L1's 64 sets (at multiples of 4 KB, e.g. 32x32 planes, they all share one set and a 64-channel 1x1 layer ran 2x slower). */
  plane: number;
  /** Byte offset of tap (ci, i, j) of a group from an output position's base. */
  offs: Int32Array;
  /** Bytes between consecutive output rows' bases. */
  rowStep: number;
}

export function directLayout(Cig: number, g: ConvGeom2d): DirectLayout {
  const s = g.sw;
  const outWp = Math.ceil(g.outW / 4) * 4;
  const Hp = (g.outH - 1) * g.sh + (g.kh - 1) * g.dh + 1;
  const Wp = (g.outW - 1) * g.sw + (g.kw - 1) * g.dw + 1;
  const Wq = Math.max(Math.ceil(Wp / s), outWp + Math.floor(((g.kw - 1) * g.dw) / s));
  let plane = Math.ceil((Hp * Wq) / 16) * 16;
  if ((plane / 16) % 2 === 0) plane += 16;
  const offs = new Int32Array(Cig * g.kh * g.kw);
  let k = 0;
  for (let ci = 0; ci < Cig; ci++) {
    for (let i = 0; i < g.kh; i++) {
      for (let j = 0; j < g.kw; j++) {
        const col = j * g.dw;
        offs[k++] = ((ci * s + (col % s)) * plane + i * g.dh * Wq + Math.floor(col / s)) * 4;
      }
    }
  }
  return { outWp, Hp, Wq, s, plane, offs, rowStep: g.sh * Wq * 4 };
}

/** Output rows [r0, r1) of images [n0, n1) (see convForwardImages). */
export function forwardDirect(
  d: ConvDims,
  xd: Float32Array,
  wd: Float32Array,
  bd: Float32Array | null,
  out: Float32Array,
  n0: number,
  n1: number,
  r0: number,
  r1: number,
  key: number | null,
  commit: Commit,
  relu = false,
): void {
  const w = wasmGemm!;
  const { C, Cout, G, g } = d;
  const Cig = C / G;
  const Cog = Cout / G;
  const K = Cig * g.kh * g.kw;
  const lay = directLayout(Cig, g);
  const { outWp, Hp, Wq, s } = lay;
  const groupIn = Cig * s * lay.plane;
  const { H, W, outH, outW } = g;
  const L = outH * outW;
  const plane = outH * outWp;
  const wBlock = Math.ceil(Cog / 4) * 4 * K;
  const keep = key !== null && w.owner === key;
  w.reset(key);
  const offOff = w.alloc(K);
  const wpOff = w.alloc(G * wBlock);
  const wOff = w.alloc(wd.length);
  const bOff = bd ? w.alloc(Cout) : -1;
  const xOff = w.alloc(C * H * W);
  // Slack past the last plane: tail positions of the last row read up to a vector past Wq.
  const xqOff = w.alloc(G * groupIn + 8);
  const yOff = w.alloc(Cout * plane);
  let F = w.f32();
  if (!keep) {
    w.i32().set(lay.offs, offOff);
    F.set(wd, wOff);
    for (let grp = 0; grp < G; grp++) w.dpackW(wOff + grp * Cog * K, Cog, K, wpOff + grp * wBlock);
    if (bd) F.set(bd, bOff);
  }
  // Padded rows that output rows [r0, r1) read, and the image rows among them.
  const hp0 = r0 * g.sh;
  const hp1 = (r1 - 1) * g.sh + (g.kh - 1) * g.dh + 1;
  const ih0 = Math.min(H, Math.max(0, hp0 - g.ph));
  const ih1 = Math.max(ih0, Math.min(H, hp1 - g.ph));
  const whole = r0 === 0 && r1 === outH && outWp === outW;
  for (let n = n0; n < n1; n++) {
    F = w.f32();
    copyImageRows(F, xOff, xd, n, C, g, ih0, ih1);
    w.polyPad(xOff, C, H, W, g.ph, g.pw, s, Hp, Wq, lay.plane, hp0, hp1, xqOff);
    for (let grp = 0; grp < G; grp++) {
      w.dconv(xqOff + grp * groupIn, offOff, K, wpOff + grp * wBlock, Cog, bd ? bOff + grp * Cog : -1, relu, lay.rowStep, r0, r1, outWp, yOff + grp * Cog * plane, plane);
    }
    if (commit && !commit(n)) continue;
    F = w.f32();
    if (whole) out.set(F.subarray(yOff, yOff + Cout * L), n * Cout * L);
    else if (outWp === outW) {
      const len = (r1 - r0) * outW;
      for (let c = 0; c < Cout; c++) {
        const at = c * L + r0 * outW;
        out.set(F.subarray(yOff + at, yOff + at + len), n * Cout * L + at);
      }
    } else {
      for (let c = 0; c < Cout; c++) {
        for (let r = r0; r < r1; r++) {
          const src = yOff + c * plane + r * outWp;
          const dst = (n * Cout + c) * L + r * outW;
          for (let i = 0; i < outW; i++) out[dst + i] = F[src + i]!;
        }
      }
    }
  }
}
