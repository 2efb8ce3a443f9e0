/** The report pictures: tiles hold the images' pixels; the loss curve draws its series where the scale puts them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import { Tensor } from '../../src/tensor/tensor.js';
import { ShapesDataset } from '../../src/train/data.js';
import { Canvas } from '../../src/train/raster.js';
import { renderLossCurve, renderSampleGrid } from '../../src/train/report.js';

function pixel(c: Canvas, x: number, y: number): number[] {
  const i = (y * c.width + x) * 4;
  return [...c.data.subarray(i, i + 3)];
}

test('the sample grid shows input, output and target tiles pixel for pixel (outputs clamped)', () => {
  const { inputs, targets } = new ShapesDataset(16, 2).batch(3);
  const outputs = new Tensor(inputs.data.map((v, i) => (i % 2 ? 1.5 : -0.5)), inputs.shape);
  const c = renderSampleGrid(inputs, outputs, targets, 2);
  // 16 px images are drawn 8x: tiles of 128, 6 px apart; the first group starts at x = 18, y = 24.
  const plane = 16 * 16;
  for (const [img, sx, sy] of [[0, 3, 5], [2, 15, 0]] as const) {
    const gx = 18 + (img % 2) * (3 * 128 + 12 + 18);
    const gy = 24 + Math.floor(img / 2) * (128 + 6);
    [inputs, outputs, targets].forEach((t, k) => {
      const want = [0, 1, 2].map((ch) => Math.round(255 * Math.min(1, Math.max(0, t.data[img * 3 * plane + ch * plane + sy * 16 + sx]!))));
      const x = gx + k * (128 + 6) + sx * 8 + 4;
      assert.deepEqual(pixel(c, x, gy + sy * 8 + 4), want, `image ${img}, column ${k}`);
    });
  }
  const png = PNG.sync.read(c.toPng());
  assert.deepEqual([png.width, png.height], [c.width, c.height]);
  assert.deepEqual([...png.data.subarray(0, 4)], [...c.data.subarray(0, 4)]);
});

test('the loss curve puts decades on a log axis and draws the held-out points in orange', () => {
  const steps = Array.from({ length: 20 }, (_, i) => 0.5 * 0.8 ** i);
  const epochs = [1, 2].map((e) => ({ epoch: e, trainLoss: steps[e * 10 - 5]!, heldOutLoss: 0.5 * 0.8 ** (e * 10), seconds: 1, imagesPerSecond: 1 }));
  const c = renderLossCurve(steps, epochs, 0.9);
  // Losses span 0.0072 .. 0.9: the axis runs from 10^-3 (bottom, y = 364) to 10^0 (top, y = 44).
  const py = (v: number) => 44 + ((420 - 44 - 56) * (0 - Math.log10(v))) / 3;
  const px = (step: number) => 70 + ((720 - 70 - 24) * step) / 20;
  assert.deepEqual(pixel(c, Math.round(px(0)) + 3, Math.round(py(0.9))), [230, 110, 20], 'untrained held-out marker');
  assert.deepEqual(pixel(c, Math.round(px(20)) - 1, Math.round(py(epochs[1]!.heldOutLoss))), [230, 110, 20], 'last held-out marker');
  assert.deepEqual(pixel(c, Math.round(px(5)), Math.round(py(epochs[0]!.trainLoss))), [25, 70, 170], 'first epoch mean at mid-epoch');
  assert.deepEqual(pixel(c, 5, 400), [255, 255, 255]);
});

test('text uses the 3x5 font and unknown characters draw as blanks', () => {
  const c = new Canvas(40, 12);
  assert.equal(c.text(1, 1, 'L1', [0, 0, 0], 2), 16);
  // 'L' is ink down its left column and across its bottom row.
  assert.deepEqual(pixel(c, 1, 1), [0, 0, 0]);
  assert.deepEqual(pixel(c, 5, 9), [0, 0, 0]);
  assert.deepEqual(pixel(c, 5, 1), [255, 255, 255]);
  const blank = new Canvas(10, 12);
  blank.text(0, 0, '~', [0, 0, 0]);
  assert.ok(blank.data.every((v) => v === 255));
});
