/** The generated training data: seeded scenes, and the stylize target's definition (colour mix, 3x3 kernel, tone curve). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator } from '../../src/tensor/random.js';
import { ShapesDataset, drawScene, stylize, toneCurve } from '../../src/train/data.js';
import { ValueError } from '../../src/errors.js';

test('the same seed gives the same batches, bit for bit; another seed gives other images', () => {
  const a = new ShapesDataset(16, 7);
  const b = new ShapesDataset(16, 7);
  for (let k = 0; k < 3; k++) {
    const x = a.batch(3);
    const y = b.batch(3);
    assert.deepEqual(x.inputs.shape, [3, 3, 16, 16]);
    assert.deepEqual(Buffer.from(x.inputs.data.buffer), Buffer.from(y.inputs.data.buffer));
    assert.deepEqual(Buffer.from(x.targets.data.buffer), Buffer.from(y.targets.data.buffer));
  }
  const c = new ShapesDataset(16, 8).batch(3);
  const d = new ShapesDataset(16, 7).batch(3);
  assert.notDeepEqual(Buffer.from(c.inputs.data.buffer), Buffer.from(d.inputs.data.buffer));
});

test('scenes and targets are images in [0, 1] with more than one colour', () => {
  const { inputs, targets } = new ShapesDataset(24, 3).batch(8);
  for (const t of [inputs, targets]) {
    for (const v of t.data) assert.ok(v >= 0 && v <= 1, `value ${v} outside [0, 1]`);
  }
  const per = 3 * 24 * 24;
  for (let i = 0; i < 8; i++) {
    const img = inputs.data.subarray(i * per, (i + 1) * per);
    assert.ok(new Set(img).size > 10, `image ${i} is (nearly) flat`);
  }
});

test('stylize of a flat image is the tone curve of the colour mix (the kernel sums to 1, edges replicate)', () => {
  const s = 5;
  const img = new Float32Array(3 * s * s);
  const rgb = [0.2, 0.7, 0.4];
  for (let ch = 0; ch < 3; ch++) img.fill(rgb[ch]!, ch * s * s, (ch + 1) * s * s);
  const out = stylize(img, s);
  const mix = [
    0.55 * 0.2 + 0.35 * 0.7 + 0.1 * 0.4,
    0.2 * 0.2 + 0.6 * 0.7 + 0.2 * 0.4,
    0.1 * 0.2 + 0.3 * 0.7 + 0.45 * 0.4,
  ];
  for (let ch = 0; ch < 3; ch++) {
    for (let p = 0; p < s * s; p++) assert.ok(Math.abs(out[ch * s * s + p]! - toneCurve(mix[ch]!)) < 1e-6);
  }
});

test('stylize is local: changing one pixel changes only its 3x3 neighbourhood', () => {
  const s = 9;
  const img = drawScene(new Generator(1), s);
  const base = stylize(img, s);
  const changed = img.slice();
  changed[4 * s + 4] = 1 - changed[4 * s + 4]!; // red channel at (4, 4)
  const out = stylize(changed, s);
  for (let ch = 0; ch < 3; ch++) {
    for (let y = 0; y < s; y++) {
      for (let x = 0; x < s; x++) {
        const i = ch * s * s + y * s + x;
        if (Math.abs(y - 4) > 1 || Math.abs(x - 4) > 1) assert.equal(out[i], base[i], `(${ch}, ${y}, ${x}) changed`);
      }
    }
  }
  assert.notEqual(out[4 * s + 4], base[4 * s + 4]);
});

test('the tone curve is an increasing S-curve on [0, 1], clamped outside', () => {
  assert.equal(toneCurve(-0.5), 0);
  assert.equal(toneCurve(0), 0);
  assert.equal(toneCurve(1), 1);
  assert.equal(toneCurve(1.7), 1);
  assert.ok(Math.abs(toneCurve(0.5) - 0.5) < 1e-12);
  assert.ok(toneCurve(0.25) < 0.25 && toneCurve(0.75) > 0.75);
  for (let x = 0; x < 1; x += 0.05) assert.ok(toneCurve(x + 0.05) > toneCurve(x));
});

test('bad sizes are ValueErrors', () => {
  assert.throws(() => new ShapesDataset(2, 0), ValueError);
  assert.throws(() => new ShapesDataset(16, 0).batch(0), ValueError);
});
