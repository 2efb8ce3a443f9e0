/**
 * The report's data, computed in Node from a graph and its analysis: what is
 * drawn (nodes, edges, containers) and one "state" per analysis — the
 * original one and each fix's re-analysis (the fix applied to a copy of the
 * graph with `withModule`, re-analyzed at render time), so the page can show
 * any fix's verified result without running the analyzer itself. Plain JSON,
 * embedded in the HTML page.
 */
import { analyzeGraph } from '../analysis/analyze.js';
import { withModule, type ModuleSpec } from '../analysis/graph_edit.js';
import type { Analysis, Fix, NormVerdict, SweepResult } from '../analysis/types.js';
import { inScope, producers, type Graph } from '../graph/graph.js';
import type { SweepPlot } from './plot.js';
import { sweepPlotData } from './plot.js';
import { withFirstShape } from '../analysis/input_shapes.js';

export interface RNode {
  id: string;
  /** PyTorch module path ('' the root); for graph inputs/outputs the value name. */
  path: string;
  kind: 'module' | 'function' | 'input' | 'output';
  /** The innermost container holding this node (its path), or null. */
  cluster: string | null;
}

export interface REdge {
  from: string;
  to: string;
  /** The value flowing on it. */
  value: string;
}

export interface RCluster {
  path: string;
  type: string;
  parent: string | null;
}

/** One node under one analysis. */
export interface RNodeState {
  type: string;
  status: 'ok' | 'raised' | 'unfinished' | 'unreached';
  verdict?: NormVerdict;
  valuesPerStatistic?: number | null;
  reason?: string;
  inputShape?: number[] | null;
  outputShape?: number[] | null;
}

export interface RState {
  title: string;
  runs: boolean;
  degenerate: boolean;
  inputShapes: Record<string, number[]>;
  outputShape: number[] | null;
  nodes: Record<string, RNodeState>;
  /** Shapes by value name. */
  values: Record<string, number[]>;
  /** The node that raised (its id). */
  failing: string | null;
  /** The cause chain: node ids with what each did. */
  chain: { id: string; because: string; before: number[]; after: number[] }[];
  /** The paths a fix changed. */
  changed: string[];
  error: { type: string; message: string } | null;
  explanation: string | null;
}

export interface RFix {
  rank: number;
  kind: string;
  title: string;
  caveat?: string;
  changes: { path: string; from: string; to: string }[];
  state: RState;
}

export interface ReportModel {
  name: string;
  description?: string;
  mode: string;
  nodes: RNode[];
  edges: REdge[];
  clusters: RCluster[];
  base: RState;
  fixes: RFix[];
  /** False when the fix search was skipped (--no-fixes). */
  fixesSearched: boolean;
  sweep: SweepPlot | null;
}

export interface ReportInput {
  name: string;
  description?: string;
  graph: Graph;
  analysis: Analysis;
  fixes: Fix[] | null;
  sweep?: SweepResult;
}

const deepest = (paths: string[]) => paths.reduce<string | null>((best, p) => (best === null || p.length > best.length ? p : best), null);

/** The state of every node under one analysis of `g` (same node names as the drawn graph). */
export function stateOf(g: Graph, a: Analysis, title: string, changed: string[] = []): RState {
  const byName = new Map(g.nodes.map((n) => [n.name, n]));
  const nodes: Record<string, RNodeState> = {};
  const values: Record<string, number[]> = { ...a.inputShapes };
  for (const n of g.nodes) nodes[n.name] = { type: n.module?.typeName ?? n.op, status: 'unreached' };
  for (const r of a.modules) {
    if (r.kind === 'container') {
      const s = g.scopes.find((x) => x.path === r.path);
      const v = s?.outputs[0];
      if (v !== undefined && r.outputShape && values[v] === undefined) values[v] = r.outputShape;
      continue;
    }
    const id = r.node ?? r.path;
    const n = byName.get(id);
    if (n === undefined) continue;
    nodes[id] = {
      type: r.type,
      status: r.status,
      inputShape: r.inputShape,
      outputShape: r.outputShape,
      ...(r.norm ? { verdict: r.norm.verdict, valuesPerStatistic: r.norm.valuesPerStatistic, reason: r.norm.reason } : {}),
    };
    const v = n.outputs[0];
    if (v !== undefined && r.outputShape) values[v] = r.outputShape;
  }
  const f = a.failure;
  let failing: string | null = null;
  if (f) {
    if (f.node !== undefined && byName.has(f.node)) failing = f.node;
    else failing = g.nodes.find((n) => n.scope === f.path && nodes[n.name]?.status === 'raised')?.name ?? g.nodes.find((n) => n.scope === f.path)?.name ?? null;
  }
  // A functional node a container runs (Concat's cat) has no row of its own: it raised all the same,
  // named as the CLI names it (the failure's module type, Concat, not the op).
  if (failing !== null && nodes[failing]!.status === 'unreached') {
    nodes[failing] = { ...nodes[failing]!, type: f!.type, status: 'raised', inputShape: f!.inputShape, outputShape: null };
  }
  const chain = (f?.chain ?? []).flatMap((c) => {
    const n = g.nodes.find((x) => x.scope === c.path && x.module !== undefined) ?? g.nodes.find((x) => x.scope === c.path);
    return n ? [{ id: n.name, because: c.because.join(', '), before: c.before, after: c.after }] : [];
  });
  return {
    title,
    runs: a.runs,
    degenerate: a.degenerate,
    inputShapes: a.inputShapes,
    outputShape: a.outputShape,
    nodes,
    values,
    failing,
    chain,
    changed,
    error: f ? f.error : null,
    explanation: f ? f.explanation : null,
  };
}

/** A fix applied to a copy of the graph and re-analyzed: the verified result the page shows. */
export function fixState(g: Graph, a: Analysis, fix: Fix): RState {
  let edited = g;
  for (const c of fix.changes) edited = withModule(edited, c.path, c.node as ModuleSpec);
  const sameShape = fix.verified.inputShape.join() === a.inputShape.join();
  const shapes = sameShape ? a.inputShapes : withFirstShape(a, fix.verified.inputShape);
  const r = analyzeGraph(edited, shapes, a.mode);
  return stateOf(edited, r, fix.title, fix.changes.map((c) => c.path));
}

export function buildReportModel(input: ReportInput): ReportModel {
  const g = input.graph;
  const clusterPaths = g.scopes.filter((s) => s.path !== '').map((s) => s.path);
  const clusters: RCluster[] = g.scopes
    .filter((s) => s.path !== '')
    .map((s) => ({ path: s.path, type: s.type, parent: deepest(clusterPaths.filter((p) => p !== s.path && inScope(s.path, p))) }));
  const nodes: RNode[] = [];
  const edges: REdge[] = [];
  const prod = producers(g);
  for (const i of g.inputs) nodes.push({ id: `input:${i.name}`, path: i.name, kind: 'input', cluster: null });
  for (const n of g.nodes) {
    nodes.push({ id: n.name, path: n.scope, kind: n.module !== undefined ? 'module' : 'function', cluster: deepest(clusterPaths.filter((p) => inScope(n.scope, p))) });
    for (const v of n.inputs) {
      const p = prod.get(v);
      if (p) edges.push({ from: p.name, to: n.name, value: v });
      else if (g.inputs.some((i) => i.name === v)) edges.push({ from: `input:${v}`, to: n.name, value: v });
    }
  }
  g.outputs.forEach((v, k) => {
    const id = `output:${k}`;
    nodes.push({ id, path: g.outputs.length > 1 ? `output ${k}` : 'output', kind: 'output', cluster: null });
    const p = prod.get(v);
    if (p) edges.push({ from: p.name, to: id, value: v });
    else if (g.inputs.some((i) => i.name === v)) edges.push({ from: `input:${v}`, to: id, value: v });
  });
  const a = input.analysis;
  const fixes: RFix[] = (input.fixes ?? []).map((f) => ({
    rank: f.rank,
    kind: f.kind,
    title: f.title,
    ...(f.caveat !== undefined ? { caveat: f.caveat } : {}),
    changes: f.changes.map((c) => ({ path: c.path, from: c.from, to: c.to })),
    state: fixState(g, a, f),
  }));
  return {
    name: input.name,
    ...(input.description !== undefined ? { description: input.description } : {}),
    mode: a.mode,
    nodes,
    edges,
    clusters,
    base: stateOf(g, a, 'as given'),
    fixes,
    fixesSearched: input.fixes !== null,
    sweep: input.sweep ? sweepPlotData(g, a, input.sweep) : null,
  };
}
