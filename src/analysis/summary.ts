/**
 * A torchinfo-style summary from the analysis alone (shapes) and the graph's
 * module nodes (attrs, parameter shapes — meta tensors have them too): per
 * layer parameters, multiply-accumulates, output size and activation memory,
 * the values behind each norm statistic, and totals. Nothing is computed.
 *
 * MACs: Conv = output elements x (in_channels / groups) x prod(kernel);
 * ConvTranspose = input elements x (out_channels / groups) x prod(kernel);
 * Linear = output elements x in_features; norms = input elements (one
 * multiply-add per value); other layers 0.
 */
import type { Graph, GraphNode } from '../graph/graph.js';
import type { Analysis } from './types.js';

export interface SummaryLayer {
  path: string;
  node?: string;
  type: string;
  outputShape: number[] | null;
  /** Parameters of this module (counted at its first call). */
  params: number;
  macs: number;
  /** Output elements x 4 bytes (float32). */
  activationBytes: number;
  /** For norms: the values behind each mean/variance (null: running statistics or unusable input). */
  valuesPerStatistic?: number | null;
}

export interface Summary {
  inputShapes: Record<string, number[]>;
  layers: SummaryLayer[];
  totalParams: number;
  trainableParams: number;
  totalMacs: number;
  /** Inputs x 4 bytes. */
  inputBytes: number;
  /** Parameters x 4 bytes. */
  paramBytes: number;
  /** Sum of every layer's output x 4 bytes (what a forward pass keeps for backward). */
  activationBytes: number;
  /** The analysis stopped at a failure: later layers are missing. */
  partial: boolean;
}

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const nums = (v: unknown): number[] => (typeof v === 'number' ? [v] : Array.isArray(v) ? (v as number[]) : []);

function macsOf(n: GraphNode, input: readonly number[] | null, output: readonly number[] | null): number {
  const a = n.attrs;
  if (output === null) return 0;
  if (/^Conv\dd$/.test(n.op)) {
    const d = Number(n.op[4]);
    const k = nums(a['kernel_size']);
    const kernel = k.length === 1 ? k[0]! ** d : prod(k);
    return prod(output) * (Number(a['in_channels']) / Number(a['groups'] ?? 1)) * kernel;
  }
  if (/^ConvTranspose\dd$/.test(n.op) && input !== null) {
    const d = Number(n.op[13]);
    const k = nums(a['kernel_size']);
    const kernel = k.length === 1 ? k[0]! ** d : prod(k);
    return prod(input) * (Number(a['out_channels']) / Number(a['groups'] ?? 1)) * kernel;
  }
  if (n.op === 'Linear') return prod(output) * Number(a['in_features']);
  if (/Norm|AdaIN/.test(n.op) && input !== null) return prod(input);
  return 0;
}

export function summarize(graph: Graph, a: Analysis): Summary {
  const byName = new Map(graph.nodes.map((n) => [n.name, n]));
  const counted = new Set<unknown>();
  const layers: SummaryLayer[] = [];
  let trainable = 0;
  for (const r of a.modules) {
    if (r.kind !== 'module' || !r.leaf) continue;
    const n = byName.get(r.node ?? r.path);
    let params = 0;
    if (n?.module !== undefined && !counted.has(n.module)) {
      counted.add(n.module);
      for (const p of n.module.parameters()) {
        params += prod(p.shape);
        if (p.requiresGrad !== false) trainable += prod(p.shape);
      }
    }
    const out = r.outputShape;
    layers.push({
      path: r.path,
      ...(r.node !== undefined ? { node: r.node } : {}),
      type: r.type,
      outputShape: out,
      params,
      macs: n ? macsOf(n, r.inputShape, out) : 0,
      activationBytes: out ? prod(out) * 4 : 0,
      ...(r.norm ? { valuesPerStatistic: r.norm.valuesPerStatistic } : {}),
    });
  }
  const totalParams = layers.reduce((s, l) => s + l.params, 0);
  return {
    inputShapes: a.inputShapes,
    layers,
    totalParams,
    trainableParams: trainable,
    totalMacs: layers.reduce((s, l) => s + l.macs, 0),
    inputBytes: Object.values(a.inputShapes).reduce((s, x) => s + prod(x) * 4, 0),
    paramBytes: totalParams * 4,
    activationBytes: layers.reduce((s, l) => s + l.activationBytes, 0),
    partial: !a.runs,
  };
}

/** A large count in words: 2.5 G, 310.4 M, 12.3 K, 950. */
export function formatCount(n: number): string {
  const units: [number, string][] = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'K']];
  for (const [v, u] of units) if (Math.abs(n) >= v) return `${(n / v).toFixed(1)} ${u}`;
  return String(n);
}

/** Bytes in words: 12.3 MB (powers of 1000, as torchinfo). */
export function formatBytes(n: number): string {
  const units: [number, string][] = [[1e9, 'GB'], [1e6, 'MB'], [1e3, 'KB']];
  for (const [v, u] of units) if (n >= v) return `${(n / v).toFixed(2)} ${u}`;
  return `${n} B`;
}

const pad = (s: string, n: number, right = false) => (s.length >= n ? s : right ? ' '.repeat(n - s.length) + s : s + ' '.repeat(n - s.length));

/** The summary as text: one row per layer, then the totals. */
export function renderSummary(s: Summary): string[] {
  const head = ['layer', 'module', 'output', 'params', 'MACs', 'memory', 'values/stat'];
  const cells = s.layers.map((l) => [
    l.node ?? (l.path === '' ? '(root)' : l.path),
    l.type,
    l.outputShape ? l.outputShape.join('x') : '-',
    l.params ? formatCount(l.params) : '-',
    l.macs ? formatCount(l.macs) : '-',
    l.activationBytes ? formatBytes(l.activationBytes) : '-',
    l.valuesPerStatistic === undefined ? '' : l.valuesPerStatistic === null ? 'running' : String(l.valuesPerStatistic),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const row = (c: string[]) => c.map((v, i) => pad(v, w[i]!, i >= 3 && i <= 5)).join('  ').trimEnd();
  const inputs = Object.entries(s.inputShapes).map(([k, v]) => (Object.keys(s.inputShapes).length > 1 ? `${k}=${v.join('x')}` : v.join('x'))).join(', ');
  return [
    `Summary (input ${inputs}${s.partial ? '; up to the layer that raises' : ''}):`,
    row(head),
    ...cells.map(row),
    `Total params: ${formatCount(s.totalParams)} (${s.totalParams}), trainable ${formatCount(s.trainableParams)}`,
    `Total mult-adds: ${formatCount(s.totalMacs)}`,
    `Input size: ${formatBytes(s.inputBytes)}; forward activations: ${formatBytes(s.activationBytes)}; params: ${formatBytes(s.paramBytes)}; estimated total: ${formatBytes(s.inputBytes + s.activationBytes + s.paramBytes)}`,
  ];
}
