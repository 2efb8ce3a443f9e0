/**
 * The importer builds its modules without their random
 * initialization (nn/init.ts withoutInit, PyTorch's skip_init): the file's
 * weights replace every value, so importing draws nothing from the seeded
 * generator, and the imported layers hold the file's weights.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { importOnnx } from '../../../src/formats/onnx/index.js';
import { manualSeed, randn } from '../../../src/index.js';
import { Conv2d } from '../../../src/nn/conv.js';
import { Linear } from '../../../src/nn/linear.js';
import { withoutInit } from '../../../src/nn/init.js';
import type { Module } from '../../../src/nn/module.js';

const file = (name: string) => new Uint8Array(readFileSync(new URL(`../../../../test/fixtures/onnx-archs/${name}`, import.meta.url)));

test('withoutInit leaves conv and linear weights at zero, nests, and restores initialization after a throw', () => {
  const c = withoutInit(() => withoutInit(() => new Conv2d(3, 4, 3)));
  assert.ok(c.weight.data.every((v) => v === 0) && c.bias!.data.every((v) => v === 0));
  assert.throws(() => withoutInit(() => new Linear(-1, 2)));
  const l = new Linear(5, 6);
  assert.ok(l.weight.data.some((v) => v !== 0), 'initialized again outside');
});

test('importing an ONNX file draws nothing from the seeded generator, and its layers hold the file\'s weights', () => {
  manualSeed(5);
  const want = randn([8]).data;
  manualSeed(5);
  const { graph } = importOnnx(file('resnet18.op17.eval.onnx'));
  assert.deepEqual(randn([8]).data, want, 'the stream is where the seed put it');
  const convs = graph.nodes.map((n) => n.module).filter((m): m is Module => m instanceof Conv2d) as Conv2d[];
  assert.ok(convs.length >= 10);
  for (const c of convs) assert.ok(c.weight.data.some((v) => v !== 0), 'weights loaded');
});
