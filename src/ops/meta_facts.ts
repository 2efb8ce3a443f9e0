/**
 * How shape-only execution carries facts through ops. Pointwise ops keep a
 * tensor spatially constant when every tensor input is (0-d and per-channel
 * operands count as constant across positions).
 */
import type { MetaFacts, Tensor } from '../tensor/tensor.js';

function isPositionInvariant(t: Tensor): boolean {
  if (t.facts.spatiallyConstant) return true;
  // Scalars and [C]/[C,1,1]-like operands carry no spatial structure.
  return t.shape.length <= 1 || t.shape.slice(2).every((d) => d === 1);
}

export function propagateElementwiseFacts(inputs: readonly Tensor[]): MetaFacts {
  const spatial = inputs.filter((t) => t.shape.length > 2 && t.shape.slice(2).some((d) => d > 1));
  if (spatial.length === 0) return {};
  if (!inputs.every(isPositionInvariant)) return {};
  const since = inputs.find((t) => t.facts.constantSince !== undefined)?.facts.constantSince;
  return since === undefined ? { spatiallyConstant: true } : { spatiallyConstant: true, constantSince: since };
}
