/** `normkit demo` tells the write-up's story with real results. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDemo } from '../../src/cli/demo.js';

test('demo: exact error, constant planes flagged, fallback warned and counted, the two corrections', () => {
  const lines: string[] = [];
  runDemo((l = '') => lines.push(l.replace(/\u001b\[[0-9;]*m/g, '')));
  const text = lines.join('\n');
  assert.match(text, /ValueError: Expected more than 1 spatial element when training, got input size \[2, 64, 1, 1\]/);
  const largest = /largest \|output\| = ([0-9.e+-]+)/.exec(text);
  assert.ok(largest && Number(largest[1]) < 1e-3, 'example 2 output is near zero');
  assert.match(text, /InstanceNorm2d at 1 is DEGENERATE/);
  assert.match(text, /warning NK_FLEXIBLE_FALLBACK/);
  assert.match(text, /fallbackCount = 2/);
  assert.match(text, /on \[2, 64, 1, 2\]: ran/);
  assert.match(text, /\.eval\(\) on \[2, 64, 1, 1\]: ValueError: Expected more than 1 spatial element/);
  assert.match(text, /trackRunningStats: true \}\)\.eval\(\) on \[2, 64, 1, 1\]: ran/);
});
