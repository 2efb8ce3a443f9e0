/**
 * toOnnx on a general-form graph (two inputs, two outputs, functional nodes
 * between modules): onnxruntime and the re-imported graph give normkit's
 * outputs; a node the exporter has no mapping for is an OnnxError naming it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeModel, importOnnx, OnnxError, toOnnx } from '../../../src/formats/onnx/index.js';
import { runGraph } from '../../../src/graph/interpret.js';
import { graphFromGeneral } from '../../../src/spec/general.js';
import { randn } from '../../../src/tensor/creation.js';
import { manualSeed } from '../../../src/tensor/random.js';
import { noGrad } from '../../../src/tensor/grad_mode.js';
import '../../../src/ops/methods.js';
import { loadOrt } from '../../optional_peers.js';

const ortOrNull = await loadOrt();

const worst = (got: ArrayLike<number>, want: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < want.length; i++) m = Math.max(m, Math.abs(Number(want[i]) - Number(got[i])));
  return m;
};

const SPEC = {
  inputs: { x: [2, 3, 8, 8], c: [2, 4] },
  nodes: [
    { name: 'stem', module: 'Conv2d', args: { in_channels: 3, out_channels: 4, kernel_size: 3, padding: 1 }, inputs: ['x'] },
    { name: 'c4', op: 'reshape', args: { shape: [2, 4, 1, 1] }, inputs: ['c'] },
    { name: 'mod', op: 'mul', inputs: ['stem', 'c4'] },
    { name: 'half', op: 'mul', args: { other: 0.5 }, inputs: ['mod'] },
    { name: 'shift', op: 'sub', inputs: ['half', 'stem'] },
    { name: 'scaled', op: 'div', args: { other: 3 }, inputs: ['shift'] },
    { name: 'act', op: 'leaky_relu', args: { negative_slope: 0.1 }, inputs: ['scaled'] },
    { name: 'padded', op: 'pad', args: { pad: [1, 1, 2, 0], value: 0.25 }, inputs: ['act'] },
    { name: 'both', op: 'cat', args: { dim: -3 }, inputs: ['padded', 'padded'] },
    { name: 'sum', op: 'add', inputs: ['both', 'both'] },
    { name: 'pooled', op: 'mean', args: { dim: [2, 3] }, inputs: ['sum'] },
    { name: 'probs', op: 'softmax', args: { dim: 1 }, inputs: ['pooled'] },
    { name: 'perm', op: 'permute', args: { dims: [0, 2, 3, 1] }, inputs: ['sum'] },
    { name: 'tr', op: 'transpose', args: { dim0: 1, dim1: 2 }, inputs: ['perm'] },
    { name: 'flat', op: 'flatten', args: { start_dim: 1 }, inputs: ['tr'] },
    { name: 'th', op: 'tanh', inputs: ['flat'] },
    { name: 'sg', op: 'sigmoid', inputs: ['th'] },
  ],
  outputs: ['probs', 'sg'],
};

for (const opset of [17, 18, 13]) test(`toOnnx of a general-form graph at opset ${opset}: onnxruntime and the re-import give normkit's two outputs`, async () => {
  manualSeed(5);
  const { graph } = graphFromGeneral(SPEC);
  const x = randn([2, 3, 8, 8]);
  const c = randn([2, 4]);
  const want = noGrad(() => runGraph(graph, { x, c }, { training: false }));
  const bytes = toOnnx(graph, { inputs: { x: ['N', 3, 'H', 'W'], c: ['N', 4] }, outputNames: ['probs', 'features'], opset });
  const m = decodeModel(bytes);
  assert.deepEqual(m.graph!.input.map((i) => i.name), ['x', 'c']);
  assert.deepEqual(m.graph!.output.map((o) => o.name), ['probs', 'features']);
  const got = runGraph(importOnnx(bytes).graph, { x, c }, { training: false });
  want.forEach((w, k) => {
    assert.deepEqual(got[k]!.shape, w.shape);
    assert.ok(worst(got[k]!.data, w.data) <= 1e-5, `re-imported output ${k}`);
  });
  if (ortOrNull === null) return;
  const s = await ortOrNull.InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1 });
  try {
    const r = await s.run({ x: new ortOrNull.Tensor('float32', Float32Array.from(x.data), x.shape), c: new ortOrNull.Tensor('float32', Float32Array.from(c.data), c.shape) });
    assert.ok(worst(r['probs']!.data as ArrayLike<number>, want[0]!.data) <= 1e-4);
    assert.ok(worst(r['features']!.data as ArrayLike<number>, want[1]!.data) <= 1e-4);
  } finally {
    await s.release();
  }
});

test('toOnnx names the node it cannot write and the inputs it lacks', () => {
  const { graph } = graphFromGeneral({ inputs: { x: [1, 4, 4, 4] }, nodes: [{ name: 'pool', module: 'AvgPool2d', args: { kernel_size: 2, divisor_override: 3 }, inputs: ['x'] }], outputs: ['pool'] });
  assert.throws(
    () => toOnnx(graph, { inputs: { x: [1, 4, 4, 4] } }),
    (e: unknown) => e instanceof OnnxError && /cannot export AvgPool2d at 'pool'/.test(e.message) && /divisor_override/.test(e.message),
  );
  assert.throws(() => toOnnx(graph, { inputs: { y: [1, 4, 4, 4] } }), (e: unknown) => e instanceof OnnxError && /'x'/.test(e.message));
});

test('a module called twice (shared weights) writes its initializers once', async () => {
  manualSeed(6);
  const { graph } = graphFromGeneral({
    inputs: { x: [1, 2, 6, 6] },
    nodes: [
      { name: 'conv', module: 'Conv2d', args: { in_channels: 2, out_channels: 2, kernel_size: 3, padding: 1 }, inputs: ['x'] },
      { name: 'again', call: 'conv', inputs: ['conv'] },
    ],
    outputs: ['again'],
  });
  const bytes = toOnnx(graph, { inputs: { x: [1, 2, 6, 6] } });
  const m = decodeModel(bytes);
  assert.deepEqual(m.graph!.initializer.map((t) => t.name).sort(), ['conv.bias', 'conv.weight']);
  assert.equal(m.graph!.node.filter((n) => n.opType === 'Conv').length, 2);
  const x = randn([1, 2, 6, 6]);
  const [want] = noGrad(() => runGraph(graph, { x }, { training: false }));
  const [got] = runGraph(importOnnx(bytes).graph, { x }, { training: false });
  assert.ok(worst(got!.data, want!.data) <= 1e-5);
  if (ortOrNull === null) return;
  const s = await ortOrNull.InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1 });
  try {
    const r = await s.run({ x: new ortOrNull.Tensor('float32', Float32Array.from(x.data), x.shape) });
    assert.ok(worst(r['output']!.data as ArrayLike<number>, want!.data) <= 1e-4);
  } finally {
    await s.release();
  }
});
