/**
 * Child process of `renderPng`: SVG on stdin, PNG on stdout, rasterized by
 * resvg compiled to WebAssembly (@resvg/resvg-wasm: no native code). A child,
 * because resvg-wasm only initializes asynchronously and `normkit check` is
 * synchronous. Arguments: the font files to load.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const chunks: Buffer[] = [];
for await (const c of process.stdin) chunks.push(c as Buffer);
const svg = Buffer.concat(chunks).toString('utf8');
const resvg = (await import('@resvg/resvg-wasm')) as typeof import('@resvg/resvg-wasm');
await resvg.initWasm(readFileSync(require.resolve('@resvg/resvg-wasm/index_bg.wasm')));
const fonts = process.argv.slice(2).map((f) => new Uint8Array(readFileSync(f)));
const r = new resvg.Resvg(svg, {
  font: { fontBuffers: fonts, defaultFontFamily: 'DejaVu Sans Mono', monospaceFamily: 'DejaVu Sans Mono' },
  fitTo: { mode: 'zoom', value: 2 },
  background: '#ffffff',
});
process.stdout.write(r.render().asPng());
