import type { Tensor } from './tensor.js';

/**
 * One recorded op in the autograd graph: its inputs and the closure that maps
 * the gradient of its output to the gradients of its inputs (null = no gradient).
 */
export interface GradNode {
  readonly name: string;
  readonly inputs: readonly Tensor[];
  backward(gradOutput: Tensor): readonly (Tensor | null)[];
  /** Set by a backward pass without `retainGraph`: the saved values are gone (PyTorch frees them). */
  freed?: boolean;
  /** The arrays this op holds (tensor/storage.ts holdStorage) until a backward pass frees it. */
  held?: Float32Array[];
}
