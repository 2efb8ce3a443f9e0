/**
 * Loads the WebAssembly SIMD gemm (asm/gemm.ts, compiled by the build to
 * gemm.wasm next to this file; wasm_load.ts: synchronously in Node,
 * asynchronously in browsers), one instance per thread.
 *
 * Callers place operands in the module's memory through a bump allocator
 * (`reset`, `alloc`), fill them through `f32()` (re-read after every `alloc`:
 * growing the memory replaces the buffer), run kernels on float offsets and
 * copy results out.
 */
import { instantiateWasm, instantiateWasmModule, instantiateWasmSync, type WasmLoad, type WasmModule } from './wasm_load.js';

interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

interface Exports {
  memory: WasmMemory;
  scratch(): number;
  gemm(M: number, N: number, K: number, a: number, lda: number, tA: number, b: number, ldb: number, tB: number, c: number, ldc: number, acc: number): void;
  biasAct(out: number, bias: number, planes: number, C: number, len: number, stride: number, relu: number): void;
  im2col(
    x: number, C: number, H: number, W: number, kh: number, kw: number, sh: number, sw: number,
    ph: number, pw: number, dh: number, dw: number, outW: number, oh0: number, oh1: number, col: number,
  ): void;
  col2im(
    col: number, C: number, H: number, W: number, kh: number, kw: number, sh: number, sw: number,
    ph: number, pw: number, dh: number, dw: number, outW: number, oh0: number, oh1: number, x: number,
  ): void;
  reluGrad(y: number, g: number, out: number, n: number): void;
  directConv(xp: number, C: number, Hp: number, Wp: number, w: number, Cout: number, kh: number, kw: number, outH: number, outW: number, r0: number, r1: number, y: number): void;
  wgWeight(w: number, Cout: number, Cin: number, U: number): void;
  wgInput(x: number, C: number, H: number, W: number, ph: number, pw: number, tilesW: number, tr0: number, tr1: number, V: number): void;
  wgOutput(M: number, Cout: number, tilesW: number, tr0: number, tr1: number, y: number, outH: number, outW: number, bias: number): void;
}

const PAGE = 65536;

export class WasmGemm {
  readonly #ex: Exports;
  readonly #base: number;
  #top: number;
  #view: Float32Array;

  constructor(ex: Exports) {
    this.#ex = ex;
    this.#base = ex.scratch() >> 2;
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
    this.#top = this.#base;
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

  /** `planes` runs of `len` floats, `stride` apart, at `out`: += bias[p % C] (bias < 0: none), then max(0, .) when relu. */
  biasAct(out: number, bias: number, planes: number, C: number, len: number, stride: number, relu: boolean): void {
    this.#ex.biasAct(out * 4, bias < 0 ? 0 : bias * 4, planes, C, len, stride, relu ? 1 : 0);
  }

  /** Direct stride-1 convolution over a zero-padded input, output rows [r0, r1) (asm/gemm.ts; float offsets). */
  directConv(xp: number, C: number, Hp: number, Wp: number, w: number, Cout: number, kh: number, kw: number, outH: number, outW: number, r0: number, r1: number, y: number): void {
    this.#ex.directConv(xp * 4, C, Hp, Wp, w * 4, Cout, kh, kw, outH, outW, r0, r1, y * 4);
  }

  /** out = (y <= 0 ? 0 : g) over n floats (float offsets). */
  reluGrad(y: number, g: number, out: number, n: number): void {
    this.#ex.reluGrad(y * 4, g * 4, out * 4, n);
  }

  /** x (C x H x W at float offset x) += the adjoint of im2col of col, window rows [oh0, oh1). */
  col2im(col: number, C: number, g: import('./conv.js').ConvGeom2d, oh0: number, oh1: number, x: number): void {
    this.#ex.col2im(col * 4, C, g.H, g.W, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.outW, oh0, oh1, x * 4);
  }

  /** Winograd F(2x2, 3x3) transforms (asm/gemm.ts); offsets in floats, bias < 0: none. */
  wgWeight(w: number, Cout: number, Cin: number, U: number): void {
    this.#ex.wgWeight(w * 4, Cout, Cin, U * 4);
  }

  wgInput(x: number, C: number, H: number, W: number, ph: number, pw: number, tilesW: number, tr0: number, tr1: number, V: number): void {
    this.#ex.wgInput(x * 4, C, H, W, ph, pw, tilesW, tr0, tr1, V * 4);
  }

  wgOutput(M: number, Cout: number, tilesW: number, tr0: number, tr1: number, y: number, outH: number, outW: number, bias: number): void {
    this.#ex.wgOutput(M * 4, Cout, tilesW, tr0, tr1, y * 4, outH, outW, bias < 0 ? 0 : bias * 4);
  }

  im2col(x: number, C: number, g: import('./conv.js').ConvGeom2d, oh0: number, oh1: number, col: number): void {
    this.#ex.im2col(x * 4, C, g.H, g.W, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.outW, oh0, oh1, col * 4);
  }
}

export interface WasmGemmLoad {
  gemm: WasmGemm | null;
  error: string | null;
}

const GEMM_WASM = () => new URL('./gemm.wasm', import.meta.url);

const wrap = (m: WasmLoad<Exports>): WasmGemmLoad => (m.exports === null ? { gemm: null, error: m.error } : { gemm: new WasmGemm(m.exports), error: null });

/** Compiles and instantiates gemm.wasm synchronously (where the host can); never throws (null with the reason when SIMD or the file is missing). */
export function loadWasmGemm(): WasmGemmLoad {
  return wrap(instantiateWasmSync<Exports>(GEMM_WASM));
}

/** The same, asynchronously (browsers); never rejects. */
export async function loadWasmGemmAsync(): Promise<WasmGemmLoad> {
  return wrap(await instantiateWasm<Exports>(GEMM_WASM));
}

/** From a module another thread compiled (the pool's workers); never throws. */
export function loadWasmGemmFrom(module: WasmModule): WasmGemmLoad {
  return wrap(instantiateWasmModule<Exports>(module));
}
