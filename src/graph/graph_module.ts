/**
 * A graph as a module, for eager use and training: `forward` interprets the
 * graph with the module's train/eval flag; the modules of its nodes are its
 * submodules under their PyTorch paths, so `parameters()`, `stateDict()` and
 * optimizers see `encoder.0.weight` as PyTorch would.
 */
import { RuntimeError } from '../errors.js';
import { Module } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Graph } from './graph.js';
import { runGraph } from './interpret.js';
import { trustModuleClass } from '../tensor/plan.js';

/** Holds submodules by name; a path segment of a graph's module tree. */
class Namespace extends Module {
  constructor(readonly label: string) {
    super();
  }

  get typeName(): string {
    return this.label;
  }

  forward(x: Tensor): Tensor {
    void x;
    throw new RuntimeError(`${this.label} holds submodules of a graph and has no forward of its own`);
  }
}

export class GraphModule extends Module {
  /**
   * `roots`: the modules the graph's nodes came from, by path (a general-form
   * node's Sequential, say); without them, each node's module at its scope.
   */
  constructor(
    readonly graph: Graph,
    roots?: ReadonlyMap<string, Module>,
  ) {
    super();
    if (roots !== undefined) {
      for (const [path, m] of roots) this.attach(path, m);
      return;
    }
    const seen = new Set<Module>();
    for (const n of graph.nodes) {
      if (n.module === undefined || seen.has(n.module) || n.scope === '') continue;
      seen.add(n.module);
      this.attach(n.scope, n.module);
    }
  }

  get typeName(): string {
    return 'GraphModule';
  }

  /** Registers `m` at dotted `path`, creating the namespaces on the way. */
  private attach(path: string, m: Module): void {
    const parts = path.split('.');
    let holder: Module = this;
    for (const part of parts.slice(0, -1)) {
      let next = [...holder.childEntries()].find(([n]) => n === part)?.[1];
      if (next === undefined) {
        next = new Namespace('Module');
        holder.registerModule(part, next);
      }
      holder = next;
    }
    holder.registerModule(parts[parts.length - 1]!, m);
  }

  /** The first output (PyTorch's `module(x)`); `callAll` gives every output. */
  forward(...inputs: Tensor[]): Tensor {
    return this.forwardAll(...inputs)[0]!;
  }

  forwardAll(...inputs: Tensor[]): Tensor[] {
    return runGraph(this.graph, inputs, { training: this.training });
  }

  /** Every output of the graph, by the graph's output order. */
  callAll(...inputs: Tensor[]): Tensor[] {
    return this.forwardAll(...inputs);
  }
}

// runGraph plans the intermediates; nothing keeps them.
trustModuleClass(GraphModule);
