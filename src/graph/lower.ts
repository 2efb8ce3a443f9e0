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

/**
 * Adds `m` (at module path `path`) reading `inputs`; returns its output
 * values. `name` names a leaf's node (default: its path). Containers nest as
 * deep as the user built them, so the walk keeps its own stack of tasks (each
 * a step of one container) instead of recursing.
 */
export function lowerInto(b: GraphBuilder, m: Module, path: string, inputs: string[], name?: string): string[] {
  type Done = (outs: string[]) => void;
  const tasks: (() => void)[] = [];
  const later = (f: () => void) => tasks.push(f);
  const visit = (mod: Module, at: string, xs: string[], done: Done, leafName?: string) => later(() => step(mod, at, xs, done, leafName));
  /** Runs `children` one after the other, each on the previous outputs (or each on `xs`, `fromInputs`), then `done` with all outputs. */
  const inOrder = (children: [string, Module][], xs: string[], fromInputs: boolean, done: (all: string[][]) => void) => {
    const outs: string[][] = [];
    const next = (k: number, v: string[]) => {
      if (k === children.length) return later(() => done(outs));
      const [at, child] = children[k]!;
      visit(child, at, fromInputs ? xs : v, (o) => {
        outs.push(o);
        later(() => next(k + 1, o));
      });
    };
    next(0, xs);
  };
  const step = (mod: Module, at: string, xs: string[], done: Done, leafName?: string): void => {
    if (mod instanceof Sequential) {
      const scope = b.openScope(at, mod.typeName, xs);
      const children = [...mod.childEntries()].map(([n, c]) => [join(at, n), c] as [string, Module]);
      inOrder(children, xs, false, (all) => {
        scope.outputs = all.length ? all[all.length - 1]! : xs;
        done(scope.outputs);
      });
      return;
    }
    if (mod instanceof Residual) {
      const scope = b.openScope(at, mod.typeName, xs);
      visit(mod.body, join(at, 'body'), xs, (body) => {
        scope.outputs = b.node('add', [xs[0]!, body[0]!], { scope: at });
        done(scope.outputs);
      });
      return;
    }
    if (mod instanceof Concat) {
      const scope = b.openScope(at, mod.typeName, xs);
      const list = mod.getSubmodule('branches') as ModuleList;
      const children = [...list.childEntries()].map(([n, c]) => [join(at, `branches.${n}`), c] as [string, Module]);
      inOrder(children, xs, true, (all) => {
        scope.outputs = b.node('cat', all.map((o) => o[0]!), { scope: at, attrs: { dim: mod.dimension } });
        done(scope.outputs);
      });
      return;
    }
    if (mod instanceof ModuleList) throw new SpecError(at, 'ModuleList has no forward; call its members');
    const op = moduleOpFor(mod);
    const outs =
      op !== undefined
        ? b.node(op.name, xs, { scope: at, name: leafName ?? (at === '' ? op.name : at), attrs: op.toArgs(mod), module: mod })
        : b.node(OPAQUE_OP, xs, { scope: at, name: leafName ?? (at === '' ? mod.typeName : at), attrs: { type: mod.typeName }, module: mod });
    done(outs);
  };
  let result: string[] = [];
  visit(m, path, inputs, (o) => (result = o), name);
  // LIFO: each task schedules at most its own next step, so nodes are added in execution order.
  while (tasks.length) tasks.pop()!();
  return result;
}
