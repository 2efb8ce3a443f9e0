/** `normkit check --html FILE --svg FILE`: writes the report's pictures. */
import { writeFileSync } from 'node:fs';
import { UsageError } from '../doctor/source.js';
import { renderFlatSvg, renderHtml, renderSvg } from './html.js';
import { renderPng } from './png.js';
import type { ReportInput } from './model.js';

export interface ReportFiles {
  html?: string;
  svg?: string;
  png?: string;
}

function write(file: string, text: string | Buffer): void {
  try {
    writeFileSync(file, text);
  } catch (e) {
    throw new UsageError(`cannot write ${file}: ${(e as Error).message}`);
  }
}

/** Writes the requested files; returns one line per file written (for stderr, so --json stays one document). */
export function writeReportFiles(files: ReportFiles, input: ReportInput, command?: string): string[] {
  const out: string[] = [];
  if (files.html !== undefined) {
    const html = renderHtml(input, command !== undefined ? { command } : {});
    write(files.html, html);
    out.push(`wrote ${files.html} (HTML report, ${(Buffer.byteLength(html) / 1024).toFixed(0)} KB, self-contained)`);
  }
  if (files.svg !== undefined) {
    const svg = renderSvg(input);
    write(files.svg, svg);
    out.push(`wrote ${files.svg} (SVG graph, ${(Buffer.byteLength(svg) / 1024).toFixed(0)} KB)`);
  }
  if (files.png !== undefined) {
    let png: Buffer;
    try {
      png = renderPng(renderFlatSvg(input));
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    write(files.png, png);
    out.push(`wrote ${files.png} (PNG graph, ${(png.length / 1024).toFixed(0)} KB)`);
  }
  return out;
}
