/**
 * Loads the WebAssembly SIMD normalization kernels (asm/norm.ts, compiled by
 * the build to norm.wasm next to this file; wasm_load.ts: synchronously in
 * Node, asynchronously in browsers), and wraps them in the NormKernels
 * interface of norm_js.ts.
 *
 * WebAssembly sees only its own memory, so each call copies its data in and
 * out in chunks of whole units (~384 KB of input): a chunk is read from main
 * memory once, the statistics and the output pass then run on it while it sits
 * in the core's cache, and the output goes back in place of the input.
 */
import { specs, type KernelArgs, type KernelName, type NormKernels } from './norm_calls.js';

import { instantiateWasm, instantiateWasmModule, instantiateWasmSync, type WasmLoad as ModuleLoad, type WasmModule } from './wasm_load.js';

interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

const CHUNK_BYTES = 384 * 1024;
const PAGE = 65536;

type Exports = { memory: WasmMemory; heapBase(): number } & Record<KernelName, (...args: number[]) => void>;
type Arr = Float32Array | Float64Array;

const align16 = (n: number): number => (n + 15) & ~15;

class WasmNorm {
  readonly #ex: Exports;
  readonly #base: number;
  #top = 0;

  constructor(ex: Exports) {
    this.#ex = ex;
    // Never 0: a zero pointer means "no array" to the kernels.
    this.#base = Math.max(16, align16(ex.heapBase()));
  }

  #alloc(bytes: number): number {
    const p = this.#top;
    this.#top = align16(p + bytes);
    return p;
  }

  call<K extends KernelName>(kernel: K, args: KernelArgs[K]): void {
    const spec = specs[kernel];
    const a = args as unknown as Record<string, unknown>;
    const units = a[spec.count] as number;
    if (units <= 0) return;
    let unitBytes = 0;
    for (const arg of spec.args) if (arg.role === 'in') unitBytes += arg.per!(a) * 4;
    const chunk = Math.max(1, Math.min(units, Math.floor(CHUNK_BYTES / Math.max(1, unitBytes))));

    this.#top = this.#base;
    const ptr: Record<string, number> = {};
    for (const arg of spec.args) {
      if (arg.role === 'scalar') continue;
      const v = a[arg.name] as Arr | null;
      const size = arg.type === 'f64' ? 8 : 4;
      if (!v) ptr[arg.name] = 0;
      else if (arg.role === 'whole' || arg.role === 'accum') ptr[arg.name] = this.#alloc(v.length * size);
      else if (arg.reuse && ptr[arg.reuse]) ptr[arg.name] = ptr[arg.reuse]!; // in place of its input
      else ptr[arg.name] = this.#alloc(arg.per!(a) * chunk * size);
    }
    const mem = this.#ex.memory;
    if (this.#top > mem.buffer.byteLength) mem.grow(Math.ceil((this.#top - mem.buffer.byteLength) / PAGE));
    const f32 = new Float32Array(mem.buffer);
    const f64 = new Float64Array(mem.buffer);
    const view = (type: string | undefined): Arr => (type === 'f64' ? f64 : f32);
    const shift = (type: string | undefined): number => (type === 'f64' ? 3 : 2);

    for (const arg of spec.args) {
      const v = a[arg.name] as Arr | null;
      if (v && (arg.role === 'whole' || arg.role === 'accum')) view(arg.type).set(v, ptr[arg.name]! >> shift(arg.type));
    }
    // Per-chunk work, resolved once: copies in, copies out, and the parameter slots that change.
    // Channel units: a chunk of channels is N runs, gathered into [N][chunk][S] (see KernelSpec).
    const strided = spec.count === 'channels';
    const N = strided ? (a.N as number) : 1;
    const S = strided ? (a.S as number) : 0;
    const C = strided ? (a.C as number) : 0;
    interface Copy { v: Arr; mem: Arr; at: number; per: number; bulk: boolean }
    const copyIn: Copy[] = [];
    const copyOut: Copy[] = [];
    const params = new Array<number>(spec.args.length);
    let countSlot = -1;
    let c0Slot = -1;
    spec.args.forEach((arg, i) => {
      if (arg.role === 'scalar') {
        if (arg.name === spec.count) countSlot = i;
        else if (arg.name === 'c0') c0Slot = i;
        else params[i] = a[arg.name] as number;
        return;
      }
      params[i] = ptr[arg.name]!;
      const v = a[arg.name] as Arr | null;
      if (!v) return;
      const bulk = strided && (arg.role === 'in' || arg.role === 'out');
      const c = { v, mem: view(arg.type), at: ptr[arg.name]! >> shift(arg.type), per: arg.per ? arg.per(a) : 0, bulk };
      if (arg.role === 'in' || arg.role === 'param') copyIn.push(c);
      else if (arg.role === 'out' || arg.role === 'result') copyOut.push(c);
    });
    const fn = this.#ex[kernel];
    const ppu = spec.planesPerUnit(a);
    for (let u0 = 0; u0 < units; u0 += chunk) {
      const u1 = Math.min(units, u0 + chunk);
      const run = (u1 - u0) * S;
      for (const c of copyIn) {
        if (!c.bulk) c.mem.set(c.v.subarray(u0 * c.per, u1 * c.per), c.at);
        else for (let n = 0; n < N; n++) c.mem.set(c.v.subarray((n * C + u0) * S, (n * C + u1) * S), c.at + n * run);
      }
      params[countSlot] = u1 - u0;
      if (c0Slot >= 0) params[c0Slot] = ((a.c0 as number) + u0 * ppu) % (a.C as number);
      fn(...params);
      for (const c of copyOut) {
        if (!c.bulk) c.v.set(c.mem.subarray(c.at, c.at + (u1 - u0) * c.per), u0 * c.per);
        else for (let n = 0; n < N; n++) c.v.set(c.mem.subarray(c.at + n * run, c.at + (n + 1) * run), (n * C + u0) * S);
      }
    }
    for (const arg of spec.args) {
      const v = a[arg.name] as Arr | null;
      if (v && arg.role === 'accum') {
        const p = ptr[arg.name]! >> 3;
        v.set(f64.subarray(p, p + v.length));
      }
    }
  }
}

export interface WasmLoad {
  kernels: NormKernels | null;
  /** Why the kernels are unavailable (missing file, no SIMD support, ...). */
  error: string | null;
}

const NORM_WASM = () => new URL('./norm.wasm', import.meta.url);

function wrap(m: ModuleLoad<Exports>): WasmLoad {
  if (m.exports === null) return { kernels: null, error: m.error };
  const w = new WasmNorm(m.exports);
  const kernels = Object.fromEntries(
    (Object.keys(specs) as KernelName[]).map((k) => [k, (a: KernelArgs[typeof k]) => w.call(k, a)]),
  ) as NormKernels;
  return { kernels, error: null };
}

/** Compiles and instantiates norm.wasm synchronously (where the host can); never throws. */
export function loadWasmKernels(): WasmLoad {
  return wrap(instantiateWasmSync<Exports>(NORM_WASM));
}

/** The same, asynchronously (browsers); never rejects. */
export async function loadWasmKernelsAsync(): Promise<WasmLoad> {
  return wrap(await instantiateWasm<Exports>(NORM_WASM));
}

/** From a module another thread compiled (the pool's workers); never throws. */
export function loadWasmKernelsFrom(module: WasmModule): WasmLoad {
  return wrap(instantiateWasmModule<Exports>(module));
}
