/**
 * Shape-only execution: runs the model's own forward on a meta tensor (shape,
 * no data) with a forward hook on every module, so analysis goes through the
 * very shape rules and checks that real execution uses. Records each module's
 * inputs and output in entry order; on an error, which module raised.
 */
import { NormkitError } from '../errors.js';
import { Concat, ModuleList, Residual, Sequential } from '../nn/container.js';
import type { Module } from '../nn/module.js';
import { Tensor } from '../tensor/tensor.js';
import { applyModuleFacts } from './facts.js';
import type { Mode } from './types.js';

export interface TraceEntry {
  path: string;
  module: Module;
  /** Inputs as the module received them; null when unknown (a raising module inside an unknown container). */
  inputs: readonly Tensor[] | null;
  output: Tensor | null;
  status: 'ok' | 'raised' | 'unfinished';
  leaf: boolean;
}

export interface Trace {
  entries: TraceEntry[];
  output: Tensor | null;
  /** The error real execution would throw, tagged with the raising module's path. */
  error: NormkitError | null;
  modules: Map<string, Module>;
}

const isUnder = (path: string, prefix: string) => prefix === '' || path.startsWith(prefix + '.');

function parentOf(path: string): [string, string] {
  const i = path.lastIndexOf('.');
  return i < 0 ? ['', path] : [path.slice(0, i), path.slice(i + 1)];
}

/** Runs `model` on a meta tensor of `inputShape` in `mode` (restoring the model's own train/eval flags after). */
export function traceModel(model: Module, inputShape: readonly number[], mode: Mode): Trace {
  const modules = new Map(model.namedModules());
  const pathOf = new Map([...modules].map(([p, m]) => [m, p]));
  const finished: TraceEntry[] = [];
  const byPath = new Map<string, TraceEntry>();
  const removers: (() => void)[] = [];
  const input = Tensor.meta(inputShape);

  for (const m of modules.values()) {
    removers.push(
      m.registerForwardHook((mod, inputs, out) => {
        const path = pathOf.get(mod)!;
        applyModuleFacts(mod, path, inputs, out);
        const e: TraceEntry = { path, module: mod, inputs: [...inputs], output: out, status: 'ok', leaf: mod.children().length === 0 };
        finished.push(e);
        byPath.set(path, e);
      }),
    );
  }
  let output: Tensor | null = null;
  let error: NormkitError | null = null;
  try {
    output = withMode(modules, mode, () => model.call(input));
  } catch (err) {
    if (!(err instanceof NormkitError)) throw err;
    error = err;
  } finally {
    for (const r of removers) r();
  }

  /** A module's input, from the containers' data flow (a module that never finished has no hook record). */
  const inputOf = (path: string): Tensor | null => {
    if (path === '') return input;
    const [parentPath, name] = parentOf(path);
    const parent = modules.get(parentPath);
    if (parent instanceof ModuleList) {
      const [gp] = parentOf(parentPath);
      return modules.get(gp) instanceof Concat ? inputOf(gp) : null;
    }
    if (parent instanceof Residual) return inputOf(parentPath);
    if (parent instanceof Sequential) {
      const names = [...parent.namedChildren()].map(([n]) => n);
      const i = names.indexOf(name);
      if (i <= 0) return inputOf(parentPath);
      const prev = byPath.get(parentPath === '' ? names[i - 1]! : `${parentPath}.${names[i - 1]}`);
      return prev?.output ?? null;
    }
    return null;
  };

  const entries = preOrder(finished);
  if (error !== null) {
    const raised = error.modulePath ?? '';
    // The raising module and its ancestors entered but never finished: place each before its finished descendants.
    const open = [...modules.keys()].filter((p) => p === raised || isUnder(raised, p)).sort((a, b) => depth(a) - depth(b));
    let from = 0;
    for (const p of open) {
      let at = entries.findIndex((e, k) => k >= from && isUnder(e.path, p) && e.path !== p);
      if (at < 0) at = entries.length;
      const x = inputOf(p);
      const m = modules.get(p)!;
      entries.splice(at, 0, { path: p, module: m, inputs: x ? [x] : null, output: null, status: p === raised ? 'raised' : 'unfinished', leaf: m.children().length === 0 });
      from = at + 1;
    }
  }
  return { entries, output, error, modules };
}

/** Runs `fn` with every module in `mode`, then restores each module's own flag. */
export function withMode<T>(modules: Map<string, Module>, mode: Mode, fn: () => T): T {
  const flags = [...modules.values()].map((m) => m.training);
  try {
    for (const m of modules.values()) m.training = mode === 'train';
    return fn();
  } finally {
    [...modules.values()].forEach((m, i) => (m.training = flags[i]!));
  }
}

function depth(path: string): number {
  return path === '' ? 0 : path.split('.').length;
}

/** Hooks fire in post-order (children first); reports read better in entry order. */
function preOrder(post: readonly TraceEntry[]): TraceEntry[] {
  const out: TraceEntry[] = [];
  for (const e of post) {
    if (e.leaf) {
      out.push(e);
      continue;
    }
    // A container's descendants are the trailing block recorded just before it.
    let at = out.length;
    while (at > 0 && isUnder(out[at - 1]!.path, e.path) && out[at - 1]!.path !== e.path) at--;
    out.splice(at, 0, e);
  }
  return out;
}
