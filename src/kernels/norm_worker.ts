/**
 * A normalization worker thread (see norm_pool.ts): runs one kernel call per
 * message on arrays in shared memory, then reports through the control words
 * the main thread is blocked on (Atomics.wait), since the public API is
 * synchronous and the main thread cannot receive messages while it waits.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { jsKernels, type KernelArgs, type KernelName } from './norm_js.js';
import { loadWasmKernels } from './norm_wasm.js';
import { CTRL, type JobMessage } from './norm_pool.js';

const ctrl = new Int32Array((workerData as { ctrl: SharedArrayBuffer }).ctrl);
const time = new Float64Array((workerData as { ctrl: SharedArrayBuffer }).ctrl, CTRL.timeByteOffset, 1);
const wasm = loadWasmKernels();

parentPort!.on('message', (m: JobMessage) => {
  const t0 = performance.now();
  let status = 0;
  try {
    // Both kernel sets give identical results; the WebAssembly one is faster.
    const kernels = m.backend === 'wasm' && wasm.kernels ? wasm.kernels : jsKernels;
    (kernels[m.kernel as KernelName] as (a: KernelArgs[KernelName]) => void)(m.args as unknown as KernelArgs[KernelName]);
  } catch {
    status = 1;
  }
  time[0] = performance.now() - t0;
  Atomics.store(ctrl, CTRL.status, status);
  Atomics.store(ctrl, CTRL.done, m.id);
  Atomics.notify(ctrl, CTRL.done);
});

Atomics.store(ctrl, CTRL.ready, 1);
