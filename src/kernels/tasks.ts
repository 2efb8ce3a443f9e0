/**
 * The tasks worker threads run besides the normalization kernels (see
 * NormPool.runTask): each takes its arguments, arrays in shared memory, and
 * writes its share of the output in place.
 */
import { convForwardImages, type ConvDims, type ConvPathName } from './conv_fwd.js';
import { setGemmBackend, type GemmBackendName } from './gemm.js';

export interface ConvForwardTask {
  path: Exclude<ConvPathName, 'auto'>;
  gemm: GemmBackendName;
  d: ConvDims;
  x: Float32Array;
  w: Float32Array;
  b: Float32Array | null;
  out: Float32Array;
  n0: number;
  n1: number;
  co0: number;
  co1: number;
}

export function runConvForwardTask(t: ConvForwardTask): void {
  convForwardImages(t.path, t.d, t.x, t.w, t.b, t.out, t.n0, t.n1, t.co0, t.co1);
}

export function runTask(task: string, args: Record<string, unknown>): void {
  if (task === 'conv_fwd') {
    const t = args as unknown as ConvForwardTask;
    setGemmBackend(t.gemm);
    runConvForwardTask(t);
    return;
  }
  throw new Error(`unknown worker task '${task}'`);
}
