/**
 * The tasks worker threads run besides the normalization kernels (see
 * NormPool.broadcast): arrays in shared memory, work in pieces claimed from a
 * shared counter by whichever thread is free, each piece's output written in
 * place by the one thread that commits it first.
 *
 * Kinds of convolution work (conv_threads.ts cuts them into pieces):
 * - `fwd`: a convolution forward on `path`; pieces [n, r0, r1] (one image,
 *   output rows [r0, r1), r0 a multiple of 4).
 * - `fwdc`: a forward by output channels (conv_fwd.convForwardChannels), for
 *   small maps (too few rows to share; for Winograd, a weight transform each
 *   thread would copy whole): pieces [0, c0, c1], channels [c0, c1) of every
 *   image (c0 a multiple of 4), each thread reading only its channels'
 *   weights (Winograd: its share of the cached transform `u` or, without
 *   one, weights new this call, its own channels' transform).
 * - `tfwd`: a transposed convolution forward, i.e. also a convolution's input
 *   gradient (conv_direct.transposedDirect); pieces [n, r0, r1] of the output
 *   image's rows.
 * - `gw`: a convolution's weight gradient over the whole batch
 *   (winograd.winogradWeightGrad on the `winograd` path, which hands images
 *   with non-finite values to conv_direct.weightGradDirect, the kernel of
 *   every other path); pieces [0, c0, c1]: output channels [c0, c1) of
 *   every group (c0 a multiple of 4). `x` is the forward's input, `w` the
 *   output gradient.
 */
import { transposedDirect, weightGradDirect } from './conv_direct.js';
import { convForwardChannels, convForwardImages, type ConvDims, type ConvPathName } from './conv_fwd.js';
import { setGemmBackend, type GemmBackendName } from './gemm.js';
import { winogradWeightGrad } from './winograd.js';
import { adoptStamp } from './winograd_weights.js';
import { runLayerTask, type LayerTask } from './layer_tasks.js';
import type { OutputAct } from './output_act.js';

/**
 * Int32 slots of a task's control array: next piece to claim, pieces written;
 * then per piece its owner (0 none yet, 1 a worker, 2 the caller) and, as
 * float64 after the flags, the time it was claimed (performance.timeOrigin-based).
 */
export const SLOT = { next: 0, finished: 1, flags: 2 } as const;
export const OWNER = { worker: 1, caller: 2 } as const;

export type ConvTaskKind = 'fwd' | 'fwdc' | 'tfwd' | 'gw';

export interface ConvTask {
  kind: ConvTaskKind;
  /** The forward path (`fwd`); `winograd` or `direct` for `gw`; `direct` for `tfwd`. */
  path: Exclude<ConvPathName, 'auto'>;
  gemm: GemmBackendName;
  d: ConvDims;
  x: Float32Array;
  w: Float32Array;
  b: Float32Array | null;
  out: Float32Array;
  /** Winograd's transformed weights (`fwd` on the `winograd` path: winograd_weights.ts), which each thread copies instead of transforming `w`. */
  u: Float32Array | null;
  /** `u`'s residentStamp on the sending thread: a worker keeps its share of it resident in wasm memory across calls. */
  uStamp: { id: number; version: number } | null;
  /** The activation applied in the output pass (a fused conv -> activation). */
  act: OutputAct;
  /** Pieces as triples (see the kinds above). */
  pieces: Int32Array;
  ctrl: Int32Array;
  /** Claim times per piece (ms since the epoch). */
  claimed: Float64Array;
  /** Unique per call: a thread's later pieces reuse the weights (and Winograd's transform) its first left in wasm memory. */
  key: number;
}

export const now = (): number => performance.timeOrigin + performance.now();

/** Computes piece i of `t`, asking `commit` before writing it out (null: write). */
export function computePiece(t: ConvTask, i: number, commit: ((n: number) => boolean) | null): void {
  const p = t.pieces;
  const [a, b, c] = [p[3 * i]!, p[3 * i + 1]!, p[3 * i + 2]!];
  if (t.kind === 'fwd') convForwardImages(t.path, t.d, t.x, t.w, t.b, t.out, a, a + 1, b, c, t.key, commit, t.act, t.u);
  else if (t.kind === 'fwdc') convForwardChannels(t.path, t.d, t.x, t.w, t.b, t.out, b, c, commit, t.act, t.u);
  else if (t.kind === 'tfwd') transposedDirect(t.d, t.x, t.w, t.b, t.out, a, a + 1, b, c, t.key, commit, t.act);
  else if (t.path !== 'winograd' || !winogradWeightGrad(t.d, t.x, t.w, t.out, b, c, t.key, commit)) weightGradDirect(t.d, t.x, t.w, t.out, b, c, t.key, commit);
}

/**
 * Computes piece i and writes it out if `who` is first to commit it (the js
 * forward writes as it computes, so it always commits: the caller never takes
 * a js piece from a worker). Returns whether this thread wrote it.
 */
export function runConvPiece(t: ConvTask, i: number, who: number): boolean {
  const slot = SLOT.flags + i;
  const eager = t.kind === 'fwd' && t.path === 'js';
  let mine = eager ? Atomics.compareExchange(t.ctrl, slot, 0, who) === 0 : false;
  // a piece of several images commits before the first it writes, and owns the rest
  computePiece(t, i, eager ? null : () => mine || (mine = Atomics.compareExchange(t.ctrl, slot, 0, who) === 0));
  if (mine) {
    Atomics.add(t.ctrl, SLOT.finished, 1);
    Atomics.notify(t.ctrl, SLOT.finished);
  }
  return mine;
}

/** Claims and runs pieces until none are left. */
export function workPieces(t: ConvTask, who: number): void {
  const count = t.pieces.length / 3;
  for (;;) {
    const i = Atomics.add(t.ctrl, SLOT.next, 1);
    if (i >= count) return;
    t.claimed[i] = now();
    if (Atomics.load(t.ctrl, SLOT.flags + i) === 0) runConvPiece(t, i, who);
  }
}

export function runTask(task: string, args: Record<string, unknown>): void {
  if (task === 'conv') {
    const t = args as unknown as ConvTask;
    setGemmBackend(t.gemm);
    if (t.u && t.uStamp) adoptStamp(t.u, t.uStamp);
    workPieces(t, OWNER.worker);
    return;
  }
  if (task === 'layer') {
    runLayerTask(args as unknown as LayerTask);
    return;
  }
  throw new Error(`unknown worker task '${task}'`);
}
