/**
 * summarize(): torchinfo's numbers from shapes and the module nodes' attrs and
 * parameter shapes (meta tensors: nothing built, nothing computed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze, graphOf } from '../../src/analysis/analyze.js';
import { formatBytes, formatCount, renderSummary, summarize } from '../../src/analysis/summary.js';
import { runCheck } from '../../src/cli/check.js';
import { fromSpec, type SpecNode } from '../../src/spec/spec.js';
import '../../src/ops/methods.js';

const spec = {
  module: 'Sequential',
  layers: [
    { module: 'Conv2d', args: { in_channels: 3, out_channels: 8, kernel_size: 3, padding: 1 } },
    { module: 'InstanceNorm2d', args: { num_features: 8 } },
    { module: 'ReLU' },
    { module: 'Conv2d', args: { in_channels: 8, out_channels: 8, kernel_size: 3, padding: 1, groups: 2, bias: false } },
    { module: 'ConvTranspose2d', args: { in_channels: 8, out_channels: 4, kernel_size: 2, stride: 2 } },
    { module: 'AdaptiveAvgPool2d', args: { output_size: 1 } },
    { module: 'Flatten' },
    { module: 'Linear', args: { in_features: 4, out_features: 10 } },
  ],
} as SpecNode;

test('per-layer parameters, MACs, output size, memory and values per statistic; totals', () => {
  const g = graphOf(fromSpec(spec));
  const s = summarize(g, analyze(g, [1, 3, 8, 8]));
  assert.deepEqual(s.layers.map((l) => [l.path, l.params, l.macs, l.activationBytes]), [
    ['0', 8 * 3 * 9 + 8, 512 * 3 * 9, 512 * 4],
    ['1', 0, 512, 512 * 4],
    ['2', 0, 0, 512 * 4],
    ['3', 8 * 4 * 9, 512 * 4 * 9, 512 * 4],
    ['4', 8 * 4 * 4 + 4, 512 * 4 * 4, 4 * 16 * 16 * 4],
    ['5', 0, 0, 16],
    ['6', 0, 0, 16],
    ['7', 50, 40, 40],
  ]);
  assert.equal(s.layers[1]!.valuesPerStatistic, 64);
  assert.equal(s.totalParams, 224 + 288 + 132 + 50);
  assert.equal(s.trainableParams, s.totalParams);
  assert.equal(s.totalMacs, 13824 + 512 + 18432 + 8192 + 40);
  assert.equal(s.inputBytes, 3 * 64 * 4);
  assert.deepEqual(s.inputShapes, { input: [1, 3, 8, 8] });
  const text = renderSummary(s).join('\n');
  assert.match(text, /^Summary \(input 1x3x8x8\):/);
  assert.match(text, /Total params: 694 \(694\)/);
  assert.match(text, /Total mult-adds: 41\.0 K/);
  assert.match(text, /\n1 +InstanceNorm2d +1x8x8x8 +- +512 +2\.05 KB +64\n/);
});

test('large counts formatted as torchinfo does: 2.5 G, 310.4 M, 12.3 K', () => {
  assert.equal(formatCount(2.5e9), '2.5 G');
  assert.equal(formatCount(310_400_000), '310.4 M');
  assert.equal(formatCount(12_300), '12.3 K');
  assert.equal(formatCount(950), '950');
  assert.equal(formatBytes(12_300_000), '12.30 MB');
});

test('normkit check --summary prints it; --json always has it', () => {
  let out = '';
  runCheck('healthy-classifier', { summary: true }, { out: (s) => (out += s), err: () => {}, color: false });
  assert.match(out, /Summary \(input /);
  assert.match(out, /Total mult-adds: /);
  let json = '';
  runCheck('healthy-classifier', { json: true }, { out: (s) => (json += s), err: () => {}, color: false });
  const doc = JSON.parse(json);
  assert.ok(doc.summary.totalParams > 0);
  assert.ok(Array.isArray(doc.summary.layers));
});
