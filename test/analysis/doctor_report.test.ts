/**
 * The doctor's report on real architectures: what a person sees is exactly
 * true (the working sizes found, the range searched) and every failing point
 * gets a verified fix or a reason why none exists.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze, graphOf } from '../../src/analysis/analyze.js';
import { suggestFixes } from '../../src/analysis/fixes.js';
import { fromSpec } from '../../src/spec/spec.js';
import '../../src/ops/methods.js';
import picocolors from 'picocolors';
import { chainRows, renderReport } from '../../src/analysis/report.js';
import { runCheck } from '../../src/cli/check.js';
import { build, listExamples, loadSource, resolveInputs } from '../../src/cli/model_source.js';
import type { SpecNode } from '../../src/spec/spec.js';
import { smallResnet, tacotronPostnet, unetGenerator } from '../models/zoo.js';

test('pix2pix unet_256 at 1x3x128x128: the working sizes are exactly 256..257, 512..513, ... (the search reaches 4x the smallest)', () => {
  const g = graphOf(fromSpec(unetGenerator()));
  const a = analyze(g, [1, 3, 128, 128]);
  assert.equal(a.runs, false);
  const size = suggestFixes(g, a).find((f) => f.kind === 'input-size')!;
  assert.equal(size.title, 'Use an input of 256x256 (1x3x256x256): of sizes 1..1024, these work: 256..257, 512..513, 768..769, 1024');
  // Each claim checked on its own: 258..511 fail, 512 and 513 work.
  for (const k of [255, 258, 300, 511, 514]) assert.equal(analyze(g, [1, 3, k, k]).runs, false, `${k}`);
  for (const k of [256, 257, 512, 513, 768, 769, 1024]) assert.equal(analyze(g, [1, 3, k, k]).runs, true, `${k}`);
});

test('Tacotron Postnet (Conv1d + BatchNorm1d over the length) at 1x80x1: a batch of 2, and a length of at least 2', () => {
  const g = graphOf(fromSpec(tacotronPostnet()));
  const fixes = suggestFixes(g, analyze(g, [1, 80, 1]));
  assert.equal(fixes[0]!.title, 'Use a batch of 2 or more (input 2x80x1)');
  assert.equal(fixes[1]!.title, 'Use a length of at least 2 (1x80x2): every length from 2 to 1024 works (lengths 1..1024 searched)');
  assert.deepEqual(fixes[1]!.verified.inputShape, [1, 80, 2]);
});

test('ResNet (BatchNorm2d) at 1x3x4x4: a bigger batch, and the spatial size that works at batch 1 too', () => {
  const g = graphOf(fromSpec(smallResnet()));
  const fixes = suggestFixes(g, analyze(g, [1, 3, 4, 4]));
  const sizes = fixes.filter((f) => f.kind === 'input-size').map((f) => f.title);
  assert.deepEqual(sizes, ['Use a batch of 2 or more (input 2x3x4x4)', 'Use an input of at least 9x9 (1x3x9x9): every size from 9 to 1024 works (sizes 1..1024 searched)']);
  assert.equal(analyze(g, [1, 3, 9, 9]).runs, true);
  assert.equal(analyze(g, [1, 3, 8, 8]).runs, false);
});

test('an input without its batch and channel dims: a verified fix that adds them, or a sentence naming N and C', () => {
  const g = graphOf(fromSpec({ module: 'Sequential', layers: [{ module: 'Conv2d', args: { in_channels: 3, out_channels: 8, kernel_size: 3, padding: 1 } }, { module: 'InstanceNorm2d', args: { num_features: 8 } }] } as SpecNode));
  const a = analyze(g, [64, 64]);
  assert.equal(a.failure?.kind, 'rank');
  const fixes = suggestFixes(g, a);
  assert.equal(fixes[0]!.title, 'Give the input its batch and channel dims (N and C): 1x3x64x64 instead of 64x64 (Conv2d at 0 takes 4-d input)');
  assert.deepEqual(fixes[0]!.verified.inputShape, [1, 3, 64, 64]);
  const c = picocolors.createColors(false);
  const text = renderReport(a, [], c).join('\n');
  assert.match(text, /No automatic fix verified: the input 64x64 has 2 dims, and Conv2d at 0 needs others: give it the batch and channel dims \(N and C\)/);
});

const fixSet = (f: { verified: { inputShape: number[] }; changes: { path: string; node: unknown }[] }) =>
  [f.verified.inputShape.join('x'), ...f.changes.map((c) => `${c.path}=${JSON.stringify(c.node)}`).sort()].join('|');

test('image-to-image (CycleGAN ResNet generator at 1x3x4x4): the size that keeps output = input first; the others say the output differs', () => {
  const r = runCheck('resnet-generator', {}, { out: (s) => (out += s), err: () => {}, color: false });
  assert.equal(r, 1);
  assert.match(out, /1\. Use an input of 8x8 \(1x3x8x8\), where the output keeps the input's size: of sizes 1\.\.1024, these do: 8, 12, \.\.\., 1024 \(every 4 from 8\)\n +verified: runs at 1x3x8x8, output 1x3x8x8 \(the input's size\)/);
  assert.match(out, /2\. Use an input of at least 5x5 \(1x3x5x5\): every size from 5 to 1024 works \(sizes 1\.\.1024 searched\)\n +verified: runs at 1x3x5x5, output 1x3x8x8 \(not the input's 5x5: the output is 8x8, so an L1 or cycle loss against the input breaks\)/);
  assert.match(out, /Conv2d at 7: stride=\(2, 2\) -> stride=1\n +verified: runs at 1x3x4x4, output 1x3x8x8 \(not the input's 4x4/);
  // The chain: the reflection pad and the 7x7 conv cancel, one row with the net change.
  assert.match(out, /\n +0\.\.1 +ReflectionPad2d \+ Conv2d +4x4 -> 4x4 +no net change \(4x4 -> 10x10 -> 4x4\)\n +4 +Conv2d +4x4 -> 2x2 +stride 2\n/);
  const g = graphOf(build(loadSource('resnet-generator').spec));
  const fixes = suggestFixes(g, analyze(g, [1, 3, 4, 4]));
  assert.deepEqual(fixes.map((f) => f.verified.keepsInputSize), [true, false, false, false]);
});
let out = '';

test('chain rows: steps of one block that cancel become one row; others stay', () => {
  const step = (path: string, type: string, before: number, after: number) => ({ path, type, before: [before, before], after: [after, after], change: (after < before ? 'shrank' : 'grew') as 'shrank' | 'grew', because: ['x'] });
  const rows = chainRows([step('1.body.0', 'ReflectionPad2d', 4, 6), step('1.body.1', 'Conv2d', 6, 4), step('2', 'Conv2d', 4, 2)]);
  assert.deepEqual(rows.map((r) => [r.path, r.type, r.size, r.because]), [
    ['1.body', 'ReflectionPad2d + Conv2d', '4x4 -> 4x4', 'no net change (4x4 -> 6x6 -> 4x4)'],
    ['2', 'Conv2d', '4x4 -> 2x2', 'x'],
  ]);
});

test('13 norms replaced: one grouped line, not 13 identical ones; no two fixes with the same change set', () => {
  const layers: unknown[] = [];
  const ch = [3, 8, 16, 16, 16, 16];
  for (let i = 0; i < 5; i++) layers.push({ module: 'Conv2d', args: { in_channels: ch[i], out_channels: ch[i + 1], kernel_size: 3, stride: 2, padding: 1 } });
  for (let i = 0; i < 13; i++) layers.push({ module: 'Conv2d', args: { in_channels: 16, out_channels: 16, kernel_size: 1 } }, { module: 'InstanceNorm2d', args: { num_features: 16 } }, { module: 'ReLU' });
  const g = graphOf(fromSpec({ module: 'Sequential', layers } as SpecNode));
  const fixes = suggestFixes(g, analyze(g, [1, 3, 16, 16]));
  const gn = fixes.find((f) => f.kind === 'replace-norm' && f.changes.length === 13)!;
  assert.equal(gn.title, 'Replace InstanceNorm2d at 6, 9, 12, ..., 42 (13 layers) with GroupNorm(num_groups=4, num_channels=16, affine=False)');
  const lines = renderReport(analyze(g, [1, 3, 16, 16]), fixes, picocolors.createColors(false)).join('\n');
  assert.doesNotMatch(lines, /\n +6: InstanceNorm2d/);
  const sets = fixes.map(fixSet);
  assert.equal(new Set(sets).size, sets.length);
  for (const name of listExamples()) {
    const src = loadSource(name);
    const m = graphOf(build(src.spec));
    const fs = suggestFixes(m, analyze(m, resolveInputs(m, src.input, src.name), { mode: src.mode ?? 'train' })).map(fixSet);
    assert.equal(new Set(fs).size, fs.length, name);
  }
});
