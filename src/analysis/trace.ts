/**
 * Shape-only execution of a graph: every node runs on meta tensors (shape,
 * no data) through the op registry, so analysis goes through the very shape
 * rules and checks that real execution uses. The rows of a report are the
 * graph's module nodes and functional nodes, with the containers (Sequential,
 * Residual, ...) of the PyTorch tree placed before their contents.
 */
import { NormkitError, ValueError } from '../errors.js';
import { inScope, type Graph, type GraphNode } from '../graph/graph.js';
import { interpret, type Execution, type NodeRun } from '../graph/interpret.js';
import type { Module } from '../nn/module.js';
import { Tensor } from '../tensor/tensor.js';
import type { Mode } from './types.js';

export interface TraceEntry {
  path: string;
  type: string;
  /** The graph node of this row; null for a container row and for a submodule call inside an opaque module. */
  node: GraphNode | null;
  /** For a submodule call inside an opaque module: that module's node. */
  owner?: GraphNode;
  module: Module | null;
  /** Inputs as the module received them; null when unknown. */
  inputs: readonly Tensor[] | null;
  output: Tensor | null;
  status: 'ok' | 'raised' | 'unfinished';
  leaf: boolean;
}

export interface Trace {
  graph: Graph;
  exec: Execution;
  entries: TraceEntry[];
  /** The error real execution would throw, tagged with the raising module's path. */
  error: NormkitError | null;
}

/** Input shapes by graph input name; a bare shape is the graph's only input. */
export type InputShapes = readonly number[] | Readonly<Record<string, readonly number[]>>;

export function shapesByName(g: Graph, shapes: InputShapes): Record<string, number[]> {
  if (Array.isArray(shapes)) {
    if (g.inputs.length !== 1) {
      throw new ValueError(`the model takes ${g.inputs.length} inputs (${g.inputs.map((i) => i.name).join(', ')}): give a shape for each by name`, { kind: 'argument' });
    }
    return { [g.inputs[0]!.name]: [...(shapes as readonly number[])] };
  }
  const rec = shapes as Readonly<Record<string, readonly number[]>>;
  const out: Record<string, number[]> = {};
  for (const gi of g.inputs) {
    const s = rec[gi.name];
    if (s === undefined) throw new ValueError(`no shape given for input '${gi.name}' (the model takes ${g.inputs.map((i) => i.name).join(', ')})`, { kind: 'argument' });
    out[gi.name] = [...s];
  }
  const unknown = Object.keys(rec).filter((k) => !g.inputs.some((i) => i.name === k));
  if (unknown.length) throw new ValueError(`unknown input ${unknown.map((u) => `'${u}'`).join(', ')} (the model takes ${g.inputs.map((i) => i.name).join(', ')})`, { kind: 'argument' });
  return out;
}

/** Nodes implied by a container (Residual's add, Concat's cat) are shown by the container's row: their output values. */
function implicitOutputs(g: Graph): Set<string> {
  return new Set(g.scopes.filter((s) => s.type === 'Residual' || s.type === 'Concat').flatMap((s) => s.outputs));
}

/** Runs `g` on meta tensors of `shapes` in `mode` (the modules' own train/eval flags are restored after). */
export function traceGraph(g: Graph, shapes: InputShapes, mode: Mode, stopAfter?: (run: NodeRun) => boolean): Trace {
  const byName = shapesByName(g, shapes);
  const inputs: Record<string, Tensor> = {};
  for (const [k, s] of Object.entries(byName)) inputs[k] = Tensor.meta(s);
  const exec = interpret(g, inputs, { training: mode === 'train', facts: true, ...(stopAfter ? { stopAfter } : {}) });
  const error = exec.error;
  const raised = error?.modulePath;
  const entries: TraceEntry[] = [];
  const value = (name: string | undefined) => (name === undefined ? null : exec.values.get(name) ?? null);

  // Container rows, in pre-order, each placed before the first node inside it.
  const scopes = [...g.scopes];
  let next = 0;
  const ran = new Map(exec.runs.map((r) => [r.node, r]));
  const implicit = implicitOutputs(g);
  const emitScopesUpTo = (path: string | null) => {
    while (next < scopes.length && (path === null || inScope(path, scopes[next]!.path))) {
      const s = scopes[next++]!;
      const outs = s.outputs.map(value);
      // A module with several outputs gives a tuple: no one output shape (PyTorch's hooks see a tuple too).
      const out = outs.length === 1 ? outs[0]! : null;
      const done = outs.length > 0 && outs.every((o) => o !== null);
      const ins = s.inputs.map((i) => exec.values.get(i)).filter((t): t is Tensor => t !== undefined);
      entries.push({
        path: s.path,
        type: s.type,
        node: null,
        module: null,
        inputs: ins.length === s.inputs.length ? ins : null,
        output: out,
        status: done ? 'ok' : raised === s.path ? 'raised' : 'unfinished',
        leaf: false,
      });
    }
  };
  for (const node of g.nodes) {
    const r = ran.get(node);
    if (r === undefined) break; // not reached: a node before it raised
    emitScopesUpTo(node.scope);
    if (node.module === undefined && implicit.has(node.outputs[0]!)) continue;
    const status = r.outputs !== null ? 'ok' : raised === node.scope || r.inner === undefined ? 'raised' : 'unfinished';
    entries.push({
      path: node.scope,
      type: node.module ? node.module.typeName : node.op,
      node,
      module: node.module ?? null,
      inputs: r.inputs,
      output: r.outputs?.[0] ?? null,
      status,
      leaf: r.inner === undefined,
    });
    // Inside an opaque module: its submodule calls as rows (norms get verdicts), the raising one marked.
    for (const c of r.inner ?? []) {
      const leaf = c.module.children().length === 0;
      entries.push({
        path: c.path,
        type: c.module.typeName,
        node: null,
        owner: node,
        module: c.module,
        inputs: c.inputs,
        output: c.output,
        status: c.output !== null ? 'ok' : c.path === raised ? 'raised' : 'unfinished',
        leaf,
      });
    }
  }
  // Containers whose first node was never reached (after the failure) are left out.
  return { graph: g, exec, entries, error };
}
