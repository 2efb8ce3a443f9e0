/**
 * Convolution on every core: forwards, transposed forwards (which are also
 * convolutions' input gradients) and weight gradients are cut into pieces
 * (tasks.ts: images or blocks of output rows; blocks of output channels for
 * weight gradients) that this thread and the workers of the shared pool
 * (backend.ts's, the normalization kernels' pool) claim from a shared counter
 * until none are left. This thread never waits for a worker that has claimed
 * nothing, and takes over a worker's piece that runs late (a worker
 * descheduled on a busy machine): the first thread to commit a piece writes
 * it, the other drops its copy, so with more threads a call costs at most
 * about one piece more than on one thread. The workers read the operands
 * from shared memory (copied there unless they already are) and write their
 * pieces of a shared output in place.
 *
 * Small problems stay on one thread (posting and waking a worker and the
 * copies cost more than the second core saves); larger ones use the pool
 * while it measures faster than one thread for that kind, path and layer
 * (thread_choice.ts, past two warm-up calls of each). Winograd's weights are
 * transformed once (winograd_weights.ts) and shared with the workers.
 * Results are identical to one thread's: each output element is computed the
 * same way by whichever thread owns it.
 */
import { allocStorage, freeScratch, isShared } from '../tensor/storage.js';
import { taskPool, threadCount } from './backend.js';
import { convForwardImages, convPath, getConvPath, type ConvDims, type ConvPathName } from './conv_fwd.js';
import { gatherSplitOutput, splitApplies, splitDims, splitInput, splitOutApplies, splitOutDims, splitOutWeights, splitWeights } from './winograd_split.js';
import { transposedDirect, weightGradDirect } from './conv_direct.js';
import { gemmBackend } from './gemm.js';
import { winogradApplies, winogradPays, winogradWeightGrad } from './winograd.js';
import { ThreadChoice, type ThreadSpeed } from './thread_choice.js';
import { residentStamp, winogradWeights } from './winograd_weights.js';
import { OWNER, SLOT, computePiece, now, runConvPiece, workPieces, type ConvTask, type ConvTaskKind } from './tasks.js';
import type { OutputAct } from './output_act.js';

/**
 * Multiply-adds x 2 (of the direct convolution) below which a call stays on
 * one thread: ~1 ms of work at the implicit gemm's ~45 GFLOP/s, where waking
 * a worker (~0.1 ms) and the copies into shared memory still leave most of
 * the second core's share. Winograd does the same layer in about a third of
 * the time, so its calls count a third of their flops.
 */
let minFlops = 4e7;

/** Whether the pool is used only while it measures faster (off in tests that must exercise it). */
let adapt = true;

/** Moves the single-thread threshold (tests: 0 threads every convolution). */
export function setConvThreadMinFlops(flops: number, adaptive = true): void {
  minFlops = Math.max(0, flops);
  adapt = adaptive;
}

/** Whether the pool pays, measured per kind, path and layer sizes (thread_choice.ts; flops per ms). */
const choice = new ThreadChoice();

/** Forgets the measured speeds (tests). */
export function resetConvThreadSpeeds(): void {
  choice.reset();
}

/** The measured speeds (flops per ms) by `kind:path:layer` (its sizes: dimsKey), and whether the pool is preferred. */
export function convThreadSpeeds(): Record<string, ThreadSpeed> {
  return choice.speeds();
}

/** Threaded calls so far (each one's key). */
let calls = 0;

const staging = new Map<string, Float32Array>();

/** `a` itself if shared, else a copy in a reused shared buffer named `role`. */
function shared(a: Float32Array, role: string): Float32Array {
  if (isShared(a)) return a;
  let buf = staging.get(role);
  if (!buf || buf.length < a.length) {
    buf = new Float32Array(new SharedArrayBuffer(Math.ceil(a.length * 1.25) * 4 + 64));
    staging.set(role, buf);
  }
  const view = buf.subarray(0, a.length);
  view.set(a);
  return view;
}

/** Row pieces for `threads` threads: [n, r0, r1] triples (one image, a multiple of 4 rows of `rows`, at least ~256 positions each). */
function rowPieces(N: number, rows: number, cols: number, threads: number): number[][] {
  const want = 4 * threads;
  const minRows = Math.max(4, Math.ceil(256 / cols / 4) * 4);
  const blocks = N >= want ? 1 : Math.max(1, Math.min(Math.ceil(want / N), Math.floor(rows / minRows)));
  const per = Math.ceil(rows / blocks / 4) * 4;
  const out: number[][] = [];
  for (let n = 0; n < N; n++) for (let r = 0; r < rows; r += per) out.push([n, r, Math.min(rows, r + per)]);
  return out;
}

/** Output channels split into `threads` shares (multiples of 4): [0, c0, c1]. */
function channelShares(Cout: number, threads: number): number[][] {
  const per = Math.ceil(Math.ceil(Cout / 4) / threads) * 4;
  const out: number[][] = [];
  for (let c = 0; c < Cout; c += per) out.push([0, c, Math.min(Cout, c + per)]);
  return out;
}

/**
 * Whether a forward shares its threads by output channels (fwdc). Winograd:
 * when the batch has at most as many tiles as output channels, each thread
 * transforming the whole input (tiles x channels) costs less than copying the
 * whole transformed weights (output x input channels) into every thread (each
 * copies or makes only its share), and the tile rows are too few to share
 * out evenly. The wasm and direct paths (one group): when the rows make
 * fewer than two pieces a thread (a classifier's 7x7 and 14x14 layers), each
 * thread copying the small image and its half of the large weights.
 */
function byChannels(d: ConvDims, path: Exclude<ConvPathName, 'auto'>, threads: number): boolean {
  if (threads < 2 || d.Cout < 8 * threads) return false;
  if (path === 'winograd') return d.N * Math.ceil(d.g.outH / 4) * Math.ceil(d.g.outW / 4) <= d.Cout;
  return (path === 'wasm' || path === 'direct') && d.G === 1 && !d.flipped && rowPieces(d.N, d.g.outH, d.g.outW, threads).length < 2 * threads;
}

/** Channel pieces: [0, c0, c1] over a group's Cog output channels, in multiples of 4. */
function channelPieces(Cog: number, threads: number): number[][] {
  const blocks = Math.ceil(Cog / 4);
  const per = Math.max(1, Math.ceil(blocks / (4 * threads))) * 4;
  const out: number[][] = [];
  for (let c = 0; c < Cog; c += per) out.push([0, c, Math.min(Cog, c + per)]);
  return out;
}

/**
 * After this thread has run out of pieces to claim: waits for the workers'
 * pieces in progress, and takes over (computes itself, first to commit wins)
 * any that runs 1.5x longer than this thread's own pieces took; on a worker
 * failure or timeout, runs the unfinished pieces itself.
 */
function finishPieces(t: ConvTask, count: number, pieceMs: number, pool: { shutdown(): void; dead: boolean }, deadlineMs: number): void {
  const end = performance.now() + deadlineMs;
  const late = 1.5 * pieceMs + 0.2;
  const stealable = !(t.kind === 'fwd' && t.path === 'js');
  for (;;) {
    const fin = Atomics.load(t.ctrl, SLOT.finished);
    if (fin >= count) return;
    if (performance.now() > end || pool.dead) break;
    let wait = 100;
    if (stealable) {
      let stole = false;
      for (let i = 0; i < count && !stole; i++) {
        if (Atomics.load(t.ctrl, SLOT.flags + i) !== 0) continue;
        const age = now() - (t.claimed[i] || now());
        if (age >= late) {
          runConvPiece(t, i, OWNER.caller);
          stole = true;
        } else wait = Math.min(wait, late - age);
      }
      if (stole) continue;
    }
    Atomics.wait(t.ctrl, SLOT.finished, fin, Math.max(0.05, wait));
  }
  pool.shutdown();
  for (let i = 0; i < count; i++) if (Atomics.load(t.ctrl, SLOT.flags + i) !== OWNER.caller) computePiece(t, i, null);
}

interface Work {
  kind: ConvTaskKind;
  path: Exclude<ConvPathName, 'auto'>;
  d: ConvDims;
  x: Float32Array;
  w: Float32Array;
  b: Float32Array | null;
  act: OutputAct;
  /** Winograd's transformed weights for the workers (the `fwd` of the `winograd` path), made when the pool runs; null: each transforms its own (fwdc). */
  u?: () => Float32Array | null;
  flops: number;
  /** Elements of the output. */
  size: number;
  pieces(threads: number): number[][];
  /** The whole problem on this thread. */
  single(out: Float32Array): void;
}

/** Runs `work` on as many threads as pay, into a new output from `alloc(n, shared)`. */
function run(work: Work, alloc: (n: number, shared: boolean) => Float32Array): Float32Array {
  const threads = threadCount();
  const cost = work.path === 'winograd' ? work.flops / 3 : work.flops;
  const pool = threads >= 2 && cost >= minFlops ? taskPool() : null;
  // Speeds are kept per kind, path and layer: layers of one size class run at different speeds per flop (a
  // 7x7 head, a transposed layer), so a class's two averages would compare different layers.
  const cls = `${work.kind}:${work.path}:${dimsKey(work.d)}`;
  const list = pool && (!adapt || choice.choose(cls)) ? work.pieces(Math.min(threads, pool.size + 1)) : [];
  const t0 = performance.now();
  if (!pool || list.length < 2) {
    const out = alloc(work.size, false);
    work.single(out);
    if (pool) choice.observe(cls, false, work.flops / (performance.now() - t0));
    return out;
  }
  const out = alloc(work.size, true);
  const count = list.length;
  const u = work.u ? work.u() : null;
  const t: ConvTask = {
    kind: work.kind,
    path: work.path,
    gemm: gemmBackend,
    d: work.d,
    x: shared(work.x, 'x'),
    w: shared(work.w, 'w'),
    b: work.b ? shared(work.b, 'b') : null,
    out,
    u,
    uStamp: u ? residentStamp(u) : null,
    act: work.act,
    pieces: Int32Array.from(list.flat()),
    ctrl: new Int32Array(new SharedArrayBuffer((SLOT.flags + count) * 4)),
    claimed: new Float64Array(new SharedArrayBuffer(count * 8)),
    key: ++calls,
  };
  if (!pool.broadcast('conv', t as unknown as Record<string, unknown>)) {
    work.single(out);
    return out;
  }
  const t1 = performance.now();
  workPieces(t, OWNER.caller);
  let mine = 0;
  for (let i = 0; i < count; i++) if (Atomics.load(t.ctrl, SLOT.flags + i) === OWNER.caller) mine++;
  finishPieces(t, count, (performance.now() - t1) / Math.max(1, mine), pool, 10_000 + work.flops * 1e-6);
  choice.observe(cls, true, work.flops / (performance.now() - t0));
  return out;
}

/** A layer's sizes as a key: images, channels, groups, image, kernel, stride, padding, dilation, and a fused padding. */
function dimsKey(d: ConvDims): string {
  const g = d.g;
  const r = d.reflect ? `r${d.reflect.H}x${d.reflect.W}` : '';
  return `${d.N}x${d.C}x${g.H}x${g.W}>${d.Cout}/${d.G}k${g.kh}x${g.kw}s${g.sh}x${g.sw}p${g.ph}x${g.pw}d${g.dh}x${g.dw}${r}${d.flipped ? 'f' : ''}`;
}

const convFlops = (d: ConvDims): number => 2 * d.N * d.Cout * d.g.outH * d.g.outW * (d.C / d.G) * d.g.kh * d.g.kw;

/**
 * Weights of at least this many floats (1 MB, past a core's L2 here) stay
 * packed in wasm memory on the wasm path (gemm_weights.ts): ResNet-18's
 * 512-channel 7x7 layers 0.86-0.90x their time; smaller ones, copied from
 * cache, measured the same either way.
 */
const PACK_FLOATS = 1 << 18;

/**
 * The forward of all images into a new output, on as many threads as pay;
 * `alloc(n, shared)` makes the output (shared memory when threads write it).
 * `act` is the activation applied in the output pass (a fused conv -> activation). On the
 * Winograd path the weights' transform is cached for `wd` (a layer's
 * weights: winograd_weights.ts), on the wasm path, on one thread, their
 * packing (gemm_weights.ts), unless `once` (an array made for this call).
 */
export function convForwardAll(
  d: ConvDims,
  xd: Float32Array,
  wd: Float32Array,
  bd: Float32Array | null,
  alloc: (n: number, shared: boolean) => Float32Array,
  act: OutputAct = null,
  path: Exclude<ConvPathName, 'auto'> = convPath(d),
  once = false,
): Float32Array {
  // 6x6 and 9x9 heads as a 3x3 Winograd layer of shifted channels (winograd_split.ts), where auto picks the implicit gemm
  if (path === 'direct' && getConvPath() === 'auto' && splitApplies(d)) {
    const xs = splitInput(d, xd);
    const y = convForwardAll(splitDims(d), xs, splitWeights(d, wd), bd, alloc, act, 'winograd', true);
    freeScratch(xs);
    return y;
  }
  // and heads of few output channels as a 3x3 Winograd layer of m^2 Cout outputs, summed shifted
  if (path === 'direct' && getConvPath() === 'auto' && splitOutApplies(d)) {
    const z = convForwardAll(splitOutDims(d), xd, splitOutWeights(d, wd), null, allocStorage, null, 'winograd', true);
    const y = alloc(d.N * d.Cout * d.g.outH * d.g.outW, false);
    gatherSplitOutput(d, z, bd, act, y);
    freeScratch(z);
    return y;
  }
  const { N, C, Cout, g } = d;
  const wino = path === 'winograd';
  const channels = byChannels(d, path, threadCount());
  return run(
    {
      kind: channels ? 'fwdc' : 'fwd',
      path,
      d,
      x: xd,
      w: wd,
      b: bd,
      act,
      // by channels, each thread copies its share of a cached transform, or transforms its share
      ...(wino && !channels ? { u: () => winogradWeights(wd, Cout, C, true, !once, d.flipped === true)! } : {}),
      ...(wino && channels && !once && !d.flipped ? { u: () => winogradWeights(wd, Cout, C, false) } : {}),
      flops: convFlops(d),
      size: N * Cout * g.outH * g.outW,
      pieces: (t) => (channels ? channelShares(Cout, t) : rowPieces(N, g.outH, g.outW, t)),
      single: (out) => convForwardImages(path, d, xd, wd, bd, out, 0, N, 0, g.outH, null, null, act, wino && !once && !d.flipped ? winogradWeights(wd, Cout, C, false) : null, !once && wd.length >= PACK_FLOATS),
    },
    alloc,
  );
}
/**
 * The transposed convolution forward (conv_direct.transposedDirect: `d.C` the
 * input's channels, `d.Cout` the output's, `g` with the output as the image),
 * which is also a convolution's input gradient; threaded by output rows.
 */
export function convTransposeAll(d: ConvDims, xd: Float32Array, wd: Float32Array, bd: Float32Array | null, alloc: (n: number, shared: boolean) => Float32Array = allocStorage): Float32Array {
  const { N, Cout, g } = d;
  return run(
    {
      kind: 'tfwd',
      path: 'direct',
      d,
      x: xd,
      w: wd,
      b: bd,
      act: null,
      flops: convFlops(d),
      size: N * Cout * g.H * g.W,
      pieces: (t) => rowPieces(N, g.H, g.W, t),
      single: (out) => transposedDirect(d, xd, wd, bd, out, 0, N),
    },
    alloc,
  );
}

/**
 * A convolution's weight gradient (Cout x C/G*kh*kw) from its input and
 * output gradient, threaded by output channels: Winograd where the forward
 * would use it (or `winograd` forces it), else the implicit gemm.
 */
export function convWeightGradAll(
  d: ConvDims,
  xd: Float32Array,
  gd: Float32Array,
  alloc: (n: number, shared: boolean) => Float32Array = allocStorage,
  winograd = winogradApplies(d) && winogradPays(d),
): Float32Array {
  const { C, Cout, G, g } = d;
  const path = winograd ? 'winograd' : 'direct';
  return run(
    {
      kind: 'gw',
      path,
      d,
      x: xd,
      w: gd,
      b: null,
      act: null,
      flops: convFlops(d),
      size: Cout * (C / G) * g.kh * g.kw,
      pieces: (t) => channelPieces(Cout / G, t),
      single: (out) => {
        if (!winograd || !winogradWeightGrad(d, xd, gd, out)) weightGradDirect(d, xd, gd, out);
      },
    },
    alloc,
  );
}
