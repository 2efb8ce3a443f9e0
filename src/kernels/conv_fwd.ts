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
 * - `winograd`: F(2x2, 3x3) for 3x3 stride-1 dilation-1 convolutions (see
 *   winograd.ts), on the wasm gemm.
 *
 * `convPath()` picks: NORMKIT_CONV=js|wasm|winograd|auto (default auto) or
 * `setConvPath`; auto runs winograd where it applies and pays, else wasm,
 * and js when the WebAssembly gemm is off (NORMKIT_NO_WASM=1, NORMKIT_GEMM=js).
 */
import { RuntimeError } from '../errors.js';
import { addBias, chunkRows, im2col, type ConvGeom2d } from './conv.js';
import { gemm, gemmBackend, wasmGemm } from './gemm.js';
import { winogradApplies, winogradForward, winogradPays } from './winograd.js';

export type ConvPathName = 'auto' | 'js' | 'wasm' | 'winograd';

/** A convolution's sizes: N images of C channels, Cout outputs, G groups, 2-D geometry. */
export interface ConvDims {
  N: number;
  C: number;
  Cout: number;
  G: number;
  g: ConvGeom2d;
}

const PATHS: readonly ConvPathName[] = ['auto', 'js', 'wasm', 'winograd'];

function envPath(): ConvPathName {
  const v = process.env.NORMKIT_CONV;
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

/** True for a 1x1, stride-1, unpadded convolution: the image is its own column matrix. */
export function isPointwise(g: ConvGeom2d): boolean {
  return g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1 && g.ph === 0 && g.pw === 0 && g.outH === g.H && g.outW === g.W;
}

/** The path that runs `d` now. A forced path that does not apply (winograd on a 5x5 kernel, wasm without wasm) falls back. */
export function convPath(d: ConvDims): Exclude<ConvPathName, 'auto'> {
  const wasmOk = wasmGemm !== null && gemmBackend === 'wasm-simd';
  if (!wasmOk) return 'js';
  if (selected === 'js') return 'js';
  if (selected === 'winograd') return winogradApplies(d) ? 'winograd' : 'wasm';
  if (selected === 'wasm') return 'wasm';
  return winogradApplies(d) && winogradPays(d) ? 'winograd' : 'wasm';
}

/** Where a path writes image n's output channels: out[n * stride + base ..]. */
export interface OutPlace {
  stride: number;
  base: number;
}

/**
 * Runs images [n0, n1), output channels [co0, co1), of the forward on `path`,
 * writing out (N x Cout x outH x outW). A channel range needs one group.
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
  co0 = 0,
  co1 = d.Cout,
): void {
  const L = d.g.outH * d.g.outW;
  const o: OutPlace = { stride: d.Cout * L, base: co0 * L };
  let dd = d;
  if (co0 !== 0 || co1 !== d.Cout) {
    if (d.G !== 1) throw new RuntimeError('convForwardImages: a channel range needs groups = 1');
    const Kg = d.C * d.g.kh * d.g.kw;
    dd = { ...d, Cout: co1 - co0 };
    wd = wd.subarray(co0 * Kg, co1 * Kg);
    bd = bd ? bd.subarray(co0, co1) : null;
  }
  if (path === 'winograd') winogradForward(dd, xd, wd, bd, out, n0, n1, o);
  else if (path === 'wasm') forwardWasm(dd, xd, wd, bd, out, n0, n1, o);
  else forwardJs(dd, xd, wd, bd, out, n0, n1, o);
}

function forwardJs(d: ConvDims, xd: Float32Array, wd: Float32Array, bd: Float32Array | null, out: Float32Array, n0: number, n1: number, o: OutPlace): void {
  const { C, Cout, G, g } = d;
  const Cig = C / G;
  const Cog = Cout / G;
  const Kg = Cig * g.kh * g.kw;
  const L = g.outH * g.outW;
  const HW = g.H * g.W;
  const direct = isPointwise(g);
  const rows = direct ? g.outH : chunkRows(C * g.kh * g.kw, g.outW, g.outH);
  const col = direct ? xd : new Float32Array(C * g.kh * g.kw * rows * g.outW);
  for (let n = n0; n < n1; n++) {
    for (let oh0 = 0; oh0 < g.outH; oh0 += rows) {
      const oh1 = Math.min(g.outH, oh0 + rows);
      const Lc = (oh1 - oh0) * g.outW;
      const colBase = direct ? n * C * HW : 0;
      if (!direct) im2col(xd, n * C * HW, C, g, col, 0, oh0, oh1);
      for (let grp = 0; grp < G; grp++) {
        gemm(Cog, Lc, Kg, wd, col, out, {
          aOffset: grp * Cog * Kg,
          bOffset: colBase + grp * Kg * Lc,
          cOffset: n * o.stride + o.base + grp * Cog * L + oh0 * g.outW,
          ldc: L,
        });
      }
    }
  }
  if (bd) for (let n = n0; n < n1; n++) addBias(out.subarray(n * o.stride + o.base, n * o.stride + o.base + Cout * L), bd, 1, Cout, L);
}

function forwardWasm(d: ConvDims, xd: Float32Array, wd: Float32Array, bd: Float32Array | null, out: Float32Array, n0: number, n1: number, o: OutPlace): void {
  const w = wasmGemm!;
  const { C, Cout, G, g } = d;
  const Cig = C / G;
  const Cog = Cout / G;
  const Kg = Cig * g.kh * g.kw;
  const L = g.outH * g.outW;
  const HW = g.H * g.W;
  const direct = isPointwise(g);
  const rows = direct ? g.outH : chunkRows(C * g.kh * g.kw, g.outW, g.outH);
  w.reset();
  const wOff = w.alloc(wd.length);
  const bOff = bd ? w.alloc(Cout) : -1;
  const xOff = w.alloc(C * HW);
  const yOff = w.alloc(Cout * L);
  const colOff = direct ? xOff : w.alloc(C * g.kh * g.kw * rows * g.outW);
  let F = w.f32();
  F.set(wd, wOff);
  if (bd) F.set(bd, bOff);
  for (let n = n0; n < n1; n++) {
    F = w.f32();
    F.set(xd.subarray(n * C * HW, (n + 1) * C * HW), xOff);
    for (let oh0 = 0; oh0 < g.outH; oh0 += rows) {
      const oh1 = Math.min(g.outH, oh0 + rows);
      const Lc = (oh1 - oh0) * g.outW;
      if (!direct) w.im2col(xOff, C, g, oh0, oh1, colOff);
      for (let grp = 0; grp < G; grp++) {
        w.gemm(Cog, Lc, Kg, wOff + grp * Cog * Kg, Kg, false, colOff + grp * Kg * Lc, Lc, false, yOff + grp * Cog * L + oh0 * g.outW, L, false);
      }
    }
    if (bd) w.biasAct(yOff, bOff, Cout, Cout, L, false);
    F = w.f32();
    out.set(F.subarray(yOff, yOff + Cout * L), n * o.stride + o.base);
  }
}
