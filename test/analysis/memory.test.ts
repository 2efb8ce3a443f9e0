/**
 * Shape-only analysis builds no weights: a spec of three Conv2d(4096, 4096, 3)
 * (1.8 GB of float32 weights) is checked with meta parameters only, in
 * bounded memory; a deeply nested spec is analyzed without a stack overflow.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyze } from '../../src/analysis/analyze.js';
import { suggestFixes } from '../../src/analysis/fixes.js';
import { runCheck } from '../../src/cli/check.js';
import { build } from '../../src/cli/model_source.js';
import { fromSpec } from '../../src/spec/spec.js';
import { ReLU } from '../../src/nn/activation.js';
import { Sequential } from '../../src/nn/container.js';
import type { Module } from '../../src/nn/module.js';
import '../../src/ops/methods.js';

const conv = { module: 'Conv2d', args: { in_channels: 4096, out_channels: 4096, kernel_size: 3 } };
const big = { module: 'Sequential', layers: [conv, conv, conv] };

test('the CLI builds a model for analysis with shape-only parameters', () => {
  const m = build(big);
  assert.equal(m.parameters().length, 6);
  for (const p of m.parameters()) assert.ok(p.isMeta, 'a parameter with data');
  assert.deepEqual(m.parameters()[0]!.shape, [4096, 4096, 3, 3]);
});

test('normkit check on 1.8 GB worth of convolutions stays within tens of MB', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'normkit-mem-')), 'big.json');
  writeFileSync(file, JSON.stringify(big));
  global.gc?.();
  const before = process.memoryUsage().rss;
  let out = '';
  const code = runCheck(file, { input: '1x4096x16x16' }, { out: (s) => (out += s), err: (s) => (out += s), color: false });
  const grown = process.memoryUsage().rss - before;
  assert.equal(code, 0, out);
  assert.match(out, /Result: ok/);
  assert.ok(grown < 64 * 2 ** 20, `rss grew by ${(grown / 2 ** 20).toFixed(0)} MB`);
});

test('a spec nested 1,000 levels deep analyzes, one row per module (timing is the benchmark\'s job)', () => {
  const nest = (d: number) => {
    let s: unknown = { module: 'ReLU' };
    for (let i = 0; i < d; i++) s = { module: 'Sequential', layers: [s, { module: 'Identity' }] };
    return fromSpec(s);
  };
  const deep = nest(1000);
  const a = analyze(deep, [1, 3, 8, 8]);
  assert.equal(a.runs, true);
  assert.equal(a.modules.filter((r) => r.kind === 'module').length, 1001);
  assert.equal(a.modules.length, 2001);
});

test('a module tree nested 20,000 deep in code lowers and analyzes without a stack overflow', () => {
  let m: Module = new ReLU();
  for (let i = 0; i < 20000; i++) m = new Sequential(m);
  const a = analyze(m, [1, 2, 4, 4]);
  assert.equal(a.runs, true);
  assert.equal(a.modules.length, 20001);
});

test('the fix search on a 10,000-layer degenerate model stops each size probe at its finding (seconds, not minutes)', () => {
  const layers: unknown[] = [
    { module: 'Conv2d', args: { in_channels: 3, out_channels: 4, kernel_size: 3, padding: 1 } },
    { module: 'AdaptiveAvgPool2d', args: { output_size: 1 } },
    { module: 'Upsample', args: { scale_factor: 2 } },
    { module: 'InstanceNorm2d', args: { num_features: 4 } },
  ];
  for (let i = 0; i < 10000; i++) layers.push({ module: 'ReLU' });
  const m = build({ module: 'Sequential', layers });
  const a = analyze(m, [1, 3, 512, 512]);
  assert.equal(a.degenerate, true);
  const t0 = performance.now();
  const fixes = suggestFixes(m, a);
  const ms = performance.now() - t0;
  assert.ok(fixes.length >= 2, fixes.map((f) => f.title).join('; '));
  assert.ok(fixes.every((f) => f.verified.runs && !f.verified.degenerate));
  // Over a thousand sizes are tried; at 10,000 layers each a full analysis made this two minutes.
  assert.ok(ms < 20000, `${ms.toFixed(0)} ms`);
});
