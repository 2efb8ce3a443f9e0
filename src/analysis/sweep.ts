/**
 * `sweep(model, axis, range, { mode, baseShape })`: the analysis at every size
 * of a range along one axis — square spatial size, 1-D length or batch size —
 * with the sizes that work. The working set need not be an interval (a skip
 * concat after a down/up path only lines up at multiples).
 */
import { ValueError } from '../errors.js';
import type { Graph } from '../graph/graph.js';
import type { Module } from '../nn/module.js';
import { analyzeGraph, checkMode, graphOf } from './analyze.js';
import { shapesByName, type InputShapes } from './trace.js';
import type { Analysis, Mode, SweepAxis, SweepPoint, SweepResult } from './types.js';

export interface SweepOptions {
  mode?: Mode;
  /**
   * The shape (or shapes by input name) whose swept dimension is replaced
   * (default: batch 2, the first layer's channels, 32 per spatial dim). Every
   * input with spatial dims is swept alike (an image pair, a segmentation map).
   */
  baseShape?: InputShapes;
}

/** The most points one sweep analyzes (the CLI's limit too): 1..1e9 would run for hours and out of memory. */
export const MAX_SWEEP_POINTS = 4097;

/** `baseShape` with the swept dimension set to `size`; 'square' sets every spatial dim. */
export function shapeAt(base: readonly number[], axis: SweepAxis, size: number): number[] {
  const s = [...base];
  if (axis === 'batch') s[0] = size;
  else if (axis === 'length') s[s.length - 1] = size;
  else for (let i = 2; i < s.length; i++) s[i] = size;
  return s;
}

/** A default base shape from the first layer's input channels (rank 3 for a 1-d first layer). */
export function defaultBaseShape(model: Module | Graph, axis: SweepAxis): number[] {
  const g = graphOf(model);
  const first = g.nodes[0];
  if (first !== undefined && first.module !== undefined) {
    const c = first.attrs['in_channels'] ?? first.attrs['num_features'] ?? first.attrs['num_channels'];
    if (typeof c === 'number') return /1d$/.test(first.op) || axis === 'length' ? [2, c, 32] : [2, c, 32, 32];
  }
  // An imported graph (ONNX) whose first node is not a module: the input's declared channel dim (['batch', 3, 'height', 'width']).
  const declared = g.inputs.length === 1 ? g.inputs[0]!.shape : null;
  if (declared && declared.length >= 3 && declared.length <= 5 && typeof declared[1] === 'number') {
    const c = declared[1];
    return axis === 'length' || declared.length === 3 ? [2, c, 32] : [2, c, ...new Array<number>(declared.length - 2).fill(32)];
  }
  throw new ValueError('cannot tell the input channels from the first layer: pass baseShape', { kind: 'argument' });
}

function pointOf(size: number, a: Analysis): SweepPoint {
  const p: SweepPoint = { size, inputShape: a.inputShape, outcome: 'ok' };
  if (a.failure) {
    p.outcome = 'raises';
    p.error = a.failure.error;
    p.raisedIn = { path: a.failure.path, type: a.failure.type };
    return p;
  }
  p.outputShape = a.outputShape ?? undefined;
  const degenerate = a.norms.filter((n) => n.verdict === 'degenerate').map((n) => n.path);
  if (degenerate.length) {
    p.outcome = 'degenerate';
    p.degenerateAt = degenerate;
  } else if (a.norms.some((n) => n.verdict === 'fallback')) p.outcome = 'fallback';
  return p;
}

/** A set of sizes in words: "17..48", "8, 12, ..., 48 (every 4 from 8)", "2..5, 9, 11..12", "none". */
export function describeSizes(sizes: readonly number[]): string {
  if (sizes.length === 0) return 'none';
  const runs: [number, number][] = [];
  for (const s of sizes) {
    const last = runs[runs.length - 1];
    if (last && s === last[1] + 1) last[1] = s;
    else runs.push([s, s]);
  }
  const step = sizes.length > 2 ? sizes[1]! - sizes[0]! : 0;
  if (runs.length > 3 && runs.every((r) => r[0] === r[1]) && sizes.every((s, i) => i === 0 || s - sizes[i - 1]! === step)) {
    return `${sizes[0]}, ${sizes[1]}, ..., ${sizes[sizes.length - 1]} (every ${step} from ${sizes[0]})`;
  }
  // Runs of one length at a fixed period (a U-Net: 256..257, 512..513, ...).
  const len = runs.length > 3 ? runs[0]![1] - runs[0]![0] : -1;
  const period = runs.length > 3 ? runs[1]![0] - runs[0]![0] : 0;
  if (len >= 0 && runs.every((r, i) => r[1] - r[0] === len && (i === 0 || r[0] - runs[i - 1]![0] === period))) {
    const text = (r: [number, number]) => (r[0] === r[1] ? String(r[0]) : `${r[0]}..${r[1]}`);
    return `${text(runs[0]!)}, ${text(runs[1]!)}, ..., ${text(runs[runs.length - 1]!)} (every ${period} from ${runs[0]![0]})`;
  }
  return runs.map(([a, b]) => (a === b ? String(a) : `${a}..${b}`)).join(', ');
}

/** Every input's shape at one sweep size: inputs with spatial dims (or every input, for the batch) take it. */
function shapesAt(base: Record<string, number[]>, axis: SweepAxis, size: number): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [k, s] of Object.entries(base)) out[k] = axis === 'batch' || s.length >= 3 ? shapeAt(s, axis, size) : [...s];
  return out;
}

export function sweep(
  model: Module | Graph,
  axis: SweepAxis,
  range: readonly [number, number] | { from: number; to: number },
  opts: SweepOptions = {},
): SweepResult {
  if (axis !== 'square' && axis !== 'length' && axis !== 'batch') throw new ValueError(`axis must be 'square', 'length' or 'batch', got ${JSON.stringify(axis)}`);
  const [from, to] = Array.isArray(range) ? range : [(range as { from: number }).from, (range as { to: number }).to];
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 1 || to < from || to > 2 ** 31 - 1) {
    throw new ValueError(`range must be two integers 1 <= from <= to <= 2^31 - 1, got ${JSON.stringify(range)}`, { kind: 'argument' });
  }
  if (to - from + 1 > MAX_SWEEP_POINTS) throw new ValueError(`a sweep covers at most ${MAX_SWEEP_POINTS} sizes, got ${from}..${to}`, { kind: 'argument' });
  const mode = opts.mode ?? 'train';
  checkMode(mode);
  const g = graphOf(model);
  const base = shapesByName(g, opts.baseShape ?? defaultBaseShape(g, axis));
  const first = Object.values(base)[0]!;
  if (axis !== 'batch' && first.length < 3) throw new ValueError(`a '${axis}' sweep needs a base shape with spatial dims, got [${first.join(', ')}]`, { kind: 'argument' });
  const points: SweepPoint[] = [];
  for (let s = from; s <= to; s++) points.push(pointOf(s, analyzeGraph(g, shapesAt(base, axis, s), mode)));
  const workingSizes = points.filter((p) => p.outcome !== 'raises').map((p) => p.size);
  return {
    axis,
    mode,
    from,
    to,
    points,
    workingSizes,
    smallestWorkingSize: workingSizes[0] ?? null,
    healthySizes: points.filter((p) => p.outcome === 'ok').map((p) => p.size),
    summary: describeSizes(workingSizes),
  };
}
