/**
 * `normkit check --apply N --out fixed.json`: the model spec with verified fix
 * N's changes applied. Tree-form specs are edited with `withNode` by module
 * path; in a general-form spec the change goes to the node whose name (or
 * `scope`) is the path, or to the tree below it (`stem.0`: layer 0 of the
 * Sequential node `stem`).
 */
import { withNode } from '../analysis/spec_edit.js';
import type { Fix } from '../analysis/types.js';
import { isGeneralSpec } from '../spec/general.js';
import type { SpecNode } from '../spec/spec.js';
import { UsageError } from './source.js';

const TREE_KEYS = ['module', 'args', 'layers', 'body', 'branches', 'dim'];

function applyOne(spec: unknown, path: string, node: SpecNode): unknown {
  if (!isGeneralSpec(spec)) return withNode(spec as SpecNode, path, node);
  let done = false;
  const nodes = spec.nodes.map((n) => {
    const scope = typeof n['scope'] === 'string' ? n['scope'] : typeof n['name'] === 'string' ? n['name'] : undefined;
    if (done || scope === undefined || n['module'] === undefined) return n;
    if (scope !== path && !path.startsWith(scope + '.')) return n;
    done = true;
    const keep = Object.fromEntries(Object.entries(n).filter(([k]) => !TREE_KEYS.includes(k)));
    const tree = Object.fromEntries(Object.entries(n).filter(([k]) => TREE_KEYS.includes(k))) as unknown as SpecNode;
    const edited = scope === path ? node : withNode(tree, path.slice(scope.length + 1), node);
    return { ...keep, ...(edited as unknown as Record<string, unknown>) };
  });
  if (!done) throw new UsageError(`--apply: no node of the general-form spec holds module path '${path}'`);
  return { ...spec, nodes };
}

/** The spec with `fix` applied; a fix of the input size has nothing to change in the model (a UsageError that says which input to use). */
export function applyFix(spec: unknown, fix: Fix): unknown {
  if (fix.changes.length === 0) {
    throw new UsageError(`--apply ${fix.rank}: this fix changes the input (use --input ${fix.verified.inputShape.join('x')}), not the model: nothing to write`);
  }
  let s = spec;
  for (const c of fix.changes) s = applyOne(s, c.path, c.node as SpecNode);
  return s;
}
