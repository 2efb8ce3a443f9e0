/**
 * The cause chain of a failure: the layers on the data path to the raising
 * module that changed the spatial size (from the hook records: input vs output
 * spatial sizes), each explained by its own hyper-parameters.
 */
import { Concat, ModuleList, Residual, Sequential } from '../nn/container.js';
import type { Module } from '../nn/module.js';
import { builderFor } from '../spec/registry.js';
import type { TraceEntry } from './trace.js';
import type { CauseStep } from './types.js';

const isUnder = (path: string, prefix: string) => prefix === '' || path.startsWith(prefix + '.');
const segs = (p: string) => (p === '' ? [] : p.split('.'));

/**
 * Whether `leaf`'s output can reach module `target`: it lies inside target
 * (a container that failed combining its parts), or an ancestor Sequential
 * runs it before target. Different branches of a Concat do not feed each other.
 */
export function feeds(leaf: string, target: string, modules: Map<string, Module>): boolean {
  if (isUnder(leaf, target)) return true;
  const a = segs(leaf);
  const b = segs(target);
  let k = 0;
  while (k < a.length && k < b.length && a[k] === b[k]) k++;
  const lca = a.slice(0, k).join('.');
  const m = modules.get(lca);
  if (m instanceof Sequential) {
    const names = [...m.namedChildren()].map(([n]) => n);
    return names.indexOf(a[k]!) < names.indexOf(b[k]!);
  }
  if (m instanceof Concat || m instanceof ModuleList || m instanceof Residual) return false;
  return true; // an unknown container: assume its children run in sequence
}

export function argsOf(m: Module): Record<string, unknown> {
  try {
    return builderFor(m)?.toArgs(m) ?? {};
  } catch {
    return {};
  }
}

/** An int-or-tuple argument expanded to `n` values. */
function tuple(v: unknown, n: number, dflt: number): number[] {
  if (typeof v === 'number') return new Array<number>(n).fill(v);
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return v.length === n ? (v as number[]) : new Array<number>(n).fill(v[0] as number);
  return new Array<number>(n).fill(dflt);
}

const fmt = (vs: number[]) => (vs.every((v) => v === vs[0]) ? String(vs[0]) : `(${vs.join(', ')})`);

/** What in a layer's hyper-parameters changed the spatial size. */
export function explainResize(m: Module, before: number[], after: number[]): string[] {
  const a = argsOf(m);
  const n = before.length;
  const type = m.typeName;
  const out: string[] = [];
  if (/^Conv(Transpose)?\dd$/.test(type)) {
    const k = tuple(a['kernel_size'], n, 1);
    const s = tuple(a['stride'], n, 1);
    const p = typeof a['padding'] === 'string' ? new Array<number>(n).fill(0) : tuple(a['padding'], n, 0);
    const d = tuple(a['dilation'], n, 1);
    const transposed = type.startsWith('ConvTranspose');
    if (s.some((v) => v > 1)) out.push(`${transposed ? 'transposed ' : ''}stride ${fmt(s)}`);
    const lost = k.map((kk, i) => d[i]! * (kk - 1) - 2 * p[i]!);
    // The kernel matters when the size differs from what the stride alone gives (ceil(in / stride)).
    const kernelMatters = after.some((v, i) => v !== Math.ceil(before[i]! / s[i]!));
    if (!transposed && a['padding'] !== 'same' && lost.some((v) => v !== 0) && kernelMatters) {
      const word = lost.every((v) => v >= 0) ? `-${fmt(lost)}` : `+${fmt(lost.map((v) => -v))}`;
      out.push(`kernel ${fmt(k)}${d.some((v) => v > 1) ? ` dilation ${fmt(d)}` : ''} with padding ${fmt(p)} (${word})`);
    }
    if (transposed) out.push(`kernel ${fmt(k)} with padding ${fmt(p)}${a['output_padding'] ? ` and output_padding ${fmt(tuple(a['output_padding'], n, 0))}` : ''}`);
  } else if (/Pool\dd$/.test(type) && !type.startsWith('Adaptive')) {
    const k = tuple(a['kernel_size'], n, 1);
    const s = a['stride'] == null ? k : tuple(a['stride'], n, 1);
    const p = tuple(a['padding'], n, 0);
    out.push(`pool kernel ${fmt(k)}, stride ${fmt(s)}${p.some((v) => v > 0) ? `, padding ${fmt(p)}` : ''}${a['ceil_mode'] === true ? ', ceil_mode' : ''}`);
  } else if (type.startsWith('Adaptive')) {
    out.push(`adaptive pool to ${JSON.stringify(a['output_size'])}`);
  } else if (type === 'Upsample' || type.startsWith('Upsampling')) {
    out.push(a['scale_factor'] !== undefined ? `upsample x${JSON.stringify(a['scale_factor'])}` : `resize to ${JSON.stringify(a['size'])}`);
  } else if (type === 'PixelShuffle' || type === 'PixelUnshuffle') {
    out.push(type === 'PixelShuffle' ? `pixel shuffle x${String(a['upscale_factor'])}` : `pixel unshuffle /${String(a['downscale_factor'])}`);
  } else if (/Pad\dd$/.test(type)) {
    const kind = type.replace(/Pad\dd$/, '').toLowerCase();
    const p = Array.isArray(a['padding']) ? (a['padding'] as number[]) : [Number(a['padding'])];
    out.push(`${kind} padding ${fmt(p)}`);
  } else {
    out.push(`${type}: ${before.join('x')} -> ${after.join('x')}`);
  }
  return out;
}

/**
 * The spatial-size changes on the way to `target`, growths included (a
 * reflection pad before a valid convolution explains the sizes that follow).
 */
export function causeChain(entries: readonly TraceEntry[], target: string, modules: Map<string, Module>): CauseStep[] {
  const steps: CauseStep[] = [];
  for (const e of entries) {
    if (!e.leaf || e.status !== 'ok' || e.output === null || e.inputs === null || e.path === target) continue;
    const x = e.inputs[0];
    if (x === undefined || x.ndim < 3 || x.ndim !== e.output.ndim) continue;
    const before = x.shape.slice(2);
    const after = e.output.shape.slice(2);
    if (before.every((v, i) => v === after[i])) continue;
    const shrank = after.some((v, i) => v < before[i]!);
    if (!feeds(e.path, target, modules)) continue;
    steps.push({ path: e.path, type: e.module.typeName, before: [...before], after: [...after], change: shrank ? 'shrank' : 'grew', because: explainResize(e.module, [...before], [...after]) });
  }
  return steps;
}
