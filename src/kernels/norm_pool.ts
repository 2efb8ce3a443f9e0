/**
 * Runs a normalization kernel call on the main thread and persistent worker
 * threads at once, each on a contiguous range of units (groups, planes, rows).
 *
 * The public API is synchronous, so the main thread posts each worker its
 * range, computes its own, then blocks in Atomics.wait until the workers flag
 * completion in a shared control word. Workers only see shared memory: bulk
 * arrays already in a SharedArrayBuffer (outputs allocated by `allocShared`)
 * are used in place, the others are copied into a per-worker staging buffer
 * (inputs before posting, outputs back after). Workers are unref'd, so they
 * never keep the process alive. On any failure (a worker error, or no answer
 * within the deadline) the main thread computes the missing range itself and
 * the pool shuts down for good: results never depend on the threads.
 *
 * The share of work a worker gets adapts to the measured speed of each side.
 */
import { Worker } from 'node:worker_threads';
import { sliceArgs, specs, type KernelArgs, type KernelName, type NormKernels } from './norm_js.js';

/** Layout of each worker's control buffer (Int32 indices, one Float64 slot). */
export const CTRL = { ready: 0, done: 1, status: 2, timeByteOffset: 16, bytes: 32 } as const;

export interface JobMessage {
  id: number;
  kernel: string;
  backend: string;
  args: Record<string, unknown>;
}

type Arr = Float32Array | Float64Array;

export const isShared = (v: ArrayBufferView): boolean =>
  typeof SharedArrayBuffer === 'function' && v.buffer instanceof SharedArrayBuffer;

/** A float32 array in shared memory (workers can write it directly). */
export function allocShared(n: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(n * 4));
}

/** How long the main thread waits for a worker before doing the work itself. */
function deadlineMs(bulk: number): number {
  return 10_000 + bulk * 1e-4;
}

class PoolWorker {
  readonly worker: Worker;
  readonly ctrl: Int32Array;
  readonly time: Float64Array;
  staging: SharedArrayBuffer = new SharedArrayBuffer(0);
  failed = false;
  #id = 0;

  constructor(onFail: () => void) {
    const buf = new SharedArrayBuffer(CTRL.bytes);
    this.ctrl = new Int32Array(buf);
    this.time = new Float64Array(buf, CTRL.timeByteOffset, 1);
    // No inherited flags: under `node -e`, say, they would make the worker run the eval'd script.
    this.worker = new Worker(new URL('./norm_worker.js', import.meta.url), { workerData: { ctrl: buf }, execArgv: [] });
    this.worker.unref();
    const fail = (): void => {
      this.failed = true;
      onFail();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', fail);
  }

  get ready(): boolean {
    return !this.failed && Atomics.load(this.ctrl, CTRL.ready) === 1;
  }

  /** A staging buffer of at least `bytes` (grown, never shrunk). */
  stage(bytes: number): SharedArrayBuffer {
    if (this.staging.byteLength < bytes) this.staging = new SharedArrayBuffer(Math.ceil(bytes * 1.25 / 64) * 64);
    return this.staging;
  }

  post(m: Omit<JobMessage, 'id'>): number {
    const id = ++this.#id;
    this.worker.postMessage({ ...m, id });
    return id;
  }

  /** Blocks until job `id` is done; false on error or timeout. */
  wait(id: number, deadline: number): boolean {
    const end = performance.now() + deadline;
    for (;;) {
      const done = Atomics.load(this.ctrl, CTRL.done);
      if (done === id) return Atomics.load(this.ctrl, CTRL.status) === 0;
      const left = end - performance.now();
      if (left <= 0 || this.failed) return false;
      Atomics.wait(this.ctrl, CTRL.done, done, Math.min(left, 100));
    }
  }
}

/** Where a worker's view of one argument came from, to copy or add it back afterwards. */
interface Staged {
  name: string;
  role: 'out' | 'result' | 'accum';
  view: Arr;
}

export class NormPool {
  readonly #workers: PoolWorker[] = [];
  #dead = false;
  /** Worker share of the units per kernel (each worker gets this fraction). */
  readonly #share = new Map<string, number>();

  constructor(workers: number) {
    try {
      for (let i = 0; i < workers; i++) this.#workers.push(new PoolWorker(() => this.shutdown()));
    } catch {
      this.shutdown();
    }
  }

  get size(): number {
    return this.#workers.length;
  }

  /** True once every worker has loaded its kernels. */
  get ready(): boolean {
    return !this.#dead && this.#workers.length > 0 && this.#workers.every((w) => w.ready);
  }

  get dead(): boolean {
    return this.#dead;
  }

  shutdown(): void {
    if (this.#dead) return;
    this.#dead = true;
    for (const w of this.#workers) {
      w.failed = true;
      void w.worker.terminate().catch(() => undefined);
    }
  }

  /** Resolves when the workers are ready (true) or the pool has failed (false). */
  async whenReady(timeoutMs = 10_000): Promise<boolean> {
    const end = performance.now() + timeoutMs;
    while (!this.ready && !this.#dead && performance.now() < end) await new Promise((r) => setTimeout(r, 5));
    return this.ready;
  }

  /**
   * Runs `kernel` over all units of `a`, split between this thread and the
   * workers. `kernels` is this thread's kernel set; `backend` names the set
   * the workers should use (both give identical results).
   */
  run<K extends KernelName>(kernel: K, a: KernelArgs[K], kernels: NormKernels, backend: string, bulk: number): void {
    const spec = specs[kernel];
    const src = a as unknown as Record<string, unknown>;
    const units = src[spec.count] as number;
    const k = this.#workers.length;
    const share = this.#share.get(kernel) ?? 1 / (k + 1);
    const perWorker = Math.floor(units * share);
    const mainUnits = units - k * perWorker;
    const fn = kernels[kernel] as (a: KernelArgs[K]) => void;
    if (perWorker === 0 || !this.ready) {
      fn(a);
      return;
    }
    const jobs: { w: PoolWorker; id: number; u0: number; u1: number; staged: Staged[] }[] = [];
    this.#workers.forEach((w, i) => {
      const u0 = mainUnits + i * perWorker;
      const u1 = u0 + perWorker;
      const { args, staged } = this.#workerArgs(w, kernel, a, u0, u1);
      jobs.push({ w, id: w.post({ kernel, backend, args }), u0, u1, staged });
    });
    const t0 = performance.now();
    fn(sliceArgs(kernel, a, 0, mainUnits));
    const mainMs = performance.now() - t0;
    let workerMs = 0;
    for (const job of jobs) {
      const ok = job.w.wait(job.id, deadlineMs(bulk));
      if (!ok) {
        this.shutdown();
        fn(sliceArgs(kernel, a, job.u0, job.u1));
        continue;
      }
      workerMs = Math.max(workerMs, job.w.time[0]!);
      this.#copyBack(kernel, a, job.u0, job.u1, job.staged);
    }
    if (!this.#dead && mainMs > 0 && workerMs > 0) {
      // Balance: main rate mainMs/mainUnits against worker rate workerMs/perWorker.
      const rm = mainMs / mainUnits;
      const rw = workerMs / perWorker;
      const target = rm / (rm + k * rw);
      this.#share.set(kernel, Math.min(0.9 / k, Math.max(0.05, 0.7 * share + 0.3 * target)));
    }
  }

  #workerArgs<K extends KernelName>(w: PoolWorker, kernel: K, a: KernelArgs[K], u0: number, u1: number): { args: Record<string, unknown>; staged: Staged[] } {
    const spec = specs[kernel];
    const sliced = sliceArgs(kernel, a, u0, u1) as unknown as Record<string, unknown>;
    // Staging layout: every non-shared bulk or output array gets a 16-byte aligned region.
    let bytes = 0;
    const place: Record<string, number> = {};
    for (const arg of spec.args) {
      const v = sliced[arg.name] as Arr | null;
      if (!v || arg.role === 'scalar' || arg.role === 'whole' || arg.role === 'param') continue;
      // Accumulators are always private: the main thread adds into the original meanwhile.
      if (isShared(v) && arg.role !== 'accum') continue;
      place[arg.name] = bytes;
      bytes += Math.ceil(v.byteLength / 16) * 16;
    }
    const buf = bytes > 0 ? w.stage(bytes) : null;
    const args: Record<string, unknown> = { ...sliced };
    const staged: Staged[] = [];
    for (const arg of spec.args) {
      const v = sliced[arg.name] as Arr | null;
      if (!v || !(arg.name in place)) continue;
      const view = v instanceof Float64Array ? new Float64Array(buf!, place[arg.name], v.length) : new Float32Array(buf!, place[arg.name], v.length);
      if (arg.role === 'in') view.set(v);
      else if (arg.role === 'accum') view.fill(0);
      if (arg.role === 'out' || arg.role === 'result' || arg.role === 'accum') staged.push({ name: arg.name, role: arg.role, view });
      args[arg.name] = view;
    }
    return { args, staged };
  }

  #copyBack<K extends KernelName>(kernel: K, a: KernelArgs[K], u0: number, u1: number, staged: Staged[]): void {
    const sliced = sliceArgs(kernel, a, u0, u1) as unknown as Record<string, unknown>;
    for (const s of staged) {
      const target = sliced[s.name] as Arr;
      if (s.role === 'accum') {
        for (let i = 0; i < target.length; i++) target[i]! += s.view[i]!;
      } else {
        target.set(s.view);
      }
    }
  }
}
