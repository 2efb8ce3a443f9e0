/**
 * Edits of a graph by module path: what a fix changes. A module node is
 * replaced by another module (a PyTorch class and its keyword arguments),
 * built with shape-only parameters, in a copy of the graph; the original is
 * untouched, so every fix is re-analyzed on a model of its own.
 */
import { SpecError } from '../errors.js';
import type { Graph, GraphNode } from '../graph/graph.js';
import '../graph/ops/index.js';
import { getOp } from '../graph/registry.js';
import { ArgReader } from '../spec/args.js';
import { withMetaParameters } from '../tensor/meta_mode.js';

/** A module as a spec node: PyTorch class name and keyword arguments. */
export interface ModuleSpec {
  module: string;
  args?: Record<string, unknown>;
}

/** The module node at `path`, or undefined (a functional node, a container, an opaque module's inside). */
export function moduleNodeAt(g: Graph, path: string): GraphNode | undefined {
  return g.nodes.find((n) => n.scope === path && n.module !== undefined && n.op !== 'module');
}

export function specAt(g: Graph, path: string): ModuleSpec | undefined {
  const n = moduleNodeAt(g, path);
  return n === undefined ? undefined : { module: n.op, args: { ...n.attrs } };
}

/** Builds a module node's module from its spec (shape-only parameters). */
export function buildModule(spec: ModuleSpec, path: string) {
  const def = getOp(spec.module);
  if (def === undefined || def.kind !== 'module') throw new SpecError(path, `unknown module '${spec.module}'`);
  const reader = new ArgReader(spec.args ?? {}, path, spec.module);
  return withMetaParameters(() => {
    const m = def.build(reader);
    reader.done();
    return m;
  });
}

/** A copy of `g` whose module node at `path` is `spec` (every node of that path, for a module called twice). */
export function withModule(g: Graph, path: string, spec: ModuleSpec): Graph {
  const m = buildModule(spec, path);
  let found = false;
  const nodes = g.nodes.map((n) => {
    if (n.scope !== path || n.module === undefined || n.op === 'module') return n;
    found = true;
    return { ...n, op: spec.module, attrs: { ...(spec.args ?? {}) }, module: m };
  });
  if (!found) throw new SpecError(path, 'no module node at this path');
  return { ...g, nodes };
}

/**
 * `withModule` with real parameters, for writing the edited model out: the
 * new module keeps every parameter and buffer of the one it replaces that has
 * the same name and shape (a file's trained weights: GroupNorm takes
 * InstanceNorm's affine weight and bias, a Conv with another stride its
 * kernel); the rest start as PyTorch initializes them (`fresh`, by name).
 */
export function withModuleWeights(g: Graph, path: string, spec: ModuleSpec): { graph: Graph; fresh: string[] } {
  const def = getOp(spec.module);
  if (def === undefined || def.kind !== 'module') throw new SpecError(path, `unknown module '${spec.module}'`);
  const old = moduleNodeAt(g, path)?.module;
  if (old === undefined) throw new SpecError(path, 'no module node at this path');
  const reader = new ArgReader(spec.args ?? {}, path, spec.module);
  const m = def.build(reader);
  reader.done();
  const before = old.stateDict();
  const fresh: string[] = [];
  for (const [k, t] of m.stateDict()) {
    const was = before.get(k);
    if (was !== undefined && !was.isMeta && was.shape.length === t.shape.length && was.shape.every((d, i) => d === t.shape[i])) t.data.set(was.data);
    else if (k !== 'num_batches_tracked') fresh.push(k);
  }
  const nodes = g.nodes.map((n) => (n.scope === path && n.module !== undefined && n.op !== 'module' ? { ...n, op: spec.module, attrs: def.toArgs(m), module: m } : n));
  return { graph: { ...g, nodes }, fresh };
}

/** PyTorch's defaults, left out when a node is shown (InstanceNorm's own defaults differ for two of them). */
const DEFAULTS: Record<string, unknown> = {
  eps: 1e-5, momentum: 0.1, affine: true, track_running_stats: true, elementwise_affine: true, bias: true, groups: 1,
  dilation: 1, padding: 0, padding_mode: 'zeros', output_padding: 0, ceil_mode: false, count_include_pad: true, divisor_override: null,
  start_dim: 1, end_dim: -1, inplace: false,
};
const INSTANCE_DEFAULTS: Record<string, unknown> = { affine: false, track_running_stats: false };

function isDefault(module: string, key: string, v: unknown): boolean {
  if (key === 'stride' && /^Conv/.test(module)) return Array.isArray(v) ? v.every((x) => x === 1) : v === 1; // pools default to their kernel
  const d = /InstanceNorm/.test(module) && key in INSTANCE_DEFAULTS ? INSTANCE_DEFAULTS[key] : DEFAULTS[key];
  if (!(key in DEFAULTS)) return false;
  return Array.isArray(v) ? v.every((x) => x === d) : v === d;
}

const pyValue = (v: unknown): string =>
  Array.isArray(v) ? `(${v.map(pyValue).join(', ')}${v.length === 1 ? ',' : ''})` : typeof v === 'boolean' ? (v ? 'True' : 'False') : v === null ? 'None' : typeof v === 'string' ? `'${v}'` : String(v);

/** `Conv2d(in_channels=3, stride=2)`: a module as PyTorch's constructor call (defaults left out), or only the `only` args. */
export function describeNode(node: ModuleSpec, only?: readonly string[]): string {
  const entries = Object.entries(node.args ?? {}).filter(([k, v]) => (only === undefined ? !isDefault(node.module, k, v) : only.includes(k)));
  return `${node.module}(${entries.map(([k, v]) => `${k}=${pyValue(v)}`).join(', ')})`;
}

/** A module spec with some args set. */
export function withArgs(node: ModuleSpec, args: Record<string, unknown>): ModuleSpec {
  return { module: node.module, args: { ...(node.args ?? {}), ...args } };
}
