/**
 * The forward of ReLU, tanh, the same-shape add, the padding of images and
 * nearest resampling of images on every core (layer_tasks.ts: pieces of
 * elements or planes that this thread and the pool's workers claim from a
 * shared counter). These layers are memory-bound, so splitting them pays only
 * where their data is already in shared memory (copying it there costs what
 * the second core saves, and V8 copies shared memory (TypedArray set,
 * copyWithin) with relaxed atomics, 3-4x slower than a memmove, which the
 * padding and the wasm round trips of ReLU and tanh are made of): under
 * noGrad, on more than one thread, a large call (an output of at least
 * `minElements`) whose inputs are all shared (a threaded convolution's
 * output, say) uses the pool while it measures faster than one thread
 * (thread_choice.ts, per kind and size class); its output is shared then.
 * Every other call is the one-thread kernel, into ordinary memory. Results are identical to one
 * thread's: every piece runs the kernel one thread would run on that range.
 * With gradients on, and on one thread, these are the plain kernels.
 */
import { isGradEnabled } from '../tensor/grad_mode.js';
import { numel, type Shape } from '../tensor/shape.js';
import { allocStorage, isShared } from '../tensor/storage.js';
import { taskPool, threadCount } from './backend.js';
import { addSame } from './elementwise.js';
import { gemmBackend } from './gemm.js';
import { nearest2d } from './interpolate.js';
import { LAYER_SLOT, layerPiece, workLayer, type LayerKind, type LayerTask } from './layer_tasks.js';
import { gatherPad, planePad } from './pad.js';
import { reluForward } from './relu.js';
import { tanhForward } from './tanh.js';
import { ThreadChoice, type ThreadSpeed } from './thread_choice.js';

/**
 * Output elements below which a call stays on one thread: 2^18 floats (1 MB)
 * take ~0.1 ms at these layers' ~10 GB/s, about what posting the workers and
 * waking them costs.
 */
let minElements = 1 << 18;
let adapt = true;
const choice = new ThreadChoice();

/** Moves the single-thread threshold (tests: 0 and adaptive false split every call under noGrad on more than one thread). */
export function setLayerThreadMin(elements: number, adaptive = true): void {
  minElements = Math.max(0, elements);
  adapt = adaptive;
}

/** Forgets the measured speeds. */
export function resetLayerThreadSpeeds(): void {
  choice.reset();
}

/** The measured speeds (units per ms) by `kind sizeClass`, and whether the pool is preferred. */
export function layerThreadSpeeds(): Record<string, ThreadSpeed> {
  return choice.speeds();
}

/** Layer calls split with the workers so far. */
let splitCalls = 0;
export const layerThreadCalls = (): number => splitCalls;

type Job = Pick<LayerTask, 'kind' | 'ins' | 'pad' | 'nearest' | 'units'>;

/** Runs `job` into a new output of `outLen` on as many threads as pay; `single` is the one-thread kernel (allocating its own output). */
function run(job: Job, outLen: number, single: () => Float32Array): Float32Array {
  const pool = outLen >= minElements && outLen > 0 && threadCount() >= 2 && !isGradEnabled() ? taskPool() : null;
  if (pool === null || job.units < 2 || !job.ins.every(isShared)) return single();
  const key = `${job.kind} ${31 - Math.clz32(outLen)}`;
  const t0 = performance.now();
  if (adapt && !choice.choose(key)) {
    const out = single();
    choice.observe(key, false, job.units / (performance.now() - t0));
    return out;
  }
  const out = allocStorage(outLen, true);
  const whole = (): Float32Array => {
    layerPiece({ ...job, out }, 0, job.units);
    return out;
  };
  const count0 = Math.min(job.units, 4 * (pool.size + 1));
  const per = Math.ceil(job.units / count0);
  const count = Math.ceil(job.units / per);
  const t: LayerTask = { ...job, gemm: gemmBackend, out, per, ctrl: new Int32Array(new SharedArrayBuffer(4 * LAYER_SLOT.count)) };
  if (!pool.broadcast('layer', t as unknown as Record<string, unknown>)) return whole();
  splitCalls++;
  workLayer(t);
  // Pieces a worker claimed: wait for them (a worker that claimed nothing is not waited for).
  const end = performance.now() + 10_000 + outLen * 1e-5;
  for (;;) {
    const fin = Atomics.load(t.ctrl, LAYER_SLOT.finished);
    if (fin >= count) break;
    if (Atomics.load(t.ctrl, LAYER_SLOT.failed) !== 0) return whole();
    if (performance.now() > end || pool.dead) {
      pool.shutdown();
      return whole();
    }
    Atomics.wait(t.ctrl, LAYER_SLOT.finished, fin, 20);
  }
  choice.observe(key, true, job.units / (performance.now() - t0));
  return out;
}

export function reluLayer(x: Float32Array): Float32Array {
  return run({ kind: 'relu', ins: [x], pad: null, nearest: null, units: x.length }, x.length, () => reluForward(x));
}

export function tanhLayer(x: Float32Array): Float32Array {
  return run({ kind: 'tanh', ins: [x], pad: null, nearest: null, units: x.length }, x.length, () => tanhForward(x));
}

/** a + b, two arrays of one length. */
export function addLayer(a: Float32Array, b: Float32Array): Float32Array {
  return run({ kind: 'add', ins: [a, b], pad: null, nearest: null, units: a.length }, a.length, () => addSame(a, b));
}

/** pad.ts gatherPad, split by output planes where its plane-by-plane path applies. */
export function padLayer(x: Float32Array, inShape: Shape, maps: readonly Int32Array[], outShape: Shape, fill: number): Float32Array {
  const plan = planePad(inShape, maps, outShape, fill);
  if (plan === null) return gatherPad(x, inShape, maps, outShape, fill);
  return run({ kind: 'pad', ins: [x], pad: plan, nearest: null, units: plan.bases.length }, numel(outShape), () => gatherPad(x, inShape, maps, outShape, fill));
}

/** interpolate.ts nearest2d, split by planes. */
export function nearestLayer(x: Float32Array, planes: number, inH: number, inW: number, rows: Int32Array, cols: Int32Array): Float32Array {
  return run({ kind: 'nearest', ins: [x], pad: null, nearest: { rows, cols, inH, inW }, units: planes }, planes * rows.length * cols.length, () => nearest2d(x, planes, inH, inW, rows, cols));
}

export type { LayerKind };
