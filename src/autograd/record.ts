import type { Tensor } from '../tensor/tensor.js';
import { isGradEnabled } from '../tensor/grad_mode.js';
import { holdStorage } from '../tensor/storage.js';

/**
 * Ops whose gradient needs no saved tensor (PyTorch 1.13 saves none for them:
 * checked, a second backward through them alone runs and accumulates again).
 * Every other op is freed by a backward pass without retainGraph, and holds
 * the arrays of its inputs and output until then.
 */
export const SAVES_NOTHING: ReadonlySet<string> = new Set(['add', 'sub', 'neg', 'reshape', 'permute', 'expand', 'cat', 'slice', 'clone', 'sum', 'mean', 'pad_constant']);

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
  // The backward closure may read these arrays: never recycled (made under noGrad), or not before the op is freed (tensor/storage.ts).
  const reads = !SAVES_NOTHING.has(name);
  const held: Float32Array[] = [];
  if (holdStorage(out.data, reads)) held.push(out.data);
  for (const t of inputs) if (!t.isMeta && holdStorage(t.data, reads)) held.push(t.data);
  out.gradNode = { name, inputs, backward, held };
  return out;
}
