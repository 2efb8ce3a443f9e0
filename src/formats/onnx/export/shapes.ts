/**
 * Which sizes of each value are fixed in the exported file. torch's exporter
 * writes some layers with their input's sizes as constants (InstanceNorm with
 * tracked statistics, adaptive pools to sizes other than 1, PixelUnshuffle)
 * and refuses them when those sizes are dynamic; so does normkit. A
 * shape-only run gives every size; with dim names (`['N', 3, 'H', 'W']`) two
 * runs, the named dims at a size and at twice that size, tell the sizes that
 * follow a named dim (they differ) from the fixed ones.
 */
import { interpret } from '../../../graph/interpret.js';
import type { Graph } from '../../../graph/graph.js';
import { Tensor } from '../../../tensor/tensor.js';
import type { Dims } from './writer.js';

/** Sizes tried for the named dims (the first that runs, and its double). */
const PROBES = [64, 32, 128, 16, 256, 8, 512, 4];
const BATCH_PROBES = [2, 1, 3];

function run(g: Graph, inputs: Record<string, readonly (number | string)[]>, size: (name: string, at: number) => number): Map<string, number[]> | null {
  const xs: Record<string, Tensor> = {};
  for (const gi of g.inputs) {
    const dims = inputs[gi.name];
    if (dims === undefined) return null;
    xs[gi.name] = Tensor.meta(dims.map((d, i) => (typeof d === 'number' ? d : size(d, i))));
  }
  try {
    const r = interpret(g, xs, { training: false });
    if (r.error !== null) return null;
    const out = new Map<string, number[]>();
    for (const [k, t] of r.values) out.set(k, [...t.shape]);
    return out;
  } catch {
    return null;
  }
}

/** Every value's sizes, null where they follow a named input dim; an empty map when no size runs. */
export function staticDims(g: Graph, inputs: Record<string, readonly (number | string)[]>): Map<string, Dims> {
  const named = Object.values(inputs).some((s) => s.some((d) => typeof d === 'string'));
  if (!named) return run(g, inputs, () => 0) ?? new Map();
  // A dim named at position 0 is a batch: small probes; the others spatial-like.
  for (const b of BATCH_PROBES) {
    for (const p of PROBES) {
      const a = run(g, inputs, (_, at) => (at === 0 ? b : p));
      if (a === null) continue;
      const c = run(g, inputs, (_, at) => (at === 0 ? 2 * b : 2 * p));
      if (c === null) continue;
      const out = new Map<string, Dims>();
      for (const [k, s] of a) {
        const t = c.get(k);
        out.set(k, t !== undefined && t.length === s.length ? s.map((d, i) => (d === t[i] ? d : null)) : s.map(() => null));
      }
      return out;
    }
  }
  return new Map();
}
