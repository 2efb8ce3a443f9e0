/**
 * toOnnx op by op: small models with the layers and arguments the examples
 * do not have, each exported, run in onnxruntime and re-imported; both give
 * normkit's eval-mode output within 1e-4, the re-imported graph with modules
 * at the same paths.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importOnnx, toOnnx } from '../../../src/formats/onnx/index.js';
import { runGraph } from '../../../src/graph/interpret.js';
import type { Module } from '../../../src/nn/module.js';
import { fromSpec } from '../../../src/spec/spec.js';
import { randn } from '../../../src/tensor/creation.js';
import { manualSeed } from '../../../src/tensor/random.js';
import { noGrad } from '../../../src/tensor/grad_mode.js';
import type { Tensor } from '../../../src/tensor/tensor.js';
import '../../../src/ops/methods.js';
import { loadOrt } from '../../optional_peers.js';

const ortOrNull = await loadOrt();

const worst = (got: ArrayLike<number>, want: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < want.length; i++) m = Math.max(m, Math.abs(Number(want[i]) - Number(got[i])));
  return m;
};

const seq = (...layers: unknown[]) => ({ module: 'Sequential', layers });
const L = (module: string, args: Record<string, unknown> = {}) => ({ module, args });
const conv = (i: number, o: number, args: Record<string, unknown> = {}) => L('Conv2d', { in_channels: i, out_channels: o, kernel_size: 3, ...args });

/** name, spec, input shape, and whether re-import may give another module class at the same path. */
const CASES: [string, unknown, number[]][] = [
  ['Conv2d groups, dilation, stride, no bias; padding same', seq(conv(4, 8, { groups: 2, dilation: 2, stride: 2, padding: 1, bias: false }), conv(8, 8, { padding: 'same' })), [2, 4, 13, 11]],
  ['ConvTranspose2d with output_padding', seq(L('ConvTranspose2d', { in_channels: 3, out_channels: 5, kernel_size: 3, stride: 2, padding: 1, output_padding: 1 })), [1, 3, 7, 6]],
  ['Conv1d, InstanceNorm1d affine, ELU', seq(L('Conv1d', { in_channels: 2, out_channels: 6, kernel_size: 3, padding: 2 }), L('InstanceNorm1d', { num_features: 6, affine: true }), L('ELU', { alpha: 0.7 })), [2, 2, 9]],
  ['BatchNorm2d in eval, non-affine InstanceNorm2d, Sigmoid', seq(conv(3, 4), L('BatchNorm2d', { num_features: 4, momentum: 0.3 }), L('InstanceNorm2d', { num_features: 4 }), L('Sigmoid')), [2, 3, 9, 9]],
  ['GroupNorm without affine, GELU', seq(conv(3, 6), L('GroupNorm', { num_groups: 3, num_channels: 6, affine: false }), L('GELU')), [2, 3, 8, 8]],
  ['MaxPool2d ceil_mode, AvgPool2d with and without count_include_pad', seq(L('MaxPool2d', { kernel_size: 3, stride: 2, ceil_mode: true }), L('AvgPool2d', { kernel_size: 3, stride: 1, padding: 1 }), L('AvgPool2d', { kernel_size: 2, padding: 1, count_include_pad: false })), [1, 2, 12, 11]],
  ['Upsample bilinear (align_corners both), nearest-exact, UpsamplingBilinear2d', seq(L('Upsample', { scale_factor: 2, mode: 'bilinear' }), L('Upsample', { scale_factor: 2, mode: 'bilinear', align_corners: true }), L('Upsample', { scale_factor: 1.5, mode: 'nearest-exact' }), L('UpsamplingBilinear2d', { scale_factor: 2 })), [1, 2, 3, 4]],
  ['ZeroPad2d, ReplicationPad2d, ConstantPad2d asymmetric', seq(L('ZeroPad2d', { padding: [1, 2, 0, 3] }), L('ReplicationPad2d', { padding: 1 }), L('ConstantPad2d', { padding: [2, 0, 1, 1], value: 0.5 })), [1, 2, 4, 5]],
  ['LayerNorm over the last dims, Linear on rank 4, Tanh, Dropout', seq(L('LayerNorm', { normalized_shape: [5, 6] }), L('Linear', { in_features: 6, out_features: 3 }), L('Tanh'), L('Dropout', { p: 0.3 })), [2, 4, 5, 6]],
  ['AdaptiveAvgPool2d(1), Flatten, Linear, LeakyReLU', seq(conv(3, 8), L('AdaptiveAvgPool2d', { output_size: 1 }), L('Flatten'), L('Linear', { in_features: 8, out_features: 4 }), L('LeakyReLU', { negative_slope: 0.2 })), [3, 3, 10, 10]],
  ['InstanceNorm2d with tracked running statistics (eval)', seq(conv(3, 4), L('InstanceNorm2d', { num_features: 4, affine: true, track_running_stats: true })), [2, 3, 8, 8]],
];

function build(spec: unknown, shape: number[]): { model: Module; x: Tensor; y: Tensor } {
  manualSeed(3);
  const model = fromSpec(spec);
  // non-trivial running statistics and affine parameters
  for (const [k, t] of model.stateDict()) {
    if (k.endsWith('running_mean')) t.data.set(t.data.map((_, i) => 0.1 * i - 0.2));
    if (k.endsWith('running_var')) t.data.set(t.data.map((_, i) => 0.5 + 0.25 * i));
    if (/\.(weight|bias)$/.test(k) && t.ndim === 1) t.data.set(t.data.map((v, i) => v + 0.05 * i));
  }
  model.eval();
  const x = randn(shape);
  return { model, x, y: noGrad(() => model.call(x)) };
}

for (const [name, spec, shape] of CASES) for (const opset of [17, 18]) {
  test(`toOnnx ${name} (opset ${opset}): onnxruntime and the re-imported graph give normkit's output`, async () => {
    const { model, x, y } = build(spec, shape);
    const bytes = toOnnx(model, { inputs: { input: shape }, opset });
    const { graph } = importOnnx(bytes);
    const [z] = runGraph(graph, { input: x }, { training: false });
    assert.deepEqual(z!.shape, y.shape);
    assert.ok(worst(z!.data, y.data) <= 1e-4, `re-imported: ${worst(z!.data, y.data)}`);
    const paths = [...new Set(graph.nodes.filter((n) => n.module !== undefined).map((n) => n.scope))];
    const want = [...model.namedChildren()].map(([k]) => k);
    assert.deepEqual(paths.filter((p) => !want.includes(p)), [], `unexpected module paths ${paths.join(', ')}`);
    if (ortOrNull === null) return;
    const s = await ortOrNull.InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1 });
    try {
      const r = await s.run({ input: new ortOrNull.Tensor('float32', Float32Array.from(x.data), shape) });
      const out = r[s.outputNames[0]!]!;
      assert.deepEqual([...out.dims], y.shape);
      assert.ok(worst(out.data as ArrayLike<number>, y.data) <= 1e-4, `onnxruntime: ${worst(out.data as ArrayLike<number>, y.data)}`);
    } finally {
      await s.release();
    }
  });
}
