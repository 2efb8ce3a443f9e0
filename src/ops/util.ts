import { Tensor, assertTensor } from '../tensor/tensor.js';

export type TensorLike = Tensor | number;

/** Lifts a number to a 0-d tensor; checks that anything else is a Tensor. */
export function lift(x: TensorLike, what = 'input'): Tensor {
  if (typeof x === 'number') return new Tensor(new Float32Array([x]), []);
  assertTensor(x, what);
  return x;
}

export function anyMeta(...ts: readonly Tensor[]): boolean {
  return ts.some((t) => t.isMeta);
}
