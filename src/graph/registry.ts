/**
 * The op registry: one definition per op, registered in one list
 * (`ops/index.ts`), in the way tfjs-backend-cpu's `register_all_kernels.ts`
 * does. Execution and shape-only analysis both call `run`: on meta tensors
 * (shape, no data) the very same checks run and raise the very same typed
 * errors, with their `kind`, so there is no second copy of a shape rule.
 */
import { SpecError } from '../errors.js';
import type { Module } from '../nn/module.js';
import type { ArgReader } from '../spec/args.js';
import type { Tensor } from '../tensor/tensor.js';
import type { GraphNode } from './graph.js';

export interface OpContext {
  /** PyTorch's `model.train()` (true) or `model.eval()` (false). */
  training: boolean;
}

interface OpBase {
  /** A PyTorch class name (module ops) or function name (functional ops). */
  readonly name: string;
  /** Tensor inputs accepted: [min, max]. */
  readonly arity: readonly [number, number];
}

/** A torch.nn module as a node: built from its constructor's keyword arguments. */
export interface ModuleOp extends OpBase {
  readonly kind: 'module';
  build(args: ArgReader): Module;
  /** The keyword arguments that rebuild `m`. */
  toArgs(m: Module): Record<string, unknown>;
}

/** A functional op (torch.add, torch.cat, x[:, :, 1:], F.interpolate, ...). */
export interface FunctionOp extends OpBase {
  readonly kind: 'function';
  /** Reads and checks the keyword arguments of a node with `nInputs` tensor inputs. */
  read(args: ArgReader, nInputs: number): Record<string, unknown>;
  /** How many outputs a node with these attributes has. */
  outputs(attrs: Record<string, unknown>): number;
  run(inputs: readonly Tensor[], attrs: Record<string, unknown>): Tensor[];
}

export type OpDef = ModuleOp | FunctionOp;

const table = new Map<string, OpDef>();

export function registerOp(def: OpDef): void {
  if (table.has(def.name)) throw new Error(`op ${def.name} registered twice`);
  table.set(def.name, def);
}

export function getOp(name: string): OpDef | undefined {
  return table.get(name);
}

export function knownOps(kind?: OpDef['kind']): string[] {
  return [...table.values()].filter((d) => kind === undefined || d.kind === kind).map((d) => d.name).sort();
}

/** The module op whose class built `m` (undefined for containers and custom modules). */
export function moduleOpFor(m: Module): ModuleOpWithClass | undefined {
  for (const d of table.values()) if (d.kind === 'module' && (d as ModuleOpWithClass).cls === m.constructor) return d as ModuleOpWithClass;
  return undefined;
}

/** Module ops know their class so a module can be mapped back to its op. */
export interface ModuleOpWithClass extends ModuleOp {
  readonly cls: abstract new (...args: never[]) => Module;
}

/** Runs one node: a module node calls its module, a functional node its op. */
/** The module a node runs by its call (a module op), or null (a functional op). */
export function moduleOfNode(node: GraphNode): Module | null {
  return table.get(node.op)?.kind === 'module' ? node.module ?? null : null;
}

export function runNode(node: GraphNode, inputs: readonly Tensor[], ctx: OpContext): Tensor[] {
  const def = table.get(node.op);
  if (def === undefined) throw new SpecError(node.name, `unknown op '${node.op}'`);
  if (def.kind === 'module') {
    const m = node.module;
    if (m === undefined) throw new SpecError(node.name, `${node.op} node has no module`);
    const [first, ...rest] = inputs;
    if (m.training !== ctx.training) m.train(ctx.training);
    return [m.call(first!, ...rest)];
  }
  return def.run(inputs, node.attrs);
}
