/**
 * The normalization backend the ops call: the drivers of norm.ts bound to an
 * executor that picks the kernels (WebAssembly SIMD when it loads, else the
 * TypeScript reference; both give bit-identical results) and spreads large
 * calls over worker threads.
 *
 * Environment (through the host, #platform): NORMKIT_NO_WASM=1 forces the
 * TypeScript kernels; NORMKIT_THREADS=n caps the threads (1 = never use workers).
 */
import { platform } from '#platform';
import { RuntimeError } from '../errors.js';
import * as drivers from './norm.js';
import type { NormExecutor, NormLayout, NormNeed } from './norm.js';
import { bulkElements, specs, type KernelArgs, type KernelName, type NormKernels } from './norm_calls.js';
import { jsKernels } from './norm_js.js';
import { NormPool } from './norm_pool.js';
import { allocStorage, hasCachedStorage } from '../tensor/storage.js';
import { loadWasmKernels, type WasmLoad } from './norm_wasm.js';
import { ThreadChoice, type ThreadSpeed } from './thread_choice.js';

export type NormBackendName = 'wasm' | 'js';

const wasmDisabled = platform.env('NORMKIT_NO_WASM') === '1';
let wasm: WasmLoad = wasmDisabled ? { kernels: null, error: 'disabled by NORMKIT_NO_WASM=1' } : loadWasmKernels();

let backend: NormBackendName = wasm.kernels ? 'wasm' : 'js';
let kernels: NormKernels = wasm.kernels ?? jsKernels;
/** Whether the user picked the backend (then a late WebAssembly load does not switch it). */
let chosen = false;

/**
 * Kernels that loaded after import (browsers: `initWasm()`): used from now on,
 * as they would have been from the start had they loaded synchronously.
 */
export function adoptWasmKernels(load: WasmLoad): NormBackendName {
  if (wasmDisabled || wasm.kernels) return backend;
  wasm = load;
  if (load.kernels && !chosen) {
    kernels = load.kernels;
    backend = 'wasm';
  }
  return backend;
}

/**
 * Calls writing fewer float32 elements than this stay on one thread: posting
 * a worker its share and staging its inputs cost about what the second core
 * saves (measured on 2 cores at 2M elements: the pool 1.1-2.2x slower, see
 * bench/). Larger calls use the pool only while it measures faster than one
 * thread (see `choose`); 0 (tests) sends every call, even those without
 * outputs, to the pool, unmeasured.
 */
let threshold = 1 << 23;

function defaultThreads(): number {
  const env = Number.parseInt(platform.env('NORMKIT_THREADS') ?? '', 10);
  const cores = platform.cores();
  return Math.max(1, Math.min(Number.isFinite(env) && env > 0 ? env : cores, 8));
}

let threads = defaultThreads();
let pool: NormPool | null = null;

/**
 * Threads can be used at all here: shared memory, and a thread that may block
 * (Node: the main thread; browsers: a dedicated Worker of a cross-origin-isolated
 * page). Otherwise setNumThreads still sets the cap, calls stay on this thread,
 * and normBackendInfo().threadsUnavailable says why.
 */
const threadsPossible = platform.canUseWorkers;

/** The pool, if a call writing `outElements` may use it (starting it on the first such call). */
function poolFor(outElements: number): NormPool | null {
  if (threads < 2 || !threadsPossible || outElements < threshold) return null;
  if (!pool) pool = new NormPool(threads - 1);
  return pool.ready ? pool : null;
}

/** Calls run by pools since replaced. */
let threadedCalls = 0;

/** Drops a pool of the wrong size (a failed pool stays: no retries after a failure). */
function resizePool(): void {
  if (pool && !pool.dead && threads >= 2 && pool.size !== threads - 1) {
    threadedCalls += pool.runs;
    pool.shutdown();
    pool = null;
  }
}

/**
 * Outputs at least this large that the pool writes go to shared memory, so
 * the workers write (and page in) their share themselves. Smaller ones stay
 * in ordinary memory; the workers' share of those is copied back from their
 * staging buffers.
 */
let sharedMinBytes = 32 << 20;

/**
 * Whether a call goes to the pool is measured (thread_choice.ts) per kernel,
 * size class (a power of two of output elements) and output memory (fresh,
 * recycled, recycled shared): fresh output memory costs a page fault per
 * 4 KB, which the pool's threads share, while recycled memory leaves only the
 * arithmetic and the workers' staging copies (a call on data in cache or at
 * the memory's bandwidth gains nothing).
 */
const choice = new ThreadChoice();

/** Forgets the measured speeds. */
export function resetNormThreadSpeeds(): void {
  choice.reset();
}

/** The measured speeds (elements per ms) by `kernel sizeClass memory`, and whether the pool is preferred. */
export function normThreadSpeeds(): Record<string, ThreadSpeed> {
  return choice.speeds();
}

/**
 * What alloc decided for an output it handed out, for the run that writes it:
 * the measurement key, whether the pool runs it, and when it was allocated
 * (a call is timed from its output's allocation to the end of the run that
 * writes it, which covers a driver's passes in between, such as batch
 * norm's sums before its pooled input gradient).
 */
const plans = new WeakMap<Float32Array, { key: string; threaded: boolean; t0: number }>();

/** The array a kernel call writes in bulk (its first output), if any. */
function outputOf<K extends KernelName>(kernel: K, a: KernelArgs[K]): Float32Array | null {
  const r = a as unknown as Record<string, unknown>;
  for (const arg of specs[kernel].args) if (arg.role === 'out' && r[arg.name]) return r[arg.name] as Float32Array;
  return null;
}

export const normExecutor: NormExecutor = {
  // Outputs come from tensor storage (recycled when disposed under noGrad; see tensor/storage.ts).
  alloc(n, kernel) {
    if (threshold === 0) {
      const a = allocStorage(n, poolFor(n) !== null && n * 4 >= sharedMinBytes);
      plans.set(a, { key: '', threaded: true, t0: 0 });
      return a;
    }
    if (n < threshold || !threadsPossible) return allocStorage(n);
    // Recycled memory (ordinary first) is measured apart from fresh memory, which the pool pages in faster.
    // One thread's speed is measured on one thread too, so that a switch to more threads starts informed.
    const plain = hasCachedStorage(n, false);
    const memory = plain ? 'r' : hasCachedStorage(n, true) ? 'rs' : 'f';
    const key = `${kernel} ${31 - Math.clz32(n)} ${memory}`;
    const threaded = poolFor(n) !== null && choice.choose(key);
    const a = allocStorage(n, memory === 'rs' || (memory === 'f' && threaded && n * 4 >= sharedMinBytes));
    plans.set(a, { key, threaded, t0: performance.now() });
    return a;
  },
  pooled: (out) => plans.get(out)?.threaded === true,
  run<K extends KernelName>(kernel: K, a: KernelArgs[K]): void {
    const bulk = bulkElements(kernel, a as unknown as Record<string, unknown>);
    const out = outputOf(kernel, a);
    const plan = out ? plans.get(out) : undefined;
    if (plan) plans.delete(out!);
    const fn = kernels[kernel] as (a: KernelArgs[K]) => void;
    // A channel's planes are strided: the pool cannot split such calls (see KernelSpec).
    const poolable = specs[kernel].count !== 'channels';
    if (threshold === 0) {
      const p = poolable ? poolFor(bulk.out) : null;
      if (p) p.run(kernel, a, kernels, backend, bulk.all);
      else fn(a);
      return;
    }
    // Calls without a planned output (statistics, arrays not from alloc) stay on this thread.
    const p = plan?.threaded && poolable ? poolFor(bulk.out) : null;
    if (p) p.run(kernel, a, kernels, backend, bulk.all);
    else fn(a);
    if (plan) choice.observe(plan.key, p !== null, bulk.all / (performance.now() - plan.t0));
  },
};

/** Selects the kernels: 'wasm' (throws if they could not be loaded) or 'js'. */
export function setNormBackend(name: NormBackendName): void {
  if (name === 'wasm') {
    if (!wasm.kernels) throw new RuntimeError(`the WebAssembly normalization kernels are unavailable: ${wasm.error}`);
    kernels = wasm.kernels;
  } else if (name === 'js') {
    kernels = jsKernels;
  } else {
    throw new RuntimeError(`unknown normalization backend '${String(name)}' (expected 'wasm' or 'js')`);
  }
  backend = name;
  chosen = true;
}

export function getNormBackend(): NormBackendName {
  return backend;
}

/**
 * Caps the threads large normalization calls use (1 = this thread only).
 * `tuning` moves the thresholds (mainly for tests): `minElements`, the
 * output elements a call needs to be considered for the workers (0: every
 * call goes to them, even those without outputs, unmeasured), and
 * `sharedOutputBytes`, the size from which outputs the workers write go to
 * shared memory.
 */
export function setNormThreads(n: number, tuning: { minElements?: number; sharedOutputBytes?: number } = {}): void {
  if (!Number.isInteger(n) || n < 1) throw new RuntimeError(`setNormThreads: expected a positive integer, got ${n}`);
  threads = Math.min(n, 8);
  if (tuning.minElements !== undefined) threshold = Math.max(0, tuning.minElements);
  if (tuning.sharedOutputBytes !== undefined) sharedMinBytes = Math.max(0, tuning.sharedOutputBytes);
  resizePool();
}

/**
 * The same pool for the other kernel families (convolution: conv_threads.ts):
 * null on one thread, and until the workers are ready (the first call starts them).
 */
export function taskPool(): NormPool | null {
  if (threads < 2 || !threadsPossible) return null;
  if (!pool) pool = new NormPool(threads - 1);
  return pool.ready ? pool : null;
}

/** The thread cap every kernel family shares (NORMKIT_THREADS, default the machine's cores, at most 8). */
export function threadCount(): number {
  return threads;
}

/** Caps the threads of every kernel family (normalization and convolution); 1 = this thread only. */
export function setNumThreads(n: number): void {
  setNormThreads(n);
}

/** Workers started before `initWasm()` get its modules too. */
export function shareWasmWithThreads(): void {
  pool?.shareWasm();
}

/** Starts the worker threads now (normally started by the first large call) and resolves once they can be used. */
export async function warmNormThreads(): Promise<boolean> {
  if (threads < 2 || !threadsPossible) return false;
  if (!pool) pool = new NormPool(threads - 1);
  return pool.whenReady();
}

export interface NormBackendInfo {
  backend: NormBackendName;
  wasmAvailable: boolean;
  wasmError: string | null;
  /** The thread cap (setNumThreads, NORMKIT_THREADS). */
  threads: number;
  threadsPossible: boolean;
  /** Why large calls stay on this thread whatever the cap (null when workers can be used). */
  threadsUnavailable: string | null;
  /** Threads large calls are split over now: the pool's workers and this thread once the pool is ready, else 1. */
  threadsInUse: number;
  poolReady: boolean;
  minElements: number;
  sharedOutputBytes: number;
  /** Kernel calls the worker pool has shared out so far. */
  threadedCalls: number;
}

export function normBackendInfo(): NormBackendInfo {
  return {
    backend,
    wasmAvailable: wasm.kernels !== null,
    wasmError: wasm.error,
    threads,
    threadsPossible,
    threadsUnavailable: platform.workersUnavailable,
    threadsInUse: pool?.ready ? pool.size + 1 : 1,
    poolReady: pool?.ready ?? false,
    minElements: threshold,
    sharedOutputBytes: sharedMinBytes,
    threadedCalls: threadedCalls + (pool?.runs ?? 0),
  };
}

// The drivers, on this backend.
export const normStats = (x: Float32Array, l: NormLayout): drivers.NormStats & drivers.StatBounds => drivers.normStats(x, l, normExecutor);

export const normForward = (x: Float32Array, l: NormLayout, eps: number, weight: Float32Array | null, bias: Float32Array | null, relu = false): drivers.NormForward =>
  drivers.normForward(x, l, eps, weight, bias, normExecutor, relu);

export const normApply = (
  x: Float32Array,
  l: NormLayout,
  mean: ArrayLike<number>,
  rstd: ArrayLike<number>,
  weight: Float32Array | null,
  bias: Float32Array | null,
  bounds?: drivers.ApplyBounds,
  relu = false,
): Float32Array => drivers.normApply(x, l, mean, rstd, weight, bias, normExecutor, bounds, relu);

export const normBackward = (
  x: Float32Array,
  dy: Float32Array,
  l: NormLayout,
  mean: ArrayLike<number>,
  rstd: ArrayLike<number>,
  weight: Float32Array | null,
  statsFromInput: boolean,
  need: NormNeed,
): drivers.NormGrads => drivers.normBackward(x, dy, l, mean, rstd, weight, statsFromInput, need, normExecutor);

export const layerNormForward = (
  x: Float32Array,
  rows: number,
  D: number,
  eps: number,
  weight: Float32Array | null,
  bias: Float32Array | null,
): drivers.NormForward => drivers.layerNormForward(x, rows, D, eps, weight, bias, normExecutor);

export const layerNormBackward = (
  x: Float32Array,
  dy: Float32Array,
  rows: number,
  D: number,
  mean: ArrayLike<number>,
  rstd: ArrayLike<number>,
  weight: Float32Array | null,
  need: NormNeed,
): drivers.NormGrads => drivers.layerNormBackward(x, dy, rows, D, mean, rstd, weight, need, normExecutor);
