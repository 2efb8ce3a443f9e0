/**
 * The cause chain of a failure: the nodes on the data path into the raising
 * node (found by walking the graph's edges back from it) that changed the
 * spatial size, each explained by its own hyper-parameters.
 */
import { producers, type Graph, type GraphNode } from '../graph/graph.js';
import { moduleOpFor } from '../graph/registry.js';
import type { Trace } from './trace.js';
import type { CauseStep } from './types.js';

/** Every node whose outputs reach `target`'s inputs. */
export function ancestors(g: Graph, target: GraphNode): Set<GraphNode> {
  const prod = producers(g);
  const seen = new Set<GraphNode>();
  const stack = [...target.inputs];
  while (stack.length) {
    const v = stack.pop()!;
    const n = prod.get(v);
    if (n === undefined || seen.has(n)) continue;
    seen.add(n);
    stack.push(...n.inputs);
  }
  return seen;
}

/** An int-or-tuple argument expanded to `n` values. */
function tuple(v: unknown, n: number, dflt: number): number[] {
  if (typeof v === 'number') return new Array<number>(n).fill(v);
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return v.length === n ? (v as number[]) : new Array<number>(n).fill(v[0] as number);
  return new Array<number>(n).fill(dflt);
}

const fmt = (vs: number[]) => (vs.every((v) => v === vs[0]) ? String(vs[0]) : `(${vs.join(', ')})`);

/** What in a node's hyper-parameters (its op and attributes) changed the spatial size. */
export function explainResize(type: string, a: Record<string, unknown>, before: number[], after: number[]): string[] {
  const n = before.length;
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
  } else if (type === 'Upsample' || type.startsWith('Upsampling') || type === 'interpolate') {
    if (a['scale_factor'] !== undefined) out.push(`upsample x${JSON.stringify(a['scale_factor'])}`);
    else if (a['size'] !== undefined) out.push(`resize to ${JSON.stringify(a['size'])}`);
    else out.push(`resize to ${after.join('x')} (the size of another tensor)`);
  } else if (type === 'PixelShuffle' || type === 'PixelUnshuffle') {
    out.push(type === 'PixelShuffle' ? `pixel shuffle x${String(a['upscale_factor'])}` : `pixel unshuffle /${String(a['downscale_factor'])}`);
  } else if (/Pad\dd$/.test(type)) {
    const kind = type.replace(/Pad\dd$/, '').toLowerCase();
    const p = Array.isArray(a['padding']) ? (a['padding'] as number[]) : [Number(a['padding'])];
    out.push(`${kind} padding ${fmt(p)}`);
  } else if (type === 'pad') {
    out.push(`${String(a['mode'] ?? 'constant')} padding ${JSON.stringify(a['pad'])}`);
  } else if (type === 'slice') {
    out.push(`slice of dim ${String(a['dim'])} from ${String(a['start'] ?? 0)}${a['end'] != null ? ` to ${String(a['end'])}` : ''}${a['step'] !== 1 && a['step'] !== undefined ? ` step ${String(a['step'])}` : ''}`);
  } else {
    out.push(`${type}: ${before.join('x')} -> ${after.join('x')}`);
  }
  return out;
}

/**
 * The spatial-size changes on the way to the raising node, growths included
 * (a reflection pad before a valid convolution explains the sizes that follow).
 */
export function causeChain(t: Trace, target: GraphNode | null): CauseStep[] {
  if (target === null) return [];
  const up = ancestors(t.graph, target);
  const steps: CauseStep[] = [];
  for (const e of t.entries) {
    // A node on the way in, or a submodule call inside the raising opaque module (or one on the way in).
    const on = e.node !== null ? up.has(e.node) : e.owner !== undefined && (e.owner === target || up.has(e.owner));
    if (!e.leaf || e.status !== 'ok' || !on || e.output === null || e.inputs === null) continue;
    const x = e.inputs[0];
    if (x === undefined || x.ndim < 3 || x.ndim !== e.output.ndim) continue;
    const before = x.shape.slice(2);
    const after = e.output.shape.slice(2);
    if (before.every((v, i) => v === after[i])) continue;
    const shrank = after.some((v, i) => v < before[i]!);
    const [op, attrs] = e.node !== null ? [e.node.op, e.node.attrs] : [e.type, e.module ? (moduleOpFor(e.module)?.toArgs(e.module) ?? {}) : {}];
    steps.push({ path: e.path, type: e.type, before: [...before], after: [...after], change: shrank ? 'shrank' : 'grew', because: explainResize(op, attrs, [...before], [...after]) });
  }
  return steps;
}

const parentOf = (p: string) => (p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : '');
const sz = (s: readonly number[]) => s.join('x');

/**
 * The chain in blocks: consecutive steps inside one block (a common module
 * path prefix) whose size changes cancel (a reflection pad and its conv:
 * 4x4 -> 10x10 -> 4x4) form one block with no net change; every other step
 * is a block of its own.
 */
export function chainBlocks(chain: readonly CauseStep[]): { steps: CauseStep[]; cancels: boolean }[] {
  const blocks: { steps: CauseStep[]; cancels: boolean }[] = [];
  for (let i = 0; i < chain.length; i++) {
    const s = chain[i]!;
    const parent = parentOf(s.path);
    let j = -1;
    for (let k = i + 1; k < chain.length && parentOf(chain[k]!.path) === parent; k++) {
      if (sz(chain[k]!.after) === sz(s.before)) {
        j = k;
        break;
      }
    }
    if (j < 0) blocks.push({ steps: [s], cancels: false });
    else {
      blocks.push({ steps: chain.slice(i, j + 1), cancels: true });
      i = j;
    }
  }
  return blocks;
}
