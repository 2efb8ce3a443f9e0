/**
 * The web app's page (dist/web/index.html), written at build time
 * (scripts/build-web.mjs): one self-contained file, like the HTML report —
 * the report's stylesheet and the app's, the bundled examples as JSON, and the
 * app's script (client/app.ts, bundled by esbuild) all inline, with a
 * Content-Security-Policy that lets nothing load or connect: it works from
 * `normkit serve`, from any static host, or opened as a file, and offline.
 */
import { reportCss, THEME_BUTTON } from '../report/page.js';
import { esc } from '../report/svg_text.js';

export interface ShellExample {
  /** File name without .json (`collapsing-encoder`). */
  name: string;
  description: string;
  /** The file's text. */
  text: string;
}

const APP_CSS = `
.app-bar{display:flex;flex-wrap:wrap;gap:8px 14px;align-items:center;padding:8px 18px;border-bottom:1px solid var(--line);background:var(--panel)}
.app-bar h1{font-size:17px;margin:0}
.app-bar .privacy{color:var(--muted);font-size:12px}
.app-bar .spacer{flex:1}
.open-file{position:relative;display:inline-block}
.open-file input{position:absolute;inset:0;opacity:0;cursor:pointer;width:100%}
.open-file span{display:inline-block;font:inherit;padding:4px 10px;border:1px solid var(--accent);border-radius:5px;color:var(--fg);background:var(--bg)}
.open-file:focus-within span{outline:2px solid var(--accent);outline-offset:2px}
.examples{display:flex;flex-wrap:wrap;gap:4px 6px;align-items:center;padding:6px 18px;border-bottom:1px solid var(--line)}
.examples .label{color:var(--muted);font-size:12px;margin-right:4px}
.examples button{font-size:12px;padding:2px 8px}
.examples button[aria-current="true"]{border-color:var(--accent);box-shadow:inset 0 -2px 0 var(--accent)}
#intro{margin:18px;padding:14px 18px;max-width:62em;border:2px dashed var(--line);border-radius:10px}
#intro p{margin:6px 0}
#drop-overlay{position:fixed;inset:0;display:none;align-items:center;justify-content:center;background:rgba(28,126,214,.16);border:4px dashed var(--accent);font-size:22px;font-weight:600;z-index:10;pointer-events:none}
body.dragging #drop-overlay{display:flex}
form#check{display:flex;flex-wrap:wrap;gap:8px 14px;align-items:end;padding:8px 18px;border-bottom:1px solid var(--line)}
form#check[hidden]{display:none}
form#check .field{display:flex;flex-direction:column;gap:2px}
form#check .field label{font-size:12px;color:var(--muted)}
form#check .field label b{color:var(--fg);font-family:ui-monospace,monospace}
form#check input,form#check select{font:inherit;padding:4px 8px;border:1px solid var(--line);border-radius:5px;background:var(--bg);color:var(--fg)}
form#check input.shape{font-family:ui-monospace,monospace;min-width:15em}
form#check input[aria-invalid="true"]{border-color:var(--raises);outline:1px solid var(--raises)}
form#check fieldset{display:contents}
form#check .sweep-field input{width:8em;font-family:ui-monospace,monospace}
button.primary{border-color:var(--accent);background:var(--accent);color:#fff;font-weight:600}
#file-info{padding:4px 18px;color:var(--muted);font-size:12px}
#file-info:empty{display:none}
#status{padding:4px 18px;color:var(--muted);font-size:12px;min-height:1.45em}
#app-error{margin:8px 18px;padding:8px 12px;border-left:5px solid var(--raises);background:var(--raises-bg);border-radius:4px}
#app-error[hidden]{display:none}
#app-error .type{font-weight:700}
#app-error pre{white-space:pre-wrap;margin:4px 0 0;font:12px ui-monospace,monospace}
#fixed-spec{padding:10px 18px;border-top:1px solid var(--line)}
#fixed-spec[hidden]{display:none}
#fixed-spec pre{max-height:22em;overflow:auto;background:var(--panel);border:1px solid var(--line);border-radius:5px;padding:8px;font:12px ui-monospace,monospace}
#fixed-spec a{color:var(--accent)}
`;

/** The page before any model: the bar, the examples, the (hidden) size form, an introduction. */
function body(examples: ShellExample[]): string {
  const buttons = examples.map((e) => `<button type="button" data-example="${esc(e.name)}" title="${esc(e.description)}">${esc(e.name)}</button>`).join('');
  return `<div class="app-bar" role="banner"><h1>normkit doctor</h1>
<label class="open-file"><span>Open a model…</span><input type="file" id="file" accept=".json,.onnx,application/json" aria-label="Open a model file: a JSON spec or an ONNX file"></label>
<span class="privacy">Runs in this page: the file is read here, nothing is uploaded.</span><span class="spacer"></span>
${THEME_BUTTON}</div>
<nav class="examples" aria-label="bundled examples"><span class="label">Examples:</span>${buttons}</nav>
<div id="drop-overlay" aria-hidden="true">Drop a JSON spec or an ONNX file</div>
<form id="check" hidden autocomplete="off"><fieldset id="inputs"></fieldset>
<div class="field"><label for="mode">Mode</label><select id="mode"><option value="train">train</option><option value="eval">eval</option></select></div>
<div class="field"><button type="submit" class="primary" id="run">Check</button></div>
<div class="field sweep-field"><label for="sweep">Sweep sizes</label><input id="sweep" placeholder="e.g. 1..96" inputmode="numeric"></div>
<div class="field"><label for="axis">Sweep axis</label><select id="axis"></select></div>
<div class="field"><button type="button" id="run-sweep">Sweep</button></div></form>
<div id="file-info"></div><div id="status" role="status" aria-live="polite"></div>
<div id="app-error" role="alert" hidden></div>
<section id="intro"><p>Open or drop a model — a JSON spec (tree or general form, <code>docs/model-spec.md</code>), a check file, or an <code>.onnx</code> file — or pick an example above.</p>
<p>Type the input size (every input by name; ONNX files name their dynamic dims), pick train or eval, and see whether it raises, where and why: the failing layer in red, the layers that shrank the map, and verified fixes (click one to see the edited model and its verdict). A sweep plots every norm's values per statistic over a range of sizes.</p>
<p class="hint">Keyboard: Tab through the graph's nodes, Enter to focus one or to collapse a container; + and - zoom, 0 fits. Wheel zooms, drag pans.</p></section>
<div id="report"></div>
<section id="fixed-spec" hidden aria-label="the edited model"></section>`;
}

/** The whole page, around the app's bundled script. */
export function webIndexHtml(script: string, examples: ShellExample[]): string {
  const json = JSON.stringify(examples).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>normkit doctor</title>
<style>${reportCss()}${APP_CSS}</style></head>
<body>
${body(examples)}
<script type="application/json" id="nk-examples">${json}</script>
<script>${script.replace(/<\/script/gi, '<\\/script')}</script>
</body></html>
`;
}
