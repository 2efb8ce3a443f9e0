/**
 * Convolution forward paths on raw arrays (shapes already checked): each
 * computes out[n] = bias + conv(x[n], weight) for images [n0, n1), so callers
 * can split a batch between threads.
 *
 * - `js`: im2col in JavaScript + gemm (whatever gemm backend is selected).
 * - `wasm`: the image copied into WebAssembly memory once, im2col there, the
 *   gemm straight from the column matrix to an output panel in wasm memory,
 *   bias added there, one copy out per image. A 1x1 stride-1 unpadded
 *   convolution skips im2col: the image is its own column matrix.
 * - `winograd`: F(4x4, 3x3) for 3x3 stride-1 dilation-1 ungrouped
 *   convolutions (winograd.ts): 4x fewer multiplies.
 * - `direct`: any geometry as an implicit gemm over a padded, phase-split copy
 *   of the image (conv_direct.ts): no column matrix, no packing. Sums in the
 *   gemm's order: the same values as the wasm path.
 *
 * `convPath()` picks: NORMKIT_CONV=js|wasm|winograd|direct|auto (default auto)
 * or `setConvPath`; auto runs winograd where it applies and pays, direct
 * where the rows are long enough for its 8-wide tiles, else wasm (pointwise
 * layers: a plain gemm on the image; small maps), and js when the WebAssembly
 * gemm is off (NORMKIT_NO_WASM=1, NORMKIT_GEMM=js). A forced path that does
 * not apply runs wasm.
 */
import { platform } from '#platform';
import { RuntimeError } from '../errors.js';
import { chunkRows, fitsI32, im2col, type ConvGeom2d } from './conv.js';
import { gemm, gemmBackend, wasmGemm } from './gemm.js';
import { forwardDirect } from './conv_direct.js';
import { flipKernel, winogradApplies, winogradForward, winogradPays } from './winograd.js';
import { activateRuns, type OutputAct } from './output_act.js';
import { packedWeights } from './gemm_weights.js';

export type ConvPathName = 'auto' | 'js' | 'wasm' | 'winograd' | 'direct';

/** A convolution's sizes: N images of C channels, Cout outputs, G groups, 2-D geometry. */
export interface ConvDims {
  N: number;
  C: number;
  Cout: number;
  G: number;
  g: ConvGeom2d;
  /**
   * The input is the H x W image before a reflection padding (a fused
   * ReflectionPad2d or padding_mode='reflect': nn/fusion.ts) of `top` rows
   * and `left` columns before it, and `g` the padded image's geometry
   * (g.H x g.W, no zero padding): the wasm paths copy the image into their
   * memory reflection-padded instead of the caller materializing it.
   */
  reflect?: Reflect;
  /**
   * The weights are given unflipped: the C x Cout kernel of the convolution
   * whose input gradient this is (conv_bwd.ts inputGradAsConv), read
   * flipped and transposed (winograd.ts flipKernel) by every path; the
   * Winograd transform reads it so directly.
   */
  flipped?: boolean;
}

export interface Reflect {
  H: number;
  W: number;
  top: number;
  left: number;
}

const PATHS: readonly ConvPathName[] = ['auto', 'js', 'wasm', 'winograd', 'direct'];

function envPath(): ConvPathName {
  const v = platform.env('NORMKIT_CONV');
  return v !== undefined && (PATHS as readonly string[]).includes(v) ? (v as ConvPathName) : 'auto';
}

let selected: ConvPathName = envPath();

/** Forces a forward path ('auto' restores the default choice); 'wasm' and 'winograd' need the WebAssembly gemm. */
export function setConvPath(name: ConvPathName): void {
  if (!PATHS.includes(name)) throw new RuntimeError(`unknown convolution path '${String(name)}' (expected ${PATHS.join(', ')})`);
  selected = name;
}

export function getConvPath(): ConvPathName {
  return selected;
}

/** Asked before an image's result is written out; null: always write. */
export type Commit = ((n: number) => boolean) | null;

/** True for a 1x1, stride-1, unpadded convolution: the image is its own column matrix. */
export function isPointwise(g: ConvGeom2d): boolean {
  return g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1 && g.ph === 0 && g.pw === 0 && g.outH === g.H && g.outW === g.W;
}

/**
 * The sizes the im2col + gemm drivers work in: per group Cog output channels
 * and Kg = (C / G) x kh x kw rows of the column matrix; L output
 * and HW input positions per image; `direct` when the image is its own column
 * matrix (isPointwise); and how many of `outRows` output rows one column
 * matrix holds (cache-sized chunks).
 */
export function gemmSizes(d: ConvDims, outRows = d.g.outH): { Cog: number; Kg: number; L: number; HW: number; direct: boolean; rows: number } {
  const { C, Cout, G, g } = d;
  const direct = isPointwise(g);
  return {
    Cog: Cout / G,
    Kg: (C / G) * g.kh * g.kw,
    L: g.outH * g.outW,
    HW: g.H * g.W,
    direct,
    rows: direct ? g.outH : chunkRows(C * g.kh * g.kw, g.outW, outRows),
  };
}

/** The path that runs `d` now. A forced path that does not apply (winograd on a 5x5 kernel, wasm without wasm) falls back. */
export function convPath(d: ConvDims): Exclude<ConvPathName, 'auto'> {
  const wasmOk = wasmGemm !== null && gemmBackend === 'wasm-simd' && fitsI32(d.g);
  if (!wasmOk) return 'js';
  if (selected === 'js') return 'js';
  if (selected === 'winograd') return winogradApplies(d) ? 'winograd' : 'wasm';
  if (selected === 'direct') return directApplies(d) ? 'direct' : 'wasm';
  if (selected === 'wasm') return 'wasm';
  if (winogradApplies(d) && winogradPays(d)) return 'winograd';
  return directApplies(d) && directPays(d) ? 'direct' : 'wasm';
}

/** Any geometry (the implicit gemm handles strides, dilation and groups). */
export function directApplies(_d: ConvDims): boolean {
  return true;
}

/**
 * Rows of at least 8 outputs (its register tile; on 4- and 7-wide maps the
 * gemm over all positions at once measured up to 2x faster), and not
 * pointwise (there the wasm path is a gemm on the image itself, no copies).
 */
function directPays(d: ConvDims): boolean {
  return d.g.outW >= 8 && !isPointwise(d.g);
}

/**
 * Runs output rows [r0, r1) of images [n0, n1) of the forward on `path`,
 * writing out (N x Cout x outH x outW). Winograd pieces start on a multiple of 4.
 * Pieces of one call share a `key`: a thread's later pieces reuse the weights
 * its earlier one left in wasm memory (`ud`: Winograd's weights already
 * transformed, see winograd_weights.ts). The wasm paths compute each image in
 * their own memory and ask `commit` before writing it to `out` (false: drop
 * it, another thread wrote it); the js path writes `out` as it goes.
 * `packed` (a whole layer on one thread): the wasm path keeps `wd` packed
 * in this thread's memory across calls (gemm_weights.ts).
 */
export function convForwardImages(
  path: Exclude<ConvPathName, 'auto'>,
  d: ConvDims,
  xd: Float32Array,
  wd: Float32Array,
  bd: Float32Array | null,
  out: Float32Array,
  n0: number,
  n1: number,
  r0 = 0,
  r1 = d.g.outH,
  key: number | null = null,
  commit: Commit = null,
  act: OutputAct = null,
  ud: Float32Array | null = null,
  packed = false,
): void {
  if (n1 <= n0 || r1 <= r0) return;
  if (d.flipped && path !== 'winograd') {
    wd = flipKernel(wd, d.C, d.Cout);
    d = { ...d, flipped: false };
    packed = false;
  }
  if (path === 'winograd') winogradForward(d, xd, wd, bd, out, n0, n1, r0, r1, key, commit, act, ud);
  else if (path === 'direct') forwardDirect(d, xd, wd, bd, out, n0, n1, r0, r1, key, commit, act);
  else if (path === 'wasm') forwardWasm(d, xd, wd, bd, out, n0, n1, r0, r1, key, commit, act, packed);
  else forwardJs(d, xd, wd, bd, out, n0, n1, r0, r1, act);
}

/**
 * Output channels [c0, c1) of every image (c0 a multiple of 4), a thread's
 * share of a layer whose rows are too few to share: Winograd through its own
 * channel range (its share of `ud` or of the weight transform); the wasm and
 * direct paths (one group) as the convolution of each image with the
 * channels' rows of the weights into its channels' run of the output (one
 * image's channels are contiguous), the same sums as the whole layer's.
 */
export function convForwardChannels(
  path: Exclude<ConvPathName, 'auto'>,
  d: ConvDims,
  xd: Float32Array,
  wd: Float32Array,
  bd: Float32Array | null,
  out: Float32Array,
  c0: number,
  c1: number,
  commit: Commit,
  act: OutputAct,
  ud: Float32Array | null,
): void {
  if (path === 'winograd') winogradForward(d, xd, wd, bd, out, 0, d.N, 0, d.g.outH, null, commit, act, ud, c0, c1);
  else channelShare(path, d, xd, wd, bd, out, 0, d.N, c0, c1, commit, act);
}

/**
 * Channels [c0, c1) of images [n0, n1), whole rows, on the wasm or direct
 * path (one group, an unflipped kernel): each image with the weights' rows
 * for those channels into its channels' run of the output (one image's
 * channels are contiguous). Also Winograd's fallback for a share's image
 * holding a non-finite value.
 */
export function channelShare(
  path: Exclude<ConvPathName, 'auto'>,
  d: ConvDims,
  xd: Float32Array,
  wd: Float32Array,
  bd: Float32Array | null,
  out: Float32Array,
  n0: number,
  n1: number,
  c0: number,
  c1: number,
  commit: Commit,
  act: OutputAct,
): void {
  const { C, Cout, G, g } = d;
  if (G !== 1 || d.flipped || (path !== 'wasm' && path !== 'direct')) throw new RuntimeError(`internal: no channel share of a ${path} convolution with ${G} groups`);
  const K = C * g.kh * g.kw;
  // an image's floats in xd: before its fused reflection padding, if any
  const HW = d.reflect ? d.reflect.H * d.reflect.W : g.H * g.W;
  const L = g.outH * g.outW;
  const one: ConvDims = { ...d, N: 1, Cout: c1 - c0 };
  const w = wd.subarray(c0 * K, c1 * K);
  const b = bd && bd.subarray(c0, c1);
  for (let n = n0; n < n1; n++) {
    const o = out.subarray((n * Cout + c0) * L, (n * Cout + c1) * L);
    convForwardImages(path, one, xd.subarray(n * C * HW, (n + 1) * C * HW), w, b, o, 0, 1, 0, g.outH, null, commit && (() => commit(n)), act);
  }
}

/** Input rows [ih0, ih1) that output rows [r0, r1) read (clipped to the image). */
export function inputRows(g: ConvGeom2d, r0: number, r1: number): [number, number] {
  const ih0 = Math.max(0, r0 * g.sh - g.ph);
  const ih1 = Math.min(g.H, (r1 - 1) * g.sh - g.ph + (g.kh - 1) * g.dh + 1);
  return [ih0, Math.max(ih0, ih1)];
}

/**
 * Copies input rows [ih0, ih1) of every channel of image n into wasm memory
 * at xOff, channels `plane` floats apart (C x H x W layout by default); with
 * `r`, rows of the reflection-padded image (ConvDims.reflect) made from `xd`.
 */
export function copyImageRows(F: Float32Array, xOff: number, xd: Float32Array, n: number, C: number, g: ConvGeom2d, ih0: number, ih1: number, r?: Reflect, plane = g.H * g.W): void {
  if (r) return copyReflectedRows(F, xOff, xd, n, C, g, ih0, ih1, r, plane);
  const HW = g.H * g.W;
  if (ih0 === 0 && ih1 === g.H && plane === HW) {
    F.set(xd.subarray(n * C * HW, (n + 1) * C * HW), xOff);
    return;
  }
  for (let c = 0; c < C; c++) {
    const src = (n * C + c) * HW;
    F.set(xd.subarray(src + ih0 * g.W, src + ih1 * g.W), xOff + c * plane + ih0 * g.W);
  }
}

/** Index i of a reflection padding of an axis of n (PyTorch's: the border itself is not repeated; |i| < 2n - 1). */
const reflectIndex = (i: number, n: number): number => (i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i);

function copyReflectedRows(F: Float32Array, xOff: number, xd: Float32Array, n: number, C: number, g: ConvGeom2d, ih0: number, ih1: number, r: Reflect, plane: number): void {
  const { H, W, top, left } = r;
  const right = g.W - W - left;
  for (let c = 0; c < C; c++) {
    const src = (n * C + c) * H * W;
    for (let h = ih0; h < ih1; h++) {
      const s = src + reflectIndex(h - top, H) * W;
      const dst = xOff + c * plane + h * g.W;
      F.set(xd.subarray(s, s + W), dst + left);
      for (let j = 1; j <= left; j++) F[dst + left - j] = xd[s + j]!;
      for (let j = 1; j <= right; j++) F[dst + left + W - 1 + j] = xd[s + W - 1 - j]!;
    }
  }
}

function forwardJs(d: ConvDims, xd: Float32Array, wd: Float32Array, bd: Float32Array | null, out: Float32Array, n0: number, n1: number, r0: number, r1: number, act: OutputAct): void {
  // im2col reads the image in place: a fused reflection padding needs the wasm paths (ops/conv_fused.ts checks).
  if (d.reflect) throw new RuntimeError('internal: the js convolution path cannot read a reflection-padded image in place');
  const { C, Cout, G, g } = d;
  const { Cog, Kg, L, HW, direct, rows } = gemmSizes(d, r1 - r0);
  const col = direct ? xd : new Float32Array(C * g.kh * g.kw * rows * g.outW);
  for (let n = n0; n < n1; n++) {
    for (let oh0 = r0; oh0 < r1; oh0 += rows) {
      const oh1 = Math.min(r1, oh0 + rows);
      const Lc = (oh1 - oh0) * g.outW;
      if (!direct) im2col(xd, n * C * HW, C, g, col, 0, oh0, oh1);
      // The direct path's column matrix is the image: rows of length HW (= L), read from oh0 on.
      const colBase = direct ? n * C * HW + oh0 * g.outW : 0;
      const ldb = direct ? HW : Lc;
      for (let grp = 0; grp < G; grp++) {
        gemm(Cog, Lc, Kg, wd, col, out, {
          aOffset: grp * Cog * Kg,
          bOffset: colBase + grp * Kg * ldb,
          ldb,
          cOffset: (n * Cout + grp * Cog) * L + oh0 * g.outW,
          ldc: L,
        });
      }
    }
    if (bd) {
      for (let c = 0; c < Cout; c++) {
        const b = bd[c]!;
        const o = (n * Cout + c) * L;
        for (let i = o + r0 * g.outW; i < o + r1 * g.outW; i++) out[i] = out[i]! + b;
      }
    }
    if (act !== null && act !== 'relu') throw new RuntimeError('internal: the js convolution path fuses only ReLU (ops/conv_compute.ts runs other activations after it)');
    if (act === 'relu') {
      // max(v, 0) with NaN kept and -0 -> 0, as the ReLU op.
      for (let c = 0; c < Cout; c++) {
        const o = (n * Cout + c) * L;
        for (let i = o + r0 * g.outW; i < o + r1 * g.outW; i++) {
          const v = out[i]!;
          out[i] = v <= 0 ? 0 : v;
        }
      }
    }
  }
}

function forwardWasm(
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
  act: OutputAct,
  packed: boolean,
): void {
  const w = wasmGemm!;
  const { C, Cout, G, g } = d;
  const { Cog, Kg, L, HW, direct, rows } = gemmSizes(d, r1 - r0);
  const [ih0, ih1] = inputRows(g, r0, r1);
  const keep = key !== null && w.owner === key;
  w.reset(key);
  // the weights packed once per value (resident), or copied in and packed by every gemm
  const pOff = packed ? packedWeights(w, wd, G, Cog, Kg) : -1;
  const per = packed ? w.packedFloats(Cog, Kg) : 0;
  const wOff = packed ? -1 : w.alloc(wd.length);
  const bOff = bd ? w.alloc(Cout) : -1;
  const xOff = w.alloc(C * HW);
  const yOff = w.alloc(Cout * L);
  let F = w.f32();
  if (!keep) {
    if (!packed) F.set(wd, wOff);
    if (bd) F.set(bd, bOff);
  }
  // Sized for the whole image, so that every piece of a call allocates alike.
  const colOff = direct ? xOff : w.alloc(C * g.kh * g.kw * chunkRows(C * g.kh * g.kw, g.outW, g.outH) * g.outW);
  const whole = r0 === 0 && r1 === g.outH;
  for (let n = n0; n < n1; n++) {
    F = w.f32();
    copyImageRows(F, xOff, xd, n, C, g, ih0, ih1, d.reflect);
    for (let oh0 = r0; oh0 < r1; oh0 += rows) {
      const oh1 = Math.min(r1, oh0 + rows);
      const Lc = (oh1 - oh0) * g.outW;
      if (!direct) w.im2col(xOff, C, g, oh0, oh1, colOff);
      const b0 = direct ? colOff + oh0 * g.outW : colOff;
      const ldb = direct ? HW : Lc;
      for (let grp = 0; grp < G; grp++) {
        const y = yOff + grp * Cog * L + oh0 * g.outW;
        if (packed) w.gemmPacked(Cog, Lc, Kg, pOff + grp * per, b0 + grp * Kg * ldb, ldb, false, y, L, false);
        else w.gemm(Cog, Lc, Kg, wOff + grp * Cog * Kg, Kg, false, b0 + grp * Kg * ldb, ldb, false, y, L, false);
      }
    }
    const len = (r1 - r0) * g.outW;
    // the bias and an activation in one pass (ReLU in biasAct's own loop)
    if (bd && act !== null && act !== 'relu') w.biasActF(yOff + r0 * g.outW, bOff, Cout, Cout, len, L, act.kind, act.a, act.b);
    else {
      if (bd || act === 'relu') w.biasAct(yOff + r0 * g.outW, bd ? bOff : -1, Cout, Cout, len, L, act === 'relu');
      activateRuns(w, act, yOff + r0 * g.outW, Cout, len, L);
    }
    F = w.f32();
    if (commit && !commit(n)) continue;
    if (whole) out.set(F.subarray(yOff, yOff + Cout * L), n * Cout * L);
    else {
      for (let c = 0; c < Cout; c++) {
        const at = c * L + r0 * g.outW;
        out.set(F.subarray(yOff + at, yOff + at + len), n * Cout * L + at);
      }
    }
  }
}

/** Whether the WebAssembly drivers run (the gemm loaded and is selected, and the js path is not forced). */
export function wasmConvEnabled(): boolean {
  return wasmGemm !== null && gemmBackend === 'wasm-simd' && selected !== 'js';
}

/**
 * Transposed convolution forward in WebAssembly memory, per image: the gemm
 * W^T x into the column matrix, col2im straight into the output image (no
 * separate scatter pass over JS arrays), bias there, one copy out. `g` is the
 * geometry with the output as the image and the input's pixels as window
 * positions; d.C is the input's channels, d.Cout the output's.
 */
export function convTransposeForwardWasm(d: ConvDims, xd: Float32Array, wd: Float32Array, bd: Float32Array | null, out: Float32Array): void {
  const w = wasmGemm!;
  const { N, C: Cin, Cout, G, g } = d;
  const Cig = Cin / G;
  const KgT = (Cout / G) * g.kh * g.kw;
  const Lin = g.outH * g.outW;
  const HWout = g.H * g.W;
  const rows = chunkRows(Cout * g.kh * g.kw, g.outW, g.outH);
  w.reset();
  const wOff = w.alloc(wd.length);
  const bOff = bd ? w.alloc(Cout) : -1;
  const xOff = w.alloc(Cin * Lin);
  const yOff = w.alloc(Cout * HWout);
  const colOff = w.alloc(Cout * g.kh * g.kw * rows * g.outW);
  let F = w.f32();
  F.set(wd, wOff);
  if (bd) F.set(bd, bOff);
  for (let n = 0; n < N; n++) {
    F = w.f32();
    F.set(xd.subarray(n * Cin * Lin, (n + 1) * Cin * Lin), xOff);
    F.fill(0, yOff, yOff + Cout * HWout);
    for (let r0 = 0; r0 < g.outH; r0 += rows) {
      const r1 = Math.min(g.outH, r0 + rows);
      const Lc = (r1 - r0) * g.outW;
      for (let grp = 0; grp < G; grp++) {
        w.gemm(KgT, Lc, Cig, wOff + grp * Cig * KgT, KgT, true, xOff + grp * Cig * Lin + r0 * g.outW, Lin, false, colOff + grp * KgT * Lc, Lc, false);
      }
      w.col2im(colOff, Cout, g, r0, r1, yOff);
    }
    if (bd) w.biasAct(yOff, bOff, Cout, Cout, HWout, HWout, false);
    F = w.f32();
    out.set(F.subarray(yOff, yOff + Cout * HWout), n * Cout * HWout);
  }
}
