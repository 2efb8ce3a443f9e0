/** Input shapes for re-analyses at another size (the fix search, the report's fixes). */
import type { Analysis } from './types.js';

/** The model's inputs with the first one's shape replaced: inputs of the same spatial size follow it (an image pair, a segmentation map). */
export function withFirstShape(a: Analysis, shape: number[]): Record<string, number[]> {
  const names = Object.keys(a.inputShapes);
  const first = a.inputShapes[names[0]!]!;
  const out: Record<string, number[]> = {};
  for (const n of names) {
    const s = a.inputShapes[n]!;
    if (n === names[0]) out[n] = shape;
    else if (s.length === first.length && s.length >= 3 && s.slice(2).join() === first.slice(2).join()) out[n] = [s[0]!, s[1]!, ...shape.slice(2)];
    else if (s.length >= 1 && shape[0] !== first[0] && s[0] === first[0]) out[n] = [shape[0]!, ...s.slice(1)];
    else out[n] = s;
  }
  return out;
}
