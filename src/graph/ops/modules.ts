/**
 * Every torch.nn module normkit builds, as a module op: the spec builders
 * (PyTorch class name, snake_case constructor arguments) are the one table of
 * them, so `fromSpec`, graph nodes and importers agree on names and arguments.
 */
import { builderFor, getBuilder, knownModules } from '../../spec/registry.js';
import type { ModuleOpWithClass } from '../registry.js';

/** Modules whose forward takes more than one tensor. */
const ARITY: Record<string, readonly [number, number]> = { AdaIN: [2, 2] };

export function moduleOps(): ModuleOpWithClass[] {
  return knownModules().map((name) => {
    const b = getBuilder(name)!;
    return {
      kind: 'module',
      name,
      cls: b.cls,
      arity: ARITY[name] ?? [1, 1],
      build: (a) => b.build(a),
      toArgs: (m) => b.toArgs(m),
    };
  });
}

export { builderFor };
