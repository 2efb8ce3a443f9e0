/**
 * Stride-1 kernels of 6x6 and 9x9 taps on Winograd F(4x4, 3x3): a k x k
 * kernel is m x m blocks of 3 x 3 (m = k / 3), and block (i, j) reads the
 * input shifted by (3i, 3j). So the layer is a 3x3 convolution of m^2 C
 * channels: channel (i, j, c) is input plane c shifted by (3i, 3j), its 3x3
 * kernel block (i, j) of the layer's. Summed in Winograd's transformed
 * domain, that is 2.25 multiplies per output and channel pair per block
 * instead of 9: fast-neural-style's 9x9 head (3 -> 32 channels at 256x256)
 * measured 36 -> 26 ms, the shifted planes and their transforms taking much
 * of what the multiplies save. (A 7x7 kernel padded to 9x9 measured no
 * faster than the implicit gemm: a third of its blocks' taps are zeros.)
 *
 * The shifted planes are built here (m^2 C planes of (outH + 2) x (outW + 2),
 * from the zero- or reflection-padded input); the rest is the 3x3 layer's
 * forward (winograd.ts), threads included. Rounding is Winograd's: within the
 * oracle's tolerances, not the direct kernel's bits.
 *
 * A layer of few output channels (an RGB tail: fast-neural-style's 32 -> 3
 * at 9x9) splits on its output side instead: a 3x3 layer of the same input to
 * m^2 Cout channels, channel (i, j, co) kernel block (i, j) of co's, over
 * outputs 3(m - 1) rows and columns larger (the same padding), then
 * y[co][r][s] = sum over blocks of z[(i, j, co)][r + 3i][s + 3j], bias and a
 * fused ReLU after (gatherSplitOutput): the same quarter of the multiplies,
 * with m^2 Cout output planes to write and gather instead of m^2 C shifted
 * copies of the input.
 */
import { wasmConvEnabled, type ConvDims } from './conv_fwd.js';
import { wasmGemm } from './gemm.js';
import { allocStorage } from '../tensor/storage.js';
import { activateArray, activateRuns, reluOf, type OutputAct } from './output_act.js';

/** Blocks of 3 per axis of a k-tap kernel. */
const blocks = (k: number): number => Math.ceil(k / 3);

/**
 * Whether a layer runs as a 3x3 Winograd layer of m^2 C channels: stride 1,
 * no dilation, one group, a square kernel of 6 or 9 taps, enough channels
 * after the split for the transforms to pay (as winogradPays: 16 in, 8 out)
 * and few enough input channels that the shifted planes stay small: they
 * hold m^2 copies of the input, here at most twice the output's size and
 * 256 MB (the few-channel heads this is meant for).
 */
export function splitApplies(d: ConvDims): boolean {
  const g = d.g;
  const k = g.kh;
  if (d.G !== 1 || k !== g.kw || (k !== 6 && k !== 9) || g.sh !== 1 || g.sw !== 1 || g.dh !== 1 || g.dw !== 1) return false;
  const m = blocks(k);
  const tiles = d.N * Math.ceil(g.outH / 4) * Math.ceil(g.outW / 4);
  const Cs = m * m * d.C;
  const floats = d.N * Cs * (g.outH + 2) * (g.outW + 2);
  return Cs >= 16 && Cs <= 2 * d.Cout && d.Cout >= 8 && tiles >= 16 && floats <= 1 << 26;
}

/** The 3x3 layer: m^2 C input channels of (outH + 2) x (outW + 2), the same outputs. */
export function splitDims(d: ConvDims): ConvDims {
  const { N, C, Cout, g } = d;
  const m = blocks(g.kh);
  return { N, C: m * m * C, Cout, G: 1, g: { H: g.outH + 2, W: g.outW + 2, kh: 3, kw: 3, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1, outH: g.outH, outW: g.outW } };
}

/** The 3 x 3 block at `src` of a k x k kernel (rows k floats apart) into out[dst..dst + 9). */
function copyBlock(wd: Float32Array, src: number, k: number, out: Float32Array, dst: number): void {
  for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) out[dst + a * 3 + b] = wd[src + a * k + b]!;
}

/** w[co][c][ki][kj] -> w3[co][(i m + j) C + c][a][b] = w[co][c][3i + a][3j + b]. */
export function splitWeights(d: ConvDims, wd: Float32Array): Float32Array {
  const { C, Cout, g } = d;
  const k = g.kh;
  const m = blocks(k);
  const Cs = m * m * C;
  const out = new Float32Array(Cout * Cs * 9);
  for (let co = 0; co < Cout; co++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) {
        for (let c = 0; c < C; c++) {
          copyBlock(wd, (co * C + c) * k * k + 3 * i * k + 3 * j, k, out, (co * Cs + (i * m + j) * C + c) * 9);
        }
      }
    }
  }
  return out;
}

/** Index into an unpadded axis of n for padded position p: reflected about the edges (d.reflect; its padding is under n) or -1 (zero padding). */
function source(p: number, pad: number, n: number, reflect: boolean): number {
  const i = p - pad;
  if (i >= 0 && i < n) return i;
  if (!reflect) return -1;
  return i < 0 ? -i : 2 * (n - 1) - i;
}

/**
 * The shifted planes of every image: plane (i, j, c) row r, column s is the
 * padded input's [c][r + 3i][s + 3j] (inside it: r + 3i < outH + k - 1), in
 * recycled storage (freeScratch it once used).
 */
export function splitInput(d: ConvDims, xd: Float32Array): Float32Array {
  const { N, C, g } = d;
  const m = blocks(g.kh);
  const r = d.reflect;
  // the unpadded image and its padding: a fused reflection pad's, else the layer's zeros
  const H = r ? r.H : g.H;
  const W = r ? r.W : g.W;
  const top = r ? r.top : g.ph;
  const left = r ? r.left : g.pw;
  const Hs = g.outH + 2;
  const Ws = g.outW + 2;
  const Cs = m * m * C;
  // recycled storage (no page faults on a fresh array per call): every float is written below
  const out = allocStorage(N * Cs * Hs * Ws);
  const cols = new Int32Array(Ws);
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) {
        // the source column of each output column (or -1), and the run of them that is the image's own
        let s0 = Ws;
        let s1 = 0;
        for (let s = 0; s < Ws; s++) {
          const p = s + 3 * j;
          cols[s] = source(p, left, W, r !== undefined);
          if (p - left >= 0 && p - left < W) {
            s0 = Math.min(s0, s);
            s1 = s + 1;
          }
        }
        for (let c = 0; c < C; c++) {
          const plane = ((n * Cs + (i * m + j) * C + c) * Hs) * Ws;
          const img = (n * C + c) * H * W;
          for (let row = 0; row < Hs; row++) {
            const h = source(row + 3 * i, top, H, r !== undefined);
            const o = plane + row * Ws;
            if (h < 0) {
              out.fill(0, o, o + Ws); // a row of zero padding
              continue;
            }
            const src = img + h * W;
            if (s1 > s0) out.set(xd.subarray(src + s0 + 3 * j - left, src + s1 + 3 * j - left), o + s0);
            for (let s = 0; s < s0; s++) out[o + s] = cols[s]! >= 0 ? xd[src + cols[s]!]! : 0;
            for (let s = s1; s < Ws; s++) out[o + s] = cols[s]! >= 0 ? xd[src + cols[s]!]! : 0;
          }
        }
      }
    }
  }
  return out;
}

/**
 * Whether a layer runs as a 3x3 Winograd layer of m^2 Cout outputs
 * (splitOutDims): stride 1, no dilation, one group, a square kernel of 6 or
 * 9 taps, too few output channels for the input-side split or Winograd
 * (under 8) but m^2 Cout at least 8, at least 16 input channels (as
 * winogradPays), and m^2 Cout at most twice C (the stacked outputs no larger
 * than twice the input), 256 MB at most.
 */
export function splitOutApplies(d: ConvDims): boolean {
  const g = d.g;
  const k = g.kh;
  if (d.G !== 1 || d.flipped || k !== g.kw || (k !== 6 && k !== 9) || g.sh !== 1 || g.sw !== 1 || g.dh !== 1 || g.dw !== 1) return false;
  const m = blocks(k);
  const Cz = m * m * d.Cout;
  const tiles = d.N * Math.ceil(g.outH / 4) * Math.ceil(g.outW / 4);
  const floats = d.N * Cz * (g.outH + 3 * (m - 1)) * (g.outW + 3 * (m - 1));
  return d.Cout < 8 && Cz >= 8 && d.C >= 16 && Cz <= 2 * d.C && tiles >= 16 && floats <= 1 << 26;
}

/** The 3x3 layer of splitOutApplies: the same input and padding, m^2 Cout outputs 3(m - 1) rows and columns larger. */
export function splitOutDims(d: ConvDims): ConvDims {
  const g = d.g;
  const grow = 3 * (blocks(g.kh) - 1);
  const { flipped: _f, ...rest } = d;
  return { ...rest, Cout: blocks(g.kh) ** 2 * d.Cout, g: { ...g, kh: 3, kw: 3, outH: g.outH + grow, outW: g.outW + grow } };
}

/** w[co][c][ki][kj] -> w3[(i m + j) Cout + co][c][a][b] = w[co][c][3i + a][3j + b]. */
export function splitOutWeights(d: ConvDims, wd: Float32Array): Float32Array {
  const { C, Cout, g } = d;
  const k = g.kh;
  const m = blocks(k);
  const out = new Float32Array(m * m * Cout * C * 9);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      for (let co = 0; co < Cout; co++) {
        for (let c = 0; c < C; c++) {
          copyBlock(wd, (co * C + c) * k * k + 3 * i * k + 3 * j, k, out, (((i * m + j) * Cout + co) * C + c) * 9);
        }
      }
    }
  }
  return out;
}

/**
 * y (N x Cout x outH x outW) = the sum of z's blocks shifted by (3i, 3j), in
 * block order, then bias and the output activation `act`: in WebAssembly SIMD
 * (asm/gemm.ts shiftSum, an image at a time through its memory), else the
 * same sums in JavaScript.
 */
export function gatherSplitOutput(d: ConvDims, z: Float32Array, bd: Float32Array | null, act: OutputAct, y: Float32Array): void {
  const relu = reluOf(act);
  const { N, Cout, g } = d;
  const m = blocks(g.kh);
  const { outH, outW } = g;
  const grow = 3 * (m - 1);
  const Hz = outH + grow;
  const Wz = outW + grow;
  const nb = m * m;
  const Cz = nb * Cout;
  // each block's plane start, shifted by its (3i, 3j), relative to block (0, 0)'s
  const offs = new Int32Array(nb);
  for (let q = 0; q < nb; q++) offs[q] = (q * Cout * Hz + 3 * Math.floor(q / m)) * Wz + 3 * (q % m);
  const zImage = Cz * Hz * Wz;
  const yImage = Cout * outH * outW;
  const w = wasmConvEnabled() ? wasmGemm : null;
  if (w !== null) {
    w.reset();
    const zo = w.alloc(zImage);
    const oo = w.alloc(nb);
    const bo = bd ? w.alloc(Cout) : -1;
    const yo = w.alloc(yImage);
    const F = w.f32();
    new Int32Array(F.buffer, oo * 4, nb).set(offs);
    if (bd) F.set(bd, bo);
    for (let n = 0; n < N; n++) {
      F.set(z.subarray(n * zImage, (n + 1) * zImage), zo);
      w.shiftSum(zo, Cout, nb, oo, Hz, Wz, outH, outW, bo, relu, yo);
      activateRuns(w, act, yo, 1, yImage, yImage);
      y.set(F.subarray(yo, yo + yImage), n * yImage);
    }
    return;
  }
  for (let n = 0; n < N; n++) {
    for (let co = 0; co < Cout; co++) {
      const o = n * yImage + co * outH * outW;
      for (let r = 0; r < outH; r++) {
        const yr = o + r * outW;
        const src = n * zImage + (co * Hz + r) * Wz;
        for (let s = 0; s < outW; s++) {
          let v = z[src + s]!;
          for (let q = 1; q < nb; q++) v = Math.fround(v + z[src + offs[q]! + s]!);
          if (bd) v = Math.fround(v + bd[co]!);
          y[yr + s] = relu ? Math.max(v, 0) : v; // Math.max keeps NaN and turns -0 into 0, as f32x4.max
        }
      }
    }
  }
  activateArray(act, y);
}
