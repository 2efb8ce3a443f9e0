/**
 * Runs a graph node by node through the op registry, on real tensors or on
 * meta tensors (shape-only analysis): the same code either way. Records what
 * each node received and gave, and on a typed error which node raised, with
 * the PyTorch module path of the module that raised it.
 */
import { NormkitError, SpecError } from '../errors.js';
import type { Module } from '../nn/module.js';
import { tensorCount, type Tensor } from '../tensor/tensor.js';
import { planning, releaseIntermediate } from '../tensor/plan.js';
import type { Graph, GraphNode } from './graph.js';
import './ops/index.js';
import { moduleOfNode, runNode } from './registry.js';
import { fusedRun, type FusedRun } from '../nn/fusion.js';
import { nodeFacts } from './facts.js';

export interface NodeRun {
  node: GraphNode;
  inputs: Tensor[];
  /** null for the node that raised. */
  outputs: Tensor[] | null;
  /** An opaque module's own calls of its submodules, in entry order (shape-only analysis only). */
  inner?: InnerCall[];
}

/** A submodule call inside an opaque module's forward, seen by forward hooks. */
export interface InnerCall {
  /** Full PyTorch path. */
  path: string;
  module: Module;
  inputs: Tensor[];
  /** null when it raised (or an ancestor of the raising module did not finish). */
  output: Tensor | null;
}

export interface Execution {
  /** Every value computed, by name (graph inputs and initializers included). */
  values: Map<string, Tensor>;
  /** The nodes that ran, in order, the raising one last. */
  runs: NodeRun[];
  /** The graph's outputs; null when a node raised. */
  outputs: Tensor[] | null;
  /** The error real execution throws, its `modulePath` the PyTorch path of the raising module. */
  error: NormkitError | null;
  /** `stopAfter` ended the run early (then `outputs` is null). */
  stopped?: boolean;
}

export interface InterpretOptions {
  /** `model.train()` (default) or `model.eval()`. */
  training?: boolean;
  /** Carry the "spatially constant" facts of meta tensors from node to node (shape-only analysis). */
  facts?: boolean;
  /** Called after each node that ran; returning true stops the run there (`stopped` in the result). */
  stopAfter?: (run: NodeRun) => boolean;
  /**
   * Under noGrad, dispose each intermediate value once its last consumer has
   * run, so that its memory serves the next outputs (tensor/plan.ts): the
   * graph's inputs, initializers and outputs are kept; `values` and `runs`
   * then hold disposed tensors for the rest. Ignored with `stopAfter` or
   * `facts`. runGraph's default; interpret's is off. Chains of module nodes
   * that fuse (nn/fusion.ts: ReflectionPad2d -> Conv2d -> ReLU, a norm ->
   * ReLU), each intermediate read only by the next and not returned, then run
   * as one forward: their intermediates are never made (not in `values`), and
   * the chain is one run in `runs`, its last node's with the first's inputs.
   */
  freeIntermediates?: boolean;
}

const join = (a: string, b: string) => (a === '' ? b : b === '' ? a : `${a}.${b}`);

/** Binds graph inputs by name (a record) or by position (an array). */
export function bindInputs(g: Graph, inputs: readonly Tensor[] | Record<string, Tensor>): Map<string, Tensor> {
  const values = new Map<string, Tensor>(g.initializers);
  if (Array.isArray(inputs)) {
    if (inputs.length !== g.inputs.length) {
      throw new SpecError('', `the graph takes ${g.inputs.length} input${g.inputs.length === 1 ? '' : 's'} (${g.inputs.map((i) => i.name).join(', ')}), got ${inputs.length}`);
    }
    g.inputs.forEach((gi, k) => values.set(gi.name, inputs[k]!));
  } else {
    const rec = inputs as Record<string, Tensor>;
    const unknown = Object.keys(rec).filter((k) => !g.inputs.some((i) => i.name === k));
    if (unknown.length) throw new SpecError('', `unknown input${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (the graph takes ${g.inputs.map((i) => i.name).join(', ')})`);
    for (const gi of g.inputs) {
      const t = rec[gi.name];
      if (t === undefined) throw new SpecError('', `input '${gi.name}' is missing`);
      values.set(gi.name, t);
    }
  }
  return values;
}

/** The type of the module at `path` (a node's module, a container's scope record). */
function moduleTypeAt(g: Graph, node: GraphNode, path: string): string {
  if (node.module && path === node.scope) return node.module.typeName;
  if (node.module && path.startsWith(node.scope)) {
    try {
      return node.module.getSubmodule(node.scope === '' ? path : path.slice(node.scope.length + 1)).typeName;
    } catch {
      /* fall through */
    }
  }
  return g.scopes.find((s) => s.path === path)?.type ?? node.op;
}

/** Every module of a graph's nodes (submodules of opaque ones included), per node list: a sweep or a fix search asks for them thousands of times. */
const modulesOf = new WeakMap<readonly GraphNode[], Module[]>();

function graphModules(g: Graph): Module[] {
  let list = modulesOf.get(g.nodes);
  if (list === undefined) {
    const set = new Set<Module>();
    for (const n of g.nodes) {
      if (n.module === undefined) continue;
      if (n.module.children().length === 0) set.add(n.module);
      else for (const m of n.module.modules()) set.add(m);
    }
    list = [...set];
    modulesOf.set(g.nodes, list);
  }
  return list;
}

/** Runs `fn` with every module of `g` in train (true) or eval mode, then restores each module's own flag. */
export function withTraining<T>(g: Graph, training: boolean, fn: () => T): T {
  const changed = graphModules(g).filter((m) => m.training !== training);
  try {
    for (const m of changed) m.training = training;
    return fn();
  } finally {
    for (const m of changed) m.training = !training;
  }
}

export function interpret(g: Graph, inputs: readonly Tensor[] | Record<string, Tensor>, opts: InterpretOptions = {}): Execution {
  const training = opts.training ?? true;
  const values = bindInputs(g, inputs);
  const free = opts.freeIntermediates === true && opts.stopAfter === undefined && opts.facts !== true && planning();
  return withTraining(g, training, () => run(g, values, training, opts.facts === true, opts.stopAfter, free ? new Planner(g, values) : null));
}

/**
 * Which values die where: each is disposed after the last node that reads it
 * (a value no node reads, right after its node), unless it is a graph input,
 * an initializer or a graph output. One tensor can be bound to several names
 * (a node returning its input): it is freed when the last of them dies.
 */
class Planner {
  readonly #lastUse = new Map<string, number>();
  readonly #uses = new Map<string, number>();
  readonly #pinned = new Set<Tensor>();
  readonly #live = new Map<Tensor, number>();
  readonly #outputs: Set<string>;
  readonly #since = tensorCount();

  constructor(g: Graph, bound: Map<string, Tensor>) {
    g.nodes.forEach((n, i) => {
      for (const name of n.inputs) {
        this.#lastUse.set(name, i);
        this.#uses.set(name, (this.#uses.get(name) ?? 0) + 1);
      }
    });
    this.#outputs = new Set(g.outputs);
    for (const t of bound.values()) this.#pinned.add(t);
  }

  /**
   * The fused run (nn/fusion.ts) of module nodes from `i` on, each reading
   * only the previous one's output, which nothing else reads and the graph
   * does not return; null where none applies.
   */
  fusedAt(nodes: readonly GraphNode[], i: number, training: boolean): FusedRun | null {
    const mods: Module[] = [];
    for (let k = i; k < nodes.length && k < i + 3; k++) {
      const n = nodes[k]!;
      const m = moduleOfNode(n);
      if (m === null || m.training !== training || n.inputs.length !== 1 || n.outputs.length !== 1) break;
      if (k > i) {
        const prev = nodes[k - 1]!.outputs[0]!;
        if (n.inputs[0] !== prev || this.#uses.get(prev) !== 1 || this.#outputs.has(prev)) break;
      }
      mods.push(m);
    }
    const run = mods.length >= 2 ? fusedRun(mods, 0) : null;
    return run && run.count <= mods.length ? run : null;
  }

  /** Nodes [i, last] ran as one fused run, reading `xs` by nodes[i].inputs and giving `ys` as nodes[last]'s outputs. */
  after(i: number, nodes: readonly GraphNode[], last: number, xs: readonly Tensor[], ys: readonly Tensor[]): void {
    const dead: Tensor[] = [];
    nodes[last]!.outputs.forEach((name, k) => {
      const t = ys[k]!;
      if (this.#outputs.has(name)) this.#pinned.add(t);
      else if (this.#lastUse.has(name)) this.#live.set(t, (this.#live.get(t) ?? 0) + 1);
      else dead.push(t);
    });
    const seen = new Set<string>();
    nodes[i]!.inputs.forEach((name, k) => {
      if (seen.has(name) || this.#lastUse.get(name) !== i) return;
      seen.add(name);
      const t = xs[k]!;
      const c = (this.#live.get(t) ?? 0) - 1;
      if (c > 0) this.#live.set(t, c);
      else {
        this.#live.delete(t);
        dead.push(t);
      }
    });
    for (const t of dead) if (!this.#pinned.has(t) && !this.#live.has(t)) releaseIntermediate(t, this.#since);
  }
}

function run(
  g: Graph,
  values: Map<string, Tensor>,
  training: boolean,
  facts: boolean,
  stopAfter: ((run: NodeRun) => boolean) | undefined,
  planner: Planner | null,
): Execution {
  const runs: NodeRun[] = [];
  let error: NormkitError | null = null;
  let stopped = false;
  for (let i = 0; i < g.nodes.length; i++) {
    const first = i;
    const node = g.nodes[i]!;
    const xs = node.inputs.map((name) => {
      const v = values.get(name);
      if (v === undefined) throw new SpecError(node.name, `input '${name}' is not defined before this node`);
      return v;
    });
    const run: NodeRun = { node, inputs: xs, outputs: null };
    runs.push(run);
    let ys: Tensor[];
    const stopWatching = facts && node.op === 'module' && node.module ? watchInner(node, run) : undefined;
    // The last node this step ran (a fused run of module nodes covers several).
    let last = i;
    try {
      const fused = planner?.fusedAt(g.nodes, i, training) ?? null;
      if (fused === null) ys = runNode(node, xs, { training });
      else {
        try {
          ys = [fused.forward(xs[0]!)];
          last = i + fused.count - 1;
        } catch (e) {
          // Without side effects: the first node alone, which raises as it would unfused (a norm's error is its own).
          if (!fused.pure) throw e;
          ys = runNode(node, xs, { training });
        }
      }
    } catch (e) {
      if (!(e instanceof NormkitError) || e instanceof SpecError) throw e;
      // The path inside the node's module (a leaf raises at '', a custom block at its child's path).
      const inner = node.module ? e.modulePath ?? '' : '';
      e.modulePath = join(node.scope, inner);
      e.moduleType = node.module ? e.moduleType ?? moduleTypeAt(g, node, e.modulePath) : moduleTypeAt(g, node, node.scope);
      error = e;
      break;
    } finally {
      stopWatching?.();
    }
    const end = g.nodes[last]!;
    if (ys.length !== end.outputs.length) throw new SpecError(end.name, `${end.op} gave ${ys.length} outputs, the node names ${end.outputs.length}`);
    if (facts) nodeFacts(node, xs, ys);
    if (last !== i) {
      // A fused run is recorded as its last node's run, with the first one's inputs.
      run.node = end;
      i = last;
    }
    run.outputs = ys;
    end.outputs.forEach((name, k) => values.set(name, ys[k]!));
    planner?.after(first, g.nodes, last, xs, ys);
    if (stopAfter?.(run)) {
      stopped = true;
      break;
    }
  }
  const outputs = error === null && !stopped ? g.outputs.map((o) => values.get(o)!) : null;
  return { values, runs, outputs, error, ...(stopped ? { stopped } : {}) };
}

/**
 * Records the submodule calls of an opaque module (a custom forward normkit
 * cannot see into) with forward hooks, so that the norms inside it still get
 * verdicts; each output gets the facts its module gives it.
 */
function watchInner(node: GraphNode, run: NodeRun): () => void {
  const root = node.module!;
  const inner: InnerCall[] = [];
  run.inner = inner;
  const stops: (() => void)[] = [];
  const open = new Map<Module, InnerCall[]>();
  for (const [rel, m] of root.namedModules()) {
    if (m === root) continue;
    const path = join(node.scope, rel);
    stops.push(
      m.registerForwardPreHook((mod, inputs) => {
        const call: InnerCall = { path, module: mod, inputs: [...inputs], output: null };
        inner.push(call);
        const stack = open.get(mod) ?? [];
        stack.push(call);
        open.set(mod, stack);
      }),
      m.registerForwardHook((mod, inputs, out) => {
        const call = open.get(mod)?.pop();
        if (call === undefined) return;
        nodeFacts({ name: path, op: mod.typeName, inputs: [], outputs: [], attrs: {}, scope: path, module: mod }, inputs, [out]);
        call.output = out;
      }),
    );
  }
  return () => stops.forEach((s) => s());
}

/** The graph's outputs for these inputs (throws what real execution throws). */
export function runGraph(g: Graph, inputs: readonly Tensor[] | Record<string, Tensor>, opts: InterpretOptions = {}): Tensor[] {
  const r = interpret(g, inputs, { ...opts, freeIntermediates: opts.freeIntermediates ?? true });
  if (r.error) throw r.error;
  return r.outputs!;
}

