/**
 * One check, as `normkit check` and the web app both run it: the analysis at
 * the given input sizes and mode, the verified fixes, an optional sweep, and
 * the verdict; then the report's input. No file system, no output: the CLI
 * prints the result, the page draws it.
 */
import { analyze } from '../analysis/analyze.js';
import { suggestFixes } from '../analysis/fixes.js';
import { sweep } from '../analysis/sweep.js';
import type { Analysis, Fix, Mode, SweepAxis, SweepResult } from '../analysis/types.js';
import type { Graph } from '../graph/graph.js';
import type { ReportInput } from '../report/model.js';
import { UsageError } from './source.js';

export type Verdict = 'ok' | 'raises' | 'degenerate' | 'fallback';

export interface CheckRequest {
  mode: Mode;
  /** Search for verified fixes (default true). */
  fixes?: boolean;
  /** Also analyze every size in [from, to] along `axis`. */
  sweep?: [number, number];
  /** What the sweep varies (default: from the first input's rank). */
  axis?: string;
}

export interface CheckResult {
  shapes: Record<string, number[]>;
  mode: Mode;
  analysis: Analysis;
  /** null when the search was skipped. */
  fixes: Fix[] | null;
  sweep?: SweepResult;
  verdict: Verdict;
  /** FlexibleInstanceNorms that pass their input through (their paths). */
  fallbacks: string[];
}

/** The sweep axis an input's rank suggests: length for 1-d maps, square for images, else batch. */
export function defaultAxis(shape: readonly number[]): SweepAxis {
  return shape.length === 3 ? 'length' : shape.length >= 4 ? 'square' : 'batch';
}

/** The axes a sweep can take for this input (square needs two spatial dims, length one). */
export function sweepAxes(shape: readonly number[]): SweepAxis[] {
  return shape.length >= 4 ? ['square', 'length', 'batch'] : shape.length === 3 ? ['length', 'batch'] : ['batch'];
}

/** The axis of a request, checked against the input (a UsageError naming --axis). */
function axisOf(text: string | undefined, input: readonly number[]): SweepAxis {
  const axis = (text ?? defaultAxis(input)) as SweepAxis;
  if (!['square', 'length', 'batch'].includes(axis)) throw new UsageError(`--axis must be square, length or batch, got '${text}'`);
  if (axis !== 'batch' && input.length < 3) throw new UsageError(`--axis ${axis}: a ${axis} sweep needs an input with spatial dims, got ${input.join('x')}`);
  return axis;
}

export function checkGraph(graph: Graph, shapes: Record<string, number[]>, req: CheckRequest): CheckResult {
  const input = Object.values(shapes)[0]!;
  const axis = axisOf(req.axis, input);
  const a = analyze(graph, shapes, { mode: req.mode });
  const fixes = req.fixes === false ? null : suggestFixes(graph, a);
  const swept = req.sweep ? sweep(graph, axis, req.sweep, { mode: req.mode, baseShape: shapes }) : undefined;
  const fallbacks = a.norms.filter((n) => n.verdict === 'fallback').map((n) => n.path);
  // A FlexibleInstanceNorm that passes its input through is a finding too: that layer does not normalize.
  const verdict: Verdict = a.failure ? 'raises' : a.degenerate ? 'degenerate' : fallbacks.length ? 'fallback' : 'ok';
  return { shapes, mode: req.mode, analysis: a, fixes, ...(swept ? { sweep: swept } : {}), verdict, fallbacks };
}

/** What the HTML report (and the page) draws of a check. */
export function reportInputOf(name: string, description: string | undefined, graph: Graph, r: CheckResult): ReportInput {
  return { name, ...(description ? { description } : {}), graph, analysis: r.analysis, fixes: r.fixes, ...(r.sweep ? { sweep: r.sweep } : {}) };
}
