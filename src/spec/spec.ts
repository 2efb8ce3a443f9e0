/**
 * The JSON model format of MODEL_SPEC.md: `fromSpec` builds a model whose
 * module paths are PyTorch's `named_modules()` names; `toSpec` writes one back.
 */
import { NormkitError, SpecError, fmtValue } from '../errors.js';
import { Concat, Residual, Sequential } from '../nn/container.js';
import type { Module } from '../nn/module.js';
import { ArgReader } from './args.js';
import { builderFor, getBuilder, knownModules } from './registry.js';
import { GraphModule } from '../graph/graph_module.js';
import { graphFromGeneral, graphToGeneral, isGeneralSpec } from './general.js';

export type SpecNode =
  | { module: 'Sequential'; layers: SpecNode[] }
  | { module: 'Residual'; body: SpecNode }
  | { module: 'Concat'; branches: SpecNode[]; dim?: number }
  | { module: string; args?: Record<string, unknown> };

const join = (path: string, name: string) => (path === '' ? name : `${path}.${name}`);

export function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Tree specs nest at most this deep (a deeper one is refused, not a stack overflow). */
export const MAX_SPEC_DEPTH = 1000;

function checkKeys(node: Record<string, unknown>, allowed: string[], path: string, name: string): void {
  const extra = Object.keys(node).filter((k) => !allowed.includes(k));
  if (extra.length) throw new SpecError(path, `${name} node has unexpected key${extra.length > 1 ? 's' : ''} ${extra.map((k) => `'${k}'`).join(', ')} (allowed: ${allowed.join(', ')})`);
}

function nodeList(node: Record<string, unknown>, key: string, path: string, name: string): unknown[] {
  const v = node[key];
  if (!Array.isArray(v)) throw new SpecError(path, `${name} needs '${key}': a list of nodes`);
  return v;
}

/**
 * Builds a model from a parsed spec (or its JSON text): a module tree from the
 * tree form, a GraphModule from the general form (`{"inputs", "nodes", "outputs"}`).
 */
export function fromSpec(spec: unknown, path = ''): Module {
  if (typeof spec === 'string') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(spec);
    } catch (e) {
      throw new SpecError('', `invalid JSON: ${(e as Error).message}`);
    }
    return fromSpec(parsed, path);
  }
  if (path === '' && isGeneralSpec(spec)) {
    const { graph, modules } = graphFromGeneral(spec);
    return new GraphModule(graph, modules);
  }
  return fromTree(spec, path, 0);
}

function fromTree(spec: unknown, path: string, depth: number): Module {
  if (depth > MAX_SPEC_DEPTH) throw new SpecError(path, `the spec nests deeper than ${MAX_SPEC_DEPTH} levels`);
  const fromSpec = (s: unknown, p: string) => fromTree(s, p, depth + 1);
  if (!isObject(spec)) throw new SpecError(path, `a node must be an object {"module": NAME, ...}, got ${fmtValue(spec)}`);
  const name = spec['module'];
  if (typeof name !== 'string') throw new SpecError(path, `node has no "module" name`);
  switch (name) {
    case 'Sequential': {
      checkKeys(spec, ['module', 'layers'], path, name);
      return new Sequential(...nodeList(spec, 'layers', path, name).map((n, i) => fromSpec(n, join(path, String(i)))));
    }
    case 'Residual': {
      checkKeys(spec, ['module', 'body'], path, name);
      if (spec['body'] === undefined) throw new SpecError(path, `Residual needs 'body': a node`);
      return new Residual(fromSpec(spec['body'], join(path, 'body')));
    }
    case 'Concat': {
      checkKeys(spec, ['module', 'branches', 'dim'], path, name);
      const dim = spec['dim'] ?? 1;
      if (typeof dim !== 'number' || !Number.isInteger(dim)) throw new SpecError(path, `Concat 'dim' must be an integer`);
      const branches = nodeList(spec, 'branches', path, name).map((n, i) => fromSpec(n, join(path, `branches.${i}`)));
      return new Concat(branches, dim);
    }
    default: {
      const builder = getBuilder(name);
      if (builder === undefined) {
        throw new SpecError(path, `unknown module '${name}' (known: Sequential, Residual, Concat, ${knownModules().join(', ')})`);
      }
      checkKeys(spec, ['module', 'args'], path, name);
      const args = spec['args'] ?? {};
      if (!isObject(args)) throw new SpecError(path, `${name}: 'args' must be an object`);
      const reader = new ArgReader(args, path, name);
      try {
        const m = builder.build(reader);
        reader.done();
        return m;
      } catch (e) {
        // A constructor's own check (e.g. GroupNorm's divisibility) keeps its type; it gains the node's path.
        if (e instanceof NormkitError && !(e instanceof SpecError) && e.modulePath === undefined) {
          e.modulePath = path;
          e.moduleType = name;
        }
        throw e;
      }
    }
  }
}

/** Writes a model back as a spec (the inverse of `fromSpec`): a tree node, or the general form of a GraphModule. */
export function toSpec(m: Module, path = ''): SpecNode {
  if (m instanceof GraphModule) return graphToGeneral(m.graph) as unknown as SpecNode;
  if (m instanceof Sequential) return { module: 'Sequential', layers: [...m.childEntries()].map(([n, c]) => toSpec(c, join(path, n))) };
  if (m instanceof Residual) return { module: 'Residual', body: toSpec(m.body, join(path, 'body')) };
  if (m instanceof Concat) {
    const branches = [...m.getSubmodule('branches').childEntries()].map(([n, c]) => toSpec(c, join(path, `branches.${n}`)));
    return { module: 'Concat', branches, dim: m.dimension };
  }
  const builder = builderFor(m);
  if (builder === undefined) throw new SpecError(path, `${m.typeName} has no spec form`);
  const args = builder.toArgs(m);
  return Object.keys(args).length ? { module: builder.name, args } : { module: builder.name };
}
