/**
 * A normalization worker thread (see norm_pool.ts): runs its range of one
 * kernel call per message, in pieces as the main thread stages the inputs,
 * and reports through shared control words, since the main thread is blocked
 * in Atomics.wait and cannot receive messages.
 *
 * Its data and messages come through the host (#platform: Node's workerData
 * and parentPort, a Web Worker's messages). Where the host can take a message
 * synchronously (Node), the worker sleeps on its bell word between messages
 * instead of in its event loop, which wakes far later. The WebAssembly kernels: its own
 * where the host loads them synchronously (Node), else the modules the main
 * thread compiled, sent with the data or later (browsers, after initWasm()).
 */
import { platform } from '#platform';
import { sliceArgs, type KernelArgs, type KernelName } from './norm_calls.js';
import { jsKernels } from './norm_js.js';
import { loadWasmKernels, loadWasmKernelsFrom, type WasmLoad } from './norm_wasm.js';
import { CTRL, type JobMessage, type TaskMessage, type WasmMessage, type WorkerData } from './norm_pool.js';
import { adoptWasmGemm, wasmGemm, wasmGemmVariant } from './gemm.js';
import { loadWasmGemmFrom } from './gemm_wasm.js';
import { runTask } from './tasks.js';
import type { WasmModule } from './wasm_load.js';

const port = await platform.workerPort();
const buf = (port.data as WorkerData).ctrl;
const ctrl = new Int32Array(buf);
const time = new Float64Array(buf, CTRL.timeByteOffset, 1);
let wasm: WasmLoad = loadWasmKernels();

/** Takes the main thread's compiled modules for whatever did not load here. */
function adoptModules(modules: Record<string, WasmModule> | undefined): void {
  const norm = modules?.['norm.wasm'];
  if (!wasm.kernels && norm) wasm = loadWasmKernelsFrom(norm);
  // The variant the main thread runs (it compiled only that one, relaxed SIMD first).
  const relaxed = modules?.['gemm_relaxed.wasm'];
  const gemm = relaxed ?? modules?.['gemm.wasm'];
  if (wasmGemm === null && gemm) adoptWasmGemm(loadWasmGemmFrom(gemm, relaxed ? 'relaxed-simd' : 'simd128'));
}
adoptModules((port.data as WorkerData).wasm);

/** The kernels this worker has (for inspection: a browser test asks a pool worker through its devtools). */
export function workerKernels(): { norm: 'wasm' | 'js'; gemm: 'wasm-simd' | 'scalar'; gemmVariant: string | null } {
  return { norm: wasm.kernels ? 'wasm' : 'js', gemm: wasmGemm ? 'wasm-simd' : 'scalar', gemmVariant: wasmGemmVariant };
}

/** Makes a change visible to the main thread, which waits on the signal word. */
function signal(): void {
  Atomics.add(ctrl, CTRL.signal, 1);
  Atomics.notify(ctrl, CTRL.signal);
}

/** Reports call `id` done (its time since t0 and its status: 0 ok, 1 failed). */
function finish(id: number, t0: number, status: number): void {
  time[0] = performance.now() - t0;
  Atomics.store(ctrl, CTRL.status, status);
  Atomics.store(ctrl, CTRL.done, id);
  signal();
}

function handle(message: unknown): void {
  const m = message as JobMessage | TaskMessage | WasmMessage;
  if ('wasm' in m) {
    adoptModules(m.wasm);
    return;
  }
  const t0 = performance.now();
  let status = 0;
  if ('task' in m) {
    try {
      runTask(m.task, m.args);
    } catch {
      status = 1;
    }
    finish(m.id, t0, status);
    return;
  }
  try {
    // Both kernel sets give identical results; the WebAssembly one is faster.
    const kernels = m.backend === 'wasm' && wasm.kernels ? wasm.kernels : jsKernels;
    const kernel = m.kernel as KernelName;
    const fn = kernels[kernel] as (a: KernelArgs[KernelName]) => void;
    const args = m.args as unknown as KernelArgs[KernelName];
    for (let p0 = 0; p0 < m.units; ) {
      const p1 = Math.min(m.units, p0 + m.piece);
      for (let s = Atomics.load(ctrl, CTRL.staged); s < p1; s = Atomics.load(ctrl, CTRL.staged)) {
        if (Atomics.wait(ctrl, CTRL.staged, s, 10_000) === 'timed-out') throw new Error('staging stalled');
      }
      fn(sliceArgs(kernel, args, p0, p1));
      Atomics.store(ctrl, CTRL.finished, p1);
      signal();
      p0 = p1;
    }
  } catch {
    status = 1;
  }
  finish(m.id, t0, status);
}

Atomics.store(ctrl, CTRL.ready, 1);
const receive = port.receive?.bind(port);
if (receive === undefined) port.onMessage(handle);
else {
  // Waiting on the bell wakes this thread within tens of microseconds where its event loop took a
  // few hundred, with tails of several milliseconds (measured on a conv layer's pool calls). The
  // main thread posts, then bumps the bell: the bell is read before looking for a message, so a
  // message posted after the look has changed it and the wait returns at once. (The timeout only
  // bounds a wait; worker.terminate() interrupts one.)
  for (;;) {
    const bell = Atomics.load(ctrl, CTRL.bell);
    const m = receive();
    if (m !== undefined) handle(m);
    else Atomics.wait(ctrl, CTRL.bell, bell, 1000);
  }
}
