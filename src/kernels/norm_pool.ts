/**
 * Runs a normalization kernel call on the main thread and persistent worker
 * threads at once, each on a contiguous range of units (groups, planes, rows).
 *
 * The public API is synchronous, so the main thread posts each worker its
 * range, then blocks in Atomics.wait on shared control words (it cannot take
 * messages while it waits). Workers only see shared memory: arrays already in
 * a SharedArrayBuffer (large outputs: `allocStorage(n, true)`) are used in
 * place; the others go through a per-worker staging buffer. The copies are
 * pipelined: the main thread stages a worker's inputs piece by piece while
 * the worker starts on the first pieces, and copies finished output pieces
 * back while it waits. Workers are unref'd, so they never keep the process
 * alive. On any failure (a worker error, or no answer within the deadline)
 * the main thread computes the missing range itself and the pool shuts down
 * for good: results never depend on the threads.
 *
 * The share of work each worker gets adapts to the measured speeds.
 */
import { platform, type HostWorker } from '#platform';
import { sliceArgs, specs, type KernelArgs, type KernelName, type NormKernels } from './norm_calls.js';
import { isShared } from '../tensor/storage.js';
import { compiledWasm, type WasmModule } from './wasm_load.js';

/**
 * Int32 indices of a worker's control buffer, and the Float64 slot for its time.
 * `staged` (main to worker) and `finished` (worker to main) count units of the
 * current job; the worker bumps `signal` after every change it makes, and the
 * main thread waits on that one word, so no wake-up can be missed. The main
 * thread bumps `bell` after every message it posts: a worker that takes its
 * messages synchronously (WorkerPort.receive) waits on that word instead of
 * its event loop.
 */
export const CTRL = { ready: 0, done: 1, status: 2, staged: 3, finished: 4, signal: 5, timeByteOffset: 24, bell: 8, bytes: 40 } as const;

export interface JobMessage {
  id: number;
  kernel: string;
  backend: string;
  args: Record<string, unknown>;
  /** Units in this job, processed in pieces of `piece` as staging allows. */
  units: number;
  piece: number;
}

/**
 * A whole task for one worker (other kernel families, e.g. convolution): its
 * arrays are in shared memory, it runs in one piece and reports like a job.
 */
export interface TaskMessage {
  id: number;
  task: string;
  args: Record<string, unknown>;
}

/** What a worker starts with: its control words and the WebAssembly modules compiled so far (by file name). */
export interface WorkerData {
  ctrl: SharedArrayBuffer;
  wasm?: Record<string, WasmModule>;
}

/** Modules compiled after the workers started (browsers: `initWasm()`), for those that lack them. */
export interface WasmMessage {
  wasm: Record<string, WasmModule>;
}

type Arr = Float32Array | Float64Array;

/** Input bytes per staged piece: small enough to start a worker early, large enough to amortize the wake-ups. */
const PIECE_BYTES = 512 * 1024;

/** How long the main thread waits for a worker before doing the work itself. */
function deadlineMs(bulk: number): number {
  return 10_000 + bulk * 1e-4;
}

class PoolWorker {
  readonly worker: HostWorker;
  readonly ctrl: Int32Array;
  readonly time: Float64Array;
  staging: SharedArrayBuffer = new SharedArrayBuffer(0);
  failed = false;
  #id = 0;

  constructor(onFail: () => void) {
    const buf = new SharedArrayBuffer(CTRL.bytes);
    this.ctrl = new Int32Array(buf);
    this.time = new Float64Array(buf, CTRL.timeByteOffset, 1);
    const data: WorkerData = { ctrl: buf, wasm: compiledWasm() };
    this.worker = platform.startWorker(new URL('./norm_worker.js', import.meta.url), data, () => {
      this.failed = true;
      onFail();
    });
  }

  get ready(): boolean {
    return !this.failed && Atomics.load(this.ctrl, CTRL.ready) === 1;
  }

  /** A staging buffer of at least `bytes` (grown, never shrunk). */
  stage(bytes: number): SharedArrayBuffer {
    if (this.staging.byteLength < bytes) this.staging = new SharedArrayBuffer(Math.ceil((bytes * 1.25) / 64) * 64);
    return this.staging;
  }

  post(m: Omit<JobMessage, 'id'>, staged: number): number {
    const id = ++this.#id;
    Atomics.store(this.ctrl, CTRL.staged, staged);
    Atomics.store(this.ctrl, CTRL.finished, 0);
    this.send({ ...m, id });
    return id;
  }

  postTask(task: string, args: Record<string, unknown>): number {
    const id = ++this.#id;
    Atomics.store(this.ctrl, CTRL.staged, 0);
    Atomics.store(this.ctrl, CTRL.finished, 0);
    this.send({ id, task, args } satisfies TaskMessage);
    return id;
  }

  /** Posts a message and rings the bell a worker waiting on shared memory wakes to. */
  send(m: JobMessage | TaskMessage | WasmMessage): void {
    this.worker.postMessage(m);
    Atomics.add(this.ctrl, CTRL.bell, 1);
    Atomics.notify(this.ctrl, CTRL.bell);
  }

  publishStaged(units: number): void {
    Atomics.store(this.ctrl, CTRL.staged, units);
    Atomics.notify(this.ctrl, CTRL.staged);
  }
}

/** One worker's part of a call: its arguments and what goes back to the caller's arrays. */
interface Job {
  w: PoolWorker;
  id: number;
  u0: number;
  units: number;
  args: Record<string, unknown>;
  /** Inputs to copy into staging, piece by piece (`per` elements per unit). */
  stageIn: { from: Arr; view: Arr; per: number }[];
  /** Outputs and per-unit results to copy back, piece by piece. */
  copyOut: { to: Arr; view: Arr; per: number }[];
  /** Float64 accumulators to add into the caller's after the job. */
  accum: { to: Arr; view: Arr }[];
  copied: number;
}

export class NormPool {
  readonly #workers: PoolWorker[] = [];
  #dead = false;
  /** Units each worker gets, as a fraction of the call's, per kernel. */
  readonly #share = new Map<string, number>();
  /** Calls split with the workers so far. */
  runs = 0;

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

  /** Sends the workers the WebAssembly modules compiled since they started (they take what they lack). */
  shareWasm(): void {
    if (this.#dead) return;
    const m: WasmMessage = { wasm: compiledWasm() };
    for (const w of this.#workers) if (!w.failed) w.send(m);
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
    // A call the pool takes gives each worker at least one unit (and this thread one).
    const perWorker = units > k ? Math.max(1, Math.min(Math.floor(units * share), Math.floor((units - 1) / k))) : 0;
    const mainUnits = units - k * perWorker;
    const fn = kernels[kernel] as (a: KernelArgs[K]) => void;
    if (perWorker === 0 || !this.ready) {
      fn(a);
      return;
    }
    this.runs++;
    let unitBytes = 0;
    for (const arg of spec.args) if ((arg.role === 'in' || arg.role === 'out') && src[arg.name]) unitBytes += arg.per!(src) * 4;
    const piece = Math.max(1, Math.floor(PIECE_BYTES / Math.max(1, unitBytes)));

    const jobs = this.#workers.map((w, i) => this.#job(w, kernel, a, mainUnits + i * perWorker, perWorker));
    for (const j of jobs) j.id = j.w.post({ kernel, backend, args: j.args, units: j.units, piece }, j.stageIn.length ? 0 : j.units);
    const t0 = performance.now();
    for (let p0 = 0; p0 < perWorker; p0 += piece) {
      const p1 = Math.min(perWorker, p0 + piece);
      for (const j of jobs) {
        if (!j.stageIn.length) continue;
        for (const s of j.stageIn) s.view.set(s.from.subarray(p0 * s.per, p1 * s.per), p0 * s.per);
        j.w.publishStaged(p1);
      }
    }
    const t1 = performance.now();
    fn(sliceArgs(kernel, a, 0, mainUnits));
    const t2 = performance.now();

    let workerMs = 0;
    for (const j of jobs) {
      if (!this.#collect(j, deadlineMs(bulk))) {
        this.shutdown();
        fn(sliceArgs(kernel, a, j.u0, j.u0 + j.units));
        continue;
      }
      workerMs = Math.max(workerMs, j.w.time[0]!);
      for (const s of j.accum) for (let i = 0; i < s.to.length; i++) s.to[i]! += s.view[i]!;
    }
    if (!this.#dead && workerMs > 0) {
      // Per-unit rates: staging (main), computing (main), computing (worker). The main thread
      // stages k * W units and computes U - k * W; a worker computes W. Equal finish times give
      // W / U = main / (worker + k * main - k * staging).
      const stage = (t1 - t0) / (k * perWorker);
      const main = (t2 - t1) / mainUnits;
      const worker = workerMs / perWorker;
      const den = worker + k * main - k * stage;
      const target = den > 0 ? main / den : 0.9 / k;
      this.#share.set(kernel, Math.min(0.9 / k, Math.max(0.05, 0.7 * share + 0.3 * target)));
    }
  }

  /**
   * Posts `task` with the same `args` to every worker and returns at once
   * (false, posting nothing, when the pool is not ready). Such tasks share
   * their work through counters in their own shared arrays (see
   * conv_threads.ts): the caller takes part and never waits on a worker that
   * has claimed nothing, so a descheduled worker cannot slow it down.
   */
  broadcast(task: string, args: Record<string, unknown>): boolean {
    if (!this.ready) return false;
    this.runs++;
    for (const w of this.#workers) w.postTask(task, args);
    return true;
  }

  /** A worker's arguments for units [u0, u0 + units), with staging views for what it cannot share. */
  #job<K extends KernelName>(w: PoolWorker, kernel: K, a: KernelArgs[K], u0: number, units: number): Job {
    const spec = specs[kernel];
    const src = a as unknown as Record<string, unknown>;
    const sliced = sliceArgs(kernel, a, u0, u0 + units) as unknown as Record<string, unknown>;
    const args: Record<string, unknown> = { ...sliced };
    const job: Job = { w, id: 0, u0, units, args, stageIn: [], copyOut: [], accum: [], copied: 0 };
    // Accumulators are always private (the main thread adds into the original meanwhile);
    // other arrays already in shared memory are used in place.
    const staged = spec.args.filter((arg) => {
      const v = sliced[arg.name] as Arr | null;
      if (!v || arg.role === 'scalar') return false;
      if (arg.role === 'whole' || arg.role === 'param') {
        // Small: cloned with the message (slice first, so only these elements are copied).
        args[arg.name] = isShared(v) ? v : v.slice();
        return false;
      }
      return arg.role === 'accum' || !isShared(v);
    });
    let bytes = 0;
    const offsets = staged.map((arg) => {
      const at = bytes;
      bytes += Math.ceil((sliced[arg.name] as Arr).byteLength / 16) * 16;
      return at;
    });
    const buf = bytes > 0 ? w.stage(bytes) : null;
    staged.forEach((arg, i) => {
      const v = sliced[arg.name] as Arr;
      const view = v instanceof Float64Array ? new Float64Array(buf!, offsets[i], v.length) : new Float32Array(buf!, offsets[i], v.length);
      args[arg.name] = view;
      if (arg.role === 'in') job.stageIn.push({ from: v, view, per: arg.per!(src) });
      else if (arg.role === 'accum') {
        view.fill(0);
        job.accum.push({ to: v, view });
      } else job.copyOut.push({ to: v, view, per: arg.per!(src) });
    });
    return job;
  }

  /** Waits for a job, copying finished pieces back as they come; false on error or timeout. */
  #collect(j: Job, deadline: number): boolean {
    const end = performance.now() + deadline;
    const ctrl = j.w.ctrl;
    for (;;) {
      const signal = Atomics.load(ctrl, CTRL.signal);
      // `done` is written after the last `finished`: read it first, then `finished` is final when done.
      const done = Atomics.load(ctrl, CTRL.done) === j.id;
      const fin = Atomics.load(ctrl, CTRL.finished);
      if (fin > j.copied) {
        for (const c of j.copyOut) c.to.set(c.view.subarray(j.copied * c.per, fin * c.per), j.copied * c.per);
        j.copied = fin;
      }
      if (done) return Atomics.load(ctrl, CTRL.status) === 0 && j.copied === j.units;
      const left = end - performance.now();
      if (left <= 0 || j.w.failed) return false;
      Atomics.wait(ctrl, CTRL.signal, signal, Math.min(left, 100));
    }
  }
}
