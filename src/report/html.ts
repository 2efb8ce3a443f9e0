/**
 * The HTML report: one self-contained file (no network: the stylesheet, the
 * graph's SVG, the report's data and the page's script — bundled at build
 * time by esbuild into dist/src/report/client.js — are all inline).
 */
import { readFileSync } from 'node:fs';
import { draw, flatCss } from './draw.js';
import { buildReportModel, type ReportInput, type ReportModel } from './model.js';
import { reportBody, reportCss, type HtmlOptions } from './page.js';
import { esc } from './svg_text.js';

export type { HtmlOptions } from './page.js';

let clientScript: string | null = null;

/** The bundled page script (built by `npm run build`). */
function client(): string {
  if (clientScript === null) {
    const url = new URL('./client.js', import.meta.url);
    try {
      clientScript = readFileSync(url, 'utf8');
    } catch {
      throw new Error(`the report's page script is missing (${url.pathname}): run npm run build`);
    }
  }
  return clientScript;
}

export function renderHtmlFromModel(m: ReportModel, opts: HtmlOptions = {}): string {
  const json = JSON.stringify(m).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>normkit check: ${esc(m.name)}</title>
<style>${reportCss()}</style></head>
<body>
${reportBody(m, opts)}
<script type="application/json" id="nk-model">${json}</script>
<script>${client().replace(/<\/script/gi, '<\\/script')}</script>
</body></html>
`;
}

export function renderHtml(input: ReportInput, opts: HtmlOptions = {}): string {
  return renderHtmlFromModel(buildReportModel(input), opts);
}

/** The graph alone as a standalone SVG file (stylesheet inside; light or dark by `prefers-color-scheme`). */
export function renderSvg(input: ReportInput): string {
  const { sweep: _sweep, ...rest } = input;
  const m = buildReportModel({ ...rest, fixes: null });
  return `<?xml version="1.0" encoding="UTF-8"?>\n${draw(m, m.base, { standalone: true }).svg}\n`;
}

/** The graph as a standalone SVG for rasterizers (light colours written out: no CSS variables, no media query). */
export function renderFlatSvg(input: ReportInput): string {
  const { sweep: _sweep, ...rest } = input;
  const m = buildReportModel({ ...rest, fixes: null });
  return draw(m, m.base, { standalone: true, css: flatCss() }).svg;
}
