/**
 * The pictures `normkit train` leaves behind: a grid of held-out
 * input / output / target images, and the loss curve (per-step training loss,
 * per-epoch means and held-out loss, on a log scale) as PNG files.
 */
import { writeFileSync } from 'node:fs';
import type { Tensor } from '../tensor/tensor.js';
import { Canvas, type Colour } from './raster.js';
import type { EpochInfo } from './loop.js';

const INK: Colour = [40, 40, 40];
const GRID: Colour = [225, 225, 225];
const STEP_COLOUR: Colour = [150, 180, 230];
const TRAIN_COLOUR: Colour = [25, 70, 170];
const HELD_OUT_COLOUR: Colour = [230, 110, 20];

/**
 * Input, output and target of each image side by side, `perRow` triplets per
 * row; images are [N, 3, S, S] in [0, 1] (outputs are clamped for display).
 */
export function renderSampleGrid(inputs: Tensor, outputs: Tensor, targets: Tensor, perRow = 2): Canvas {
  const [n = 0, , size = 0] = inputs.shape;
  const scale = Math.max(1, Math.floor(128 / size));
  const tile = size * scale;
  const gap = 6;
  const groupGap = 18;
  const header = 24;
  const rows = Math.ceil(n / perRow);
  const groupWidth = 3 * tile + 2 * gap;
  const width = groupGap + perRow * (groupWidth + groupGap);
  const height = header + rows * (tile + gap) + gap;
  const c = new Canvas(width, height, [250, 250, 250]);
  const plane = 3 * size * size;
  const labels = ['input', 'output', 'target'];
  for (let g = 0; g < perRow; g++) {
    for (let k = 0; k < 3; k++) {
      const x = groupGap + g * (groupWidth + groupGap) + k * (tile + gap);
      c.text(x + Math.floor((tile - Canvas.textWidth(labels[k]!)) / 2), 7, labels[k]!, INK);
    }
  }
  const sources = [inputs, outputs, targets];
  for (let i = 0; i < n; i++) {
    const gx = groupGap + (i % perRow) * (groupWidth + groupGap);
    const y = header + Math.floor(i / perRow) * (tile + gap);
    sources.forEach((t, k) => c.image(gx + k * (tile + gap), y, t.data.subarray(i * plane, (i + 1) * plane), size, scale));
  }
  return c;
}

/** Formats a power of ten for an axis label: 0.001, 0.01, 0.1, 1, 10. */
function decadeLabel(e: number): string {
  return e >= 0 ? String(10 ** e) : `0.${'0'.repeat(-e - 1)}1`;
}

/**
 * The loss curve: x = training step, y = loss on a log scale; light: each
 * step's loss; dark: each epoch's mean (at the epoch's middle); orange:
 * held-out loss (step 0 = the untrained model).
 */
export function renderLossCurve(stepLosses: readonly number[], epochs: readonly EpochInfo[], initialHeldOut: number, lossName = 'mse'): Canvas {
  const W = 720;
  const H = 420;
  const left = 70;
  const right = 24;
  const top = 44;
  const bottom = 56;
  const c = new Canvas(W, H);
  const all = [...stepLosses, ...epochs.map((e) => e.heldOutLoss), initialHeldOut].filter((v) => v > 0 && Number.isFinite(v));
  const lo = Math.floor(Math.log10(Math.min(...all)));
  let hi = Math.ceil(Math.log10(Math.max(...all)));
  if (hi === lo) hi = lo + 1;
  const steps = Math.max(1, stepLosses.length);
  const px = (step: number) => left + ((W - left - right) * step) / steps;
  const py = (loss: number) => top + ((H - top - bottom) * (hi - Math.log10(Math.max(loss, 10 ** lo)))) / (hi - lo);

  // Grid: decades with 2x and 5x minor lines; epoch boundaries.
  for (let e = lo; e <= hi; e++) {
    for (const m of e < hi ? [1, 2, 5] : [1]) c.line(left, py(m * 10 ** e), W - right, py(m * 10 ** e), GRID);
    const label = decadeLabel(e);
    c.text(left - 8 - Canvas.textWidth(label), Math.round(py(10 ** e)) - 5, label, INK);
  }
  const stepsPerEpoch = stepLosses.length / Math.max(1, epochs.length);
  epochs.forEach((_, i) => {
    const x = px((i + 1) * stepsPerEpoch);
    c.line(x, top, x, H - bottom, GRID);
    const label = String(Math.round((i + 1) * stepsPerEpoch));
    if (epochs.length <= 12 || (i + 1) % Math.ceil(epochs.length / 12) === 0) c.text(Math.round(x - Canvas.textWidth(label) / 2), H - bottom + 8, label, INK);
  });
  c.text(left - 4, H - bottom + 8, '0', INK);

  c.polyline(stepLosses.map((v, i) => [px(i + 1), py(v)] as const), STEP_COLOUR, 1);
  // An epoch's mean loss belongs to the middle of the epoch.
  const trainPts = epochs.map((e, i) => [px((i + 0.5) * stepsPerEpoch), py(e.trainLoss)] as const);
  c.polyline(trainPts, TRAIN_COLOUR, 3);
  const heldPts = [[px(0), py(initialHeldOut)] as const, ...epochs.map((e, i) => [px((i + 1) * stepsPerEpoch), py(e.heldOutLoss)] as const)];
  c.polyline(heldPts, HELD_OUT_COLOUR, 2);
  for (const [x, y] of heldPts) c.fillRect(Math.round(x) - 3, Math.round(y) - 3, 7, 7, HELD_OUT_COLOUR);
  for (const [x, y] of trainPts) c.fillRect(Math.round(x) - 3, Math.round(y) - 3, 7, 7, TRAIN_COLOUR);

  // Axes, title, legend.
  c.line(left, top, left, H - bottom, INK, 2);
  c.line(left, H - bottom, W - right, H - bottom, INK, 2);
  c.text(left, 8, `normkit train - ${lossName} loss (log scale)`, INK, 3);
  c.text(Math.round((left + W - right) / 2 - Canvas.textWidth('step') / 2), H - 22, 'step', INK);
  let lx = W - right - 10;
  for (const [label, col] of [['held-out', HELD_OUT_COLOUR], ['epoch mean', TRAIN_COLOUR], ['each step', STEP_COLOUR]] as const) {
    lx -= Canvas.textWidth(label) + 30;
    c.fillRect(lx, 31, 18, 4, col);
    c.text(lx + 24, 28, label, INK);
  }
  return c;
}

export function writePng(path: string, canvas: Canvas): void {
  writeFileSync(path, canvas.toPng());
}
