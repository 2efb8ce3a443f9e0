/**
 * Edits of a model spec by module path (PyTorch's dotted names): what a fix
 * changes, applied to a copy of `toSpec(model)` so that `fromSpec` rebuilds
 * the fixed model for re-analysis.
 */
import { SpecError } from '../errors.js';
import type { SpecNode } from '../spec/spec.js';

type Node = Record<string, unknown>;

/** The container slot holding the node at `path`: [parent array or object, key]. */
function slotOf(root: Node, path: string): [Node | unknown[], string | number] {
  const parts = path.split('.');
  let node: Node = root;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    let holder: Node | unknown[];
    let key: string | number;
    if (node['module'] === 'Sequential' && Array.isArray(node['layers'])) {
      holder = node['layers'];
      key = Number(part);
    } else if (node['module'] === 'Residual' && part === 'body') {
      holder = node;
      key = 'body';
    } else if (node['module'] === 'Concat' && part === 'branches' && Array.isArray(node['branches'])) {
      holder = node['branches'];
      key = Number(parts[++i]);
    } else {
      throw new SpecError(path, `no node at this path`);
    }
    const next = (holder as Record<string | number, unknown>)[key];
    if (typeof next !== 'object' || next === null) throw new SpecError(path, 'no node at this path');
    if (i === parts.length - 1) return [holder, key];
    node = next as Node;
  }
  throw new SpecError(path, 'the root has no parent slot');
}

export function nodeAt(spec: SpecNode, path: string): SpecNode {
  if (path === '') return spec;
  const [holder, key] = slotOf(spec as Node, path);
  return (holder as Record<string | number, unknown>)[key] as SpecNode;
}

/** A copy of `spec` with the node at `path` replaced by `node`. */
export function withNode(spec: SpecNode, path: string, node: SpecNode): SpecNode {
  if (path === '') return structuredClone(node);
  const copy = structuredClone(spec);
  const [holder, key] = slotOf(copy as Node, path);
  (holder as Record<string | number, unknown>)[key] = structuredClone(node);
  return copy;
}

/** A copy of `spec` with some args of the leaf at `path` set. */
export function withArgs(spec: SpecNode, path: string, args: Record<string, unknown>): SpecNode {
  const old = nodeAt(spec, path) as { module: string; args?: Record<string, unknown> };
  return withNode(spec, path, { module: old.module, args: { ...(old.args ?? {}), ...args } });
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

/** `Conv2d(in_channels=3, stride=2)`: a node as PyTorch's constructor call (defaults left out), or only the `only` args. */
export function describeNode(node: SpecNode, only?: readonly string[]): string {
  const n = node as { module: string; args?: Record<string, unknown> };
  const entries = Object.entries(n.args ?? {}).filter(([k, v]) => (only === undefined ? !isDefault(n.module, k, v) : only.includes(k)));
  return `${n.module}(${entries.map(([k, v]) => `${k}=${pyValue(v)}`).join(', ')})`;
}
