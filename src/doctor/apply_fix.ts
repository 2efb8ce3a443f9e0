/**
 * `normkit check --apply N --out FILE`: the model with verified fix N's
 * changes applied. A JSON spec is edited as a spec: tree-form specs with
 * `withNode` by module path; in a general-form spec the change goes to the
 * node whose name (or `scope`) is the path, or to the tree below it
 * (`stem.0`: layer 0 of the Sequential node `stem`). An ONNX file is edited as
 * a graph (the fix's module swaps, `withModuleWeights`) and written back as
 * ONNX, or as a general-form spec when it has one.
 */
import { withModule, withModuleWeights, type ModuleSpec } from '../analysis/graph_edit.js';
import { withNode } from '../analysis/spec_edit.js';
import type { Fix } from '../analysis/types.js';
import { NormkitError } from '../errors.js';
import { EXPORT_MAX_OPSET, EXPORT_MIN_OPSET, importOnnx, OnnxError, toOnnx } from '../formats/onnx/index.js';
import type { Graph } from '../graph/graph.js';
import { graphFromGeneral, graphToGeneral, isGeneralSpec, type GeneralSpec } from '../spec/general.js';
import type { SpecNode } from '../spec/spec.js';
import { UsageError } from './source.js';

const TREE_KEYS = ['module', 'args', 'layers', 'body', 'branches', 'dim'];

function applyOne(spec: unknown, path: string, node: SpecNode): unknown {
  if (!isGeneralSpec(spec)) return withNode(spec as SpecNode, path, node);
  let done = false;
  const nodes = spec.nodes.map((n) => {
    const scope = typeof n['scope'] === 'string' ? n['scope'] : typeof n['name'] === 'string' ? n['name'] : undefined;
    if (done || scope === undefined || n['module'] === undefined) return n;
    if (scope !== path && !path.startsWith(scope + '.')) return n;
    done = true;
    const keep = Object.fromEntries(Object.entries(n).filter(([k]) => !TREE_KEYS.includes(k)));
    const tree = Object.fromEntries(Object.entries(n).filter(([k]) => TREE_KEYS.includes(k))) as unknown as SpecNode;
    const edited = scope === path ? node : withNode(tree, path.slice(scope.length + 1), node);
    return { ...keep, ...(edited as unknown as Record<string, unknown>) };
  });
  if (!done) throw new UsageError(`--apply: no node of the general-form spec holds module path '${path}'`);
  return { ...spec, nodes };
}

/** A fix of the input size has nothing to change in the model: a UsageError that says which input to use. */
function needsChanges(fix: Fix): void {
  if (fix.changes.length === 0) {
    throw new UsageError(`--apply ${fix.rank}: this fix changes the input (use --input ${fix.verified.inputShape.join('x')}), not the model: nothing to write`);
  }
}

/** The spec with `fix` applied; a fix of the input size has nothing to change in the model (a UsageError that says which input to use). */
export function applyFix(spec: unknown, fix: Fix): unknown {
  needsChanges(fix);
  let s = spec;
  for (const c of fix.changes) s = applyOne(s, c.path, c.node as SpecNode);
  return s;
}

/** An ONNX file with a fix applied: the bytes to write, and what the reader should know (weights taken afresh, sizes fixed). */
export interface FixedOnnx {
  bytes: Uint8Array;
  notes: string[];
}

/**
 * `normkit check model.onnx --apply N --out fixed.onnx`: the file imported
 * with its weights, fix N's module swaps applied to the graph (each new module
 * keeps the weights of the one it replaces where names and shapes match), and
 * the graph written back as ONNX in the file's opset (13–18) with its input
 * and output names and dynamic dims. Where the fixed model cannot be written
 * with dynamic sizes (a FlexibleInstanceNorm, a tracked InstanceNorm), it is
 * written at the checked input sizes, and a note says so.
 */
export function applyFixToOnnx(bytes: Uint8Array, fix: Fix, shapes: Record<string, number[]>): FixedOnnx {
  needsChanges(fix);
  const { graph: imported, info } = importOnnx(bytes);
  let graph = imported;
  const notes: string[] = [];
  for (const c of fix.changes) {
    const edit = withModuleWeights(graph, c.path, c.node as ModuleSpec);
    graph = edit.graph;
    const at = c.path === '' ? 'the root' : c.path;
    const stats = edit.fresh.filter((k) => k.startsWith('running_'));
    const params = edit.fresh.filter((k) => !k.startsWith('running_'));
    if (params.length) notes.push(`${at}: ${c.to}'s ${params.join(', ')} ${params.length > 1 ? 'are' : 'is'} not in the file: initialized as PyTorch does (retrain or fine-tune)`);
    if (stats.length) notes.push(`${at}: ${c.to}'s running statistics start as PyTorch's (mean 0, variance 1): collect them on training batches before relying on eval mode`);
  }
  const opset = Math.min(Math.max(info.opset, EXPORT_MIN_OPSET), EXPORT_MAX_OPSET);
  if (opset !== info.opset) notes.push(`written at opset ${opset} (the file's is ${info.opset}; normkit writes ${EXPORT_MIN_OPSET}–${EXPORT_MAX_OPSET})`);
  const opts = { opset, outputNames: graph.outputs, producerName: 'normkit' };
  try {
    return { bytes: toOnnx(graph, opts), notes };
  } catch (e) {
    const dynamic = graph.inputs.some((gi) => gi.shape === null || gi.shape.some((d) => typeof d === 'string'));
    if (!(e instanceof OnnxError) || !dynamic) throw e;
    // written at the checked sizes: what the fix was verified at
    const out = toOnnx(graph, { ...opts, inputs: shapes });
    notes.push(`written with the input fixed at ${Object.values(shapes).map((s) => s.join('x')).join(', ')}: the fixed model cannot be written with dynamic sizes (${e.at === '' ? e.message : e.message.slice(e.at.length + 2)})`);
    return { bytes: out, notes };
  }
}

/**
 * `normkit check model.onnx --apply N --out fixed.json`: the fixed graph as a
 * general-form JSON spec (modules and functional nodes; no weights), when it
 * has one: constant tensors of the file (shape arithmetic, a MatMul's
 * weight) have no place in a spec, and then it is a UsageError.
 */
export function applyFixToOnnxSpec(graph: Graph, fix: Fix): GeneralSpec {
  needsChanges(fix);
  let g = graph;
  for (const c of fix.changes) g = withModule(g, c.path, c.node as ModuleSpec);
  const consts = [...g.initializers.keys()];
  if (consts.length) {
    throw new UsageError(
      `this ONNX model holds ${consts.length} constant tensor${consts.length > 1 ? 's' : ''} (${consts.slice(0, 3).map((k) => `'${k}'`).join(', ')}${consts.length > 3 ? ', ...' : ''}) that a JSON spec cannot hold: write the fixed model as ONNX (--out FILE.onnx)`,
    );
  }
  let spec: GeneralSpec;
  try {
    spec = graphToGeneral(g);
    graphFromGeneral(spec);
  } catch (e) {
    if (e instanceof NormkitError) throw new UsageError(`this ONNX model has no JSON spec form (${e.message}): write the fixed model as ONNX (--out FILE.onnx)`);
    throw e;
  }
  return spec;
}
