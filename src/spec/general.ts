/**
 * The general JSON form of a model: named inputs, nodes with explicit inputs
 * and outputs, module nodes (any tree-form node: a torch.nn class with its
 * arguments, or a Sequential/Residual/Concat) and functional nodes (add, cat,
 * slice, reshape, mean, interpolate with a size taken from another value,
 * ...). The tree form is shorthand for a one-node graph. See docs/model-spec.md.
 *
 *     {"inputs": {"x": [1, 3, 64, 64], "c": [1, 5]},
 *      "nodes": [{"name": "stem", "module": "Conv2d", "args": {...}, "inputs": ["x"]},
 *                {"op": "add", "inputs": ["stem", "skip"], "outputs": ["y"]}],
 *      "outputs": ["y"]}
 */
import { NormkitError, SpecError, fmtValue } from '../errors.js';
import { GraphBuilder } from '../graph/builder.js';
import type { Graph, GraphInput } from '../graph/graph.js';
import { lowerInto } from '../graph/lower.js';
import '../graph/ops/index.js';
import { getOp, knownOps, moduleOpFor } from '../graph/registry.js';
import type { Module } from '../nn/module.js';
import { ArgReader } from './args.js';
import { fromSpec, isObject } from './spec.js';

export interface GeneralSpec {
  inputs: Record<string, (number | string)[] | null> | string[];
  nodes: Record<string, unknown>[];
  outputs: string[];
}

/** Whether a parsed spec is in the general form (a `nodes` list) rather than the tree form. */
export function isGeneralSpec(spec: unknown): spec is GeneralSpec {
  return isObject(spec) && Array.isArray(spec['nodes']) && spec['module'] === undefined;
}

const NODE_KEYS = ['name', 'op', 'module', 'call', 'args', 'inputs', 'outputs', 'scope', 'layers', 'body', 'branches', 'dim'];

function names(v: unknown, where: string, what: string): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && x.length > 0)) {
    throw new SpecError(where, `'${what}' must be a list of value names, got ${fmtValue(v)}`);
  }
  return v as string[];
}

function readInputs(v: unknown): GraphInput[] {
  if (Array.isArray(v)) return names(v, 'inputs', 'inputs').map((name) => ({ name, shape: null, dtype: 'float32' }));
  if (!isObject(v)) throw new SpecError('inputs', `'inputs' must map input names to shapes, e.g. {"x": [1, 3, 64, 64]}, got ${fmtValue(v)}`);
  return Object.entries(v).map(([name, shape]) => {
    if (shape !== null && !(Array.isArray(shape) && shape.every((d) => (typeof d === 'number' && Number.isInteger(d) && d > 0) || (typeof d === 'string' && d.length > 0)))) {
      throw new SpecError(`inputs.${name}`, `a shape is a list of positive integers or dimension names, got ${fmtValue(shape)}`);
    }
    return { name, shape: shape as (number | string)[] | null, dtype: 'float32' as const };
  });
}

/**
 * Orders nodes so that every value is defined before it is used (a stable
 * topological sort: file order where it is free), naming a cycle or an
 * undefined value.
 */
function order(nodes: Record<string, unknown>[], defined: Set<string>, nodeName: (k: number) => string, outputsOf: (k: number) => string[], inputsOf: (k: number) => string[]): number[] {
  const producer = new Map<string, number>();
  nodes.forEach((_, k) => {
    for (const o of outputsOf(k)) {
      if (defined.has(o) || producer.has(o)) throw new SpecError(nodeName(k), `value '${o}' is defined twice`);
      producer.set(o, k);
    }
  });
  for (let k = 0; k < nodes.length; k++) {
    for (const i of inputsOf(k)) {
      if (!defined.has(i) && !producer.has(i)) throw new SpecError(nodeName(k), `input '${i}' is not defined (not a graph input nor any node's output)`);
    }
  }
  const indeg = nodes.map((_, k) => new Set(inputsOf(k).filter((i) => producer.has(i)).map((i) => producer.get(i)!)).size);
  const users = nodes.map(() => [] as number[]);
  nodes.forEach((_, k) => {
    for (const p of new Set(inputsOf(k).filter((i) => producer.has(i)).map((i) => producer.get(i)!))) users[p]!.push(k);
  });
  const out: number[] = [];
  const ready = indeg.map((d, k) => (d === 0 ? k : -1)).filter((k) => k >= 0);
  while (ready.length) {
    ready.sort((a, b) => a - b);
    const k = ready.shift()!;
    out.push(k);
    for (const u of users[k]!) if (--indeg[u]! === 0) ready.push(u);
  }
  if (out.length !== nodes.length) {
    const stuck = nodes.map((_, k) => k).filter((k) => !out.includes(k)).map(nodeName);
    throw new SpecError(stuck[0]!, `the nodes ${stuck.join(', ')} form a cycle (each waits for another's output)`);
  }
  return out;
}

/** Builds the graph of a general-form spec and the modules of its module nodes, by node name. */
export function graphFromGeneral(spec: unknown): { graph: Graph; modules: Map<string, Module> } {
  if (!isObject(spec)) throw new SpecError('', `a general-form spec is an object {"inputs", "nodes", "outputs"}, got ${fmtValue(spec)}`);
  const extra = Object.keys(spec).filter((k) => !['inputs', 'nodes', 'outputs', 'format', 'description'].includes(k));
  if (extra.length) throw new SpecError('', `unexpected key${extra.length > 1 ? 's' : ''} ${extra.map((k) => `'${k}'`).join(', ')} (allowed: inputs, nodes, outputs)`);
  const inputs = readInputs(spec['inputs']);
  if (inputs.length === 0) throw new SpecError('inputs', 'a model needs at least one input');
  const nodes = spec['nodes'] as unknown[];
  if (!Array.isArray(nodes) || nodes.length === 0) throw new SpecError('nodes', "'nodes' must be a non-empty list");
  nodes.forEach((n, k) => {
    if (!isObject(n)) throw new SpecError(`nodes.${k}`, `a node must be an object, got ${fmtValue(n)}`);
  });
  const objs = nodes as Record<string, unknown>[];
  const nodeName = (k: number) => {
    const n = objs[k]!['name'];
    return typeof n === 'string' && n.length > 0 ? n : `nodes.${k}`;
  };
  const outputsOf = (k: number) => (objs[k]!['outputs'] === undefined ? [nodeName(k)] : names(objs[k]!['outputs'], nodeName(k), 'outputs'));
  const inputsOf = (k: number) => names(objs[k]!['inputs'], nodeName(k), 'inputs');
  const seenNames = new Set<string>();
  objs.forEach((_, k) => {
    const n = nodeName(k);
    if (seenNames.has(n)) throw new SpecError(n, `node name '${n}' is used twice`);
    seenNames.add(n);
  });
  const defined = new Set(inputs.map((i) => i.name));
  const sequence = order(objs, defined, nodeName, outputsOf, inputsOf);

  const b = new GraphBuilder();
  const rename = new Map<string, string>();
  for (const i of inputs) rename.set(i.name, b.input(i.name, i.shape));
  const root = b.openScope('', 'GraphModule', inputs.map((i) => rename.get(i.name)!));
  const built = new Map<string, Module>();
  for (const k of sequence) {
    const node = objs[k]!;
    const name = nodeName(k);
    const extraKeys = Object.keys(node).filter((x) => !NODE_KEYS.includes(x));
    if (extraKeys.length) throw new SpecError(name, `unexpected key${extraKeys.length > 1 ? 's' : ''} ${extraKeys.map((x) => `'${x}'`).join(', ')} (allowed: ${NODE_KEYS.join(', ')})`);
    const xs = inputsOf(k).map((i) => rename.get(i)!);
    const wanted = outputsOf(k);
    const kinds = ['op', 'module', 'call'].filter((x) => node[x] !== undefined);
    if (kinds.length !== 1) throw new SpecError(name, `a node has exactly one of 'op' (a function), 'module' (a torch.nn class or container) or 'call' (an earlier module node's name), got ${kinds.length ? kinds.join(' and ') : 'none'}`);
    let outs: string[];
    if (node['op'] !== undefined) {
      const opName = node['op'];
      const def = typeof opName === 'string' ? getOp(opName) : undefined;
      if (def === undefined || def.kind !== 'function') {
        throw new SpecError(name, `unknown op ${fmtValue(opName)} (functions: ${knownOps('function').join(', ')}; torch.nn classes go in 'module')`);
      }
      if (xs.length < def.arity[0] || xs.length > def.arity[1]) {
        const want = def.arity[0] === def.arity[1] ? `${def.arity[0]}` : def.arity[1] === Infinity ? `at least ${def.arity[0]}` : `${def.arity[0]} to ${def.arity[1]}`;
        throw new SpecError(name, `${def.name} takes ${want} input${want === '1' ? '' : 's'}, got ${xs.length}`);
      }
      const args = node['args'] ?? {};
      if (!isObject(args)) throw new SpecError(name, `${def.name}: 'args' must be an object`);
      const reader = new ArgReader(args, name, def.name);
      const attrs = def.read(reader, xs.length);
      reader.done();
      const count = def.outputs(attrs);
      if (node['outputs'] !== undefined && wanted.length !== count) throw new SpecError(name, `${def.name} gives ${count} output${count === 1 ? '' : 's'}, the node names ${wanted.length}`);
      const scope = node['scope'] ?? '';
      if (typeof scope !== 'string') throw new SpecError(name, `'scope' must be a module path`);
      outs = b.node(def.name, xs, { scope, name, attrs, outputs: count, outputNames: node['outputs'] !== undefined ? wanted : count === 1 ? [name] : undefined });
    } else {
      let m: Module;
      if (node['call'] !== undefined) {
        const target = node['call'];
        const prev = typeof target === 'string' ? built.get(target) : undefined;
        if (prev === undefined) throw new SpecError(name, `'call' names no earlier module node: ${fmtValue(target)}`);
        m = prev;
      } else {
        const { name: _n, inputs: _i, outputs: _o, scope: _s, ...tree } = node;
        void _n, _i, _o, _s;
        try {
          m = fromSpec(tree, name);
        } catch (e) {
          if (e instanceof NormkitError && !(e instanceof SpecError)) throw new SpecError(name, e.message);
          throw e;
        }
        built.set(name, m);
      }
      if (wanted.length !== 1) throw new SpecError(name, `a module gives one output, the node names ${wanted.length}`);
      const def = moduleOpFor(m);
      const arity = def?.arity ?? [1, 1];
      if (xs.length < arity[0] || xs.length > arity[1]) {
        throw new SpecError(name, `${m.typeName} takes ${arity[0] === arity[1] ? arity[0] : `${arity[0]} to ${arity[1]}`} input${arity[1] === 1 ? '' : 's'}, got ${xs.length}`);
      }
      const scope = node['call'] !== undefined ? (node['call'] as string) : name;
      outs = lowerInto(b, m, scope, xs, name);
    }
    wanted.forEach((w, i) => rename.set(w, outs[i]!));
  }
  const graphOutputs = spec['outputs'] === undefined ? outputsOf(sequence[sequence.length - 1]!) : names(spec['outputs'], 'outputs', 'outputs');
  for (const o of graphOutputs) if (!rename.has(o)) throw new SpecError('outputs', `output '${o}' is not defined`);
  b.outputs(graphOutputs.map((o) => rename.get(o)!));
  root.outputs = b.graph.outputs;
  return { graph: b.graph, modules: built };
}

/** A graph written back in the general form (module nodes by path; a module called again as `call`). */
export function graphToGeneral(g: Graph): GeneralSpec {
  const inputs: Record<string, (number | string)[] | null> = {};
  for (const i of g.inputs) inputs[i.name] = i.shape;
  const firstAt = new Map<Module, string>();
  const nodes = g.nodes.map((n) => {
    const io = { inputs: [...n.inputs], outputs: [...n.outputs] };
    if (n.module === undefined) {
      return { name: n.name, op: n.op, ...(Object.keys(n.attrs).length ? { args: { ...n.attrs } } : {}), ...io, ...(n.scope !== '' ? { scope: n.scope } : {}) };
    }
    const first = firstAt.get(n.module);
    if (first !== undefined) return { name: n.name, call: first, ...io };
    firstAt.set(n.module, n.scope);
    if (n.op === 'module') throw new SpecError(n.scope, `${n.module.typeName} is a custom module: it has no spec form`);
    const def = getOp(n.op);
    const args = def?.kind === 'module' ? def.toArgs(n.module) : n.attrs;
    return { name: n.scope, module: n.op, ...(Object.keys(args).length ? { args } : {}), ...io };
  });
  return { inputs, nodes, outputs: [...g.outputs] };
}
