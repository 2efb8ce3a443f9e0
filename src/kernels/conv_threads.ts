/**
 * Convolution forward on every core: the work is cut into pieces (images, or
 * blocks of a multiple of 4 output rows when there are fewer images than
 * pieces wanted) that this thread and the workers of the shared pool
 * (backend.ts's, the normalization kernels' pool) claim from a shared counter
 * until none are left. This thread never waits for a worker that has claimed
 * nothing, and takes over a worker's piece that runs late (a worker
 * descheduled on a busy machine): the first thread to commit a piece writes
 * it, the other drops its copy, so with more threads a call costs at most
 * about one piece more than on one thread. The workers read the input, weight and
 * bias from shared memory (copied there unless they already are) and write
 * their pieces of a shared output in place. Problems under 200 MFLOP (~5 ms) stay on
 * one thread: posting and waking a worker and the copies cost more than the
 * second core saves there; larger ones use the pool only while it measures
 * faster than one thread (see `speed`). Results are identical to one thread's (each output
 * element is computed the same way by whichever thread owns it).
 */
import { isShared } from '../tensor/storage.js';
import { taskPool, threadCount } from './backend.js';
import { convForwardImages, convPath, type ConvDims } from './conv_fwd.js';
import { gemmBackend } from './gemm.js';
import { OWNER, SLOT, now, runConvPiece, workPieces, type ConvForwardTask } from './tasks.js';

/** Multiply-adds x 2 below which a convolution stays on one thread. */
let minFlops = 2e8;

/** Moves the single-thread threshold (tests: 0 threads every convolution). */
export function setConvThreadMinFlops(flops: number, adaptive = true): void {
  minFlops = Math.max(0, flops);
  adapt = adaptive;
}

/** Whether the pool is used only while it measures faster (off in tests that must exercise it). */
let adapt = true;

/**
 * Measured speed (flops per ms, moving averages) of each path and size
 * class on one thread and on the pool: a busy machine can leave the workers no core, and then the
 * pool only adds its copies and waits. Where the pool has not been at least
 * 10% faster, the next 16 large calls of that path stay on one thread, then
 * one tries the pool again.
 */
const speed = new Map<string, { single?: number; threaded?: number; skip: number }>();

function worthThreads(kind: string): boolean {
  if (!adapt) return true;
  const s = speed.get(kind);
  if (!s || s.single === undefined) return false; // measure one thread first
  if (s.threaded === undefined || s.skip <= 0) return true;
  s.skip--;
  return false;
}

function observe(kind: string, threaded: boolean, rate: number): void {
  if (!Number.isFinite(rate) || rate <= 0) return;
  const s = speed.get(kind) ?? { skip: 0 };
  const avg = (old: number | undefined) => (old === undefined ? rate : 0.7 * old + 0.3 * rate);
  if (threaded) {
    s.threaded = avg(s.threaded);
    if (s.single !== undefined && s.threaded < 1.1 * s.single) s.skip = 16;
  } else s.single = avg(s.single);
  speed.set(kind, s);
}

/** Forgets the measured speeds (tests). */
export function resetConvThreadSpeeds(): void {
  speed.clear();
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

/** Pieces of work for `threads` threads: [n, r0, r1] triples (one image, a multiple of 4 output rows). */
function pieces(d: ConvDims, threads: number): number[][] {
  const want = 4 * threads;
  const { N } = d;
  const { outH, outW } = d.g;
  // Blocks of a multiple of 4 output rows (whole Winograd tile rows), at least ~256 positions each.
  const minRows = Math.max(4, Math.ceil(256 / outW / 4) * 4);
  const blocks = N >= want ? 1 : Math.max(1, Math.min(Math.ceil(want / N), Math.floor(outH / minRows)));
  const per = Math.ceil(outH / blocks / 4) * 4;
  const out: number[][] = [];
  for (let n = 0; n < N; n++) for (let r = 0; r < outH; r += per) out.push([n, r, Math.min(outH, r + per)]);
  return out;
}

/**
 * After this thread has run out of pieces to claim: waits for the workers'
 * pieces in progress, and takes over (computes itself, first to commit wins)
 * any that runs 1.5x longer than this thread's own pieces took; on a worker
 * failure or timeout, runs the unfinished pieces itself.
 */
function finishPieces(t: ConvForwardTask, count: number, pieceMs: number, pool: { shutdown(): void; dead: boolean }, deadlineMs: number): void {
  const end = performance.now() + deadlineMs;
  const late = 1.5 * pieceMs + 0.2;
  for (;;) {
    const fin = Atomics.load(t.ctrl, SLOT.finished);
    if (fin >= count) return;
    if (performance.now() > end || pool.dead) break;
    let wait = 100;
    if (t.path !== 'js') {
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
  const p = t.pieces;
  for (let i = 0; i < count; i++) {
    if (Atomics.load(t.ctrl, SLOT.flags + i) !== OWNER.caller) {
      convForwardImages(t.path, t.d, t.x, t.w, t.b, t.out, p[3 * i]!, p[3 * i]! + 1, p[3 * i + 1]!, p[3 * i + 2]!);
    }
  }
}

/**
 * The forward of all images into a new output, on as many threads as pay;
 * `alloc(n, shared)` makes the output (shared memory when threads write it).
 */
export function convForwardAll(d: ConvDims, xd: Float32Array, wd: Float32Array, bd: Float32Array | null, alloc: (n: number, shared: boolean) => Float32Array): Float32Array {
  const path = convPath(d);
  const { N, C, Cout, G, g } = d;
  const L = g.outH * g.outW;
  const flops = 2 * N * Cout * L * (C / G) * g.kh * g.kw;
  const threads = threadCount();
  const pool = threads >= 2 && flops >= minFlops ? taskPool() : null;
  // Speeds are kept per path and size class (powers of two of flops).
  const kind = `${path}:${Math.round(Math.log2(flops))}`;
  const list = pool && worthThreads(kind) ? pieces(d, Math.min(threads, pool.size + 1)) : [];
  const t0 = performance.now();
  if (!pool || list.length < 2) {
    const out = alloc(N * Cout * L, false);
    convForwardImages(path, d, xd, wd, bd, out, 0, N);
    if (pool) observe(kind, false, flops / (performance.now() - t0));
    return out;
  }
  const out = alloc(N * Cout * L, true);
  const count = list.length;
  const t: ConvForwardTask = {
    path,
    gemm: gemmBackend,
    d,
    x: shared(xd, 'x'),
    w: shared(wd, 'w'),
    b: bd ? shared(bd, 'b') : null,
    out,
    pieces: Int32Array.from(list.flat()),
    ctrl: new Int32Array(new SharedArrayBuffer((SLOT.flags + count) * 4)),
    claimed: new Float64Array(new SharedArrayBuffer(count * 8)),
    key: ++calls,
  };
  if (!pool.broadcast('conv_fwd', t as unknown as Record<string, unknown>)) {
    convForwardImages(path, d, xd, wd, bd, out, 0, N);
    return out;
  }
  const t1 = performance.now();
  workPieces(t, OWNER.caller);
  let mine = 0;
  for (let i = 0; i < count; i++) if (Atomics.load(t.ctrl, SLOT.flags + i) === OWNER.caller) mine++;
  finishPieces(t, count, (performance.now() - t1) / Math.max(1, mine), pool, 10_000 + flops * 1e-6);
  observe(kind, true, flops / (performance.now() - t0));
  return out;
}
