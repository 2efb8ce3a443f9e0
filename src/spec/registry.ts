/**
 * The table from PyTorch class names to normkit modules, used by `fromSpec`,
 * `toSpec` and the oracle runner. Each module family contributes its builders
 * from `builders/<family>.ts`.
 */
import type { Module } from '../nn/module.js';
import { trustModuleClass } from '../tensor/plan.js';
import type { ArgReader } from './args.js';
import { builders as normBuilders } from './builders/norms.js';
import { builders as layerBuilders } from './builders/layers.js';
import { builders as extraLayerBuilders } from './builders/extra_layers.js';

export interface ModuleBuilder {
  /** PyTorch class name. */
  readonly name: string;
  /** The normkit class, so that `toSpec` can find the builder of a module. */
  readonly cls: abstract new (...args: never[]) => Module;
  /** Builds from snake_case args; must read every argument it accepts, then call `args.done()`. */
  build(args: ArgReader): Module;
  /** The snake_case args that rebuild `m` (defaults may be left out). */
  toArgs(m: Module): Record<string, unknown>;
}

const table = new Map<string, ModuleBuilder>();
for (const b of [...normBuilders, ...layerBuilders, ...extraLayerBuilders]) {
  table.set(b.name, b);
  // normkit's layers keep no reference to their inputs or output: the memory planner may free them.
  trustModuleClass(b.cls);
}

export function getBuilder(name: string): ModuleBuilder | undefined {
  return table.get(name);
}

export function builderFor(m: Module): ModuleBuilder | undefined {
  for (const b of table.values()) if (m.constructor === b.cls) return b;
  return undefined;
}

export function knownModules(): string[] {
  return [...table.keys()].sort();
}
