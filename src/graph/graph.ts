/**
 * The graph every model becomes, however it came in (a module tree, a JSON
 * spec, an ONNX file): values, nodes in topological order, graph inputs and
 * outputs. Execution (`interpret`) and shape-only analysis both walk it.
 *
 * A node is either a module op (`op` is a PyTorch class name such as
 * `InstanceNorm2d`, `attrs` its constructor's keyword arguments, `module` the
 * built module holding parameters and running statistics) or a functional op
 * (`add`, `cat`, `slice`, ... with `attrs` its keyword arguments). `scope` is
 * the PyTorch module path the node belongs to: a module node's own path, or
 * the path of the module whose forward called the functional op.
 */
import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * Element types a graph's values can have. normkit computes on float32
 * tensors (integers as whole numbers); the others say what a file gave a value
 * (ONNX: int64 sizes and indices, int32 indices, bool masks) so that it is
 * written back the same.
 */
export type DType = 'float32' | 'int64' | 'int32' | 'int8' | 'uint8' | 'bool';

/** A graph input: its name and (possibly symbolic) shape, e.g. [1, 3, 'H', 'W']. */
export interface GraphInput {
  name: string;
  shape: (number | string)[] | null;
  dtype: DType;
}

export interface GraphNode {
  /** Unique in the graph. */
  name: string;
  op: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, unknown>;
  /** PyTorch module path ('' is the root). */
  scope: string;
  /** Module ops: the module that runs this node (parameters, buffers, train/eval). */
  module?: Module;
}

/** A module of the PyTorch tree that is not a node itself (Sequential, Residual, a custom block): for reports. */
export interface ScopeInfo {
  path: string;
  type: string;
  inputs: string[];
  outputs: string[];
}

export interface Graph {
  inputs: GraphInput[];
  outputs: string[];
  nodes: GraphNode[];
  /** Constant tensors by value name (weights of functional nodes, ONNX initializers). */
  initializers: Map<string, Tensor>;
  /** Containers and custom modules, in entry (pre-)order, with the values they took and gave. */
  scopes: ScopeInfo[];
  /** The element type of initializers that are not float32 (an imported ONNX file's int64 shapes, bool masks); absent: float32. */
  dtypes?: Map<string, DType>;
}

export function emptyGraph(): Graph {
  return { inputs: [], outputs: [], nodes: [], initializers: new Map(), scopes: [] };
}

/** Which node produces each value (graph inputs and initializers have none). */
export function producers(g: Graph): Map<string, GraphNode> {
  const out = new Map<string, GraphNode>();
  for (const n of g.nodes) for (const o of n.outputs) out.set(o, n);
  return out;
}

/** The nodes that read each value. */
export function consumers(g: Graph): Map<string, GraphNode[]> {
  const out = new Map<string, GraphNode[]>();
  for (const n of g.nodes) {
    for (const i of n.inputs) {
      const list = out.get(i);
      if (list) list.push(n);
      else out.set(i, [n]);
    }
  }
  return out;
}

const isUnder = (path: string, prefix: string) => prefix === '' || path === prefix || path.startsWith(prefix + '.');

/** Whether module path `path` lies at or under `prefix`. */
export function inScope(path: string, prefix: string): boolean {
  return isUnder(path, prefix);
}

/** A one-line-per-node listing: `%h1 = Conv2d[0](%x) {in_channels: 3, ...}`. */
export function printGraph(g: Graph): string {
  const lines: string[] = [];
  lines.push(`graph(${g.inputs.map((i) => `%${i.name}: ${i.shape ? `[${i.shape.join(', ')}]` : '?'}`).join(', ')}) {`);
  for (const n of g.nodes) {
    const attrs = Object.keys(n.attrs).length ? ` ${JSON.stringify(n.attrs)}` : '';
    const at = n.scope === '' ? '' : `[${n.scope}]`;
    lines.push(`  ${n.outputs.map((o) => `%${o}`).join(', ')} = ${n.op}${at}(${n.inputs.map((i) => `%${i}`).join(', ')})${attrs}`);
  }
  lines.push(`  return ${g.outputs.map((o) => `%${o}`).join(', ')}`);
  lines.push('}');
  return lines.join('\n');
}
