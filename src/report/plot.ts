/**
 * The sweep plot: for every normalization layer, how many values stand
 * behind each statistic at each swept input size (log scale), with the sizes
 * at which the model runs shaded. The data is computed in Node (one analysis
 * per swept size); the SVG is a string, so the page and tests share it.
 */
import { analyzeGraph } from '../analysis/analyze.js';
import type { Analysis, SweepResult } from '../analysis/types.js';
import type { Graph } from '../graph/graph.js';
import { esc } from './svg_text.js';
import { withFirstShape } from '../analysis/input_shapes.js';

export interface SweepPlot {
  axis: string;
  sizes: number[];
  working: number[];
  healthy: number[];
  summary: string;
  series: { path: string; type: string; values: (number | null)[] }[];
}

/** At most this many sizes are re-analyzed for the plot (evenly spaced). */
const MAX_PLOT_POINTS = 512;

export function sweepPlotData(g: Graph, a: Analysis, s: SweepResult): SweepPlot {
  const step = Math.max(1, Math.ceil(s.points.length / MAX_PLOT_POINTS));
  const points = s.points.filter((_, k) => k % step === 0 || k === s.points.length - 1);
  const series = new Map<string, { path: string; type: string; values: (number | null)[] }>();
  for (const n of a.norms) series.set(n.path, { path: n.path, type: n.type, values: [] });
  points.forEach((p, k) => {
    let r: Analysis | null = null;
    try {
      r = analyzeGraph(g, withFirstShape(a, p.inputShape), a.mode);
    } catch {
      r = null;
    }
    for (const n of r?.norms ?? []) {
      if (!series.has(n.path)) series.set(n.path, { path: n.path, type: n.type, values: new Array<number | null>(k).fill(null) });
    }
    for (const [path, ser] of series) {
      const n = r?.norms.find((x) => x.path === path);
      ser.values.push(n?.valuesPerStatistic ?? null);
    }
  });
  return { axis: s.axis, sizes: points.map((p) => p.size), working: s.workingSizes, healthy: s.healthySizes, summary: s.summary, series: [...series.values()] };
}

const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

/** The plot as an SVG element (styled by the page's CSS variables, with fallbacks). */
export function renderPlotSvg(p: SweepPlot, width = 720, height = 300): string {
  const L = 56, R = 16, T = 16, B = 40;
  const w = width - L - R, h = height - T - B;
  const lo = Math.min(...p.sizes), hi = Math.max(...p.sizes);
  const x = (s: number) => L + (hi === lo ? w / 2 : ((s - lo) / (hi - lo)) * w);
  const all = p.series.flatMap((s) => s.values.filter((v): v is number => v !== null && v > 0));
  const maxV = Math.max(2, ...all);
  const top = Math.ceil(Math.log10(maxV));
  const y = (v: number) => T + h - (Math.log10(Math.max(v, 1)) / top) * h;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" class="sweep-plot" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="Values per statistic of each normalization layer against input size">`);
  // Working sizes shaded, as runs of consecutive swept sizes.
  const working = new Set(p.working);
  const half = p.sizes.length > 1 ? (x(p.sizes[1]!) - x(p.sizes[0]!)) / 2 : 4;
  let start: number | null = null;
  p.sizes.forEach((s, k) => {
    const ok = working.has(s);
    if (ok && start === null) start = k;
    const last = k === p.sizes.length - 1 || !working.has(p.sizes[k + 1]!);
    if (ok && last && start !== null) {
      const x0 = x(p.sizes[start]!) - half, x1 = x(s) + half;
      out.push(`<rect class="working" x="${x0.toFixed(1)}" y="${T}" width="${Math.max(1, x1 - x0).toFixed(1)}" height="${h}"><title>runs at ${p.sizes[start]}${start === k ? '' : `..${s}`}</title></rect>`);
      start = null;
    }
  });
  // Axes and grid.
  for (let e = 0; e <= top; e++) {
    const yy = y(10 ** e).toFixed(1);
    out.push(`<line class="grid" x1="${L}" x2="${L + w}" y1="${yy}" y2="${yy}"/><text class="tick" x="${L - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle">${e === 0 ? '1' : `1e${e}`}</text>`);
  }
  const ticks = 6;
  for (let k = 0; k <= ticks; k++) {
    const s = Math.round(lo + ((hi - lo) * k) / ticks);
    out.push(`<text class="tick" x="${x(s).toFixed(1)}" y="${T + h + 16}" text-anchor="middle">${s}</text>`);
  }
  out.push(`<text class="tick one" x="${L + 4}" y="${T + h - 4}">1 value per statistic: no statistics (raises or degenerate)</text>`);
  out.push(`<line class="axis" x1="${L}" x2="${L + w}" y1="${T + h}" y2="${T + h}"/><line class="axis" x1="${L}" x2="${L}" y1="${T}" y2="${T + h}"/>`);
  out.push(`<text class="axis-label" x="${L + w / 2}" y="${height - 6}" text-anchor="middle">input ${p.axis === 'square' ? 'size (H = W)' : p.axis}</text>`);
  out.push(`<text class="axis-label" transform="translate(14 ${T + h / 2}) rotate(-90)" text-anchor="middle">values per statistic</text>`);
  p.series.forEach((s, k) => {
    const color = PALETTE[k % PALETTE.length]!;
    const segs: string[] = [];
    let cur: string[] = [];
    s.values.forEach((v, i) => {
      if (v === null || v <= 0) {
        if (cur.length) segs.push(cur.join(' '));
        cur = [];
      } else cur.push(`${x(p.sizes[i]!).toFixed(1)},${y(v).toFixed(1)}`);
    });
    if (cur.length) segs.push(cur.join(' '));
    const label = esc(`${s.path === '' ? '(root)' : s.path} ${s.type}`);
    for (const seg of segs) out.push(`<polyline class="series" data-path="${esc(s.path)}" fill="none" stroke="${color}" stroke-width="1.8" points="${seg}"><title>${label}</title></polyline>`);
  });
  out.push('</svg>');
  const legend = p.series
    .map((s, k) => `<li><span class="swatch" style="background:${PALETTE[k % PALETTE.length]}"></span>${esc(`${s.path === '' ? '(root)' : s.path} ${s.type}`)}</li>`)
    .join('');
  return `${out.join('')}<ul class="legend">${legend}</ul>`;
}
