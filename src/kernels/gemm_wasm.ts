/**
 * Loads the WebAssembly SIMD gemm (asm/gemm.ts, compiled by the build to
 * gemm.wasm next to this file; wasm_load.ts: synchronously in Node,
 * asynchronously in browsers), one instance per thread.
 *
 * The same source is also compiled with relaxed SIMD (gemm_relaxed.wasm: its
 * accumulations `c += a * b` as f32x4.relaxed_madd, a fused multiply-add on
 * x86 with FMA and on ARM). Where the engine validates relaxed SIMD (browsers
 * since 2023, Node 22+; Node 20 once the platform has turned on V8's
 * --experimental-wasm-relaxed-simd, platform.allowRelaxedSimd) that one loads,
 * else gemm.wasm (SIMD128: each product rounded before its add);
 * NORMKIT_RELAXED_SIMD=0 keeps SIMD128 (and leaves V8's flags alone). Both round differently from each other
 * by at most one float32 rounding per accumulation (within the oracle's
 * tolerances); a thread's pool workers load the same variant as it does.
 *
 * Callers place operands in the module's memory through a bump allocator
 * (`reset`, `alloc`), fill them through `f32()` (re-read after every `alloc`:
 * growing the memory replaces the buffer), run kernels on float offsets and
 * copy results out.
 */
import { platform } from '#platform';
import { instantiateWasm, instantiateWasmModule, instantiateWasmSync, type WasmLoad, type WasmModule } from './wasm_load.js';

interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

/** Adam's step's constants (asm/adam.ts adamF; each rounded to float32 as PyTorch's scalars are). */
export interface AdamHyper {
  shrink: number;
  l2: number;
  maximize: boolean;
  b1: number;
  c1: number;
  b2: number;
  c2: number;
  negStep: number;
  bc2: number;
  eps: number;
}

interface Exports {
  memory: WasmMemory;
  scratch(): number;
  gemm(M: number, N: number, K: number, a: number, lda: number, tA: number, b: number, ldb: number, tB: number, c: number, ldc: number, acc: number): void;
  gemvT(M: number, N: number, K: number, a: number, b: number, c: number, ldc: number, acc: number): void;
  gemmPacked(M: number, N: number, K: number, ap: number, b: number, ldb: number, tB: number, c: number, ldc: number, acc: number): void;
  biasActF(out: number, bias: number, planes: number, C: number, len: number, stride: number, kind: number, a: number, b: number): void;
  packAll(a: number, lda: number, tA: number, M: number, K: number, ap: number): void;
  packAllFloats(M: number, K: number): number;
  biasAct(out: number, bias: number, planes: number, C: number, len: number, stride: number, relu: number): void;
  shiftSum(z: number, Cout: number, nb: number, offs: number, Hz: number, Wz: number, outH: number, outW: number, bias: number, relu: number, y: number): void;
  im2col(
    x: number, C: number, H: number, W: number, kh: number, kw: number, sh: number, sw: number,
    ph: number, pw: number, dh: number, dw: number, outW: number, oh0: number, oh1: number, col: number,
  ): void;
  col2im(
    col: number, C: number, H: number, W: number, kh: number, kw: number, sh: number, sw: number,
    ph: number, pw: number, dh: number, dw: number, outW: number, oh0: number, oh1: number, x: number,
  ): void;
  reluGrad(y: number, g: number, out: number, n: number): void;
  tanhF(x: number, out: number, n: number): void;
  addF(a: number, b: number, out: number, n: number): void;
  heldRuns(op: number, x: number, runs: number, len: number, vals: number, out: number, vFirst: number): void;
  cycRuns(op: number, x: number, runs: number, len: number, y: number, out: number, yFirst: number): void;
  tanhGrad(y: number, g: number, out: number, n: number): void;
  padGrad(
    g: number, gx: number, planes: number, OH: number, OW: number, inH: number, inW: number, rowSrc: number,
    a: number, b: number, dst0: number, lw: number, ls: number, nl: number, rw: number, rs: number, nr: number,
  ): void;
  actF(kind: number, x: number, out: number, n: number, a: number, b: number): void;
  dwConv(x: number, C: number, H: number, W: number, mult: number, w: number, bias: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, dh: number, dw: number, Hp: number, Wp: number, outH: number, outW: number, y: number, pad: number, clear: number): void;
  dwScratch(Hp: number, Wp: number): number;
  maxPoolF(x: number, planes: number, H: number, W: number, outH: number, outW: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, dh: number, dw: number, y: number): void;
  polyPad(x: number, C: number, H: number, W: number, ph: number, pw: number, s: number, Hp: number, Wq: number, plane: number, hp0: number, hp1: number, out: number): void;
  dpackW(w: number, Cout: number, K: number, wp: number): void;
  dgradW(xq: number, offs: number, K: number, gy: number, Coutp: number, gyPlane: number, gyRow: number, outW: number, rowStep: number, r0: number, r1: number, acc: number): void;
  dgradWFinish(acc: number, Cout: number, K: number, Kw: number, gw: number, accumulate: number): void;
  unphase(Y: number, C: number, yPlane: number, Vp: number, u0: number, u1: number, V: number, out: number, H: number, W: number, a: number, b: number, sh: number, sw: number): void;
  unphase2(Y0: number, Y1: number, C: number, yPlane: number, Vp: number, u0: number, u1: number, out: number, H: number, W: number, a: number, sh: number): void;
  allFinite(p: number, n: number): number;
  spreadRows(src: number, planes: number, rows: number, cols: number, dstRow: number, dstPlane: number, dst: number): void;
  transposeF(x: number, out: number, rows: number, cols: number): void;
  padPlanesF(x: number, planes: number, has: number, inH: number, inW: number, mh: number, mw: number, H: number, W: number, left: number, fill: number, out: number): void;
  planeSums(x: number, planes: number, len: number, out: number): void;
  adamF(p: number, g: number, m: number, v: number, vmax: number, n: number, shrink: number, l2: number, maximize: number, b1: number, c1: number, b2: number, c2: number, negStep: number, bc2: number, eps: number): void;
  wg4GyT(gy: number, Cout: number, Coutp: number, outH: number, outW: number, tilesW: number, tr0: number, tr1: number, Ug: number, tmp: number, Tp: number, tBase: number): void;
  wg4GemmT(Ug: number, V: number, Acc: number, Coutp: number, C: number, Cp: number, T: number, Tp: number, first: number): void;
  wg4GradFinish(Acc: number, Cout: number, C: number, Cp: number, Coutp: number, tmp: number, gw: number): void;
  dconv(xq: number, offs: number, K: number, wp: number, Cout: number, bias: number, relu: number, rowStep: number, r0: number, r1: number, outWp: number, y: number, yPlane: number): void;
  wg4Weight(w: number, Cout: number, Cin: number, U: number, tmp: number, flip: number, ld: number): void;
  wg4Input(x: number, C: number, H: number, W: number, ph: number, pw: number, tilesW: number, tr0: number, tr1: number, V: number, tmp: number, Tp: number, tBase: number): void;
  wg4Gemm(U: number, V: number, M: number, Coutp: number, C: number, strips: number): void;
  wg4Output(M: number, Cout: number, Coutp: number, Tp: number, tilesW: number, tr0: number, tr1: number, y: number, outH: number, outW: number, bias: number, relu: number, tmp: number): void;
}

const PAGE = 65536;

/** Floats of resident arrays (see WasmGemm.resident) a module keeps at most: 128 MB. */
let residentFloats = 1 << 25;

/** Sets how many floats of resident arrays each module keeps (tests: a small budget drops them often). */
export function setResidentBudget(floats: number): void {
  residentFloats = Math.max(0, floats);
}

export class WasmGemm {
  readonly #ex: Exports;
  readonly #base: number;
  /** Where reset() puts the allocations: past the resident arrays. */
  #floor: number;
  #top: number;
  #view: Float32Array;
  /** Resident arrays by id: offset, length and the version copied. */
  readonly #resident = new Map<number | string, { at: number; floats: number; version: number }>();

  constructor(ex: Exports) {
    this.#ex = ex;
    this.#base = ex.scratch() >> 2;
    this.#floor = this.#base;
    this.#top = this.#base;
    this.#view = new Float32Array(ex.memory.buffer);
  }

  /** Who placed the current allocations (see reset). */
  owner: number | null = null;

  /**
   * Frees every allocation. `owner` tags the next ones: a caller that finds
   * its own tag still in place (nobody reset since) may reuse what it left,
   * when it allocates the same sizes in the same order.
   */
  reset(owner: number | null = null): void {
    this.owner = owner;
    this.#top = this.#floor;
  }

  /**
   * Float offset of a copy of `src` that stays in this memory across resets
   * (a layer's transformed weights, used call after call), copied again only
   * when `version` changes: the caller names the array by `id` and bumps the
   * version whenever its values change. Only right after a reset (it moves
   * where allocations start). Past 128 MB of resident arrays every one is
   * dropped and the memory reused, so a model's weights stay resident while
   * they fit.
   */
  resident(id: number | string, version: number, src: Float32Array): number {
    return this.residentWith(id, version, src.length, (at) => this.#view.set(src, at));
  }

  /** resident() for values `fill(at)` writes at `at` (`floats` of them) whenever `version` moves: a share of an array, say (fill may alloc temporaries, freed when it returns). */
  residentWith(id: number | string, version: number, floats: number, fill: (at: number) => void): number {
    if (this.#top !== this.#floor) throw new Error('internal: WasmGemm.resident after an alloc');
    let r = this.#resident.get(id);
    if (r === undefined || r.floats !== floats) {
      if (this.#floor - this.#base + floats > residentFloats) {
        this.#resident.clear();
        this.#floor = this.#base;
      }
      this.#top = this.#floor;
      r = { at: this.alloc(floats), floats, version: version - 1 };
      this.#floor = this.#top;
      this.#resident.set(id, r);
    }
    if (r.version !== version) {
      fill(r.at);
      // what fill allocated (staging) is freed
      this.#top = this.#floor;
      r.version = version;
    }
    return r.at;
  }

  /** Float offset of `floats` new floats (16-byte aligned), growing the memory as needed. */
  alloc(floats: number): number {
    const at = this.#top;
    this.#top = at + ((floats + 3) & ~3);
    const bytes = this.#top * 4;
    const mem = this.#ex.memory;
    if (bytes > mem.buffer.byteLength) {
      mem.grow(Math.ceil((bytes - mem.buffer.byteLength) / PAGE));
      this.#view = new Float32Array(mem.buffer);
    }
    return at;
  }

  /** The memory as floats (valid until the next `alloc`). */
  f32(): Float32Array {
    return this.#view;
  }

  /** C (+)= op(A) op(B) on float offsets and float strides; M, N >= 1. */
  gemm(M: number, N: number, K: number, a: number, lda: number, tA: boolean, b: number, ldb: number, tB: boolean, c: number, ldc: number, acc: boolean): void {
    this.#ex.gemm(M, N, K, a * 4, lda, tA ? 1 : 0, b * 4, ldb, tB ? 1 : 0, c * 4, ldc, acc ? 1 : 0);
  }

  /** gemm with A (M x K) packed by packAll at float offset ap. */
  gemmPacked(M: number, N: number, K: number, ap: number, b: number, ldb: number, tB: boolean, c: number, ldc: number, acc: boolean): void {
    this.#ex.gemmPacked(M, N, K, ap * 4, b * 4, ldb, tB ? 1 : 0, c * 4, ldc, acc ? 1 : 0);
  }

  /** op(A) (M x K at float offset a, stride lda) packed whole at ap, the layout gemmPacked reads (packedFloats(M, K) floats). */
  packAll(a: number, lda: number, tA: boolean, M: number, K: number, ap: number): void {
    this.#ex.packAll(a * 4, lda, tA ? 1 : 0, M, K, ap * 4);
  }

  /** Floats of packAll's layout of an M x K matrix. */
  packedFloats(M: number, K: number): number {
    return this.#ex.packAllFloats(M, K);
  }

  /** C (+)= A B^T for a few rows of A (M x K) and B stored N x K, contiguous (asm/gemm.ts gemvT; float offsets). */
  gemvT(M: number, N: number, K: number, a: number, b: number, c: number, ldc: number, acc: boolean): void {
    this.#ex.gemvT(M, N, K, a * 4, b * 4, c * 4, ldc, acc ? 1 : 0);
  }

  /** `planes` runs of `len` floats, `stride` apart, at `out`: += bias[p % C] (bias < 0: none), then max(0, .) when relu. */
  biasAct(out: number, bias: number, planes: number, C: number, len: number, stride: number, relu: boolean): void {
    this.#ex.biasAct(out * 4, bias < 0 ? 0 : bias * 4, planes, C, len, stride, relu ? 1 : 0);
  }

  /** The image (C x H x W at x) zero-padded into s column phases `plane` floats apart, padded rows [hp0, hp1) (asm/gemm.ts polyPad; float offsets). */
  polyPad(x: number, C: number, H: number, W: number, ph: number, pw: number, s: number, Hp: number, Wq: number, plane: number, hp0: number, hp1: number, out: number): void {
    this.#ex.polyPad(x * 4, C, H, W, ph, pw, s, Hp, Wq, plane, hp0, hp1, out * 4);
  }

  /** Cout x K weights (at w) packed 4 output channels at a time for dconv (float offsets). */
  dpackW(w: number, Cout: number, K: number, wp: number): void {
    this.#ex.dpackW(w * 4, Cout, K, wp * 4);
  }

  /** Implicit-gemm convolution (asm/gemm.ts dconv): float offsets except `offs`' entries and rowStep (bytes); bias < 0: none. */
  dconv(xq: number, offs: number, K: number, wp: number, Cout: number, bias: number, relu: boolean, rowStep: number, r0: number, r1: number, outWp: number, y: number, yPlane: number): void {
    this.#ex.dconv(xq * 4, offs * 4, K, wp * 4, Cout, bias < 0 ? 0 : bias * 4, relu ? 1 : 0, rowStep, r0, r1, outWp, y * 4, yPlane);
  }

  /** Weight-gradient accumulation (asm/gemm.ts dgradW): float offsets except `offs`' entries and rowStep (bytes). */
  dgradW(xq: number, offs: number, K: number, gy: number, Coutp: number, gyPlane: number, gyRow: number, outW: number, rowStep: number, r0: number, r1: number, acc: number): void {
    this.#ex.dgradW(xq * 4, offs * 4, K, gy * 4, Coutp, gyPlane, gyRow, outW, rowStep, r0, r1, acc * 4);
  }

  /** gw (+)= the lane sums of dgradW's accumulators (float offsets). */
  dgradWFinish(acc: number, Cout: number, K: number, Kw: number, gw: number, accumulate: boolean): void {
    this.#ex.dgradWFinish(acc * 4, Cout, K, Kw, gw * 4, accumulate ? 1 : 0);
  }

  /** One phase of a sub-pixel convolution written back into its image (asm/gemm.ts unphase; float offsets). */
  unphase(Y: number, C: number, yPlane: number, Vp: number, u0: number, u1: number, V: number, out: number, H: number, W: number, a: number, b: number, sh: number, sw: number): void {
    this.#ex.unphase(Y * 4, C, yPlane, Vp, u0, u1, V, out * 4, H, W, a, b, sh, sw);
  }

  /** Both column phases of a stride-2 sub-pixel convolution interleaved back into its image (asm/gemm.ts unphase2; float offsets). */
  unphase2(Y0: number, Y1: number, C: number, yPlane: number, Vp: number, u0: number, u1: number, out: number, H: number, W: number, a: number, sh: number): void {
    this.#ex.unphase2(Y0 * 4, Y1 * 4, C, yPlane, Vp, u0, u1, out * 4, H, W, a, sh);
  }

  /** Whether the n floats at float offset p are all finite. */
  allFinite(p: number, n: number): boolean {
    return this.#ex.allFinite(p * 4, n) !== 0;
  }

  /** Sums of shifted planes (asm/gemm.ts shiftSum): float offsets, `offs` the float offset of nb int32 shifts; bias < 0: none. */
  shiftSum(z: number, Cout: number, nb: number, offs: number, Hz: number, Wz: number, outH: number, outW: number, bias: number, relu: boolean, y: number): void {
    this.#ex.shiftSum(z * 4, Cout, nb, offs * 4, Hz, Wz, outH, outW, bias < 0 ? 0 : bias * 4, relu ? 1 : 0, y * 4);
  }

  /** Padded planes (asm/pad_planes.ts; float offsets, `has` a byte offset; mh, mw int32 maps). */
  padPlanes(x: number, planes: number, has: number, inH: number, inW: number, mh: number, mw: number, H: number, W: number, left: number, fill: number, out: number): void {
    this.#ex.padPlanesF(x * 4, planes, has, inH, inW, mh * 4, mw * 4, H, W, left, fill, out * 4);
  }

  /** out (cols x rows) = the transpose of the rows x cols matrix at x (asm/transpose.ts; float offsets, not overlapping). */
  transpose(x: number, out: number, rows: number, cols: number): void {
    this.#ex.transposeF(x * 4, out * 4, rows, cols);
  }

  /** Rows of `planes` contiguous planes copied to a wider row and plane stride (asm/gemm.ts spreadRows; float offsets). */
  spreadRows(src: number, planes: number, rows: number, cols: number, dstRow: number, dstPlane: number, dst: number): void {
    this.#ex.spreadRows(src * 4, planes, rows, cols, dstRow, dstPlane, dst * 4);
  }

  /** Float64 sums of `planes` planes of `len` floats at float offset x, written as float64s at float offset `out` (8-byte aligned; asm/gemm.ts planeSums). */
  planeSums(x: number, planes: number, len: number, out: number): void {
    this.#ex.planeSums(x * 4, planes, len, out * 4);
  }

  /** One Adam step over n floats at float offsets p, g, m, v and vmax (< 0: no amsgrad); asm/adam.ts says what each hyperparameter is. */
  adam(p: number, g: number, m: number, v: number, vmax: number, n: number, h: AdamHyper): void {
    this.#ex.adamF(p * 4, g * 4, m * 4, v * 4, vmax < 0 ? 0 : vmax * 4, n, h.shrink, h.l2, h.maximize ? 1 : 0, h.b1, h.c1, h.b2, h.c2, h.negStep, h.bc2, h.eps);
  }

  /** The memory as int32 (valid until the next `alloc`). */
  i32(): Int32Array {
    return new Int32Array(this.#view.buffer);
  }

  /** out = (y <= 0 ? 0 : g) over n floats (float offsets). */
  reluGrad(y: number, g: number, out: number, n: number): void {
    this.#ex.reluGrad(y * 4, g * 4, out * 4, n);
  }

  /** out = tanh(x) in float32 over n floats (asm/gemm.ts: tanhF; float offsets). */
  tanh(x: number, out: number, n: number): void {
    this.#ex.tanhF(x * 4, out * 4, n);
  }

  /** Runs of len floats of x, each with the len floats at y: x op y (y op x when yFirst); ops as heldRuns (asm/gemm.ts cycRuns; float offsets). */
  cycRuns(op: number, x: number, runs: number, len: number, y: number, out: number, yFirst: boolean): void {
    this.#ex.cycRuns(op, x * 4, runs, len, y * 4, out * 4, yFirst ? 1 : 0);
  }

  /** Runs of len floats of x, run r with vals[r]: x op v (v op x when vFirst); op 0 add, 1 sub, 2 mul, 3 div (asm/gemm.ts heldRuns; float offsets). */
  heldRuns(op: number, x: number, runs: number, len: number, vals: number, out: number, vFirst: boolean): void {
    this.#ex.heldRuns(op, x * 4, runs, len, vals * 4, out * 4, vFirst ? 1 : 0);
  }

  /** out = a + b in float32 over n floats (float offsets). */
  add(a: number, b: number, out: number, n: number): void {
    this.#ex.addF(a * 4, b * 4, out * 4, n);
  }

  /** out = g * (1 - y * y) in float32 over n floats. */
  tanhGrad(y: number, g: number, out: number, n: number): void {
    this.#ex.tanhGrad(y * 4, g * 4, out * 4, n);
  }

  /** Max-pooling values of `planes` H x W planes at float offset x into y (asm/maxpool.ts; x needs 4 floats of slack after it). */
  maxPool(x: number, planes: number, g: import('./pool.js').PoolGeom2d, y: number): void {
    this.#ex.maxPoolF(x * 4, planes, g.H, g.W, g.outH, g.outW, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, y * 4);
  }

  /** Depthwise convolution of one image (C planes at x; mult outputs each) into y, through the padded scratch plane `pad` (asm/depthwise.ts; float offsets, bias < 0: none). */
  /** Floats of dwConv's scratch for a padded plane of Hp x Wp (asm/depthwise.ts). */
  dwScratch(Hp: number, Wp: number): number {
    return this.#ex.dwScratch(Hp, Wp);
  }

  /** `clear`: zero the scratch's padding first (false: a call after one on the same scratch and geometry left it zero). */
  dwConv(x: number, C: number, mult: number, w: number, bias: number, g: import('./conv.js').ConvGeom2d, Hp: number, Wp: number, y: number, pad: number, clear: boolean): void {
    this.#ex.dwConv(x * 4, C, g.H, g.W, mult, w * 4, bias < 0 ? 0 : bias * 4, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, Hp, Wp, g.outH, g.outW, y * 4, pad * 4, clear ? 1 : 0);
  }

  /** The gradient of padding over `planes` planes (asm/pad_grad.ts; float offsets for g and gx, int offsets for the maps). */
  padGrad(
    g: number, gx: number, planes: number, OH: number, OW: number, inH: number, inW: number, rowSrc: number,
    a: number, b: number, dst0: number, lw: number, ls: number, nl: number, rw: number, rs: number, nr: number,
  ): void {
    this.#ex.padGrad(g * 4, gx * 4, planes, OH, OW, inH, inW, rowSrc * 4, a, b, dst0, lw * 4, ls * 4, nl, rw * 4, rs * 4, nr);
  }

  /** biasAct's runs + bias[p % C], then activation `kind` (act's codes), in one pass (float offsets; bias >= 0). */
  biasActF(out: number, bias: number, planes: number, C: number, len: number, stride: number, kind: number, a: number, b: number): void {
    this.#ex.biasActF(out * 4, bias * 4, planes, C, len, stride, kind, a, b);
  }

  /** out = activation `kind` (asm/activations.ts's codes; parameters a, b) of x over n floats (float offsets). */
  act(kind: number, x: number, out: number, n: number, a: number, b: number): void {
    this.#ex.actF(kind, x * 4, out * 4, n, a, b);
  }

  /** x (C x H x W at float offset x) += the adjoint of im2col of col, window rows [oh0, oh1). */
  col2im(col: number, C: number, g: import('./conv.js').ConvGeom2d, oh0: number, oh1: number, x: number): void {
    this.#ex.col2im(col * 4, C, g.H, g.W, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.outW, oh0, oh1, x * 4);
  }

  /** Winograd F(4x4, 3x3) weight-gradient stages (asm/gemm.ts wg4GyT, wg4GemmT, wg4GradFinish); offsets in floats. */
  wg4GyT(gy: number, Cout: number, Coutp: number, outH: number, outW: number, tilesW: number, tr0: number, tr1: number, Ug: number, tmp: number, Tp: number, tBase: number): void {
    this.#ex.wg4GyT(gy * 4, Cout, Coutp, outH, outW, tilesW, tr0, tr1, Ug * 4, tmp * 4, Tp, tBase);
  }

  wg4GemmT(Ug: number, V: number, Acc: number, Coutp: number, C: number, Cp: number, T: number, Tp: number, first: boolean): void {
    this.#ex.wg4GemmT(Ug * 4, V * 4, Acc * 4, Coutp, C, Cp, T, Tp, first ? 1 : 0);
  }

  wg4GradFinish(Acc: number, Cout: number, C: number, Cp: number, Coutp: number, tmp: number, gw: number): void {
    this.#ex.wg4GradFinish(Acc * 4, Cout, C, Cp, Coutp, tmp * 4, gw * 4);
  }

  /** Winograd F(4x4, 3x3) stages (asm/gemm.ts wg4*); offsets in floats, bias < 0: none. */
  wg4Weight(w: number, Cout: number, Cin: number, U: number, tmp: number, flip = false, ld = Cout): void {
    this.#ex.wg4Weight(w * 4, Cout, Cin, U * 4, tmp * 4, flip ? 1 : 0, ld);
  }

  wg4Input(x: number, C: number, H: number, W: number, ph: number, pw: number, tilesW: number, tr0: number, tr1: number, V: number, tmp: number, Tp = 0, tBase = 0): void {
    this.#ex.wg4Input(x * 4, C, H, W, ph, pw, tilesW, tr0, tr1, V * 4, tmp * 4, Tp, tBase);
  }

  wg4Gemm(U: number, V: number, M: number, Coutp: number, C: number, strips: number): void {
    this.#ex.wg4Gemm(U * 4, V * 4, M * 4, Coutp, C, strips);
  }

  wg4Output(M: number, Cout: number, Coutp: number, Tp: number, tilesW: number, tr0: number, tr1: number, y: number, outH: number, outW: number, bias: number, relu: boolean, tmp: number): void {
    this.#ex.wg4Output(M * 4, Cout, Coutp, Tp, tilesW, tr0, tr1, y * 4, outH, outW, bias < 0 ? 0 : bias * 4, relu ? 1 : 0, tmp * 4);
  }

  im2col(x: number, C: number, g: import('./conv.js').ConvGeom2d, oh0: number, oh1: number, col: number): void {
    this.#ex.im2col(x * 4, C, g.H, g.W, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.outW, oh0, oh1, col * 4);
  }
}

/** Which build of asm/gemm.ts runs: relaxed SIMD (fused multiply-add) or SIMD128. */
export type WasmGemmVariant = 'relaxed-simd' | 'simd128';

export interface WasmGemmLoad {
  gemm: WasmGemm | null;
  error: string | null;
  /** The build that loaded (null when none did). */
  variant: WasmGemmVariant | null;
  /** Why the relaxed-SIMD build is not the one running (null when it is). */
  relaxedError: string | null;
}

const GEMM_WASM = () => new URL('./gemm.wasm', import.meta.url);
const GEMM_RELAXED_WASM = () => new URL('./gemm_relaxed.wasm', import.meta.url);

/** The file names the compiled modules are kept under (wasm_load.ts), relaxed first. */
export const GEMM_MODULE_NAMES = ['gemm_relaxed.wasm', 'gemm.wasm'] as const;

const relaxedWanted = (): boolean => platform.env('NORMKIT_RELAXED_SIMD') !== '0';
const OFF = 'disabled by NORMKIT_RELAXED_SIMD=0';

function wrap(m: WasmLoad<Exports>, variant: WasmGemmVariant, relaxedError: string | null): WasmGemmLoad {
  return m.exports === null ? { gemm: null, error: m.error, variant: null, relaxedError } : { gemm: new WasmGemm(m.exports), error: null, variant, relaxedError };
}

/** Compiles and instantiates the gemm synchronously (where the host can): the relaxed-SIMD build where the engine takes it, else gemm.wasm; never throws (null with the reason when SIMD or the file is missing). */
export function loadWasmGemm(): WasmGemmLoad {
  let why = OFF;
  if (relaxedWanted()) {
    let r = instantiateWasmSync<Exports>(GEMM_RELAXED_WASM);
    if (r.exports === null && platform.allowRelaxedSimd()) r = instantiateWasmSync<Exports>(GEMM_RELAXED_WASM);
    if (r.exports !== null) return wrap(r, 'relaxed-simd', null);
    why = r.error;
  }
  return wrap(instantiateWasmSync<Exports>(GEMM_WASM), 'simd128', why);
}

/** The same, asynchronously (browsers); never rejects. */
export async function loadWasmGemmAsync(): Promise<WasmGemmLoad> {
  let why = OFF;
  if (relaxedWanted()) {
    let r = await instantiateWasm<Exports>(GEMM_RELAXED_WASM);
    if (r.exports === null && platform.allowRelaxedSimd()) r = await instantiateWasm<Exports>(GEMM_RELAXED_WASM);
    if (r.exports !== null) return wrap(r, 'relaxed-simd', null);
    why = r.error;
  }
  return wrap(await instantiateWasm<Exports>(GEMM_WASM), 'simd128', why);
}

/** From a module another thread compiled (the pool's workers), of the variant it runs; never throws. */
export function loadWasmGemmFrom(module: WasmModule, variant: WasmGemmVariant): WasmGemmLoad {
  return wrap(instantiateWasmModule<Exports>(module), variant, variant === 'relaxed-simd' ? null : 'the thread that started this worker runs SIMD128');
}
