/**
 * A small RGBA canvas for the training report: filled rectangles, lines,
 * scaled image tiles and a 3x5 pixel font (upper case, digits, a little
 * punctuation) — enough to draw a labelled loss curve without a plotting
 * library. `toPng` encodes it with pngjs.
 */
import { PNG } from 'pngjs';

export type Colour = readonly [number, number, number];

// 3x5 glyphs: five rows of three pixels, top to bottom, '#' = ink.
const GLYPHS: Record<string, string> = {
  A: '.#. #.# ### #.# #.#',
  B: '##. #.# ##. #.# ##.',
  C: '.## #.. #.. #.. .##',
  D: '##. #.# #.# #.# ##.',
  E: '### #.. ##. #.. ###',
  F: '### #.. ##. #.. #..',
  G: '.## #.. #.# #.# .##',
  H: '#.# #.# ### #.# #.#',
  I: '### .#. .#. .#. ###',
  J: '..# ..# ..# #.# .#.',
  K: '#.# #.# ##. #.# #.#',
  L: '#.. #.. #.. #.. ###',
  M: '#.# ### ### #.# #.#',
  N: '##. #.# #.# #.# #.#',
  O: '.#. #.# #.# #.# .#.',
  P: '##. #.# ##. #.. #..',
  Q: '.#. #.# #.# ##. .##',
  R: '##. #.# ##. #.# #.#',
  S: '.## #.. .#. ..# ##.',
  T: '### .#. .#. .#. .#.',
  U: '#.# #.# #.# #.# ###',
  V: '#.# #.# #.# #.# .#.',
  W: '#.# #.# ### ### #.#',
  X: '#.# #.# .#. #.# #.#',
  Y: '#.# #.# .#. .#. .#.',
  Z: '### ..# .#. #.. ###',
  '0': '### #.# #.# #.# ###',
  '1': '.#. ##. .#. .#. ###',
  '2': '##. ..# .#. #.. ###',
  '3': '##. ..# .#. ..# ##.',
  '4': '#.# #.# ### ..# ..#',
  '5': '### #.. ##. ..# ##.',
  '6': '.## #.. ### #.# ###',
  '7': '### ..# .#. .#. .#.',
  '8': '### #.# ### #.# ###',
  '9': '### #.# ### ..# ##.',
  '.': '... ... ... ... .#.',
  '-': '... ... ### ... ...',
  '+': '... .#. ### .#. ...',
  ':': '... .#. ... .#. ...',
  '/': '..# ..# .#. #.. #..',
  '(': '.#. #.. #.. #.. .#.',
  ')': '.#. ..# ..# ..# .#.',
  '=': '... ### ... ### ...',
  ',': '... ... ... .#. #..',
  '_': '... ... ... ... ###',
};

function glyphRows(ch: string): string {
  return (GLYPHS[ch] ?? '... ... ... ... ...').replaceAll(' ', '');
}

export class Canvas {
  readonly data: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Colour = [255, 255, 255],
  ) {
    this.data = new Uint8Array(width * height * 4);
    this.fillRect(0, 0, width, height, background);
  }

  setPixel(x: number, y: number, c: Colour, alpha = 1): void {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = (y * this.width + x) * 4;
    for (let k = 0; k < 3; k++) this.data[i + k] = Math.round(this.data[i + k]! * (1 - alpha) + c[k]! * alpha);
    this.data[i + 3] = 255;
  }

  fillRect(x0: number, y0: number, w: number, h: number, c: Colour): void {
    for (let y = Math.max(0, y0); y < Math.min(this.height, y0 + h); y++) {
      for (let x = Math.max(0, x0); x < Math.min(this.width, x0 + w); x++) this.setPixel(x, y, c);
    }
  }

  /** A line `width` pixels wide, drawn by stamping squares along it (simple and gap-free). */
  line(x0: number, y0: number, x1: number, y1: number, c: Colour, width = 1, alpha = 1): void {
    const n = Math.max(1, Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))));
    const r0 = -Math.floor((width - 1) / 2);
    for (let i = 0; i <= n; i++) {
      const x = Math.round(x0 + ((x1 - x0) * i) / n);
      const y = Math.round(y0 + ((y1 - y0) * i) / n);
      for (let dy = 0; dy < width; dy++) for (let dx = 0; dx < width; dx++) this.setPixel(x + r0 + dx, y + r0 + dy, c, alpha);
    }
  }

  /** A connected line through the points. */
  polyline(points: readonly (readonly [number, number])[], c: Colour, width = 1, alpha = 1): void {
    for (let i = 1; i < points.length; i++) {
      const [a, b] = [points[i - 1]!, points[i]!];
      this.line(a[0], a[1], b[0], b[1], c, width, alpha);
    }
  }

  /** Text in the 3x5 font, each font pixel `scale` x `scale`; returns the width drawn. */
  text(x: number, y: number, s: string, c: Colour, scale = 2): number {
    let cx = x;
    for (const ch of s.toUpperCase()) {
      const rows = glyphRows(ch);
      for (let gy = 0; gy < 5; gy++) {
        for (let gx = 0; gx < 3; gx++) if (rows[gy * 3 + gx] === '#') this.fillRect(cx + gx * scale, y + gy * scale, scale, scale, c);
      }
      cx += 4 * scale;
    }
    return cx - x;
  }

  static textWidth(s: string, scale = 2): number {
    return s.length * 4 * scale;
  }

  /**
   * Draws a planar RGB image (values in [0, 1], clamped) at (x, y), each
   * source pixel as a `scale` x `scale` block.
   */
  image(x: number, y: number, planar: Float32Array, size: number, scale: number): void {
    const plane = size * size;
    for (let sy = 0; sy < size; sy++) {
      for (let sx = 0; sx < size; sx++) {
        const p = sy * size + sx;
        const c = [0, 1, 2].map((ch) => Math.round(255 * Math.min(1, Math.max(0, planar[ch * plane + p]!)))) as unknown as Colour;
        this.fillRect(x + sx * scale, y + sy * scale, scale, scale, c);
      }
    }
  }

  toPng(): Buffer {
    const png = new PNG({ width: this.width, height: this.height });
    png.data = Buffer.from(this.data.buffer, this.data.byteOffset, this.data.byteLength);
    return PNG.sync.write(png);
  }
}
