/** The shape-flow report as pictures: one self-contained HTML page, or the graph alone as SVG. */
export { renderHtml, renderHtmlFromModel, renderSvg, type HtmlOptions } from './html.js';
export { buildReportModel, type ReportInput, type ReportModel } from './model.js';
export { draw, type Drawing } from './draw.js';
