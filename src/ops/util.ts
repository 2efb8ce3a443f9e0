import { TypeError, pyTypeName } from '../errors.js';
import { Tensor, assertTensor } from '../tensor/tensor.js';

export type TensorLike = Tensor | number;

/** Lifts a number to a 0-d tensor; checks that anything else is a Tensor. */
export function lift(x: TensorLike, what = 'input'): Tensor {
  if (typeof x === 'number') return new Tensor(new Float32Array([x]), []);
  assertTensor(x, what);
  return x;
}

/** `other` of a binary op: a tensor or a number (PyTorch's `add(): argument 'other' (position 1) must be Tensor, not str`). */
export function liftOther(x: TensorLike, fn: string): Tensor {
  if (typeof x === 'number') return new Tensor(new Float32Array([x]), []);
  if (!(x instanceof Tensor)) throw new TypeError(`${fn}(): argument 'other' (position 1) must be Tensor, not ${pyTypeName(x)}`, { kind: 'argument' });
  return x;
}

export function anyMeta(...ts: readonly Tensor[]): boolean {
  return ts.some((t) => t.isMeta);
}
