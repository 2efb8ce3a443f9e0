/**
 * A module tree as a graph: containers become edges (Sequential chains its
 * children, Residual adds its body to its input, Concat cats its branches),
 * every torch.nn module normkit knows becomes a module node with its PyTorch
 * path as scope, and any other module (a custom forward) becomes one opaque
 * node that calls it. This is the only place that knows how data flows
 * through a container.
 */
import { SpecError } from '../errors.js';
import { Concat, ModuleList, Residual, Sequential } from '../nn/container.js';
import type { Module } from '../nn/module.js';
import { GraphBuilder } from './builder.js';
import { GraphModule } from './graph_module.js';
import type { Graph } from './graph.js';
import './ops/index.js';
import { moduleOpFor } from './registry.js';

const join = (path: string, name: string) => (path === '' ? name : `${path}.${name}`);

/** The op name of an opaque module node (a module with a forward of its own that normkit cannot see into). */
export const OPAQUE_OP = 'module';

/** Lowers `model` taking graph inputs `inputNames` (default one input, `input`). */
export function lowerModule(model: Module, inputNames: readonly string[] = ['input']): Graph {
  if (model instanceof GraphModule) return model.graph;
  const b = new GraphBuilder();
  const inputs = inputNames.map((n) => b.input(n));
  b.outputs(lowerInto(b, model, '', inputs));
  return b.graph;
}

/** Adds `m` (at module path `path`) reading `inputs`; returns its output values. `name` names a leaf's node (default: its path). */
export function lowerInto(b: GraphBuilder, m: Module, path: string, inputs: string[], name?: string): string[] {
  if (m instanceof Sequential) {
    const scope = b.openScope(path, m.typeName, inputs);
    let v = inputs;
    for (const [name, child] of m.namedChildren()) v = lowerInto(b, child, join(path, name), v);
    scope.outputs = v;
    return v;
  }
  if (m instanceof Residual) {
    const scope = b.openScope(path, m.typeName, inputs);
    const body = lowerInto(b, m.body, join(path, 'body'), inputs);
    scope.outputs = b.node('add', [inputs[0]!, body[0]!], { scope: path });
    return scope.outputs;
  }
  if (m instanceof Concat) {
    const scope = b.openScope(path, m.typeName, inputs);
    const list = m.getSubmodule('branches') as ModuleList;
    const parts = [...list.namedChildren()].map(([name, child]) => lowerInto(b, child, join(path, `branches.${name}`), inputs)[0]!);
    scope.outputs = b.node('cat', parts, { scope: path, attrs: { dim: m.dimension } });
    return scope.outputs;
  }
  if (m instanceof ModuleList) throw new SpecError(path, 'ModuleList has no forward; call its members');
  const op = moduleOpFor(m);
  if (op !== undefined) {
    return b.node(op.name, inputs, { scope: path, name: name ?? (path === '' ? op.name : path), attrs: op.toArgs(m), module: m });
  }
  return b.node(OPAQUE_OP, inputs, { scope: path, name: name ?? (path === '' ? m.typeName : path), attrs: { type: m.typeName }, module: m });
}
