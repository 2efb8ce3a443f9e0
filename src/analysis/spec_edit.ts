/**
 * Edits of a tree-form model spec by module path (PyTorch's dotted names):
 * a fix's changes applied to the spec a user wrote, so that the fixed model
 * can be written back (the analyzer itself edits graphs: graph_edit.ts).
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

export { describeNode } from './graph_edit.js';
