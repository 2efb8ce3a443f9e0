/**
 * What toOnnx refuses, as torch 1.13's exporter does, with an OnnxError that
 * names the layer, its path and why: sizes torch writes as constants that
 * the file leaves dynamic, adaptive pools to sizes that do not divide the
 * input, PixelShuffle off 4-D input, AvgPool2d's divisor_override,
 * Dropout2d in train mode, and custom modules (a forward of their own).
 * Also: a parameter shared by two modules is one initializer, as torch writes it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeModel, importOnnx, OnnxError, toOnnx } from '../../../src/formats/onnx/index.js';
import { runGraph } from '../../../src/graph/interpret.js';
import { nn } from '../../../src/index.js';
import { Module } from '../../../src/nn/module.js';
import { fromSpec } from '../../../src/spec/spec.js';
import { randn } from '../../../src/tensor/creation.js';
import { noGrad } from '../../../src/tensor/grad_mode.js';
import { manualSeed } from '../../../src/tensor/random.js';
import type { Tensor } from '../../../src/tensor/tensor.js';
import '../../../src/ops/methods.js';
import { loadOrt } from '../../optional_peers.js';
import { runOrt, worst } from './export_helpers.js';

const ort = await loadOrt();

const seq = (...layers: unknown[]) => fromSpec({ module: 'Sequential', layers }).eval();
const L = (module: string, args: Record<string, unknown> = {}) => ({ module, args });

function refuses(model: Module, inputs: (number | string)[], message: RegExp, training = false): void {
  assert.throws(
    () => toOnnx(model, { inputs: { input: inputs }, training }),
    (e: unknown) => {
      assert.ok(e instanceof OnnxError, String(e));
      assert.match(e.message, message);
      return true;
    },
  );
}

test('tracked InstanceNorm needs fixed sizes (torch writes them as constants); with them it exports', () => {
  const m = seq(L('InstanceNorm2d', { num_features: 3, track_running_stats: true }));
  refuses(m, ['N', 3, 8, 8], /cannot export InstanceNorm2d at '0': with track_running_stats .*input size \[\?, 3, 8, 8\] is not fixed .*unknown batch size/);
  refuses(m, [2, 3, 'H', 'W'], /InstanceNorm2d at '0'.*\[2, 3, \?, \?\] is not fixed/);
  assert.ok(toOnnx(m, { inputs: { input: [2, 3, 8, 8] } }).length > 0);
});

test('adaptive pools: dynamic spatial sizes and sizes that do not divide the input are refused with torch 1.13\'s words', () => {
  refuses(seq(L('AdaptiveAvgPool2d', { output_size: 2 })), ['N', 3, 'H', 'W'], /AdaptiveAvgPool2d at '0': torch 1\.13: "Unsupported: ONNX export of operator adaptive_avg_pool2d, input size not accessible"/);
  refuses(seq(L('AdaptiveAvgPool2d', { output_size: 3 })), [1, 3, 8, 8], /adaptive_avg_pool2d, output size that are not factor of input size" \(input 8x8, output 3x3\)/);
  refuses(seq(L('AdaptiveMaxPool2d', { output_size: [2, 3] })), [1, 3, 8, 8], /AdaptiveMaxPool2d at '0': .*adaptive_max_pool2d, output size that are not factor/);
  refuses(seq(L('AdaptiveAvgPool1d', { output_size: 4 })), [1, 3, 'L'], /adaptive_avg_pool1d, input size not accessible/);
  // to 1 at any size: GlobalAveragePool
  const m = decodeModel(toOnnx(seq(L('AdaptiveAvgPool1d', { output_size: 1 })), { inputs: { input: ['N', 3, 'L'] } }));
  assert.deepEqual(m.graph!.node.map((n) => n.opType), ['GlobalAveragePool']);
});

test('PixelShuffle off 4-D input, divisor_override, Dropout2d in train mode, FlexibleInstanceNorm at a dynamic size', () => {
  refuses(seq(L('PixelShuffle', { upscale_factor: 2 })), [8, 3, 3], /PixelShuffle at '0': torch 1\.13: "Unsupported: ONNX export of operator pixel_shuffle, only support 4d input" \(input of rank 3\)/);
  refuses(seq(L('PixelUnshuffle', { downscale_factor: 2 })), [1, 1, 2, 4, 4], /only support 4d input/);
  refuses(seq(L('AvgPool2d', { kernel_size: 2, divisor_override: 3 })), [1, 1, 4, 4], /AvgPool2d at '0': .*divisor_override/);
  refuses(seq(L('Dropout2d', { p: 0.3 })), [2, 2, 4, 4], /Dropout2d at '0': torch 1\.13: "Unsupported: ONNX export of operator aten::feature_dropout, training mode"/, true);
  // in eval mode it is no node
  assert.deepEqual(decodeModel(toOnnx(seq(L('Conv2d', { in_channels: 2, out_channels: 2, kernel_size: 1 }), L('Dropout2d', { p: 0.3 })), { inputs: { input: [2, 2, 4, 4] } })).graph!.node.map((n) => n.opType), ['Conv']);
  refuses(seq(L('FlexibleInstanceNorm', { num_features: 2 })), [1, 2, 'H', 'W'], /FlexibleInstanceNorm at '0': .*depending on the spatial size, which is not fixed/);
});

/** A custom module: normkit sees its submodule calls, not the arithmetic between them. */
class ScaledSkip extends Module {
  constructor() {
    super();
    this.registerModule('conv', new nn.Conv2d(2, 2, 3, { padding: 1 }));
  }

  forward(x: Tensor): Tensor {
    return x.add(this.callChild('conv', x).mul(0.5));
  }
}

test('a custom module is refused, named with its path and why', () => {
  const model = new nn.Sequential(new nn.Conv2d(3, 2, 1), new ScaledSkip()).eval();
  refuses(model, [1, 3, 8, 8], /cannot export module at '1': ScaledSkip is a custom module with a forward of its own: normkit sees the submodules it calls but not the tensor operations between them/);
});

test('a module used twice in a Sequential and a shared parameter are one initializer each, as torch writes them', async () => {
  manualSeed(4);
  const conv = new nn.Conv2d(2, 2, 3, { padding: 1 });
  const a = new nn.Conv2d(2, 2, 1);
  const b = new nn.Conv2d(2, 2, 1, { bias: false });
  b.registerParameter('weight', a.getParameter('weight'));
  const model = new nn.Sequential(conv, new nn.ReLU(), conv, a, b).eval();
  const bytes = toOnnx(model, { inputs: { input: [1, 2, 5, 5] } });
  const m = decodeModel(bytes);
  assert.deepEqual(m.graph!.initializer.map((t) => t.name).sort(), ['0.bias', '0.weight', '3.bias', '3.weight']);
  assert.deepEqual(m.graph!.node.filter((n) => n.opType === 'Conv').map((n) => n.input[1]), ['0.weight', '0.weight', '3.weight', '3.weight']);
  const x = randn([1, 2, 5, 5]);
  const y = noGrad(() => model.call(x));
  const [z] = runGraph(importOnnx(bytes).graph, { input: x }, { training: false });
  assert.ok(worst(z!.data, y.data) <= 1e-5);
  if (ort === null) return;
  const [o] = await runOrt(ort, bytes, { input: x });
  assert.ok(worst(o!.data, y.data) <= 1e-5);
});
