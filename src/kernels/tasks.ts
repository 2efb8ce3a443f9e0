/**
 * The tasks worker threads run besides the normalization kernels (see
 * NormPool.broadcast): arrays in shared memory, work in pieces claimed from a
 * shared counter by whichever thread is free, each piece's output written in
 * place by the one thread that commits it first.
 */
import { convForwardImages, type ConvDims, type ConvPathName } from './conv_fwd.js';
import { setGemmBackend, type GemmBackendName } from './gemm.js';

/**
 * Int32 slots of a task's control array: next piece to claim, pieces written;
 * then per piece its owner (0 none yet, 1 a worker, 2 the caller) and, as
 * float64 after the flags, the time it was claimed (performance.timeOrigin-based).
 */
export const SLOT = { next: 0, finished: 1, flags: 2 } as const;
export const OWNER = { worker: 1, caller: 2 } as const;

export interface ConvForwardTask {
  path: Exclude<ConvPathName, 'auto'>;
  gemm: GemmBackendName;
  d: ConvDims;
  x: Float32Array;
  w: Float32Array;
  b: Float32Array | null;
  out: Float32Array;
  /** Pieces as [n, r0, r1] triples (one image each, output rows). */
  pieces: Int32Array;
  ctrl: Int32Array;
  /** Claim times per piece (ms since the epoch). */
  claimed: Float64Array;
  /** Unique per call: a thread's later pieces reuse the weights (and Winograd's transform) its first left in wasm memory. */
  key: number;
}

export const now = (): number => performance.timeOrigin + performance.now();

/**
 * Computes piece i and writes it out if `who` is first to commit it (the js
 * path writes as it computes, so it always commits: the caller never takes a
 * js piece from a worker). Returns whether this thread wrote it.
 */
export function runConvPiece(t: ConvForwardTask, i: number, who: number): boolean {
  const p = t.pieces;
  const slot = SLOT.flags + i;
  let mine = t.path === 'js' ? Atomics.compareExchange(t.ctrl, slot, 0, who) === 0 : false;
  const commit = t.path === 'js' ? null : () => (mine = Atomics.compareExchange(t.ctrl, slot, 0, who) === 0);
  convForwardImages(t.path, t.d, t.x, t.w, t.b, t.out, p[3 * i]!, p[3 * i]! + 1, p[3 * i + 1]!, p[3 * i + 2]!, t.key, commit);
  if (mine) {
    Atomics.add(t.ctrl, SLOT.finished, 1);
    Atomics.notify(t.ctrl, SLOT.finished);
  }
  return mine;
}

/** Claims and runs pieces until none are left. */
export function workPieces(t: ConvForwardTask, who: number): void {
  const count = t.pieces.length / 3;
  for (;;) {
    const i = Atomics.add(t.ctrl, SLOT.next, 1);
    if (i >= count) return;
    t.claimed[i] = now();
    if (Atomics.load(t.ctrl, SLOT.flags + i) === 0) runConvPiece(t, i, who);
  }
}

export function runTask(task: string, args: Record<string, unknown>): void {
  if (task === 'conv_fwd') {
    const t = args as unknown as ConvForwardTask;
    setGemmBackend(t.gemm);
    workPieces(t, OWNER.worker);
    return;
  }
  throw new Error(`unknown worker task '${task}'`);
}
