/** Building a graph node by node, with unique node and value names. */
import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';
import { emptyGraph, type Graph, type GraphInput, type GraphNode, type ScopeInfo } from './graph.js';

export class GraphBuilder {
  readonly graph: Graph = emptyGraph();
  private readonly names = new Set<string>();
  private readonly values = new Set<string>();

  /** `base`, or `base_1`, `base_2`, ... (torch's way of naming a module called twice). */
  private unique(set: Set<string>, base: string): string {
    let name = base;
    for (let k = 1; set.has(name); k++) name = `${base}_${k}`;
    set.add(name);
    return name;
  }

  input(name: string, shape: GraphInput['shape'] = null): string {
    const v = this.unique(this.values, name);
    this.graph.inputs.push({ name: v, shape, dtype: 'float32' });
    return v;
  }

  initializer(name: string, t: Tensor): string {
    const v = this.unique(this.values, name);
    this.graph.initializers.set(v, t);
    return v;
  }

  /** Adds a node; `outputNames` are wishes (made unique), defaulting to the node's name. */
  node(
    op: string,
    inputs: string[],
    o: { scope: string; name?: string; attrs?: Record<string, unknown>; module?: Module; outputs?: number; outputNames?: string[] },
  ): string[] {
    const base = o.name ?? (o.scope === '' ? op : `${o.scope}/${op}`);
    const name = this.unique(this.names, base);
    const count = o.outputNames?.length ?? o.outputs ?? 1;
    const outputs = Array.from({ length: count }, (_, i) => this.unique(this.values, o.outputNames?.[i] ?? (count === 1 ? name : `${name}:${i}`)));
    const node: GraphNode = { name, op, inputs, outputs, attrs: o.attrs ?? {}, scope: o.scope };
    if (o.module) node.module = o.module;
    this.graph.nodes.push(node);
    return outputs;
  }

  /** Opens a scope record (pre-order); close it with its outputs once its body is built. */
  openScope(path: string, type: string, inputs: string[]): ScopeInfo {
    const s: ScopeInfo = { path, type, inputs, outputs: [] };
    this.graph.scopes.push(s);
    return s;
  }

  outputs(names: string[]): void {
    this.graph.outputs = names;
  }
}
