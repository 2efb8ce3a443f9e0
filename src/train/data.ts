/**
 * Training data that normkit draws itself: procedurally generated scenes
 * (a colour or gradient background with filled circles, rectangles and stripe
 * bands in random colours) and a fixed "stylization" of each scene as the
 * target. Everything comes from a seeded `Generator`, so a seed gives the same
 * images on every machine.
 *
 * Images are planar RGB in [0, 1]: a batch is a [N, 3, S, S] tensor.
 */
import { ValueError } from '../errors.js';
import { Generator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';

export interface Batch {
  inputs: Tensor;
  targets: Tensor;
}

type Rgb = [number, number, number];

function colour(g: Generator): Rgb {
  return [g.random(), g.random(), g.random()];
}

/** Blends `c` over pixel `p` of the planar image `img` with coverage `a`. */
function blend(img: Float32Array, plane: number, p: number, c: Rgb, a: number): void {
  if (a <= 0) return;
  for (let ch = 0; ch < 3; ch++) {
    const i = ch * plane + p;
    img[i] = img[i]! + (c[ch]! - img[i]!) * a;
  }
}

/** Edge coverage of a pixel whose centre is `d` pixels inside a shape's border (a one-pixel ramp). */
const coverage = (d: number) => Math.min(1, Math.max(0, d + 0.5));

function drawCircle(g: Generator, img: Float32Array, s: number): void {
  const c = colour(g);
  const cx = g.random() * s;
  const cy = g.random() * s;
  const r = s * (0.08 + 0.22 * g.random());
  for (let y = 0; y < s; y++) {
    for (let x = 0; x < s; x++) {
      const d = r - Math.hypot(x + 0.5 - cx, y + 0.5 - cy);
      blend(img, s * s, y * s + x, c, coverage(d));
    }
  }
}

function drawRect(g: Generator, img: Float32Array, s: number): void {
  const c = colour(g);
  const w = s * (0.15 + 0.4 * g.random());
  const h = s * (0.15 + 0.4 * g.random());
  const x0 = g.random() * (s - w);
  const y0 = g.random() * (s - h);
  for (let y = 0; y < s; y++) {
    for (let x = 0; x < s; x++) {
      const px = x + 0.5;
      const py = y + 0.5;
      const d = Math.min(px - x0, x0 + w - px, py - y0, y0 + h - py);
      blend(img, s * s, y * s + x, c, coverage(d));
    }
  }
}

/** Parallel stripes at a random angle and period, inside a band across the image. */
function drawStripes(g: Generator, img: Float32Array, s: number): void {
  const c = colour(g);
  const angle = g.random() * Math.PI;
  const period = s * (0.1 + 0.15 * g.random());
  const phase = g.random() * period;
  const nx = Math.cos(angle);
  const ny = Math.sin(angle);
  // The band runs perpendicular to the stripes' direction, centred at a random offset.
  const bandCentre = (g.random() - 0.5) * s * 0.5;
  const bandHalf = s * (0.15 + 0.2 * g.random());
  for (let y = 0; y < s; y++) {
    for (let x = 0; x < s; x++) {
      const u = (x + 0.5 - s / 2) * nx + (y + 0.5 - s / 2) * ny;
      const v = -(x + 0.5 - s / 2) * ny + (y + 0.5 - s / 2) * nx;
      const inBand = coverage(bandHalf - Math.abs(v - bandCentre));
      const t = (((u + phase) % period) + period) % period;
      const onStripe = coverage(Math.min(t, period / 2 - t));
      blend(img, s * s, y * s + x, c, inBand * onStripe);
    }
  }
}

/** Draws one random scene (planar RGB, `size` x `size`) into `img`. */
export function drawScene(g: Generator, size: number, img: Float32Array = new Float32Array(3 * size * size)): Float32Array {
  const plane = size * size;
  const a = colour(g);
  const b = g.random() < 0.5 ? colour(g) : a;
  const angle = g.random() * 2 * Math.PI;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const t = 0.5 + ((x / size - 0.5) * Math.cos(angle) + (y / size - 0.5) * Math.sin(angle)) * 0.7;
      for (let ch = 0; ch < 3; ch++) img[ch * plane + y * size + x] = a[ch]! + (b[ch]! - a[ch]!) * t;
    }
  }
  const shapes = 2 + Math.floor(g.random() * 4);
  for (let k = 0; k < shapes; k++) {
    const kind = g.random();
    if (kind < 0.4) drawCircle(g, img, size);
    else if (kind < 0.8) drawRect(g, img, size);
    else drawStripes(g, img, size);
  }
  return img;
}

// The fixed "style": a warm colour mix, a 3x3 blur plus emboss, then an S-shaped tone curve.
const MIX = [
  [0.55, 0.35, 0.1],
  [0.2, 0.6, 0.2],
  [0.1, 0.3, 0.45],
] as const;
const BLUR = [1, 2, 1, 2, 4, 2, 1, 2, 1].map((v) => v / 16);
const EMBOSS = [-1, -1, 0, -1, 0, 1, 0, 1, 1];
const EMBOSS_GAIN = 0.35;
const KERNEL = BLUR.map((v, i) => v + EMBOSS_GAIN * EMBOSS[i]!);

/** The tone curve: 0.4 x + 0.6 smoothstep(x), after clamping to [0, 1]. */
export function toneCurve(v: number): number {
  const x = Math.min(1, Math.max(0, v));
  return 0.4 * x + 0.6 * x * x * (3 - 2 * x);
}

/**
 * The target of a planar RGB image: colour mix, then the 3x3 kernel (edges
 * replicated), then the tone curve. Deterministic and local, so a small
 * convolutional network can learn it.
 */
export function stylize(img: Float32Array, size: number, out: Float32Array = new Float32Array(img.length)): Float32Array {
  const plane = size * size;
  const mixed = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) {
    for (let o = 0; o < 3; o++) {
      const m = MIX[o]!;
      mixed[o * plane + p] = m[0] * img[p]! + m[1] * img[plane + p]! + m[2] * img[2 * plane + p]!;
    }
  }
  const clamp = (v: number) => Math.min(size - 1, Math.max(0, v));
  for (let ch = 0; ch < 3; ch++) {
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        let acc = 0;
        for (let ky = 0; ky < 3; ky++) {
          const row = ch * plane + clamp(y + ky - 1) * size;
          for (let kx = 0; kx < 3; kx++) acc += KERNEL[ky * 3 + kx]! * mixed[row + clamp(x + kx - 1)]!;
        }
        out[ch * plane + y * size + x] = toneCurve(acc);
      }
    }
  }
  return out;
}

/** An endless, seeded stream of (scene, stylized scene) batches. */
export class ShapesDataset {
  private readonly gen: Generator;

  constructor(
    readonly size: number,
    seed: number,
  ) {
    if (!Number.isInteger(size) || size < 4) throw new ValueError(`image size must be an integer >= 4, got ${size}`);
    this.gen = new Generator(seed);
  }

  /** The next `n` images and their targets. */
  batch(n: number): Batch {
    if (!Number.isInteger(n) || n < 1) throw new ValueError(`batch size must be a positive integer, got ${n}`);
    const per = 3 * this.size * this.size;
    const inputs = new Float32Array(n * per);
    const targets = new Float32Array(n * per);
    for (let i = 0; i < n; i++) {
      const img = inputs.subarray(i * per, (i + 1) * per);
      drawScene(this.gen, this.size, img);
      stylize(img, this.size, targets.subarray(i * per, (i + 1) * per));
    }
    const shape = [n, 3, this.size, this.size];
    return { inputs: new Tensor(inputs, shape), targets: new Tensor(targets, shape) };
  }
}
