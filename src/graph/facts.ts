/**
 * The "spatially constant" facts of meta tensors, node by node. Ops
 * propagate facts themselves (ops/meta_facts.ts, windowed ops and padding,
 * interpolate, dropout, norms); this step removes what an op keeps but a
 * node breaks (LayerNorm's per-position affine, a reshape that mixes planes),
 * and tags where a map became constant. It never adds constancy beyond the
 * trivial one-position map, so it cannot create a false alarm.
 */
import { numel } from '../tensor/shape.js';
import type { MetaFacts, Tensor } from '../tensor/tensor.js';
import type { GraphNode } from './graph.js';

const CLEAR: MetaFacts = {};

type FactsRule = (node: GraphNode, inputs: readonly Tensor[], out: Tensor) => MetaFacts | undefined;

/** The first two dims (batch, channel) stay where they were: planes are still planes. */
const keepsPlanes = (x: Tensor | undefined, out: Tensor) => x !== undefined && x.ndim >= 2 && out.shape[0] === x.shape[0] && out.shape[1] === x.shape[1];

const reshapeRule: FactsRule = (_n, xs, out) => (keepsPlanes(xs[0], out) ? undefined : CLEAR);

const RULES: Record<string, FactsRule> = {
  // An elementwise affine over spatial positions gives each position its own
  // weight and bias: the output is no longer constant even for constant planes.
  LayerNorm: (n, _xs, out) => {
    const ns = n.module ? ((n.module as unknown as { normalizedShape?: readonly number[] }).normalizedShape ?? []) : [];
    const affine = n.module ? (n.module as unknown as { elementwiseAffine?: boolean }).elementwiseAffine !== false : true;
    return ns.length > 0 && out.ndim >= 3 && affine ? CLEAR : undefined;
  },
  reshape: reshapeRule,
  view: reshapeRule,
  flatten: reshapeRule,
  permute: reshapeRule,
  transpose: reshapeRule,
  squeeze: reshapeRule,
  unsqueeze: reshapeRule,
  Flatten: reshapeRule,
  // An opaque module's forward may do anything: only what the ops it ran say survives.
};

/** Sets the facts of a node's outputs after the ops have set theirs. */
export function nodeFacts(node: GraphNode, inputs: readonly Tensor[], outputs: readonly Tensor[]): void {
  const rule = RULES[node.op];
  for (const out of outputs) {
    let facts: MetaFacts = out.facts;
    const ruled = rule?.(node, inputs, out);
    if (ruled !== undefined) facts = ruled;
    if (out.ndim <= 2) {
      // No spatial positions: "constant planes" means nothing here (and must not leak through a reshape back to 4-D).
      facts = CLEAR;
    } else if (numel(out.shape.slice(2)) === 1 && !facts.spatiallyConstant) {
      // A one-position map is constant; pointwise ops on it drop the fact, but it dates from where the map became 1x1.
      const since = inputs.find((t) => t.facts.spatiallyConstant && t.facts.constantSince !== undefined)?.facts.constantSince;
      facts = since === undefined ? { spatiallyConstant: true } : { spatiallyConstant: true, constantSince: since };
    }
    if (facts.spatiallyConstant && facts.constantSince === undefined) facts = { ...facts, constantSince: node.scope };
    if (facts !== out.facts) out.facts = facts;
  }
}
