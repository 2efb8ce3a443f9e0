/**
 * Winograd F(4x4, 3x3) forward for 3x3, stride-1, dilation-1, ungrouped
 * convolutions (Lavin & Gray 2015): each 4x4 output tile is
 * A^T [sum_c (G g G^T) . (B^T d B)] A over its 6x6 input tile d: 36 products
 * per tile and channel pair instead of 144, i.e. 36 gemms (one per transform
 * entry) of Cout x C by C x tiles. The transforms write the gemms' operands
 * directly in the micro-kernel's panel layout (asm/gemm.ts wg4*), so nothing
 * is packed; the output transform adds the bias (and applies ReLU when asked).
 * Tiles run in chunks of tile rows so that the transformed input and the
 * products stay cache-sized.
 *
 * Rounding differs from the direct sum: the input transform scales by up to 5
 * and the weight transform by 1/24..1/4, so errors are a few times F(2x2)'s,
 * ~1e-6 of the output's scale on unit-variance data at 64 channels; the tests
 * hold it to the oracle's tolerances on every oracle case and random layers.
 */
import { forwardDirect } from './conv_direct.js';
import { channelShare, copyImageRows, type Commit, type ConvDims } from './conv_fwd.js';
import { wasmGemm } from './gemm.js';
import { RuntimeError } from '../errors.js';
import { residentStamp } from './winograd_weights.js';
import { wg4Plane } from './winograd_plane.js';
import { activateRuns, reluOf, type OutputAct } from './output_act.js';

/** 3x3 kernel, stride 1, dilation 1, one group. */
export function winogradApplies(d: ConvDims): boolean {
  const g = d.g;
  return d.G === 1 && g.kh === 3 && g.kw === 3 && g.sh === 1 && g.sw === 1 && g.dh === 1 && g.dw === 1;
}

/**
 * Enough channels for the transforms to cost less than the 4x fewer
 * multiplies save (measured against the implicit gemm: 16 -> 16 channels
 * pays, 3 -> 16 does not), and enough tiles per call for the weight transform
 * (once per call) to be amortized (a batch of four 4x4 maps lost).
 */
export function winogradPays(d: ConvDims): boolean {
  const tiles = d.N * Math.ceil(d.g.outH / 4) * Math.ceil(d.g.outW / 4);
  return d.C >= 16 && d.Cout >= 8 && tiles >= 16;
}

/** w[co][ci][i][j] -> [ci][co][2 - i][2 - j]: the kernel of the input gradient as a convolution. */
export function flipKernel(wd: Float32Array, Cout: number, C: number): Float32Array {
  const f = new Float32Array(wd.length);
  // written in order, the nine taps of each kernel reversed (unrolled: ~1.5x the loop over taps)
  let dst = 0;
  for (let ci = 0; ci < C; ci++) {
    for (let co = 0; co < Cout; co++, dst += 9) {
      const s = (co * C + ci) * 9;
      f[dst] = wd[s + 8]!;
      f[dst + 1] = wd[s + 7]!;
      f[dst + 2] = wd[s + 6]!;
      f[dst + 3] = wd[s + 5]!;
      f[dst + 4] = wd[s + 4]!;
      f[dst + 5] = wd[s + 3]!;
      f[dst + 6] = wd[s + 2]!;
      f[dst + 7] = wd[s + 1]!;
      f[dst + 8] = wd[s]!;
    }
  }
  return f;
}


/** Floats of transformed input (or products) per chunk: 36 x channels x tiles, ~1 MB. */
const CHUNK_FLOATS = 1 << 18;

/** Whether rows [ih0, ih1) of every channel plane (C planes of HW floats at xOff) are finite. */
function rowsFinite(w: NonNullable<typeof wasmGemm>, xOff: number, C: number, HW: number, W: number, ih0: number, ih1: number): boolean {
  for (let c = 0; c < C; c++) if (!w.allFinite(xOff + c * HW + ih0 * W, (ih1 - ih0) * W)) return false;
  return true;
}

/**
 * Output rows [r0, r1) of output channels [c0, c1) of images [n0, n1); r0
 * is a multiple of 4 (pieces are whole tile rows), c0 of 4 (pieces of
 * channels transform their own share of the weights). `ud`: the weights of
 * every channel already transformed (winograd_weights.ts), whose share for
 * [c0, c1) is copied in instead of transforming `wd`.
 */
export function winogradForward(
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
  act: OutputAct = null,
  ud: Float32Array | null = null,
  c0 = 0,
  c1 = d.Cout,
): void {
  const w = wasmGemm!;
  const { C, g } = d;
  const { H, W, outH, outW } = g;
  const all = d.Cout;
  const Cout = c1 - c0;
  const Coutp = Math.ceil(Cout / 4) * 4;
  if (c0 % 4 !== 0 || (c1 % 4 !== 0 && c1 !== all)) throw new RuntimeError(`winogradForward: a share of output channels [${c0}, ${c1}) of ${all} must start on a block of four and end on one or at the last`);
  const tilesW = Math.ceil(outW / 4);
  const t0 = r0 >> 2;
  const t1 = Math.ceil(r1 / 4);
  const rowsMax = Math.max(1, Math.min(Math.ceil(outH / 4), Math.floor(CHUNK_FLOATS / (36 * Math.max(C, Coutp) * tilesW))));
  const rows = Math.min(rowsMax, t1 - t0);
  // Sized for the whole image, so that every piece of a call allocates alike.
  const Tmax = Math.ceil((rowsMax * tilesW) / 8) * 8;
  const HW = H * W;
  const L = outH * outW;
  // Input rows the tiles read (a last partial tile reads past the dropped output rows).
  const ih0 = Math.max(0, 4 * t0 - g.ph);
  const ih1 = Math.max(ih0, Math.min(H, 4 * t1 - g.ph + 2));
  // Tiles past the image's edges read zeros: with padding (or a short last row) the image is
  // first copied into a zero-padded frame the tiles all fit in, so every group of four takes the
  // f32x4 transform (unpadded layers after an explicit ReflectionPad2d already fit).
  const tilesH = Math.ceil(outH / 4);
  const Hq = 4 * tilesH + 2;
  const Wq = 4 * tilesW + 2;
  const framed = g.ph !== 0 || g.pw !== 0 || H < Hq || W < Wq;
  const keep = key !== null && w.owner === key;
  w.reset(key);
  // a cached transform of every channel, or this thread's share of it, stays in its wasm memory from call to call (copied when remade)
  const stamp = ud ? residentStamp(ud) : null;
  const uFloats = 36 * wg4Plane(Coutp * C);
  const resident = stamp === null ? -1 : Cout === all ? w.resident(stamp.id, stamp.version, ud!) : w.residentWith(`${stamp.id}:${c0}:${c1}`, stamp.version, uFloats, (at) => copyUShare(w.f32(), at, ud!, all, C, c0, Coutp));
  // the weights' rows of channels [c0, c1); a flipped kernel's columns are those channels, so all of it
  const wIn = d.flipped ? wd : wd.subarray(c0 * C * 9, c1 * C * 9);
  const wOff = ud ? -1 : w.alloc(wIn.length);
  const uOff = resident >= 0 ? resident : w.alloc(uFloats);
  const tmp = w.alloc(160);
  const bOff = bd ? w.alloc(Cout) : -1;
  const xOff = w.alloc(C * HW);
  const vOff = w.alloc(36 * wg4Plane(C * Tmax));
  const mOff = w.alloc(36 * wg4Plane(Coutp * Tmax));
  const yOff = w.alloc(Cout * L);
  // The last row's f32x4 loads may read two floats past it.
  const fOff = framed ? w.alloc(C * Hq * Wq + 4) : -1;
  let F = w.f32();
  if (!keep) {
    if (bd) F.set(bd.subarray(c0, c1), bOff);
    if (ud) {
      if (resident < 0) {
        if (Cout === all) F.set(ud, uOff);
        else copyUShare(F, uOff, ud, all, C, c0, Coutp);
      }
    } else {
      F.set(wIn, wOff);
      if (d.flipped) w.wg4Weight(wOff + c0 * 9, Cout, C, uOff, tmp, true, all);
      else w.wg4Weight(wOff, Cout, C, uOff, tmp);
    }
  }
  const whole = r0 === 0 && r1 === outH;
  const len = (r1 - r0) * outW;
  for (let n = n0; n < n1; n++) {
    F = w.f32();
    copyImageRows(F, xOff, xd, n, C, g, ih0, ih1, d.reflect);
    // The transforms spread a non-finite input over its whole 4x4 tile (as NaN): such images take the direct path.
    if (!rowsFinite(w, xOff, C, HW, W, ih0, ih1)) {
      directFallback(d, xd, wd, bd, out, n, r0, r1, commit, act, c0, c1);
      w.reset(null);
      return winogradForward(d, xd, wd, bd, out, n + 1, n1, r0, r1, null, commit, act, ud, c0, c1);
    }
    if (framed) w.polyPad(xOff, C, H, W, g.ph, g.pw, 1, Hq, Wq, Hq * Wq, 4 * t0, Math.min(Hq, 4 * t1 + 2), fOff);
    for (let tr0 = t0; tr0 < t1; tr0 += rows) {
      const tr1 = Math.min(t1, tr0 + rows);
      const strips = Math.ceil(((tr1 - tr0) * tilesW) / 8);
      if (framed) w.wg4Input(fOff, C, Hq, Wq, 0, 0, tilesW, tr0, tr1, vOff, tmp);
      else w.wg4Input(xOff, C, H, W, g.ph, g.pw, tilesW, tr0, tr1, vOff, tmp);
      w.wg4Gemm(uOff, vOff, mOff, Coutp, C, strips);
      w.wg4Output(mOff, Cout, Coutp, strips * 8, tilesW, tr0, tr1, yOff, outH, outW, bOff, reluOf(act), tmp);
    }
    activateRuns(w, act, yOff + r0 * outW, Cout, len, L);
    if (commit && !commit(n)) continue;
    F = w.f32();
    const o = (n * all + c0) * L;
    if (whole) out.set(F.subarray(yOff, yOff + Cout * L), o);
    else {
      for (let c = 0; c < Cout; c++) {
        const at = c * L + r0 * outW;
        out.set(F.subarray(yOff + at, yOff + at + len), o + at);
      }
    }
  }
}

/** Output channels [c0, c0 + Coutp) of a transform of `all` (each entry's plane holds the blocks of four in order: one run per entry) into F at `at`. */
function copyUShare(F: Float32Array, at: number, ud: Float32Array, all: number, C: number, c0: number, Coutp: number): void {
  const from = wg4Plane(Math.ceil(all / 4) * 4 * C);
  const to = wg4Plane(Coutp * C);
  for (let e = 0; e < 36; e++) F.set(ud.subarray(e * from + c0 * C, e * from + (c0 + Coutp) * C), at + e * to);
}

/**
 * Image n's outputs (rows [r0, r1), channels [c0, c1)) by the direct kernel,
 * for an image the transforms would spread a non-finite value over: a
 * flipped kernel (d.flipped) flipped for it, a share of the channels
 * (pieces of whole rows) as the direct path's channel share.
 */
function directFallback(d: ConvDims, xd: Float32Array, wd: Float32Array, bd: Float32Array | null, out: Float32Array, n: number, r0: number, r1: number, commit: Commit, act: OutputAct, c0: number, c1: number): void {
  const k = d.flipped ? flipKernel(wd, d.C, d.Cout) : wd;
  const plain: ConvDims = { ...d, flipped: false };
  if (c0 === 0 && c1 === d.Cout) forwardDirect(plain, xd, k, bd, out, n, n + 1, r0, r1, null, commit, act);
  else if (r0 === 0 && r1 === d.g.outH) channelShare('direct', plain, xd, k, bd, out, n, n + 1, c0, c1, commit, act);
  else throw new RuntimeError(`internal: a share of channels [${c0}, ${c1}) over rows [${r0}, ${r1}) of ${d.g.outH}`);
}

/** Tiles per chunk of the weight gradient. */
const GRAD_TILES = 256;

/**
 * The weight gradient by Winograd F(4x4, 3x3), the forward's identity
 * transposed: gw = G^T [sum over tiles (A gy A^T) . (B^T d B)] G, 4x fewer
 * multiplies than the implicit gemm. The input transform is the forward's;
 * the products are reduced over the tiles and images of each chunk in
 * registers, in tile order, and added to the sums of the chunks before
 * (wg4GemmT, the first chunk starting the sums), then transformed once at the
 * end, in float64 (wg4GradFinish: G^T on columns, then rows).
 * Output channels [c0, c1) (c0 a multiple of 4), written into gw (Cout x C x
 * 3 x 3) once `commit` (if any) agrees. Returns false, having written
 * nothing, when an image or its output gradient holds a non-finite value:
 * the transforms would spread it over every weight, so the caller runs the
 * direct kernel instead.
 */
export function winogradWeightGrad(d: ConvDims, xd: Float32Array, gd: Float32Array, gw: Float32Array, c0 = 0, c1 = d.Cout, key: number | null = null, commit: Commit = null): boolean {
  const w = wasmGemm!;
  const { N, C, Cout, g } = d;
  const { H, W, outH, outW } = g;
  const nc = c1 - c0;
  const Coutp = Math.ceil(nc / 4) * 4;
  const Cp = Math.ceil(C / 4) * 4;
  const tilesW = Math.ceil(outW / 4);
  const tilesH = Math.ceil(outH / 4);
  // Chunks of ~GRAD_TILES tiles: tile rows of one image, or several whole images side by side
  // (the reduction over tiles runs in registers; each chunk sweeps the accumulators once).
  const Ti = tilesH * tilesW;
  const rows = Ti >= GRAD_TILES ? Math.max(1, Math.floor(GRAD_TILES / tilesW)) : tilesH;
  const imgs = Ti >= GRAD_TILES ? 1 : Math.max(1, Math.min(N, Math.floor(GRAD_TILES / Ti)));
  const Tmax = Math.ceil((imgs * rows * tilesW) / 4) * 4;
  const HW = H * W;
  const L = outH * outW;
  const Hq = 4 * tilesH + 2;
  const Wq = 4 * tilesW + 2;
  const framed = g.ph !== 0 || g.pw !== 0 || H < Hq || W < Wq;
  w.reset(key);
  const tmp = w.alloc(160);
  const accOff = w.alloc(36 * wg4Plane(Cp * Coutp));
  const gwOff = w.alloc(nc * C * 9);
  const xOff = w.alloc(imgs * C * HW);
  const gOff = w.alloc(imgs * nc * L);
  const vOff = w.alloc(36 * wg4Plane(C * Tmax));
  const uOff = w.alloc(36 * wg4Plane(Coutp * Tmax));
  const fOff = framed ? w.alloc(imgs * C * Hq * Wq + 4) : -1;
  let F = w.f32();
  for (let n0 = 0; n0 < N; n0 += imgs) {
    const n1 = Math.min(N, n0 + imgs);
    F = w.f32();
    F.set(xd.subarray(n0 * C * HW, n1 * C * HW), xOff);
    for (let n = n0; n < n1; n++) F.set(gd.subarray((n * Cout + c0) * L, (n * Cout + c1) * L), gOff + (n - n0) * nc * L);
    if (!w.allFinite(xOff, (n1 - n0) * C * HW) || !w.allFinite(gOff, (n1 - n0) * nc * L)) return false;
    if (framed) for (let n = n0; n < n1; n++) w.polyPad(xOff + (n - n0) * C * HW, C, H, W, g.ph, g.pw, 1, Hq, Wq, Hq * Wq, 0, Hq, fOff + (n - n0) * C * Hq * Wq);
    for (let tr0 = 0; tr0 < tilesH; tr0 += rows) {
      const tr1 = Math.min(tilesH, tr0 + rows);
      const T = (n1 - n0) * (tr1 - tr0) * tilesW;
      const Tp = Math.ceil(T / 4) * 4;
      for (let n = n0; n < n1; n++) {
        const tBase = (n - n0) * (tr1 - tr0) * tilesW;
        if (framed) w.wg4Input(fOff + (n - n0) * C * Hq * Wq, C, Hq, Wq, 0, 0, tilesW, tr0, tr1, vOff, tmp, Tp, tBase);
        else w.wg4Input(xOff + (n - n0) * C * HW, C, H, W, g.ph, g.pw, tilesW, tr0, tr1, vOff, tmp, Tp, tBase);
        w.wg4GyT(gOff + (n - n0) * nc * L, nc, Coutp, outH, outW, tilesW, tr0, tr1, uOff, tmp, Tp, tBase);
      }
      // The first chunk starts the sums (nothing to zero or read).
      w.wg4GemmT(uOff, vOff, accOff, Coutp, C, Cp, T, Tp, n0 === 0 && tr0 === 0);
    }
  }
  w.wg4GradFinish(accOff, nc, C, Cp, Coutp, tmp, gwOff);
  if (commit && !commit(0)) return true;
  gw.set(w.f32().subarray(gwOff, gwOff + nc * C * 9), c0 * C * 9);
  return true;
}
