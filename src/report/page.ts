/**
 * The report's page, as HTML text with no file system and no DOM: its
 * stylesheet (light and dark, by \`prefers-color-scheme\` or the page's
 * theme button) and its body (header and verdict banner, toolbar, the graph,
 * the failure with its cause chain, the fixes, the sweep plot). The HTML file
 * (html.ts) wraps it with the model's JSON and the page script; the web app
 * renders it in the page from a model computed there. One report, two hosts.
 */
import { draw, GRAPH_CSS } from './draw.js';
import type { ReportModel } from './model.js';
import { renderPlotSvg } from './plot.js';
import { esc } from './svg_text.js';

export const PAGE_CSS = `
:root{color-scheme:light dark;--bg:#ffffff;--fg:#1d232b;--muted:#5d6875;--panel:#f6f7f9;--line:#d5dae1;--accent:#1c7ed6;
--ok:#2f9e44;--ok-bg:#d3f9d8;--raises:#e03131;--raises-bg:#ffe3e3;--degenerate:#e8890c;--degenerate-bg:#fff3bf;--fallback:#0c98ad;--fallback-bg:#c5f6fa;--working:rgba(47,158,68,.16)}
@media (prefers-color-scheme:dark){:root{--bg:#15191e;--fg:#e6e9ee;--muted:#9aa5b3;--panel:#1d232b;--line:#333c47;--accent:#4dabf7;
--ok:#51cf66;--ok-bg:#163d22;--raises:#ff6b6b;--raises-bg:#4a1c1c;--degenerate:#fcc419;--degenerate-bg:#463810;--fallback:#3bc9db;--fallback-bg:#0f3c44;--working:rgba(81,207,102,.16)}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
header{padding:8px 18px 6px;border-bottom:1px solid var(--line)}
header .cmd{margin:4px 0 0;font-family:ui-monospace,monospace}
header h1{font-size:18px;margin:0 0 2px}
header .desc{color:var(--muted);margin:0}
.banner{margin:6px 0 0;padding:4px 10px;border-radius:6px;border-left:5px solid;font-weight:600}
.banner.verdict-raises{background:var(--raises-bg);border-color:var(--raises)}
.banner.verdict-degenerate{background:var(--degenerate-bg);border-color:var(--degenerate)}
.banner.verdict-fallback{background:var(--fallback-bg);border-color:var(--fallback)}
.banner.verdict-ok{background:var(--ok-bg);border-color:var(--ok)}
.toolbar{display:flex;gap:8px;align-items:center;flex-wrap:wrap;padding:5px 18px;border-bottom:1px solid var(--line)}
.toolbar input{font:inherit;padding:4px 8px;min-width:16em;border:1px solid var(--line);border-radius:5px;background:var(--bg);color:var(--fg)}
button{font:inherit;padding:4px 10px;border:1px solid var(--line);border-radius:5px;background:var(--panel);color:var(--fg);cursor:pointer}
button:focus-visible,input:focus-visible,.nk-graph [tabindex]:focus-visible{outline:2px solid var(--accent);outline-offset:2px}
.legend-verdicts span{display:inline-flex;align-items:center;gap:4px;margin-right:10px;color:var(--muted)}
.legend-verdicts i{display:inline-block;width:12px;height:12px;border-radius:3px;border:2px solid}
main{display:grid;grid-template-columns:minmax(0,1fr) 400px}
#graph{position:relative;height:calc(100vh - 150px);min-height:420px;overflow:hidden;cursor:grab;touch-action:none;border-right:1px solid var(--line)}
#graph.dragging{cursor:grabbing}
#graph svg{width:100%;height:100%;display:block}
aside{padding:10px 16px;overflow:auto;height:calc(100vh - 150px);min-height:420px;background:var(--panel)}
aside h2{font-size:15px;margin:14px 0 6px}
aside h3{font-size:14px;margin:8px 0 4px}
.explanation{margin:0 0 6px}
.error{font-family:ui-monospace,monospace;font-size:12px;background:var(--raises-bg);padding:4px 6px;border-radius:4px}
ol.chain{margin:0;padding-left:20px;font-family:ui-monospace,monospace;font-size:12px}
ol#fixes{margin:0;padding-left:0;list-style:none}
ol#fixes li{margin:4px 0}
ol#fixes button{width:100%;text-align:left}
ol#fixes button[aria-pressed="true"]{border-color:var(--accent);box-shadow:inset 3px 0 0 var(--accent)}
ol#fixes .caveat{display:block;color:var(--muted);font-size:12px}
.result{border-left:5px solid var(--line);padding:4px 8px;margin-top:8px}
.result.verdict-ok{border-color:var(--ok)}.result.verdict-raises{border-color:var(--raises)}.result.verdict-degenerate{border-color:var(--degenerate)}.result.verdict-fallback{border-color:var(--fallback)}
table{border-collapse:collapse;font-size:12px;width:100%;table-layout:fixed}
td:first-child,th:first-child{width:42%}td{overflow-wrap:anywhere}
th,td{text-align:left;padding:2px 4px;border-bottom:1px solid var(--line)}
tr.verdict-raises td:last-child{color:var(--raises);font-weight:700}tr.verdict-degenerate td:last-child{color:var(--degenerate);font-weight:700}
tr.verdict-fallback td:last-child{color:var(--fallback);font-weight:700}tr.verdict-ok td:last-child{color:var(--ok)}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 10px;margin:0;font-size:13px}
dt{color:var(--muted)}dd{margin:0;word-break:break-word}
section.sweep{padding:10px 18px;border-top:1px solid var(--line)}
.sweep-plot{max-width:100%;height:auto;font:11px ui-monospace,monospace}
.sweep-plot text{fill:var(--muted)}.sweep-plot .grid{stroke:var(--line)}.sweep-plot .axis{stroke:var(--muted)}
.sweep-plot .working{fill:var(--working)}
ul.legend{list-style:none;padding:0;margin:4px 0;display:flex;flex-wrap:wrap;gap:4px 14px;font:12px ui-monospace,monospace}
.swatch{display:inline-block;width:14px;height:3px;margin-right:5px;vertical-align:middle}
.hint{color:var(--muted);font-size:12px}
@media (max-width:900px){main{grid-template-columns:1fr}aside{max-height:none}}
`;

/** A block's declarations: the light ones (first `sel{...}`) and the dark ones (inside the media query). */
function themeVars(cssText: string, sel: string): { light: string; dark: string } {
  const q = sel.replace(/[.]/g, '\\.');
  const light = new RegExp(`(?:^|\\n)${q}\\{([^}]*)\\}`).exec(cssText)?.[1] ?? '';
  const dark = new RegExp(`@media \\(prefers-color-scheme:dark\\)\\{${q}\\{([^}]*)\\}\\}`).exec(cssText)?.[1] ?? '';
  return { light: light.replace(/color-scheme:[^;]*;/, ''), dark };
}

/** The theme button's choice (`data-theme` on the root element) over the system's. */
function themeCss(): string {
  const page = themeVars(PAGE_CSS, ':root');
  const graph = themeVars(GRAPH_CSS, '.nk-graph');
  return (
    `:root[data-theme=light]{color-scheme:light;${page.light}}:root[data-theme=dark]{color-scheme:dark;${page.dark}}` +
    `:root[data-theme=light] .nk-graph{${graph.light.replace(/font-family:[^;]*;|font-size:[^;]*/g, '')}}:root[data-theme=dark] .nk-graph{${graph.dark}}`
  );
}

/** The page's whole stylesheet: the page, the graph, the theme overrides. */
export function reportCss(): string {
  return PAGE_CSS + GRAPH_CSS + themeCss();
}

export interface HtmlOptions {
  /** The command that produced the report, shown in the page. */
  command?: string;
  /** Include the theme button in the toolbar (default true; the web app has its own). */
  themeButton?: boolean;
}

export function reportVerdict(m: ReportModel): 'raises' | 'degenerate' | 'fallback' | 'ok' {
  const s = m.base;
  if (s.error) return 'raises';
  if (s.degenerate) return 'degenerate';
  return Object.values(s.nodes).some((n) => n.verdict === 'fallback') ? 'fallback' : 'ok';
}

/** The button that cycles the colour theme (auto, light, dark): client/view.ts's `themeButton`. */
export const THEME_BUTTON = '<button type="button" id="theme" title="Colour theme: follows the system, light or dark">Theme: auto</button>';

/** The report's body (what the page script, client/view.ts, brings to life). */
export function reportBody(m: ReportModel, opts: HtmlOptions = {}): string {
  const d = draw(m, m.base);
  const verdict = reportVerdict(m);
  const input = Object.entries(m.base.inputShapes).map(([k, v]) => (Object.keys(m.base.inputShapes).length > 1 ? `${k}=${v.join('x')}` : v.join('x'))).join(', ');
  const failing = m.base.failing !== null ? m.nodes.find((n) => n.id === m.base.failing) : undefined;
  const banner =
    verdict === 'raises'
      ? `Raises at ${input}: ${m.base.nodes[m.base.failing ?? '']?.type ?? ''} at ${failing?.path === '' ? 'the root' : failing?.path ?? '?'}`
      : verdict === 'degenerate'
        ? `Runs at ${input}, but with degenerate statistics`
        : verdict === 'fallback'
          ? `Runs at ${input}, but a FlexibleInstanceNorm passes its input through`
          : `ok at ${input}: every norm has usable statistics`;
  const failure = m.base.error
    ? `<h2>Failure</h2><p class="error">${esc(`${m.base.error.type}: ${m.base.error.message}`)}</p><p class="explanation">${esc(m.base.explanation ?? '')}</p>` +
      (m.base.chain.length
        ? `<h3>Cause chain</h3><ol class="chain">${m.base.chain.map((c) => `<li>${esc(`${m.nodes.find((n) => n.id === c.id)?.path ?? c.id} ${m.base.nodes[c.id]?.type ?? ''}: ${c.before.join('x')} -> ${c.after.join('x')} (${c.because})`)}</li>`).join('')}</ol>`
        : '')
    : '';
  const fixes = m.fixes.length
    ? `<h2>Fixes (${m.fixes.length}, each re-analyzed)</h2><ol id="fixes"><li><button type="button" data-fix="base" aria-pressed="true">As given</button></li>${m.fixes
        .map((f, k) => `<li class="fix"><button type="button" data-fix="${k}" aria-pressed="false"><b>${k + 1}.</b> ${esc(f.title)}${f.caveat ? `<span class="caveat">${esc(f.caveat)}</span>` : ''}</button></li>`)
        .join('')}</ol>`
    : `<h2>Fixes</h2><p class="hint">${m.fixesSearched ? (verdict === 'ok' ? 'Nothing to fix.' : 'No verified fix found.') : 'The fix search was skipped (--no-fixes).'}</p><ol id="fixes"><li><button type="button" data-fix="base" aria-pressed="true">As given</button></li></ol>`;
  const sweep = m.sweep
    ? `<section class="sweep" aria-label="sweep"><h2>Values per statistic against input size</h2><p class="hint">Shaded: sizes at which the model runs (${esc(m.sweep.summary)}). A line stops where a layer is not reached or uses running statistics.</p>${renderPlotSvg(m.sweep)}</section>`
    : '';
  const legend = ['ok', 'raises', 'degenerate', 'fallback'].map((v) => `<span><i style="background:var(--${v}-bg);border-color:var(--${v})"></i>${v}</span>`).join('');
  return `<header><h1>normkit check: ${esc(m.name)} <span class="hint">input ${esc(input)}, ${esc(m.mode)} mode</span></h1>
${m.description ? `<p class="desc">${esc(m.description)}</p>` : ''}
<p class="banner verdict-${verdict}" id="banner">${esc(banner)}</p>${opts.command ? `<p class="hint cmd">${esc(opts.command)}</p>` : ''}</header>
<div class="toolbar" role="toolbar"><label for="search">Find module</label><input id="search" type="search" placeholder="path or class, e.g. 13 or Conv2d" autocomplete="off"><span id="search-info" class="hint" aria-live="polite"></span>
<button type="button" id="fit">Fit</button><button type="button" id="collapse-all">Collapse containers</button><button type="button" id="expand-all">Expand all</button>
<span class="legend-verdicts">${legend}</span>${opts.themeButton === false ? '' : THEME_BUTTON}</div>
<main><div id="graph" aria-label="model graph">${d.svg}</div>
<aside><p class="hint">Wheel: zoom. Drag: pan. Tab: next node. Enter: focus a node, collapse or expand a container (or click its header). +, -, 0: zoom in, out, fit.</p><h2>Selected</h2><div id="details"><p class="hint">Click or Tab to a node.</p></div>
${failure}${fixes}<div id="fix-result" class="result" aria-live="polite"></div></aside></main>
${sweep}`;
}
