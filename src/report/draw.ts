/**
 * The model as an SVG graph: laid out with dagre (top to bottom), nodes
 * labelled by module path and class, edges by the tensor shapes on them,
 * containers as clusters (collapsed ones drawn as one node), each norm
 * coloured by its verdict, the failing layer and its cause chain
 * highlighted. Pure string output: the CLI writes it (`--svg`), the HTML
 * page embeds it and its script redraws it (collapse, a fix's result).
 */
import dagre from '@dagrejs/dagre';
import type { RCluster, ReportModel, RNode, RState } from './model.js';
import { esc, shapeText, textWidth } from './svg_text.js';

export interface DrawOptions {
  /** Container paths drawn collapsed. */
  collapsed?: ReadonlySet<string>;
  /** Standalone SVG file: include the stylesheet and a background. */
  standalone?: boolean;
  /** The stylesheet of a standalone SVG (default GRAPH_CSS; `flatCss()` for renderers without CSS variables). */
  css?: string;
}

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Drawing {
  svg: string;
  width: number;
  height: number;
  /** Centre and size of each drawn node (node ids; collapsed clusters as `cluster:PATH`). */
  boxes: Record<string, Box>;
}

/** Colours by verdict (light, then dark), shared with the page's CSS. */
export const GRAPH_CSS = `
.nk-graph{--bg:#ffffff;--fg:#1d232b;--muted:#5d6875;--node:#f3f5f8;--node-stroke:#9aa4b1;--edge:#7c8794;--cluster:rgba(90,110,140,.06);--cluster-stroke:#b5bfcc;
--ok:#2f9e44;--ok-bg:#d3f9d8;--raises:#e03131;--raises-bg:#ffe3e3;--degenerate:#e8890c;--degenerate-bg:#fff3bf;--fallback:#0c98ad;--fallback-bg:#c5f6fa;--chain:#d9480f;--changed:#1c7ed6;--halo:#ffffff;
font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono","Liberation Mono",monospace;font-size:12px}
@media (prefers-color-scheme:dark){.nk-graph{--bg:#15191e;--fg:#e6e9ee;--muted:#9aa5b3;--node:#232a33;--node-stroke:#5b6674;--edge:#8793a1;--cluster:rgba(150,170,200,.07);--cluster-stroke:#4a5563;
--ok:#51cf66;--ok-bg:#163d22;--raises:#ff6b6b;--raises-bg:#4a1c1c;--degenerate:#fcc419;--degenerate-bg:#463810;--fallback:#3bc9db;--fallback-bg:#0f3c44;--chain:#ff922b;--changed:#4dabf7;--halo:#15191e}}
.nk-graph .bg{fill:var(--bg)}
.nk-graph text{fill:var(--fg)}
.nk-graph .node rect.box{fill:var(--node);stroke:var(--node-stroke);stroke-width:1.2}
.nk-graph .node .sub{fill:var(--muted);font-size:11px}
.nk-graph .node.io rect.box{rx:14px}
.nk-graph .node.unreached{opacity:.5}
.nk-graph .node.verdict-ok rect.box{fill:var(--ok-bg);stroke:var(--ok);stroke-width:2}
.nk-graph .node.verdict-raises rect.box{fill:var(--raises-bg);stroke:var(--raises);stroke-width:2}
.nk-graph .node.verdict-degenerate rect.box{fill:var(--degenerate-bg);stroke:var(--degenerate);stroke-width:2}
.nk-graph .node.verdict-fallback rect.box{fill:var(--fallback-bg);stroke:var(--fallback);stroke-width:2}
.nk-graph .node.failing rect.box{stroke:var(--raises);stroke-width:3.5}
.nk-graph .node.chain rect.box{stroke:var(--chain);stroke-width:3;stroke-dasharray:6 3}
.nk-graph .node.changed rect.box{stroke:var(--changed);stroke-width:3}
.nk-graph .node .badge{fill:var(--chain);font-size:11px;font-weight:bold}
.nk-graph .node.changed .badge{fill:var(--changed)}
.nk-graph .edge path{fill:none;stroke:var(--edge);stroke-width:1.3}
.nk-graph .edge.chain path{stroke:var(--chain);stroke-width:2.2}
.nk-graph .edge text{fill:var(--muted);font-size:11px;paint-order:stroke;stroke:var(--halo);stroke-width:4px;stroke-linejoin:round}
.nk-graph #nk-arrow path{fill:var(--edge)}
.nk-graph .cluster>rect{fill:var(--cluster);stroke:var(--cluster-stroke);stroke-dasharray:4 3}
.nk-graph .cluster>text{fill:var(--muted);font-size:11px}
.nk-graph .cluster.has-failure>rect{stroke:var(--raises)}
.nk-graph .node.collapsed rect.box{stroke-dasharray:5 3}
.nk-graph .node:focus{outline:none}
.nk-graph .node:focus rect.box,.nk-graph .node.selected rect.box{filter:drop-shadow(0 0 4px var(--changed))}
.nk-graph .node.match rect.box{stroke:var(--changed);stroke-width:3}
`;

/**
 * GRAPH_CSS with the light colours written out and no media query: for
 * renderers that know neither CSS variables nor `prefers-color-scheme` (resvg).
 */
export function flatCss(): string {
  const light = /\.nk-graph\{([^}]*)\}/.exec(GRAPH_CSS)![1]!;
  const vars = new Map([...light.matchAll(/--([a-z-]+):([^;]+)/g)].map((m) => [m[1]!, m[2]!.trim()]));
  return GRAPH_CSS.replace(/@media[^{]*\{\.nk-graph\{[^}]*\}\}/, '')
    .replace(/var\(--([a-z-]+)\)/g, (_, k: string) => vars.get(k) ?? 'black')
    .replace(/\.nk-graph\{--[^}]*\}/, '.nk-graph{font-family:"DejaVu Sans Mono","Liberation Mono",monospace;font-size:12px}')
    .replace(/\.nk-graph \.node \.badge\{/, '.nk-graph .node .badge{font-family:"DejaVu Sans Mono","Liberation Mono",monospace;');
}

const NODE_H = 40;
const CLUSTER_HEADER = 18;
const clusterId = (p: string) => `cluster:${p}`;
const where = (p: string) => (p === '' ? '(root)' : p);

export function nodeLabel(n: RNode, st: RState): string {
  if (n.kind === 'input') return n.path === 'input' ? 'input' : `input ${n.path}`;
  if (n.kind === 'output') return n.path;
  const type = st.nodes[n.id]?.type ?? '?';
  // A functional node is named by its op within the module that called it.
  return n.kind === 'function' ? `${where(n.path)} ${type}` : `${where(n.path)} ${type}`;
}

function subLabel(n: RNode, st: RState, failing: boolean): string {
  const s = st.nodes[n.id];
  if (n.kind === 'input') return shapeText(st.inputShapes[n.path]);
  if (n.kind === 'output') return shapeText(st.outputShape);
  if (!s) return '';
  if (failing && st.error) return `raises ${st.error.type}`;
  if (s.verdict !== undefined) {
    const v = s.valuesPerStatistic;
    return `${s.verdict}${v === null || v === undefined ? '' : ` · ${v} value${v === 1 ? '' : 's'}/stat`}`;
  }
  if (s.status === 'unreached') return 'not reached';
  return '';
}

/** Everything inside a cluster, through nested clusters. */
function ancestorsOf(c: string | null, byPath: Map<string, RCluster>): string[] {
  const out: string[] = [];
  for (let p = c; p !== null; p = byPath.get(p)?.parent ?? null) out.push(p);
  return out;
}

export function draw(model: ReportModel, st: RState, opts: DrawOptions = {}): Drawing {
  const collapsed = opts.collapsed ?? new Set<string>();
  const byPath = new Map(model.clusters.map((c) => [c.path, c]));
  // Where each node is drawn: itself, or its outermost collapsed container.
  const shownAs = new Map<string, string>();
  for (const n of model.nodes) {
    const anc = ancestorsOf(n.cluster, byPath).filter((p) => collapsed.has(p));
    shownAs.set(n.id, anc.length ? clusterId(anc[anc.length - 1]!) : n.id);
  }
  const hiddenCluster = (c: RCluster) => ancestorsOf(c.parent, byPath).some((p) => collapsed.has(p));
  const openClusters = model.clusters.filter((c) => !collapsed.has(c.path) && !hiddenCluster(c));
  const collapsedShown = model.clusters.filter((c) => collapsed.has(c.path) && !hiddenCluster(c));
  const chainIds = new Map(st.chain.map((c) => [c.id, c]));
  const changed = new Set(st.changed);

  const g = new dagre.graphlib.Graph({ compound: true, multigraph: true });
  // ranksep 44: dagre halves it when edges have labels; a cluster's header fits in the 22 px above its first child.
  g.setGraph({ rankdir: 'TB', nodesep: 28, ranksep: 44, edgesep: 12, marginx: 24, marginy: 24 });
  g.setDefaultEdgeLabel(() => ({}));
  interface Item { id: string; label: string; sub: string; cls: string[]; title: string; badge: string; path: string }
  const items = new Map<string, Item>();
  for (const n of model.nodes) {
    if (shownAs.get(n.id) !== n.id) continue;
    const s = st.nodes[n.id];
    const failing = st.failing === n.id;
    const label = nodeLabel(n, st);
    const sub = subLabel(n, st, failing);
    const cls = ['node', n.kind === 'input' || n.kind === 'output' ? 'io' : n.kind];
    if (s?.verdict) cls.push(`verdict-${s.verdict}`);
    if (s?.status === 'unreached') cls.push('unreached');
    if (failing) cls.push('failing');
    const ch = chainIds.get(n.id);
    if (ch && !failing) cls.push('chain');
    const isChanged = n.kind !== 'input' && n.kind !== 'output' && changed.has(n.path);
    if (isChanged) cls.push('changed');
    const badge = isChanged ? 'changed by this fix' : ch ? `${ch.because}: ${ch.before.join('x')} -> ${ch.after.join('x')}` : '';
    const title = [label, sub, s?.reason ?? '', s?.inputShape ? `in ${shapeText(s.inputShape)}` : '', s?.outputShape ? `out ${shapeText(s.outputShape)}` : ''].filter(Boolean).join('\n');
    items.set(n.id, { id: n.id, label, sub, cls, title, badge, path: n.path });
  }
  for (const c of collapsedShown) {
    const inside = model.nodes.filter((n) => shownAs.get(n.id) === clusterId(c.path));
    const verdicts = inside.map((n) => st.nodes[n.id]?.verdict).filter(Boolean);
    const failing = inside.some((n) => n.id === st.failing);
    const worst = failing || verdicts.includes('raises') ? 'raises' : verdicts.includes('degenerate') ? 'degenerate' : verdicts.includes('fallback') ? 'fallback' : verdicts.length ? 'ok' : null;
    const cls = ['node', 'collapsed'];
    if (worst) cls.push(`verdict-${worst}`);
    if (failing) cls.push('failing');
    const label = `${c.path} ${c.type}`;
    items.set(clusterId(c.path), { id: clusterId(c.path), label, sub: `collapsed · ${inside.length} node${inside.length === 1 ? '' : 's'}`, cls, title: `${label} (collapsed: Enter or click to expand)`, badge: '', path: c.path });
  }
  for (const it of items.values()) {
    const w = Math.max(textWidth(it.label), textWidth(it.sub, 6.7), it.badge ? textWidth(it.badge, 6.7) : 0) + 20;
    g.setNode(it.id, { width: Math.max(60, w), height: it.badge && it.sub ? NODE_H + 14 : NODE_H });
  }
  for (const c of openClusters) g.setNode(clusterId(c.path), { width: 0, height: 0, paddingTop: CLUSTER_HEADER });
  for (const c of openClusters) if (c.parent !== null && openClusters.some((o) => o.path === c.parent)) g.setParent(clusterId(c.path), clusterId(c.parent));
  for (const n of model.nodes) {
    const shown = shownAs.get(n.id)!;
    if (shown !== n.id) continue;
    if (n.cluster !== null) g.setParent(n.id, clusterId(n.cluster));
  }
  for (const c of collapsedShown) if (c.parent !== null) g.setParent(clusterId(c.path), clusterId(c.parent));
  // Edges between drawn nodes (an edge inside a collapsed container disappears), labelled by shape.
  interface EdgeItem { from: string; to: string; label: string; chain: boolean; name: string }
  const edgeItems: EdgeItem[] = [];
  const seen = new Set<string>();
  for (const e of model.edges) {
    const from = shownAs.get(e.from), to = shownAs.get(e.to);
    if (from === undefined || to === undefined || from === to) continue;
    const key = `${from}\u0000${to}\u0000${e.value}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const label = st.values[e.value] ? shapeText(st.values[e.value]) : '';
    const chain = chainIds.has(e.from) || (st.failing !== null && st.failing === e.to);
    const name = `${edgeItems.length}`;
    edgeItems.push({ from, to, label, chain, name });
    g.setEdge(from, to, { label, width: label ? textWidth(label, 6.7) + 6 : 0, height: label ? 14 : 0, labelpos: 'c', minlen: 1 }, name);
  }
  dagre.layout(g);

  const graph = g.graph();
  const boxes: Record<string, Box> = {};
  const parts: string[] = [];
  let minX = 0, minY = 0, maxX = graph.width ?? 100, maxY = graph.height ?? 100;
  const clusterSvg: string[] = [];
  // Outer clusters first, so inner ones are drawn on top.
  const ordered = [...openClusters].sort((a, b) => ancestorsOf(a.path, byPath).length - ancestorsOf(b.path, byPath).length);
  for (const c of ordered) {
    const l = g.node(clusterId(c.path));
    if (!l || l.x === undefined || l.y === undefined) continue;
    const extra = 2;
    const x = l.x - l.width / 2, y = l.y - l.height / 2 - extra, w = l.width, h = l.height + extra;
    minY = Math.min(minY, y - 8);
    const hasFailure = model.nodes.some((n) => n.id === st.failing && ancestorsOf(n.cluster, byPath).includes(c.path));
    const label = `\u25BE ${c.path} ${c.type}`;
    clusterSvg.push(
      `<g class="cluster${hasFailure ? ' has-failure' : ''}" data-cluster="${esc(c.path)}" tabindex="0" role="button" aria-expanded="true" aria-label="${esc(`container ${c.path} ${c.type}: press Enter to collapse`)}">` +
        `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${w.toFixed(1)}" height="${h.toFixed(1)}" rx="6"/>` +
        `<text class="cluster-label" x="${(x + 6).toFixed(1)}" y="${(y + 13).toFixed(1)}">${esc(label)}</text><title>${esc(`${c.path} ${c.type} (click to collapse)`)}</title></g>`,
    );
  }
  const edgeSvg: string[] = [];
  for (const e of edgeItems) {
    const l = g.edge(e.from, e.to, e.name);
    const pts: { x: number; y: number }[] = (l?.points as { x: number; y: number }[] | undefined) ?? [];
    if (pts.length === 0) continue;
    const d = pts.map((p, k) => `${k === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join('');
    const lab = e.label && l.x !== undefined && l.y !== undefined ? `<text x="${(l.x as number).toFixed(1)}" y="${((l.y as number) + 4).toFixed(1)}" text-anchor="middle">${esc(e.label)}</text>` : '';
    edgeSvg.push(`<g class="edge${e.chain ? ' chain' : ''}" data-from="${esc(e.from)}" data-to="${esc(e.to)}"><path d="${d}" marker-end="url(#nk-arrow)"/>${lab}</g>`);
  }
  const nodeSvg: string[] = [];
  for (const it of items.values()) {
    const l = g.node(it.id);
    if (!l || l.x === undefined || l.y === undefined) continue;
    boxes[it.id] = { x: l.x, y: l.y, w: l.width, h: l.height };
    minX = Math.min(minX, l.x - l.width / 2);
    maxX = Math.max(maxX, l.x + l.width / 2);
    maxY = Math.max(maxY, l.y + l.height / 2);
    const x0 = -l.width / 2, y0 = -l.height / 2;
    const isCluster = it.id.startsWith('cluster:');
    const attrs = isCluster
      ? `data-cluster="${esc(it.path)}" aria-expanded="false" aria-label="${esc(`container ${it.label}, collapsed: press Enter to expand`)}"`
      : `data-id="${esc(it.id)}" data-path="${esc(it.path)}" aria-label="${esc(`${it.label}${it.sub ? `, ${it.sub}` : ''}`)}"`;
    nodeSvg.push(
      `<g class="${it.cls.join(' ')}" ${attrs} tabindex="0" role="button" transform="translate(${l.x.toFixed(1)} ${l.y.toFixed(1)})">` +
        `<rect class="box" x="${x0.toFixed(1)}" y="${y0.toFixed(1)}" width="${l.width.toFixed(1)}" height="${l.height.toFixed(1)}" rx="5"/>` +
        `<text class="label" x="${(x0 + 10).toFixed(1)}" y="${(it.sub || it.badge ? y0 + 16 : 4).toFixed(1)}">${esc(it.label)}</text>` +
        (it.sub ? `<text class="sub" x="${(x0 + 10).toFixed(1)}" y="${(y0 + 31).toFixed(1)}">${esc(it.sub)}</text>` : '') +
        (it.badge ? `<text class="badge" x="${(x0 + 10).toFixed(1)}" y="${(y0 + (it.sub ? 45 : 31)).toFixed(1)}">${esc(it.badge)}</text>` : '') +
        `<title>${esc(it.title)}</title></g>`,
    );
  }
  const W = maxX - minX + 24, H = maxY - minY + 24;
  const vb = `${(minX - 12).toFixed(1)} ${(minY - 12).toFixed(1)} ${W.toFixed(1)} ${H.toFixed(1)}`;
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="nk-graph" viewBox="${vb}" width="${W.toFixed(0)}" height="${H.toFixed(0)}" role="group" aria-label="${esc(`${model.name}: model graph`)}">`,
  );
  if (opts.standalone) parts.push(`<style>${opts.css ?? GRAPH_CSS}</style>`);
  parts.push(`<defs><marker id="nk-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z"/></marker></defs>`);
  parts.push(`<g class="viewport">`);
  if (opts.standalone) parts.push(`<rect class="bg" x="${(minX - 12).toFixed(1)}" y="${(minY - 12).toFixed(1)}" width="${W.toFixed(1)}" height="${H.toFixed(1)}"/>`);
  parts.push(`<g class="clusters">${clusterSvg.join('')}</g><g class="edges">${edgeSvg.join('')}</g><g class="nodes">${nodeSvg.join('')}</g></g></svg>`);
  return { svg: parts.join(''), width: W, height: H, boxes };
}
