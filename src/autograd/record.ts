import type { Tensor } from '../tensor/tensor.js';
import { isGradEnabled } from '../tensor/grad_mode.js';
import { pinStorage } from '../tensor/storage.js';

/**
 * Attaches a backward closure to `out` when gradients are recorded and any
 * input requires one. Every differentiable op ends with this call.
 */
export function record(
  out: Tensor,
  inputs: readonly Tensor[],
  name: string,
  backward: (g: Tensor) => readonly (Tensor | null)[],
): Tensor {
  if (!isGradEnabled() || out.isMeta) return out;
  if (!inputs.some((t) => t.requiresGrad)) return out;
  out.requiresGrad = true;
  out.gradNode = { name, inputs, backward };
  // The backward closure may read these arrays: never recycle them.
  pinStorage(out.data);
  for (const t of inputs) if (!t.isMeta) pinStorage(t.data);
  return out;
}
