/**
 * `--png FILE`: the graph as a PNG, rasterized by resvg in WebAssembly
 * (@resvg/resvg-wasm, an optional peer: `npm install @resvg/resvg-wasm`), at
 * twice the SVG's size, light colours. resvg reads no system font by itself in
 * WebAssembly: the font is a monospace TrueType file found on the system
 * (DejaVu Sans Mono, Liberation Mono) or named by NORMKIT_FONT.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const FONT_PATHS = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf',
  '/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf',
  '/usr/share/fonts/TTF/DejaVuSansMono.ttf',
  '/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf',
  '/usr/share/fonts/truetype/liberation/LiberationMono-Bold.ttf',
  '/Library/Fonts/DejaVuSansMono.ttf',
  'C:\\Windows\\Fonts\\consola.ttf',
];

/** null when --png can work here, else why not. */
export function pngUnavailable(): string | null {
  try {
    createRequire(import.meta.url).resolve('@resvg/resvg-wasm/index_bg.wasm');
  } catch {
    return '--png needs @resvg/resvg-wasm (WebAssembly, no native code): npm install @resvg/resvg-wasm';
  }
  if (fonts().length === 0) return '--png found no monospace TrueType font (DejaVu Sans Mono, Liberation Mono): set NORMKIT_FONT=/path/to/font.ttf';
  return null;
}

function fonts(): string[] {
  const env = process.env['NORMKIT_FONT'];
  const list = env ? env.split(',').filter((f) => existsSync(f)) : [];
  return [...list, ...FONT_PATHS.filter((f) => existsSync(f))];
}

/** Rasterizes a standalone SVG (drawn with `flatCss()`: resvg knows no CSS variables). */
export function renderPng(svg: string): Buffer {
  const why = pngUnavailable();
  if (why !== null) throw new Error(why);
  const worker = fileURLToPath(new URL('./png_worker.js', import.meta.url));
  const r = spawnSync(process.execPath, [worker, ...fonts()], { input: svg, maxBuffer: 512 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`rendering the PNG failed: ${r.stderr.toString().trim() || `exit ${r.status}`}`);
  return r.stdout;
}
