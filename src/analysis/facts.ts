/**
 * The "spatially constant" facts as the analyzer sees them at module
 * boundaries. Ops propagate facts themselves (ops/meta_facts.ts, windowed ops
 * and padding, interpolate, dropout, norms); this table removes what an op
 * keeps but a module breaks (LayerNorm's per-position affine), and the hook
 * tags where a map became constant. It never adds constancy beyond the
 * trivial one-position map, so it cannot create a false alarm.
 */
import type { Module } from '../nn/module.js';
import { numel } from '../tensor/shape.js';
import type { MetaFacts, Tensor } from '../tensor/tensor.js';

type FactsRule = (m: Module, out: Tensor) => MetaFacts | undefined;

const CLEAR: MetaFacts = {};

/** A LayerNorm's trailing normalized dims include the last one, a spatial dim for inputs of rank 3 and more. */
function normalizesOverSpatial(m: Module, out: Tensor): boolean {
  const ns = (m as unknown as { normalizedShape?: readonly number[] }).normalizedShape ?? [];
  return ns.length > 0 && out.ndim >= 3;
}

/**
 * Per module class (PyTorch name). A rule returns the facts of the module's
 * output, or undefined to keep what the ops computed.
 */
const RULES: Record<string, FactsRule> = {
  // An elementwise affine over spatial positions gives each position its own
  // weight and bias: the output is no longer constant even for constant planes.
  LayerNorm: (m, out) =>
    normalizesOverSpatial(m, out) && (m as unknown as { elementwiseAffine?: boolean }).elementwiseAffine !== false ? CLEAR : undefined,
};

/** Module types the facts table knows about (for the report). */
export const factsRuleTypes = Object.keys(RULES);

/**
 * Sets the facts of a module's output, in the forward hook, after the ops
 * have set theirs. `path` is recorded as the origin of a constant map.
 */
export function applyModuleFacts(m: Module, path: string, inputs: readonly Tensor[], out: Tensor): void {
  let facts: MetaFacts = out.facts;
  const rule = RULES[m.typeName];
  const ruled = rule?.(m, out);
  if (ruled !== undefined) facts = ruled;
  if (out.ndim <= 2) {
    // No spatial positions: "constant planes" means nothing here (and must not leak through a reshape back to 4-D).
    facts = CLEAR;
  } else if (numel(out.shape.slice(2)) === 1 && !facts.spatiallyConstant) {
    // A one-position map is constant; pointwise ops on it drop the fact, but it dates from where the map became 1x1.
    const since = inputs.find((t) => t.facts.spatiallyConstant && t.facts.constantSince !== undefined)?.facts.constantSince;
    facts = since === undefined ? { spatiallyConstant: true } : { spatiallyConstant: true, constantSince: since };
  }
  if (facts.spatiallyConstant && facts.constantSince === undefined) facts = { ...facts, constantSince: path };
  if (facts !== out.facts) out.facts = facts;
}
