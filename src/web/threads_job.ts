/**
 * The seeded computation of dist/web/lib/threads.html (a page running the
 * library in a dedicated Worker, on two threads), which its browser test
 * repeats in Node: an InstanceNorm2d forward over 2^23 elements (the size
 * from which normalization calls are split over the threads) and a Conv2d
 * forward of 0.3 GFLOP (above the convolution's 0.2), with a hash of each
 * output's bits to compare across threads, kernels and hosts.
 */
import { manualSeed, nn, noGrad, normBackendInfo, randn, type Tensor } from '../index.js';

export interface JobResult {
  norm: Tensor;
  conv: Tensor;
  /** Kernel calls the worker pool shared out, during each layer's forwards. */
  threadedCalls: { norm: number; conv: number };
}

/**
 * Builds the layers and inputs from seed 0 and runs them, each `runs` times:
 * both kernel families choose between one thread and the pool by measuring
 * (the convolution tries its pool from the second large call of a size; a
 * normalization kernel runs twice on one thread, then on the pool: see
 * kernels/backend.ts), so four runs reach the pool in both.
 */
export function runThreadsJob(runs = 1): JobResult {
  manualSeed(0);
  const norm = new nn.InstanceNorm2d(32, { affine: true });
  const conv = new nn.Conv2d(16, 32, 3, { padding: 1 });
  const x = randn([4, 32, 256, 256]);
  const img = randn([2, 16, 128, 128]);
  const calls = () => normBackendInfo().threadedCalls;
  return noGrad(() => {
    const c0 = calls();
    let y = norm.call(x);
    for (let k = 1; k < runs; k++) {
      y.dispose();
      y = norm.call(x);
    }
    const c1 = calls();
    let c = conv.call(img);
    for (let k = 1; k < runs; k++) {
      c.dispose();
      c = conv.call(img);
    }
    return { norm: y, conv: c, threadedCalls: { norm: c1 - c0, conv: calls() - c1 } };
  });
}

/** FNV-1a over the float32 bits: equal hashes, (almost surely) equal bits. */
export function bitsHash(t: Tensor): string {
  const d = t.data;
  const w = new Uint32Array(d.buffer, d.byteOffset, d.length);
  let h = 0x811c9dc5;
  for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w[i]!, 0x01000193);
  return `${t.shape.join('x')}:${(h >>> 0).toString(16).padStart(8, '0')}`;
}

/** Whether two tensors hold the same bits. */
export function sameBits(a: Tensor, b: Tensor): boolean {
  const x = a.data, y = b.data;
  if (x.length !== y.length) return false;
  const u = new Uint32Array(x.buffer, x.byteOffset, x.length), v = new Uint32Array(y.buffer, y.byteOffset, y.length);
  for (let i = 0; i < u.length; i++) if (u[i] !== v[i]) return false;
  return true;
}
