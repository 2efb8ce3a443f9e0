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
import { tacotronPostnet, unetGenerator } from '../models/zoo.js';

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
