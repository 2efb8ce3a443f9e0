/**
 * The memory-bound layers of an image model's forward as worker tasks
 * (layer_threads.ts posts them; tasks.ts runs them in the workers): ReLU,
 * tanh, the same-shape add, reflection/constant padding of images
 * (pad.ts padPlanes) and nearest resampling of images (interpolate.ts
 * nearestPlanes). Inputs and output are in shared memory; the work is cut into
 * `count` pieces of `per` units (elements, or planes for pad and nearest)
 * that the threads claim from a shared counter. Each piece is written by the
 * thread that claimed it, with the kernel one thread would run on that range:
 * the same values whichever thread computes them.
 */
import { addInto } from './elementwise.js';
import { setGemmBackend, wasmGemm, type GemmBackendName } from './gemm.js';
import { nearestPlanes } from './interpolate.js';
import { padPlanes, type PlanePad } from './pad.js';
import { reluInto } from './relu.js';
import { tanhInto } from './tanh.js';

export type LayerKind = 'relu' | 'tanh' | 'add' | 'pad' | 'nearest';

/** Int32 slots of a layer task's control array: the next piece to claim, the pieces finished, a worker's failure (1). */
export const LAYER_SLOT = { next: 0, finished: 1, failed: 2, count: 3 } as const;

export interface LayerTask {
  kind: LayerKind;
  gemm: GemmBackendName;
  /** The inputs (x; a and b for add), shared. */
  ins: Float32Array[];
  out: Float32Array;
  /** pad: the plan; nearest: { rows, cols, inH, inW }. */
  pad: PlanePad | null;
  nearest: { rows: Int32Array; cols: Int32Array; inH: number; inW: number } | null;
  units: number;
  per: number;
  ctrl: Int32Array;
}

/** Units [u0, u1) of `t`. */
export function layerPiece(t: Pick<LayerTask, 'kind' | 'ins' | 'out' | 'pad' | 'nearest'>, u0: number, u1: number): void {
  const [x, y] = t.ins as [Float32Array, Float32Array | undefined];
  switch (t.kind) {
    case 'relu':
      reluInto(x.subarray(u0, u1), t.out.subarray(u0, u1));
      return;
    case 'tanh':
      tanhInto(x.subarray(u0, u1), t.out.subarray(u0, u1));
      return;
    case 'add':
      addInto(x.subarray(u0, u1), y!.subarray(u0, u1), t.out.subarray(u0, u1));
      return;
    case 'pad':
      padPlanes(t.out, x, t.pad!, u0, u1);
      return;
    case 'nearest': {
      const n = t.nearest!;
      nearestPlanes(x, t.out, n.inH, n.inW, n.rows, n.cols, u0, u1);
      return;
    }
  }
}

/** Claims and computes pieces until none are left; returns how many this thread did. */
export function workLayer(t: LayerTask): number {
  const count = Math.ceil(t.units / t.per);
  let mine = 0;
  for (;;) {
    const i = Atomics.add(t.ctrl, LAYER_SLOT.next, 1);
    if (i >= count) return mine;
    layerPiece(t, i * t.per, Math.min(t.units, (i + 1) * t.per));
    mine++;
    Atomics.add(t.ctrl, LAYER_SLOT.finished, 1);
    Atomics.notify(t.ctrl, LAYER_SLOT.finished);
  }
}

/**
 * A worker's part of a layer task. Its kernels give the caller's values on
 * either gemm backend, so a worker without the wasm module runs the scalar
 * loops. A failure is flagged for the caller, which then computes the call
 * itself instead of waiting for pieces that will not come.
 */
export function runLayerTask(t: LayerTask): void {
  try {
    setGemmBackend(t.gemm === 'wasm-simd' && wasmGemm === null ? 'scalar' : t.gemm);
    workLayer(t);
  } catch (e) {
    Atomics.store(t.ctrl, LAYER_SLOT.failed, 1);
    Atomics.notify(t.ctrl, LAYER_SLOT.finished);
    throw e;
  }
}
