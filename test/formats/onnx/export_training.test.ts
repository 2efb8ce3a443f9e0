/**
 * toOnnx(model, { training: true }): what the model computes in train mode,
 * as torch.onnx.export(..., training=TrainingMode.TRAINING) writes it —
 * BatchNorm as a training-mode BatchNormalization (batch statistics, its
 * running-statistics outputs unused), InstanceNorm with tracked statistics as
 * InstanceNormalization (the instance's statistics). onnxruntime gives
 * normkit's train-mode output; the re-import has the same modules.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeModel, importOnnx, toOnnx } from '../../../src/formats/onnx/index.js';
import { randn } from '../../../src/tensor/creation.js';
import { noGrad } from '../../../src/tensor/grad_mode.js';
import '../../../src/ops/methods.js';
import { loadOrt } from '../../optional_peers.js';
import { build, runOrt, worst } from './export_helpers.js';

const ort = await loadOrt();

const SPEC = {
  module: 'Sequential',
  layers: [
    { module: 'Conv2d', args: { in_channels: 3, out_channels: 4, kernel_size: 3, padding: 1 } },
    { module: 'BatchNorm2d', args: { num_features: 4 } },
    { module: 'InstanceNorm2d', args: { num_features: 4, affine: true, track_running_stats: true } },
    { module: 'ReLU' },
    { module: 'Dropout', args: { p: 0 } },
  ],
};

for (const opset of [13, 17]) {
  test(`toOnnx training: true (opset ${opset}): batch and instance statistics, onnxruntime gives normkit's train-mode output`, async () => {
    const model = build(SPEC);
    const bytes = toOnnx(model, { inputs: { input: ['N', 3, 'H', 'W'] }, opset, training: true });
    const m = decodeModel(bytes);
    const bn = m.graph!.node.find((n) => n.opType === 'BatchNormalization')!;
    // running statistics in, their updates out (unused): BatchNormalization-9's five outputs, or training_mode=1 from opset 14
    assert.deepEqual(bn.input.slice(3), ['1.running_mean', '1.running_var']);
    assert.equal(bn.output.length, opset >= 14 ? 3 : 5);
    assert.deepEqual(bn.attribute.filter((a) => a.name === 'training_mode').map((a) => a.i), opset >= 14 ? [1] : []);
    assert.deepEqual(m.graph!.node.map((n) => n.opType), ['Conv', 'BatchNormalization', 'InstanceNormalization', 'Relu']);
    const { graph } = importOnnx(bytes);
    assert.deepEqual(graph.nodes.map((n) => `${n.scope} ${n.op}`), ['0 Conv2d', '1 BatchNorm2d', '2 InstanceNorm2d', '3 ReLU']);
    const x = randn([2, 3, 5, 6]);
    // the eval-mode file differs: there the statistics are the running ones
    const evalOut = noGrad(() => model.call(x));
    model.train();
    const want = noGrad(() => model.call(x));
    assert.ok(worst(evalOut.data, want.data) > 0.1);
    if (ort === null) return;
    const [got] = await runOrt(ort, bytes, { input: x });
    assert.deepEqual(got!.dims, want.shape);
    assert.ok(worst(got!.data, want.data) <= 1e-4, `onnxruntime: ${worst(got!.data, want.data)}`);
  });
}
