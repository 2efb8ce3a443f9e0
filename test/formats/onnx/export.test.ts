/**
 * ONNX out: the bundled example models, built from their specs with seeded
 * weights and put in eval mode, exported with toOnnx: onnxruntime runs the
 * file and gives normkit's output; importOnnx gives the same module paths and
 * the same output; a loaded checkpoint's weights are the file's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { decodeModel, importOnnx, OnnxError, toOnnx } from '../../../src/formats/onnx/index.js';
import { lowerModule } from '../../../src/graph/lower.js';
import { runGraph } from '../../../src/graph/interpret.js';
import type { Module } from '../../../src/nn/module.js';
import { fromSpec } from '../../../src/spec/spec.js';
import { randn } from '../../../src/tensor/creation.js';
import { manualSeed } from '../../../src/tensor/random.js';
import { tensorData } from '../../../src/formats/onnx/tensor.js';
import type { Tensor } from '../../../src/tensor/tensor.js';
import { noGrad } from '../../../src/tensor/grad_mode.js';
import '../../../src/ops/methods.js';
import { loadOrt } from '../../optional_peers.js';
import { ROOT } from './corpus.js';

const ortOrNull = await loadOrt();
const NO_ORT = ortOrNull === null ? 'onnxruntime-node is not installed (npm run setup:full)' : false;

const DIR = join(ROOT, 'examples');
const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();

const worst = (got: ArrayLike<number>, want: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < want.length; i++) m = Math.max(m, Math.abs(Number(want[i]) - Number(got[i])));
  return m;
};

/** The model of an example, seeded and in eval mode, with an input of its size and normkit's own output. */
function example(f: string, seed = 0): { model: Module; x: Tensor; y: Tensor; shape: number[] } {
  const spec = JSON.parse(readFileSync(join(DIR, f), 'utf8')) as { input: string; model: unknown };
  manualSeed(seed);
  const model = fromSpec(spec.model);
  model.eval();
  // Some examples fail at their own size by design (the doctor's subjects): take the first size that runs.
  const given = spec.input.split('x').map(Number);
  let last: unknown;
  for (const side of [0, 16, 32, 64, 128, 256]) {
    const shape = side === 0 ? given : [...given.slice(0, 2), ...given.slice(2).map(() => side)];
    const x = randn(shape);
    try {
      const y = noGrad(() => model.call(x));
      return { model, x, y, shape };
    } catch (e) {
      last = e;
    }
  }
  throw last;
}

/** Module paths of a graph's module nodes, in order (torch writes no node for Identity and the dropouts in eval). */
const modulePaths = (m: Module) =>
  lowerModule(m)
    .nodes.filter((n) => n.module !== undefined && !['Identity', 'Dropout', 'Dropout2d'].includes(n.op))
    .map((n) => `${n.op} ${n.scope}`);

test('every bundled example is covered', () => {
  assert.ok(files.length >= 9, files.join(', '));
});

for (const f of files) {
  test(`export ${f}: onnxruntime gives normkit's output within 1e-4`, { skip: NO_ORT }, async () => {
    const ort = ortOrNull!;
    const { model, x, y, shape } = example(f);
    const bytes = toOnnx(model, { inputs: { input: shape }, opset: 17 });
    const s = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1 });
    try {
      const r = await s.run({ input: new ort.Tensor('float32', Float32Array.from(x.data), shape) });
      const out = r[s.outputNames[0]!]!;
      assert.deepEqual([...out.dims], y.shape);
      const err = worst(out.data as ArrayLike<number>, y.data);
      assert.ok(err <= 1e-4, `${f}: max |ort - normkit| = ${err}`);
    } finally {
      await s.release();
    }
  });

  test(`export ${f}: re-imported, the same module paths and the same output`, () => {
    const { model, x, y, shape } = example(f);
    const bytes = toOnnx(model, { inputs: { input: shape } });
    const { graph } = importOnnx(bytes);
    const got = graph.nodes.filter((n) => n.module !== undefined).map((n) => `${n.op} ${n.scope}`);
    assert.deepEqual(got, modulePaths(model));
    const [z] = runGraph(graph, { input: x }, { training: false });
    assert.deepEqual(z!.shape, y.shape);
    const err = worst(z!.data, y.data);
    assert.ok(err <= 1e-4, `${f}: max |reimported - normkit| = ${err}`);
  });
}

test('export with symbolic dims: dim names become dim_param, node names are torch\'s', async () => {
  const { model } = example('style_net.json');
  const bytes = toOnnx(model, { inputs: { input: ['N', 3, 'H', 'W'] } });
  const m = decodeModel(bytes);
  const dims = m.graph!.input[0]!.type!.tensorType!.shape!.dim.map((d) => d.dimParam || d.dimValue);
  assert.deepEqual(dims, ['N', 3, 'H', 'W']);
  assert.equal(m.opsetImport[0]!.version, 17);
  const names = m.graph!.node.map((n) => n.name);
  for (const want of ['/0/branches.1/branches.1.1/Conv', '/0/branches.1/branches.1.8/body/body.1/Conv', '/0/branches.1/branches.1.8/Add', '/0/Concat', '/4/Conv']) assert.ok(names.includes(want), `${want} not in ${names.join(' ')}`);
  if (ortOrNull === null) return;
  // another size than any example's: the file has no fixed sizes
  const x = randn([2, 3, 20, 24]);
  const y = noGrad(() => model.call(x));
  const s = await ortOrNull.InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1 });
  try {
    const r = await s.run({ input: new ortOrNull.Tensor('float32', Float32Array.from(x.data), x.shape) });
    assert.ok(worst(r[s.outputNames[0]!]!.data as ArrayLike<number>, y.data) <= 1e-4);
  } finally {
    await s.release();
  }
});

test('a trained checkpoint (state dict loaded) exports its weights', () => {
  const a = example('healthy-classifier.json', 1).model;
  const b = example('healthy-classifier.json', 2).model;
  // change every weight and running statistic, as training would
  const state = new Map([...a.stateDict()].map(([k, t]) => [k, t.mul(1.5).add(0.25)] as [string, Tensor]));
  b.loadStateDict(state);
  b.eval();
  const shape = [2, 3, 32, 32];
  const m = decodeModel(toOnnx(b, { inputs: { input: shape } }));
  const inits = new Map(m.graph!.initializer.map((t) => [t.name, t]));
  let checked = 0;
  for (const [k, t] of state) {
    if (k.endsWith('num_batches_tracked')) continue;
    // torch's GroupNorm pattern multiplies by a [C, 1, 1] constant (onnx::Mul_N) instead of `<path>.weight`
    const got = inits.get(k) ?? [...inits.values()].find((c) => c.name.startsWith('onnx::') && tensorData(c).data.length === t.numel() && worst(tensorData(c).data as ArrayLike<number>, t.data) === 0);
    assert.ok(got, `no initializer ${k} (have ${[...inits.keys()].join(', ')})`);
    if (got.name === k) assert.deepEqual([...got.dims], t.shape, k);
    assert.equal(worst(tensorData(got).data as ArrayLike<number>, t.data), 0, k);
    checked++;
  }
  assert.ok(checked > 0);
  const x = randn(shape);
  const y = noGrad(() => b.call(x));
  const [z] = runGraph(importOnnx(toOnnx(b, { inputs: { input: shape } })).graph, { input: x }, { training: false });
  assert.ok(worst(z!.data, y.data) <= 1e-4);
});

test('an unsupported node is an OnnxError naming it', () => {
  const model = fromSpec({ module: 'Sequential', layers: [{ module: 'Conv2d', args: { in_channels: 1, out_channels: 1, kernel_size: 1 } }, { module: 'AdaptiveAvgPool2d', args: { output_size: 3 } }] });
  assert.throws(
    () => toOnnx(model, { inputs: { input: [1, 1, 8, 8] } }),
    (e: unknown) => e instanceof OnnxError && /AdaptiveAvgPool2d at '1'/.test(e.message),
  );
  assert.throws(() => toOnnx(model, { inputs: { input: [1, 1, 8, 8] }, opset: 9 }), OnnxError);
});
