/** `shape_flow` cases run through the analyzer only (no data is computed). */
import type { CaseResult, ShapeFlowCase } from '../case_types.js';

export function runShapeFlowCase(c: ShapeFlowCase): CaseResult {
  void c;
  return { status: 'skip', reason: 'shape_flow needs the analyzer (not built yet)' };
}
