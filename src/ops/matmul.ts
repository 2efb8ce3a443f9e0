/**
 * `matmul` with PyTorch's rules: 1-D operands are promoted and the added dim
 * removed afterwards; leading (batch) dims broadcast.
 */
import { record } from '../autograd/record.js';
import { RuntimeError, fmtSize } from '../errors.js';
import { gemm } from '../kernels/gemm.js';
import { broadcastTo } from '../kernels/elementwise.js';
import { broadcastShapes, checkNumel, numel, type Shape } from '../tensor/shape.js';
import { Tensor, assertTensorArg } from '../tensor/tensor.js';
import { sumTo } from './reduce.js';
import { reshape, transpose } from './shape_ops.js';

/** The shape rule: output shape of `a @ b`. */
export function matmulShape(a: Shape, b: Shape): number[] {
  if (a.length === 0 || b.length === 0) {
    throw new RuntimeError(`both arguments to matmul need to be at least 1D, but they are ${a.length}D and ${b.length}D`);
  }
  const a2 = a.length === 1 ? [1, a[0]!] : a;
  const b2 = b.length === 1 ? [b[0]!, 1] : b;
  const [m, k] = [a2[a2.length - 2]!, a2[a2.length - 1]!];
  const [k2, n] = [b2[b2.length - 2]!, b2[b2.length - 1]!];
  if (k !== k2) {
    throw new RuntimeError(
      `mat1 and mat2 shapes cannot be multiplied (${m}x${k} and ${k2}x${n}) (operands ${fmtSize(a)} and ${fmtSize(b)})`, { kind: 'channels' },
    );
  }
  const batch = broadcastShapes(a2.slice(0, -2), b2.slice(0, -2));
  const out = [...batch];
  if (a.length > 1) out.push(m);
  if (b.length > 1) out.push(n);
  return out;
}

export function matmul(a: Tensor, b: Tensor): Tensor {
  assertTensorArg(a, 'matmul', 'input', 1);
  assertTensorArg(b, 'matmul', 'other', 2);
  const outShape = matmulShape(a.shape, b.shape);
  if (a.isMeta || b.isMeta) return Tensor.meta(outShape);
  const A = a.ndim === 1 ? reshape(a, [1, a.shape[0]!]) : a;
  const B = b.ndim === 1 ? reshape(b, [b.shape[0]!, 1]) : b;
  const m = A.shape[A.ndim - 2]!;
  const k = A.shape[A.ndim - 1]!;
  const n = B.shape[B.ndim - 1]!;
  const batch = broadcastShapes(A.shape.slice(0, -2), B.shape.slice(0, -2));
  const nb = numel(batch);
  checkNumel(nb * m * n, outShape);
  checkNumel(nb * m * k);
  checkNumel(nb * k * n);
  const Ad = broadcastTo(A.data, A.shape, [...batch, m, k]);
  const Bd = broadcastTo(B.data, B.shape, [...batch, k, n]);
  const C = new Float32Array(nb * m * n);
  for (let i = 0; i < nb; i++) gemm(m, n, k, Ad, Bd, C, { aOffset: i * m * k, bOffset: i * k * n, cOffset: i * m * n });
  const out = new Tensor(C, outShape);
  return record(out, [a, b], 'matmul', (g) => {
    const g3 = reshape(g, [...batch, m, n]);
    const gaFull = matmul(g3, transpose(B, -1, -2));
    const gbFull = matmul(transpose(A, -1, -2), g3);
    return [reshape(sumTo(gaFull, A.shape), a.shape), reshape(sumTo(gbFull, B.shape), b.shape)];
  });
}
